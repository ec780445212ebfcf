"""Search checkpoints: plain types only (:mod:`e2nas.engine.state_codec`), loaded with the weights-only
unpickler so a checkpoint cannot run code, written atomically, and validated against the run on resume."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from e2nas.engine.state_codec import decode_state, encode_state
from e2nas.safeio import atomic_write_bytes, load_torch_file
from e2nas.safeio.torch_files import CorruptFileError, UnsafeFileError, pickle_scan

FORMAT = "e2nas-search-checkpoint"
#: 2: plain types only (weights-only loadable); 1 (before it) pickled cells and numpy arrays as Python objects
VERSION = 2


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (corrupt, unsafe, old format, or written by a different method/config)."""


def save_checkpoint(path: Path, state: dict[str, Any], hint: str = "", fmt: str = FORMAT) -> None:
    """Serialise in memory first (a state that cannot be checkpointed fails before the disk is touched), then
    write atomically: a full disk leaves the previous checkpoint as it was. ``fmt`` names the kind of run
    (search, or ``e2nas train``'s), so one kind is never resumed as the other."""
    buf = io.BytesIO()
    torch.save(encode_state({"format": fmt, "version": VERSION, **state}), buf)
    atomic_write_bytes(path, buf.getvalue(), hint)


def load_checkpoint(
    path: Path, fingerprint: dict[str, Any], fmt: str = FORMAT, later: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read and check a checkpoint; raise :class:`CheckpointError` with one clear line on any problem.
    ``later``: fields newer than the checkpoint may be, with the value a checkpoint without them had."""
    state = read_checkpoint(path, fmt)
    diff = _differences({**(later or {}), **state.get("fingerprint", {})}, fingerprint)
    if diff:
        shown = "; ".join(f"{k}: checkpoint {a} vs now {b}" for k, a, b in diff[:4])
        raise CheckpointError(
            f"checkpoint {path} belongs to a different run ({shown}); "
            "resume with the same options or pass another --out"
        )
    return state


def read_checkpoint(path: Path, fmt: str = FORMAT) -> dict[str, Any]:
    """Read a checkpoint and check its format (not which run it belongs to)."""
    try:
        state = load_torch_file(path, "checkpoint")
    except UnsafeFileError as err:
        raise CheckpointError(_unsafe_message(path, err)) from None
    except CorruptFileError as err:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or unreadable ({err.reason}); delete it to start over or pass another --out"
        ) from None
    if not isinstance(state, dict) or state.get("format") != fmt:
        raise CheckpointError(f"{path} is not an {fmt}; delete it or pass another --out")
    if state.get("version") != VERSION:
        raise CheckpointError(
            f"checkpoint {path} has format version {state.get('version')}, this e2nas reads version {VERSION}; "
            "start the search again (delete it or pass another --out)"
        )
    try:
        return decode_state(state)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"checkpoint {path} is damaged ({err}); delete it or pass another --out") from None


def _unsafe_message(path: Path, err: UnsafeFileError) -> str:
    """Format 1 checkpoints pickled cells and numpy arrays: say so, rather than calling them hostile. The
    header is read opcode by opcode (``pickletools``), nothing is executed."""
    consts = pickle_scan(path).constants
    old = next(
        (consts[i + 3] for i in range(len(consts) - 3) if consts[i : i + 3] == ["format", FORMAT, "version"]), None
    )
    if old is not None and old != VERSION:
        return (
            f"checkpoint {path} has format version {old} (e2nas before the weights-only checkpoints), which "
            f"stored Python objects and is not loaded because that could run code; start the search again "
            f"(delete it or pass another --out)"
        )
    names = ", ".join(err.names[:3]) or "unknown objects"
    return (
        f"{path} is not an e2nas checkpoint / unsafe content (it holds pickled Python objects: {names}); nothing "
        "was loaded or run; delete it or pass another --out"
    )


_ABSENT = "(not set)"


def _differences(theirs: dict[str, Any], ours: dict[str, Any], prefix: str = "") -> list[tuple[str, str, str]]:
    """(key, checkpoint value, current value) of every differing entry; nested dicts (searcher options) are
    compared key by key so the message names the one option that differs, not two whole dicts."""
    out = []
    for k in sorted(set(theirs) | set(ours)):
        a, b = theirs.get(k, _ABSENT), ours.get(k, _ABSENT)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append((prefix + k, a if a is _ABSENT else repr(a), b if b is _ABSENT else repr(b)))
    return out


def rng_state(device: torch.device) -> dict[str, Any]:
    out: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": _numpy_state(),
    }
    if device.type == "cuda":
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def _numpy_state() -> tuple[str, torch.Tensor, int, int, float]:
    """numpy's legacy global RNG state with its key array as an int64 tensor (weights-only loadable)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return str(name), torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss), float(cached)


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached)))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
