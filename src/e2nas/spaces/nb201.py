"""NAS-Bench-201 as a plug-in: the six-edge cell of :mod:`e2nas.space`, its supernet, its discrete network
and the bundled benchmark table as ground truth (SPEC §2-3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from e2nas.benchmark import GroundTruth
from e2nas.nn import NB201Network
from e2nas.space.cell import NONE_OP, NUM_EDGES, NUM_OPS, OPS, ArchParseError, Cell
from e2nas.spaces.base import SearchSpace
from e2nas.spaces.registry import register_space
from e2nas.supernet import Supernet


@register_space
class NB201Space(SearchSpace):
    name = "nb201"
    description = "NAS-Bench-201: 4-node cell, 6 edges x 5 ops, 15,625 cells, judged by the bundled benchmark"
    ops: ClassVar[tuple[str, ...]] = OPS
    num_edges = NUM_EDGES
    none_op = NONE_OP
    judge_metric = "cifar10_valid"

    def __init__(self) -> None:
        self._gt: GroundTruth | None = None

    def arch(self, ops: Sequence[int]) -> Cell:
        return Cell(tuple(int(o) for o in ops))

    def parse(self, text: str) -> Cell:
        return Cell.parse(text)

    def format(self, arch: Cell) -> str:
        return arch.to_string()

    def validate(self, arch: object) -> Cell:
        if not isinstance(arch, Cell):
            raise ArchParseError(f"{arch} is not an NB201 cell (an architecture of another search space?)")
        return arch

    def describe(self, arch: Cell) -> dict[str, Any]:
        return {"index": arch.index}

    def random_arch(self, generator: torch.Generator) -> Cell:
        return Cell(tuple(int(o) for o in torch.randint(0, NUM_OPS, (NUM_EDGES,), generator=generator)))

    def derive(self, weights: torch.Tensor) -> Cell:
        """Per-edge argmax over all five ops, ``none`` included: how NB201 derives DARTS/GDAS cells."""
        return Cell(tuple(int(i) for i in weights.detach().argmax(dim=-1).tolist()))

    def supernet(self, C: int, N: int, num_classes: int, track_running_stats: bool = True) -> Supernet:
        return Supernet(C, N, num_classes, track_running_stats)

    def network(self, arch: Any, C: int, N: int, num_classes: int) -> nn.Module:
        return NB201Network(self.validate(arch), C=C, N=N, num_classes=num_classes)

    def ground_truth(self) -> GroundTruth:
        if self._gt is None:
            self._gt = GroundTruth()
        return self._gt
