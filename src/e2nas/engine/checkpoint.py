"""Atomic checkpoints (write a temp file, then ``os.replace``) and their validation on resume."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

FORMAT = "e2nas-search-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (corrupt, or written by a different method/config)."""


def atomic_write_bytes(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, lambda fh: fh.write((json.dumps(obj, indent=2) + "\n").encode()))


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    state = {"format": FORMAT, "version": VERSION, **state}
    atomic_write_bytes(path, lambda fh: torch.save(state, fh))


def load_checkpoint(path: Path, fingerprint: dict[str, Any]) -> dict[str, Any]:
    """Read and check a checkpoint; raise :class:`CheckpointError` with one clear line on any problem."""
    state = read_checkpoint(path)
    diff = _differences(state.get("fingerprint", {}), fingerprint)
    if diff:
        shown = "; ".join(f"{k}: checkpoint {a} vs now {b}" for k, a, b in diff[:4])
        raise CheckpointError(
            f"checkpoint {path} belongs to a different run ({shown}); "
            "resume with the same options or pass another --out"
        )
    return state


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint and check its format (not which run it belongs to)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # truncated zip, garbage bytes, unpickling errors: all mean "corrupt"
        raise CheckpointError(
            f"checkpoint {path} is corrupt or unreadable ({type(err).__name__}); delete it to start over "
            f"or pass another --out"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an e2nas search checkpoint; delete it or pass another --out")
    if state.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {state.get('version')}, expected {VERSION}")
    return state


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
        "numpy": np.random.get_state(),
    }
    if device.type == "cuda":
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
