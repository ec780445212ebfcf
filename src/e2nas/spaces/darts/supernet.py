"""The DARTS search network (Liu et al. 2019): ``3N + 2`` cells (N = 2: 8 cells), reductions at 1/3 and 2/3,
stem Conv3x3(3 -> 3C) + BN, every edge holding all eight ops (BN affine=False, pools followed by a BN as in
DARTS' mixed op). All normal cells share the normal half of the architecture, all reduction cells the other.

The forward modes are the NB201 supernet's (:mod:`e2nas.spaces.nb201.supernet`) over 28 edges:
``forward_cell`` runs the chosen op of every edge (``none`` skipped), ``forward_st`` scales it by
straight-through weights and adds the edge's other weights as scalars (AutoDL-Projects' GDAS cell),
``forward_mixture`` is the softmax-weighted sum of all ops. :meth:`DartsSupernet.discrete_network` builds the
same network with only the chosen ops, holding the weights they inherit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence

import torch
from torch import nn

from e2nas.spaces.darts.genotype import (
    CELL_EDGES,
    EDGES_PER_CELL,
    NONE_OP,
    NUM_EDGES,
    NUM_NODES,
    NUM_OPS,
    OPS,
    DartsCell,
)
from e2nas.spaces.darts.ops import cell_layout, layers_for, make_darts_op, preprocess

STEM_MULTIPLIER = 3
EdgeOut = Callable[[int, torch.Tensor], "torch.Tensor | None"]


def _search_op(name: str, C: int, stride: int, track: bool) -> nn.Module:
    op = make_darts_op(name, C, stride, affine=False, track_running_stats=track)
    if "pool" in name:
        op = nn.Sequential(op, nn.BatchNorm2d(C, affine=False, track_running_stats=track))
    return op


class DartsSearchCell(nn.Module):
    """``edges[e][str(o)]`` is op ``o`` of edge ``e``; ``candidates[e]`` lists the ops an edge holds (all eight in
    the supernet, the chosen one in a discrete network)."""

    def __init__(
        self,
        c_pp: int,
        c_p: int,
        C: int,
        reduction: bool,
        reduction_prev: bool,
        candidates: Sequence[Sequence[int]],
        track: bool = True,
    ) -> None:
        super().__init__()
        self.reduction = reduction
        self.pre0 = preprocess(c_pp, C, reduction_prev, affine=False, track=track)
        self.pre1 = preprocess(c_p, C, False, affine=False, track=track)
        self.edges = nn.ModuleList()
        for (_, src), ops in zip(CELL_EDGES, candidates, strict=True):
            stride = 2 if reduction and src < 2 else 1
            self.edges.append(
                nn.ModuleDict({str(o): _search_op(OPS[o], C, stride, track) for o in ops if o != NONE_OP})
            )
        self.multiplier = NUM_NODES

    def run(self, s0: torch.Tensor, s1: torch.Tensor, edge_out: EdgeOut) -> torch.Tensor:
        states = [self.pre0(s0), self.pre1(s1)]
        for node in range(NUM_NODES):
            acc = None
            for e, (n, src) in enumerate(CELL_EDGES):
                if n != node:
                    continue
                y = edge_out(e, states[src])
                if y is not None:
                    acc = y if acc is None else acc + y
            if acc is None or acc.dim() == 0:  # no edge, or only scalar shifts of `none` edges
                zeros = self._zeros(states[1])
                acc = zeros if acc is None else zeros + acc
            states.append(acc)
        return torch.cat(states[2:], dim=1)

    def _zeros(self, x: torch.Tensor) -> torch.Tensor:
        stride = 2 if self.reduction else 1
        return x[:, :, ::stride, ::stride].mul(0.0)

    def forward_cell(self, s0: torch.Tensor, s1: torch.Tensor, ops: Sequence[int]) -> torch.Tensor:
        def edge_out(e: int, h: torch.Tensor) -> torch.Tensor | None:
            return None if ops[e] == NONE_OP else self.edges[e][str(ops[e])](h)

        return self.run(s0, s1, edge_out)

    def forward_st(
        self, s0: torch.Tensor, s1: torch.Tensor, ops: Sequence[int], weights: torch.Tensor, shifts: torch.Tensor
    ) -> torch.Tensor:
        def edge_out(e: int, h: torch.Tensor) -> torch.Tensor:
            c = ops[e]
            return shifts[e] if c == NONE_OP else self.edges[e][str(c)](h) * weights[e, c] + shifts[e]

        return self.run(s0, s1, edge_out)

    def forward_mixture(self, s0: torch.Tensor, s1: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        def edge_out(e: int, h: torch.Tensor) -> torch.Tensor | None:
            acc = None
            for key, op in self.edges[e].items():
                y = op(h) * weights[e, int(key)]
                acc = y if acc is None else acc + y
            return acc

        return self.run(s0, s1, edge_out)


class DartsSupernet(nn.Module):
    """The weight-sharing DARTS network over :class:`~e2nas.spaces.darts.DartsCell` architectures (28 edges)."""

    def __init__(
        self,
        C: int = 16,
        N: int = 2,
        num_classes: int = 10,
        track_running_stats: bool = True,
        candidates: Sequence[Sequence[int]] | None = None,
    ) -> None:
        super().__init__()
        if C < 1 or N < 1 or num_classes < 1:
            raise ValueError(f"C, N and num_classes must be positive, got C={C}, N={N}, num_classes={num_classes}")
        self.C, self.N, self.num_classes, self.track_running_stats = C, N, num_classes, track_running_stats
        every = [list(range(NUM_OPS))] * NUM_EDGES
        cand = list(candidates) if candidates is not None else every
        c_stem = STEM_MULTIPLIER * C
        self.stem = nn.Sequential(nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem))
        c_pp, c_p, c = c_stem, c_stem, C
        cells, reduction_prev = [], False
        for reduction in cell_layout(layers_for(N)):
            if reduction:
                c *= 2
            half = cand[EDGES_PER_CELL:] if reduction else cand[:EDGES_PER_CELL]
            cell = DartsSearchCell(c_pp, c_p, c, reduction, reduction_prev, half, track_running_stats)
            cells.append(cell)
            reduction_prev = reduction
            c_pp, c_p = c_p, cell.multiplier * c
        self.cells = nn.ModuleList(cells)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def _features(
        self, x: torch.Tensor, run: Callable[[DartsSearchCell, int, torch.Tensor, torch.Tensor], torch.Tensor]
    ):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, run(cell, EDGES_PER_CELL if cell.reduction else 0, s0, s1)
        return self.classifier(self.pool(s1).flatten(1))

    # -- forward modes ---------------------------------------------------------------------------
    def forward_cell(self, x: torch.Tensor, cell: DartsCell) -> torch.Tensor:
        ops = cell.ops
        return self._features(x, lambda m, off, a, b: m.forward_cell(a, b, ops[off : off + EDGES_PER_CELL]))

    def forward_st(self, x: torch.Tensor, cell: DartsCell, weights: torch.Tensor) -> torch.Tensor:
        _check_weights(weights)
        ops = cell.ops
        unchosen = 1.0 - torch.nn.functional.one_hot(torch.tensor(ops, device=weights.device), NUM_OPS)
        shifts = (weights * unchosen.to(weights.dtype)).sum(1)

        def run(m: DartsSearchCell, off: int, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            sl = slice(off, off + EDGES_PER_CELL)
            return m.forward_st(a, b, ops[sl], weights[sl], shifts[sl])

        return self._features(x, run)

    def forward_mixture(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        _check_weights(weights)
        return self._features(x, lambda m, off, a, b: m.forward_mixture(a, b, weights[off : off + EDGES_PER_CELL]))

    def forward(self, x: torch.Tensor, cell: DartsCell | None = None) -> torch.Tensor:
        if cell is None:
            raise TypeError("DartsSupernet.forward needs a cell; use forward_cell/forward_st/forward_mixture")
        return self.forward_cell(x, cell)

    # -- weights of one architecture -------------------------------------------------------------
    def weights(self) -> Iterator[nn.Parameter]:
        return self.parameters()

    def discrete_network(self, cell: DartsCell) -> DartsSupernet:
        """The same network with only ``cell``'s ops, holding exactly the weights (and BN buffers) they inherit;
        its ``forward(x)`` is the supernet's single path of ``cell``."""
        net = _PathNetwork(self, cell)
        return net.to(next(self.parameters()).device)


class _PathNetwork(DartsSupernet):
    def __init__(self, supernet: DartsSupernet, cell: DartsCell) -> None:
        super().__init__(
            supernet.C,
            supernet.N,
            supernet.num_classes,
            supernet.track_running_stats,
            candidates=[[o] for o in cell.ops],
        )
        self.cell = cell
        own = self.state_dict()
        self.load_state_dict({k: copy.deepcopy(v) for k, v in supernet.state_dict().items() if k in own})

    def forward(self, x: torch.Tensor, cell: DartsCell | None = None) -> torch.Tensor:
        return self.forward_cell(x, self.cell if cell is None else cell)


def _check_weights(weights: torch.Tensor) -> None:
    if weights.shape != (NUM_EDGES, NUM_OPS):
        raise ValueError(f"op weights must have shape ({NUM_EDGES}, {NUM_OPS}), got {tuple(weights.shape)}")
