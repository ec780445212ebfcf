"""Batches that live on the training device and are augmented there (random crop with zero padding,
horizontal flip, per-channel normalisation), as NB201 trains.

Data order and augmentation of epoch ``e`` depend only on (seed, e, step), so a resumed run sees exactly the
batches an uninterrupted run sees, whatever happened before.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

import torch
import torch.nn.functional as F

from e2nas.data.datasets import ArrayDataset

Batch = tuple[torch.Tensor, torch.Tensor]


def stream_seed(seed: int, *keys: int) -> int:
    """A 63-bit seed mixed from ``seed`` and ``keys`` (SplitMix64-style)."""
    z = seed & 0xFFFFFFFFFFFFFFFF
    for k in keys:
        z = (z + 0x9E3779B97F4A7C15 + (k & 0xFFFFFFFFFFFFFFFF)) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        z ^= z >> 31
    return z & 0x7FFFFFFFFFFFFFFF


class Stream(IntEnum):
    """The keys of the seeded random streams a run draws from, named once so two uses never share a stream by
    accident. The values are part of every stored run's numbers: never renumber them, only add new ones."""

    TRAIN = 0  #: the search's / training's train loader (order and augmentation)
    VALID = 1  #: the search's valid loader
    SEARCHER = 7  #: the searcher's generator (``SearchContext.generator``), checkpointed
    CUTOUT = 11  #: ``e2nas train``'s cutout squares, per (epoch, step)
    WARMUP = 13  #: the random cells of the search's weight-only warm-up, per (epoch, step)


def seeded_generator(seed: int, *keys: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator on ``device`` seeded with :func:`stream_seed` of ``seed`` and ``keys``."""
    return torch.Generator(device=device).manual_seed(stream_seed(seed, *keys))


class DeviceLoader:
    """All images of a dataset as one uint8 NCHW tensor on ``device``; yields augmented float batches."""

    def __init__(
        self,
        data: ArrayDataset,
        batch_size: int,
        device: torch.device | str = "cpu",
        seed: int = 0,
        stream: int = 0,
        augment: bool = True,
        channels_last: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size must be positive, got {batch_size}")
        if len(data) < batch_size:
            raise ValueError(f"dataset has {len(data)} images, fewer than one batch of {batch_size}")
        self.device = torch.device(device)
        self.x = torch.from_numpy(data.x).to(self.device).permute(0, 3, 1, 2).contiguous()
        self.y = torch.from_numpy(data.y).to(self.device)
        mean, std = data.normalisation
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1) * 255.0
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1) * 255.0
        self.batch_size, self.seed, self.stream, self.augment = batch_size, seed, stream, augment
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.pad = 4 if data.x.shape[1] >= 32 else 2

    def __len__(self) -> int:
        """Full batches per epoch (the last partial batch is dropped so every step has the same shape)."""
        return len(self.y) // self.batch_size

    def _generator(self, *keys: int) -> torch.Generator:
        return seeded_generator(self.seed, self.stream, *keys, device=self.device)

    def order(self, epoch: int) -> torch.Tensor:
        """The permutation used in ``epoch`` (same on every call)."""
        return torch.randperm(len(self.y), generator=self._generator(epoch, -1), device=self.device)

    def batch(self, epoch: int, step: int, order: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch ``step`` of ``epoch`` (``step`` wraps around, so a short valid set can serve a long train set)."""
        if order is None:
            order = self.order(epoch)
        n = len(self)
        lap, k = divmod(step, n)
        if lap:
            order = torch.randperm(len(self.y), generator=self._generator(epoch, -2 - lap), device=self.device)
        idx = order[k * self.batch_size : (k + 1) * self.batch_size]
        x = self.x[idx]
        if self.augment:
            x = self._augment(x, self._generator(epoch, step))
        return self._normalise(x), self.y[idx]

    def epoch(
        self, epoch: int, start: int = 0, steps: int | None = None
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches ``start..steps-1`` of ``epoch`` (``steps`` defaults to one pass)."""
        order = self.order(epoch)
        for step in range(start, len(self) if steps is None else steps):
            yield self.batch(epoch, step, order)

    def fixed(self, n: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The first ``n`` unaugmented batches in a fixed order (candidate evaluation)."""
        for k in range(min(n, len(self))):
            sl = slice(k * self.batch_size, (k + 1) * self.batch_size)
            yield self._normalise(self.x[sl]), self.y[sl]

    def images(self, n: int | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The first ``n`` images (all if None), unaugmented, in fixed order, in batches of ``batch_size`` (the
        last one may be smaller): evaluation on an exact number of images."""
        total = len(self.y) if n is None else min(n, len(self.y))
        for start in range(0, total, self.batch_size):
            sl = slice(start, min(start + self.batch_size, total))
            yield self._normalise(self.x[sl]), self.y[sl]

    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.float() - self.mean) / self.std).contiguous(memory_format=self.memory_format)

    def _augment(self, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        B, C, H, W = x.shape
        p = self.pad
        padded = F.pad(x, (p, p, p, p))
        oy = torch.randint(0, 2 * p + 1, (B, 1), generator=g, device=self.device)
        ox = torch.randint(0, 2 * p + 1, (B, 1), generator=g, device=self.device)
        flip = torch.rand(B, 1, generator=g, device=self.device) < 0.5
        rows = oy + torch.arange(H, device=self.device)
        cols = ox + torch.arange(W, device=self.device)
        cols = torch.where(flip, cols.flip(1), cols)
        b = torch.arange(B, device=self.device).view(B, 1, 1, 1)
        c = torch.arange(C, device=self.device).view(1, C, 1, 1)
        return padded[b, c, rows.view(B, 1, H, 1), cols.view(B, 1, 1, W)]
