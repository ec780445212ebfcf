"""The discrete (inference) NB201 cell: one fixed op per edge."""

from __future__ import annotations

import torch
from torch import nn

from e2nas.nn.ops import make_op
from e2nas.space.cell import EDGES, NUM_NODES, OPS, Cell


class DiscreteCell(nn.Module):
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
