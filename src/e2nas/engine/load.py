"""Open a finished (or running) search's supernet for evaluation: ``load_supernet(run_dir)``.

The run directory is only read: its ``config.json`` says how the supernet was built and which data it searched
on, its ``checkpoint.pt`` (or a kept ``snapshots/epoch-NNNN.pt``) holds the weights.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from e2nas.engine.checkpoint import CheckpointError, read_checkpoint
from e2nas.engine.config import SearchConfig
from e2nas.rundir import CHECKPOINT, CONFIG, SNAPSHOTS, RunPaths
from e2nas.safeio import atomic_write_bytes, ensure_dir, load_torch_file
from e2nas.safeio.torch_files import CorruptFileError, UnsafeFileError
from e2nas.spaces import get_space


def snapshot_path(run_dir: Path, epoch: int) -> Path:
    return RunPaths(run_dir).snapshot(epoch)


def kept_epochs(run_dir: str | Path) -> list[int]:
    """Epochs whose supernet snapshot the run kept (config ``snapshot_every``)."""
    d = Path(run_dir) / SNAPSHOTS
    out = []
    for p in d.glob("epoch-*.pt") if d.is_dir() else []:
        try:
            out.append(int(p.stem.split("-")[1]))
        except (IndexError, ValueError):
            continue
    return sorted(out)


def read_run_config(run_dir: str | Path) -> SearchConfig:
    """The run's config.json as a :class:`SearchConfig` (one clear error if there is none or it is unreadable)."""
    d = Path(run_dir)
    if not d.is_dir():
        raise CheckpointError(f"run directory {d} does not exist; pass the --out of a search")
    p = d / CONFIG
    try:
        return SearchConfig.from_dict(json.loads(p.read_text()))
    except FileNotFoundError:
        raise CheckpointError(f"{d} is not a search run directory (no {CONFIG}); pass the --out of a search") from None
    except (OSError, ValueError, TypeError) as err:
        raise CheckpointError(f"{p} is not a readable run config ({type(err).__name__}: {err})") from None


def load_supernet(
    run_dir: str | Path, epoch: int | None = None, device: str | torch.device = "cpu"
) -> tuple[torch.nn.Module, SearchConfig]:
    """The supernet of the search in ``run_dir`` with its trained weights (final checkpoint, or the snapshot of
    ``epoch`` when the run kept one), in eval-ready form on ``device``, and the run's config. (A pretrained
    ``supernet.pt`` or the shipped one: :func:`e2nas.engine.init_weights.load_pretrained`.)"""
    d = Path(run_dir)
    cfg = read_run_config(d)
    if epoch is None:
        path = d / CHECKPOINT
        if not path.is_file():
            raise CheckpointError(f"{d} has no {CHECKPOINT} yet (the search has not finished an epoch)")
        weights = read_checkpoint(path)["supernet"]
    else:
        path = snapshot_path(d, epoch)
        if not path.is_file():
            kept = kept_epochs(d)
            have = ", ".join(map(str, kept)) if kept else "none (search with --snapshot-every E to keep some)"
            raise CheckpointError(f"{d} kept no supernet of epoch {epoch}; kept epochs: {have}")
        weights = read_snapshot(path)
    head = weights.get("classifier.weight")
    if head is None:
        raise CheckpointError(f"{path} holds no supernet weights")
    net = get_space(cfg.space).supernet(cfg.C, cfg.N, int(head.shape[0]), cfg.track_running_stats)
    try:
        net.load_state_dict(weights)
    except RuntimeError as err:
        raise CheckpointError(
            f"{path} does not fit the supernet of {d}/{CONFIG} ({str(err).splitlines()[0]})"
        ) from None
    return net.to(device), cfg


def save_snapshot(path: Path, supernet: torch.nn.Module) -> None:
    """Supernet weights only (tensors: loadable with ``weights_only=True``), written atomically."""
    ensure_dir(path.parent, "snapshot directory")
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in supernet.state_dict().items()}, buf)
    atomic_write_bytes(path, buf.getvalue())


def read_snapshot(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = load_torch_file(path, "snapshot")
    except (UnsafeFileError, CorruptFileError) as err:
        raise CheckpointError(f"snapshot {path} is corrupt, unsafe or not an e2nas snapshot ({err})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"snapshot {path} is not an e2nas supernet snapshot")
    return state
