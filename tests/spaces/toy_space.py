"""A tiny test-only search space: proof that a new space is one module (or folder) and a class.

Three edges, two ops each (``none`` and a 3x3 conv), eight architectures, no benchmark. The cell reads its input
``x``: ``n1 = e0(x)``, ``out = e1(x) + e2(n1)``. Nothing here is registered at import time: tests register
:class:`ToySpace` inside a fixture (tests/conftest.py restores the registry afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from e2nas.spaces import ArchParseError, SearchSpace

OPS = ("none", "conv_3x3")
NUM_EDGES = 3


@dataclass(frozen=True, order=True)
class ToyArch:
    """One op index per edge; ``space_name`` lets checkpoints rebuild it through the registry."""

    ops: tuple[int, ...]
    num_ops: ClassVar[int] = len(OPS)
    space_name: ClassVar[str] = "toy"

    def __post_init__(self) -> None:
        ops = tuple(int(o) for o in self.ops)
        if len(ops) != NUM_EDGES or not all(0 <= o < len(OPS) for o in ops):
            raise ArchParseError(f"a toy architecture is {NUM_EDGES} op indices in 0..{len(OPS) - 1}, got {ops}")
        object.__setattr__(self, "ops", ops)

    def to_string(self) -> str:
        return "-".join(OPS[o] for o in self.ops)


class ToyCell(nn.Module):
    """Every op of every edge; which ones run depends on the forward mode."""

    def __init__(self, C: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Sequential(nn.ReLU(), nn.Conv2d(C, C, 3, padding=1, bias=False), nn.BatchNorm2d(C, affine=False))
            for _ in range(NUM_EDGES)
        )

    def edge(self, e: int, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Edge ``e`` as the mixture ``w[0] * none(x) + w[1] * conv(x)`` (``none`` is zeros, so only the conv runs)."""
        return w[1] * self.convs[e](x) + w[0] * 0.0

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        n1 = self.edge(0, x, w[0])
        return self.edge(1, x, w[1]) + self.edge(2, n1, w[2])


class ToySupernet(nn.Module):
    """Stem, ``N`` toy cells sharing one architecture, pooling and a linear head (the SupernetLike interface)."""

    def __init__(self, C: int, N: int, num_classes: int, track_running_stats: bool = True) -> None:
        super().__init__()
        self.C, self.N, self.num_classes = C, N, num_classes
        self.track_running_stats = track_running_stats
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        self.cells = nn.ModuleList(ToyCell(C) for _ in range(N))
        self.classifier = nn.Linear(C, num_classes)

    def _run(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)
        for cell in self.cells:
            h = cell(h, w)
        return self.classifier(h.mean(dim=(2, 3)))

    def forward_cell(self, x: torch.Tensor, arch: ToyArch) -> torch.Tensor:
        onehot = torch.zeros(NUM_EDGES, len(OPS), device=x.device)
        onehot[torch.arange(NUM_EDGES), torch.tensor(arch.ops)] = 1.0
        return self._run(x, onehot)

    def forward_st(self, x: torch.Tensor, arch: ToyArch, weights: torch.Tensor) -> torch.Tensor:
        return self._run(x, weights)  # the mixture of the chosen op scaled by its (straight-through) weight

    def forward_mixture(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return self._run(x, weights)

    def weights(self) -> Iterator[nn.Parameter]:
        return iter(self.parameters())

    def discrete_network(self, arch: ToyArch) -> nn.Module:
        return _Discrete(self, arch)


class _Discrete(nn.Module):
    def __init__(self, supernet: ToySupernet, arch: ToyArch) -> None:
        super().__init__()
        self.supernet, self.arch = supernet, arch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.supernet.forward_cell(x, self.arch)


class ToySpace(SearchSpace):
    """3 edges x 2 ops; no ground truth, no evaluation network, no cost model."""

    name = "toy"
    description = "test-only toy space: 3 edges x 2 ops, 8 architectures, no ground truth"
    ops: ClassVar[tuple[str, ...]] = OPS
    num_edges = NUM_EDGES
    none_op = 0
    config_overrides: ClassVar[dict[str, dict[str, Any]]] = {"smoke": {"C": 4, "N": 1}}

    def arch(self, ops: Sequence[int]) -> ToyArch:
        return ToyArch(tuple(ops))

    def parse(self, text: str) -> ToyArch:
        names = text.strip().split("-")
        if len(names) != NUM_EDGES or any(n not in OPS for n in names):
            raise ArchParseError(f"not a toy architecture: {text!r} (expected {NUM_EDGES} of {', '.join(OPS)})")
        return ToyArch(tuple(OPS.index(n) for n in names))

    def format(self, arch: ToyArch) -> str:
        return self.validate(arch).to_string()

    def validate(self, arch: object) -> ToyArch:
        if not isinstance(arch, ToyArch):
            raise ArchParseError(f"{arch} is not a toy architecture")
        return arch

    def random_arch(self, generator: torch.Generator) -> ToyArch:
        return ToyArch(tuple(int(o) for o in torch.randint(0, len(OPS), (NUM_EDGES,), generator=generator)))

    def derive(self, weights: torch.Tensor) -> ToyArch:
        return ToyArch(tuple(int(i) for i in weights.detach().argmax(dim=-1).tolist()))

    def supernet(self, C: int, N: int, num_classes: int, track_running_stats: bool = True) -> ToySupernet:
        return ToySupernet(C, N, num_classes, track_running_stats)


class ToyGroundTruth:
    """A made-up benchmark for the toy space: ``toy_acc`` = 50 + 10·e0 + 20·e1 + 5·e2 (1 where the edge is a conv),
    distinct for every architecture, so a ranking against it is exact."""

    metric = "toy_acc"

    def value(self, arch: ToyArch, metric: str) -> float:
        if metric != self.metric:
            raise KeyError(f"unknown metric {metric!r}; known: {self.metric}")
        return 50.0 + 10.0 * arch.ops[0] + 20.0 * arch.ops[1] + 5.0 * arch.ops[2]

    def summary(self, arch: ToyArch) -> dict[str, float]:
        return {self.metric: self.value(arch, self.metric)}

    def best(self, metric: str) -> tuple[ToyArch, float]:
        arch = max((ToyArch((a, b, c)) for a in (0, 1) for b in (0, 1) for c in (0, 1)), key=self.summary)
        return arch, self.value(arch, metric)


class RankedToySpace(ToySpace):
    """The toy space with :class:`ToyGroundTruth` and a ranking pool: what ``e2nas.ranking`` needs of a space."""

    description = "test-only toy space with a made-up benchmark, so supernets on it can be ranked"
    judge_metric = ToyGroundTruth.metric
    ranking_pool_note = "connected toy architectures"

    def ground_truth(self) -> ToyGroundTruth:
        return ToyGroundTruth()

    def ranking_pool(self) -> list[ToyArch]:
        """The architectures whose output depends on the input (e1 a conv, or both e0 and e2), in op order."""
        every = [ToyArch((a, b, c)) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
        return [x for x in every if x.ops[1] or (x.ops[0] and x.ops[2])]
