"""Shared pieces of the D-VAE: the gated-sum aggregation and the constant DAG tensors."""

from __future__ import annotations

import torch
from torch import nn

from e2nas.spaces.nb201 import DAG_NUM_TYPES, DAG_NUM_VERTICES, DAG_PREDECESSORS


def dag_successors() -> tuple[tuple[int, ...], ...]:
    """Successors of every vertex, derived from ``DAG_PREDECESSORS`` (used by the backward encoder pass)."""
    succ: list[list[int]] = [[] for _ in range(DAG_NUM_VERTICES)]
    for v, preds in enumerate(DAG_PREDECESSORS):
        for u in preds:
            succ[u].append(v)
    return tuple(tuple(s) for s in succ)


def type_onehot(types: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(..., ) int types -> (..., DAG_NUM_TYPES) one-hot, written as a comparison so torch.func can vmap it."""
    classes = torch.arange(DAG_NUM_TYPES, device=types.device)
    return (types.unsqueeze(-1) == classes).to(dtype)


class GatedSum(nn.Module):
    """h_in(v) = Σ_u σ(g([h_u; id_u])) ⊙ m([h_u; id_u]).

    The sum makes it independent of predecessor order; the gate lets distinct multisets of messages map to
    distinct sums (the injectivity argument of D-VAE). ``id_u`` is the one-hot position of vertex u.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.gate = nn.Linear(hidden + DAG_NUM_VERTICES, hidden)
        self.message = nn.Linear(hidden + DAG_NUM_VERTICES, hidden, bias=False)

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        """states: (B, k, hidden + DAG_NUM_VERTICES) of the k neighbours -> (B, hidden)."""
        return (torch.sigmoid(self.gate(states)) * self.message(states)).sum(dim=1)


def with_vertex_id(h: torch.Tensor, vertex: int) -> torch.Tensor:
    """Append the one-hot vertex position to a (B, hidden) state."""
    vid = torch.zeros(DAG_NUM_VERTICES, dtype=h.dtype, device=h.device)
    vid = vid + (torch.arange(DAG_NUM_VERTICES, device=h.device) == vertex).to(h.dtype)
    return torch.cat([h, vid.expand(h.shape[0], DAG_NUM_VERTICES)], dim=-1)
