"""Save and load D-VAE checkpoints with validation; ``load_pretrained()`` for the weights shipped in the package."""

from __future__ import annotations

import functools
import io
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from e2nas.safeio import atomic_write_bytes, ensure_dir, load_torch_file
from e2nas.safeio.torch_files import CorruptFileError, UnsafeFileError
from e2nas.vae.model import DVAE, DVAEConfig

CHECKPOINT_FORMAT = "e2nas-dvae-nb201"
CHECKPOINT_VERSION = 1
_FIX = "retrain with `e2nas vae train --out PATH` (then pass --model PATH) or reinstall e2nas for the shipped weights"


class VAECheckpointError(ValueError):
    """A D-VAE weights file that is missing, unreadable, of another kind, or that does not match its config."""


def pretrained_path() -> Path:
    """Where the shipped weights live inside the installed package."""
    return Path(str(resources.files("e2nas") / "_data" / "dvae_nb201.pt"))


def save_checkpoint(model: DVAE, path: str | Path, record: dict[str, Any] | None = None) -> Path:
    """Write config, weights (float32) and the training record to ``path`` (atomically; plain types only, so
    the file loads with the weights-only unpickler)."""
    p = Path(path)
    ensure_dir(p.parent, "directory of --out")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "config": model.config.to_dict(),
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
        "record": record or {},
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(p, buf.getvalue())
    return p


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and validate the raw checkpoint dict (no model built)."""
    p = Path(path)
    if not p.is_file():
        raise VAECheckpointError(f"D-VAE weights file not found: {p}; {_FIX}")
    try:
        payload = load_torch_file(p, "D-VAE weights")
    except UnsafeFileError as err:
        raise VAECheckpointError(
            f"{p} is not an e2nas D-VAE checkpoint / unsafe content (pickled Python objects: "
            f"{', '.join(err.names[:3]) or 'unknown'}); nothing was loaded or run; {_FIX}"
        ) from None
    except CorruptFileError as err:
        raise VAECheckpointError(f"{p} is not a readable D-VAE checkpoint ({err.reason}); {_FIX}") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise VAECheckpointError(f"{p} is not an e2nas D-VAE checkpoint (no '{CHECKPOINT_FORMAT}' marker); {_FIX}")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise VAECheckpointError(
            f"{p} has checkpoint version {payload.get('version')}, "
            f"this e2nas reads version {CHECKPOINT_VERSION}; {_FIX}"
        )
    for key in ("config", "state_dict"):
        if not isinstance(payload.get(key), dict):
            raise VAECheckpointError(f"{p} lacks its '{key}' entry; {_FIX}")
    return payload


def load_checkpoint(path: str | Path) -> tuple[DVAE, dict[str, Any]]:
    """Build the model from the stored config and load its weights; returns (model in eval mode, record)."""
    payload = read_checkpoint(path)
    try:
        config = DVAEConfig(**payload["config"])
    except TypeError as err:
        raise VAECheckpointError(
            f"{path}: config {payload['config']} does not fit this e2nas ({err}); {_FIX}"
        ) from None
    model = DVAE(config)
    expected = model.state_dict()
    state = payload["state_dict"]
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise VAECheckpointError(
            f"{path}: weights do not match the model (missing {missing[:3]}, unexpected {unexpected[:3]}); {_FIX}"
        )
    for k, v in expected.items():
        if tuple(state[k].shape) != tuple(v.shape):
            raise VAECheckpointError(
                f"{path}: weight {k} has shape {tuple(state[k].shape)} but config {config.to_dict()} needs "
                f"{tuple(v.shape)}; {_FIX}"
            )
    model.load_state_dict(state)
    model.eval()
    return model, dict(payload.get("record") or {})


def load_pretrained() -> DVAE:
    """The D-VAE shipped with e2nas (trained on the 80% train split of all NB201 cells), in eval mode."""
    return load_checkpoint(pretrained_path())[0]


def encoder_radius(path: str | Path | None = None) -> float:
    """The largest encoder-mean norm over all 15,625 cells of the D-VAE stored at ``path`` (None: the shipped
    one): the ball E²NAS keeps z in. Memoised per file version, because encoding every cell takes about a second
    and a sweep or the test suite sets up a searcher over the same file many times."""
    p = Path(path) if path is not None else pretrained_path()
    try:
        stat = p.stat()
    except OSError:
        return _radius_of(load_checkpoint(p)[0])  # raises the checkpoint error that names the problem
    return _cached_radius(str(p.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _cached_radius(path: str, inode: int, mtime_ns: int, size: int) -> float:  # noqa: ARG001 (the version is the key)
    return _radius_of(load_checkpoint(path)[0])


def _radius_of(model: DVAE) -> float:
    from e2nas.vae.data import all_ops

    with torch.no_grad():
        mu, _ = model.encode_cells(all_ops().numpy())
    return float(mu.norm(dim=1).max())
