"""Search state as plain types, so a checkpoint loads with ``torch.load(weights_only=True)``.

The weights-only unpickler rebuilds tensors, numbers, strings, bytes, None and lists/tuples/dicts (and the
OrderedDicts of module state dicts); nothing else. The engine's state is made of those, except cells, which
are stored as ``{"__cell__": [six op indices]}`` (NB201, the tag older checkpoints use) or ``{"__arch__": [space
name, op indices]}`` (other spaces) and rebuilt on load through the space registry (an architecture names its
space in ``space_name``). Anything else in a searcher's state is a
programming error reported at save time (not a checkpoint that cannot be read later).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch

from e2nas.spaces import LEGACY_SPACE, get_space

CELL_TAG = "__cell__"
ARCH_TAG = "__arch__"
_LEAVES = (type(None), bool, int, float, str, bytes, torch.Tensor)


def encode_state(obj: Any, where: str = "state") -> Any:
    """``obj`` with every architecture tagged and every other value checked to be weights-only loadable."""
    space_name = getattr(type(obj), "space_name", None)
    if isinstance(space_name, str) and hasattr(obj, "ops"):
        if space_name == LEGACY_SPACE:  # its architectures keep the short tag older checkpoints use
            return {CELL_TAG: list(obj.ops)}
        return {ARCH_TAG: [space_name, list(obj.ops)]}
    if isinstance(obj, _LEAVES):
        return obj
    if isinstance(obj, dict):
        out = OrderedDict() if isinstance(obj, OrderedDict) else {}
        for k, v in obj.items():
            if not isinstance(k, str | int):
                raise TypeError(f"{where}: key {k!r} ({type(k).__name__}) cannot be checkpointed; use str or int")
            out[k] = encode_state(v, f"{where}.{k}")
        if hasattr(obj, "_metadata"):  # module state dicts carry per-module versions (BatchNorm needs them)
            out._metadata = obj._metadata  # type: ignore[attr-defined]
        return out
    if isinstance(obj, list | tuple):
        items = [encode_state(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    raise TypeError(
        f"{where} is a {type(obj).__module__}.{type(obj).__qualname__}, which a checkpoint cannot hold: "
        "keep searcher state as tensors, numbers, strings, cells and lists/tuples/dicts of them"
    )


def decode_state(obj: Any) -> Any:
    """The inverse of :func:`encode_state` (cells rebuilt, everything else as loaded)."""
    if isinstance(obj, dict):
        if set(obj) == {CELL_TAG}:
            return get_space(LEGACY_SPACE).arch([int(o) for o in obj[CELL_TAG]])
        if set(obj) == {ARCH_TAG}:
            name, ops = obj[ARCH_TAG]
            return get_space(str(name)).arch([int(o) for o in ops])
        out = OrderedDict() if isinstance(obj, OrderedDict) else {}
        for k, v in obj.items():
            out[k] = decode_state(v)
        if hasattr(obj, "_metadata"):
            out._metadata = obj._metadata  # type: ignore[attr-defined]
        return out
    if isinstance(obj, list):
        return [decode_state(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(decode_state(v) for v in obj)
    return obj
