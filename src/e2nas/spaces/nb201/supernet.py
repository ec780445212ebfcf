"""The weight-sharing NB201 supernet: every edge holds all five ops, cells share one architecture.

Forward modes (all take the same architecture for every cell, as GDAS/DARTS/RSPS do on NB201):

* ``forward_cell(x, cell)`` -- single path: only the chosen op per edge runs, ``none`` edges are skipped.
* ``forward_st(x, cell, H)`` -- single path with straight-through op weights ``H`` (6x5, e.g.
  ``onehot - sg(p) + p``): still only the chosen op runs, its output is scaled by ``H[e, cell[e]]``, and the
  edge's other entries are added as scalars (exactly 0 for straight-through ``H``), as the reference GDAS
  cell (AutoDL-Projects ``forward_gdas``) does. So every entry of ``H`` gets a gradient: the chosen op's is
  <op(x), dL/dnode>, the others' that of a constant shift of the node. Without the shift terms an edge whose
  chosen op is ``none`` gets no gradient at all and argmax-driven searchers never leave ``none`` again.
* ``forward_mixture(x, W)`` -- DARTS: every edge is ``sum_o W[e, o] * op_o(x)`` (``none`` contributes zeros
  and is skipped; its weight still enters through the softmax that made ``W``).

The blocks outside the cells come from :class:`~e2nas.spaces.nb201.network.NB201MacroNetwork`, so
``discrete_network(cell)`` can copy exactly the weights a cell inherits into an :class:`NB201Network`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import torch
from torch import nn

from e2nas.spaces.nb201.cell import EDGES, NONE_OP, NUM_EDGES, NUM_NODES, NUM_OPS, OPS, Cell
from e2nas.spaces.nb201.network import NB201MacroNetwork, NB201Network
from e2nas.spaces.nb201.ops import make_op


class NB201SearchCell(nn.Module):
    """All five candidate ops on each of the six edges; ``edges[e][o]`` is op ``o`` of edge ``e``."""

    def __init__(self, C: int, affine: bool = False, track_running_stats: bool = True) -> None:
        super().__init__()
        self.C = C
        self.edges = nn.ModuleList(
            nn.ModuleList(make_op(name, C, affine, track_running_stats) for name in OPS) for _ in range(NUM_EDGES)
        )

    def _run(self, x: torch.Tensor, edge_out) -> torch.Tensor:
        nodes = [x]
        for node in range(1, NUM_NODES):
            acc = None
            for e, (dst, src) in enumerate(EDGES):
                if dst != node:
                    continue
                y = edge_out(e, nodes[src])
                if y is not None:
                    acc = y if acc is None else acc + y
            if acc is None or acc.dim() == 0:  # no edge, or only the scalar shift terms of `none` edges
                acc = torch.zeros_like(x) if acc is None else torch.zeros_like(x) + acc
            nodes.append(acc)
        return nodes[-1]

    def forward_cell(self, x: torch.Tensor, ops: tuple[int, ...]) -> torch.Tensor:
        def edge_out(e: int, h: torch.Tensor) -> torch.Tensor | None:
            return None if ops[e] == NONE_OP else self.edges[e][ops[e]](h)

        return self._run(x, edge_out)

    def forward_st(
        self, x: torch.Tensor, ops: tuple[int, ...], weights: torch.Tensor, shifts: torch.Tensor
    ) -> torch.Tensor:
        """``shifts[e]``: the sum of edge e's unchosen weights (see :meth:`NB201Supernet.forward_st`)."""

        def edge_out(e: int, h: torch.Tensor) -> torch.Tensor | None:
            c = ops[e]
            return shifts[e] if c == NONE_OP else self.edges[e][c](h) * weights[e, c] + shifts[e]

        return self._run(x, edge_out)

    def forward_mixture(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        def edge_out(e: int, h: torch.Tensor) -> torch.Tensor | None:
            acc = None
            for o in range(1, NUM_OPS):
                y = self.edges[e][o](h) * weights[e, o]
                acc = y if acc is None else acc + y
            return acc

        return self._run(x, edge_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - a mode is always chosen
        raise RuntimeError("NB201SearchCell needs a mode: use NB201Supernet.forward_cell/forward_st/forward_mixture")


class NB201Supernet(NB201MacroNetwork):
    """NB201 weight-sharing supernet. Cell BNs are affine=False; ``track_running_stats`` is configurable."""

    def __init__(self, C: int = 16, N: int = 5, num_classes: int = 10, track_running_stats: bool = True) -> None:
        self.track_running_stats = track_running_stats
        super().__init__(lambda c: NB201SearchCell(c, False, track_running_stats), C=C, N=N, num_classes=num_classes)

    # -- forward modes ---------------------------------------------------------------------------
    def forward_cell(self, x: torch.Tensor, cell: Cell) -> torch.Tensor:
        """Logits of the sub-network of ``cell`` (single path, only the chosen ops run)."""
        ops = Cell.parse(cell).ops
        return self.classifier(self.forward_features(x, lambda m, h: m.forward_cell(h, ops)))

    def forward_st(self, x: torch.Tensor, cell: Cell, weights: torch.Tensor) -> torch.Tensor:
        """Single path of ``cell``: each chosen op's output scaled by ``weights[e, cell[e]]`` plus the edge's
        other weights as scalars (6x5; see the module docstring)."""
        ops = Cell.parse(cell).ops
        _check_weights(weights)
        # the one-hot rows come from an identity built on the weights' device: no host-to-device copy (that
        # would sync a GPU, and is not allowed inside a CUDA graph capture); the same 0/1 values as one_hot
        eye = torch.eye(NUM_OPS, dtype=weights.dtype, device=weights.device)
        unchosen = 1.0 - torch.stack([eye[o] for o in ops])
        shifts = (weights * unchosen).sum(1)  # sums of exact zeros for straight-through H
        return self.classifier(self.forward_features(x, lambda m, h: m.forward_st(h, ops, weights, shifts)))

    def forward_mixture(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """DARTS relaxation: every edge is the ``weights``-weighted sum (6x5) of all its ops."""
        _check_weights(weights)
        return self.classifier(self.forward_features(x, lambda m, h: m.forward_mixture(h, weights)))

    def forward(self, x: torch.Tensor, cell: Cell | None = None) -> torch.Tensor:
        if cell is None:
            raise TypeError("NB201Supernet.forward needs a cell; use forward_cell/forward_st/forward_mixture")
        return self.forward_cell(x, cell)

    # -- weights of one cell ---------------------------------------------------------------------
    def weights(self) -> Iterator[nn.Parameter]:
        """The shared network weights (everything a weight optimizer should step)."""
        return self.parameters()

    def discrete_network(self, cell: Cell | str | int) -> NB201Network:
        """A stand-alone :class:`NB201Network` holding exactly the weights (and BN buffers) ``cell`` inherits."""
        cell = Cell.parse(cell)
        net = NB201Network(
            cell,
            C=self.C,
            N=self.N,
            num_classes=self.num_classes,
            affine=False,
            track_running_stats=self.track_running_stats,
        )
        net.load_state_dict(self.cell_state_dict(cell))
        return net.to(next(self.parameters()).device)

    def cell_state_dict(self, cell: Cell) -> dict[str, torch.Tensor]:
        """The supernet's state restricted to ``cell``, under :class:`NB201Network`'s key names."""
        out: dict[str, torch.Tensor] = {}
        for key, value in self.state_dict().items():
            parts = key.split(".")
            if parts[0] == "layers" and len(parts) > 4 and parts[2] == "edges":
                edge, op = int(parts[3]), int(parts[4])
                if cell.ops[edge] != op:
                    continue
                key = ".".join(parts[:4] + parts[5:])
            out[key] = copy.deepcopy(value)
        return out


def _check_weights(weights: torch.Tensor) -> None:
    if weights.shape != (NUM_EDGES, NUM_OPS):
        raise ValueError(f"op weights must have shape ({NUM_EDGES}, {NUM_OPS}), got {tuple(weights.shape)}")
