"""The discrete NB201 network: the cell with one fixed op per edge and the macro skeleton, parameterised by how a
cell is built.

stem Conv3x3+BN -> N cells (C) -> ResBlock -> N cells (2C) -> ResBlock -> N cells (4C) -> BN+ReLU -> GAP -> Linear.
The supernet passes its own cell factory, so both networks share every block outside the cells.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from e2nas.spaces.nb201.cell import EDGES, NUM_NODES, OPS, Cell
from e2nas.spaces.nb201.ops import make_op
from e2nas.spaces.nb201.resblock import ResNetBasicBlock

CellFactory = Callable[[int], nn.Module]


class NB201DiscreteCell(nn.Module):
    """node_i = sum_j op_{i<-j}(node_j); returns node 3. ``none`` edges are skipped (they add zeros)."""

    def __init__(self, cell: Cell, C: int, affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        self.cell = cell
        self.edges = nn.ModuleList(make_op(OPS[o], C, affine, track_running_stats) for o in cell.ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for node in range(1, NUM_NODES):
            acc = None
            for e, (dst, src) in enumerate(EDGES):
                if dst != node or self.cell.ops[e] == 0:
                    continue
                y = self.edges[e](nodes[src])
                acc = y if acc is None else acc + y
            nodes.append(acc if acc is not None else torch.zeros_like(x))
        return nodes[-1]


def stage_channels(C: int, N: int) -> list[tuple[int, bool]]:
    """(channels, is_reduction) for every layer between stem and head."""
    layers: list[tuple[int, bool]] = []
    for stage, mult in enumerate((1, 2, 4)):
        if stage > 0:
            layers.append((C * mult, True))
        layers.extend([(C * mult, False)] * N)
    return layers


class NB201MacroNetwork(nn.Module):
    """Stem, three stages of cells joined by ResNet blocks, and the classifier head."""

    def __init__(self, cell_factory: CellFactory, C: int = 16, N: int = 5, num_classes: int = 10) -> None:
        super().__init__()
        if C < 1 or N < 1 or num_classes < 1:
            raise ValueError(f"C, N and num_classes must be positive, got C={C}, N={N}, num_classes={num_classes}")
        self.C, self.N, self.num_classes = C, N, num_classes
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        c_prev = C
        for c, reduction in stage_channels(C, N):
            layers.append(ResNetBasicBlock(c_prev, c, 2) if reduction else cell_factory(c))
            c_prev = c
        self.layers = nn.ModuleList(layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c_prev), nn.ReLU(inplace=True))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_prev, num_classes)

    def forward_features(self, x: torch.Tensor, cell_forward: Callable[[nn.Module, torch.Tensor], torch.Tensor]):
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x) if isinstance(layer, ResNetBasicBlock) else cell_forward(layer, x)
        return self.pool(self.head(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x, lambda cell, h: cell(h)))


class NB201Network(NB201MacroNetwork):
    """The discrete network of one cell. Defaults are NB201's (affine BN everywhere).

    ``affine`` and ``track_running_stats`` apply to the BNs inside the cells only, so the network can also
    hold the sub-network a search supernet assigns to a cell (cell BN affine=False there).
    """

    def __init__(
        self,
        cell: Cell | str | int,
        C: int = 16,
        N: int = 5,
        num_classes: int = 10,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        self.cell = Cell.parse(cell)
        super().__init__(
            lambda c: NB201DiscreteCell(self.cell, c, affine, track_running_stats), C=C, N=N, num_classes=num_classes
        )
