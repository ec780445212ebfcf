"""Bidirectional asynchronous message-passing encoder over the 12-vertex NB201 DAG (D-VAE)."""

from __future__ import annotations

import torch
from torch import nn

from e2nas.spaces.nb201 import DAG_NUM_TYPES, DAG_NUM_VERTICES, DAG_PREDECESSORS
from e2nas.vae.layers import GatedSum, dag_successors, type_onehot, with_vertex_id


class DAGEncoder(nn.Module):
    """Vertex types (B, 12) -> (mu, logvar), each (B, nz).

    Forward pass visits vertices in topological order, aggregating predecessors; the backward pass visits
    them in reverse, aggregating successors. The graph state is [h_fwd(v11); h_bwd(v0)].
    """

    def __init__(self, hidden: int, nz: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.gru_fwd = nn.GRUCell(DAG_NUM_TYPES, hidden)
        self.gru_bwd = nn.GRUCell(DAG_NUM_TYPES, hidden)
        self.agg_fwd = GatedSum(hidden)
        self.agg_bwd = GatedSum(hidden)
        self.fc_mu = nn.Linear(2 * hidden, nz)
        self.fc_logvar = nn.Linear(2 * hidden, nz)
        self._succ = dag_successors()

    def _pass(self, x: torch.Tensor, order, neighbours, gru: nn.GRUCell, agg: GatedSum) -> dict[int, torch.Tensor]:
        B = x.shape[0]
        states: dict[int, torch.Tensor] = {}
        for v in order:
            nb = neighbours[v]
            if nb:
                h_in = agg(torch.stack([with_vertex_id(states[u], u) for u in nb], dim=1))
            else:
                h_in = x.new_zeros(B, self.hidden)
            states[v] = gru(x[:, v], h_in)
        return states

    def forward(self, types: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = type_onehot(types, self.fc_mu.weight.dtype)
        fwd = self._pass(x, range(DAG_NUM_VERTICES), DAG_PREDECESSORS, self.gru_fwd, self.agg_fwd)
        bwd = self._pass(x, range(DAG_NUM_VERTICES - 1, -1, -1), self._succ, self.gru_bwd, self.agg_bwd)
        g = torch.cat([fwd[DAG_NUM_VERTICES - 1], bwd[0]], dim=-1)
        return self.fc_mu(g), self.fc_logvar(g)
