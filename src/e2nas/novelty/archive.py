"""FIFO archive of visited cells, with their one-hot view and (cached) encoder means.

The archive is what GPND's density is fitted to: p_Z to the encoder means mu(cell) of the archived cells,
p_perp to their ||w_perp||. The encoder is the caller's (``encode``: list of cells -> (N, n) means), so the
novelty package does not depend on the D-VAE; means are cached per cell because the encoder is frozen
during search.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence

import torch

from e2nas.spaces.nb201 import NUM_EDGES, NUM_OPS, Cell

Encode = Callable[[Sequence[Cell]], torch.Tensor]


def cell_onehot(cell: Cell, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(30,) one-hot of the six op choices, row-major over (edge, op): index 5*e + op."""
    x = torch.zeros(NUM_EDGES, NUM_OPS, dtype=dtype)
    x[torch.arange(NUM_EDGES), torch.tensor(cell.ops)] = 1.0
    return x.flatten()


class Archive:
    """The last ``capacity`` visited cells (oldest dropped first); duplicates are kept, as visits."""

    def __init__(self, capacity: int = 50, encode: Encode | None = None) -> None:
        if capacity < 1:
            raise ValueError(f"archive capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.encode = encode
        self._cells: deque[Cell] = deque(maxlen=capacity)
        self._latent_cache: dict[Cell, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self._cells)

    @property
    def full(self) -> bool:
        return len(self._cells) == self.capacity

    @property
    def cells(self) -> list[Cell]:
        return list(self._cells)

    def add(self, cell: Cell) -> None:
        self._cells.append(cell)

    def extend(self, cells: Iterable[Cell]) -> None:
        for c in cells:
            self.add(c)

    def onehots(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """(N, 30) one-hots, oldest first."""
        if not self._cells:
            return torch.zeros(0, NUM_EDGES * NUM_OPS, dtype=dtype)
        return torch.stack([cell_onehot(c, dtype) for c in self._cells])

    def latents(self) -> torch.Tensor:
        """(N, n) encoder means, oldest first; computed once per distinct cell through ``encode``."""
        if self.encode is None:
            raise RuntimeError("this archive was built without an encode callable; pass encode=... to Archive")
        missing = list(dict.fromkeys(c for c in self._cells if c not in self._latent_cache))
        if missing:
            with torch.no_grad():
                mu = self.encode(missing).detach()
            for c, m in zip(missing, mu, strict=True):
                self._latent_cache[c] = m
        # drop cache entries of cells that left the archive, so memory stays bounded by the capacity
        live = set(self._cells)
        for c in [c for c in self._latent_cache if c not in live]:
            del self._latent_cache[c]
        if not self._cells:
            return torch.zeros(0, 0)
        return torch.stack([self._latent_cache[c] for c in self._cells])

    # -- checkpointing ------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Cells and the cached encoder means, so a resumed search sees bit-identical latents (re-encoding a
        different batch of cells can differ in the last float bits)."""
        cached = {c: m for c, m in self._latent_cache.items() if c in set(self._cells)}
        return {
            "capacity": self.capacity,
            "cells": [list(c.ops) for c in self._cells],
            "latents": {",".join(map(str, c.ops)): m.clone() for c, m in cached.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        self.capacity = int(state["capacity"])
        self._cells = deque((Cell(tuple(ops)) for ops in state["cells"]), maxlen=self.capacity)
        self._latent_cache = {
            Cell(tuple(int(o) for o in key.split(","))): m.clone() for key, m in state.get("latents", {}).items()
        }
