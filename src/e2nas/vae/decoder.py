"""Decoder: z -> the six op types, built vertex by vertex on the fixed NB201 topology (D-VAE style).

At every op vertex the type distribution is predicted from the current graph state (the state of the vertex
added last), the aggregated predecessor states and h0 = tanh(W z) (a skip from z that makes training faster),
with an output layer per edge; START/ADD/END get probability zero (they are fixed by the
topology). The chosen type is then fed forward through the decoder GRU. How it is chosen:

* ``ops`` given (teacher forcing): the given op of each edge is fed forward;
* ``mode="argmax"``: the most likely op is fed forward (the argmax decode path);
* ``mode="sample"``: an op drawn from the predicted distribution: by ``torch.multinomial`` with a seeded
  ``torch.Generator``, or, given ``uniforms`` (B, 6) in [0, 1), by inverse CDF on the decoder's device. The
  latter is what a GPU search uses: its generator is a CPU one (checkpointed with the run), so a CUDA
  multinomial could not take it, and a host round trip per vertex would be six syncs per step.

The probabilities are a differentiable function of z (the choices themselves are piecewise constant and
carry no gradient). No in-place ops, no ``.item()``, no Python branching on tensor values, so the
argmax/teacher paths work under ``torch.func.jacrev``/``jacfwd``/``vmap``.
"""

from __future__ import annotations

import torch
from torch import nn

from e2nas.spaces.nb201 import DAG_NUM_TYPES, DAG_NUM_VERTICES, DAG_OP_VERTICES, DAG_PREDECESSORS, NUM_OPS
from e2nas.spaces.nb201.dag import TYPE_ADD, TYPE_END, TYPE_START
from e2nas.vae.layers import GatedSum, type_onehot, with_vertex_id

_FIXED = {0: TYPE_START, 1: TYPE_ADD, 3: TYPE_ADD, 6: TYPE_ADD, 10: TYPE_ADD, 11: TYPE_END}
DECODE_MODES = ("argmax", "sample")


class DAGDecoder(nn.Module):
    def __init__(self, hidden: int, nz: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.fc_h0 = nn.Linear(nz, hidden)
        self.gru = nn.GRUCell(DAG_NUM_TYPES, hidden)
        self.agg = GatedSum(hidden)
        # shared hidden layer, one output layer per edge: a single shared head must first learn from the GRU
        # states which edge it is at, which made training much slower (measured: docs/vae.md, design choices)
        self.head_hidden = nn.Linear(3 * hidden, hidden)
        self.head_out = nn.ModuleList(nn.Linear(hidden, DAG_NUM_TYPES) for _ in DAG_OP_VERTICES)
        mask = torch.zeros(DAG_NUM_TYPES)
        mask[NUM_OPS:] = float("-inf")
        self.register_buffer("type_mask", mask, persistent=False)

    def forward(
        self,
        z: torch.Tensor,
        ops: torch.Tensor | None = None,
        mode: str = "argmax",
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        uniforms: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """z (B, nz) -> (log-probs over all 8 types at the op vertices (B, 6, 8), chosen ops (B, 6)).

        ``temperature`` divides the logits (> 1 flattens the distributions; the argmax path is unchanged).
        """
        if mode not in DECODE_MODES:
            raise ValueError(f"unknown decode mode {mode!r}; expected one of {DECODE_MODES}")
        B = z.shape[0]
        h0 = torch.tanh(self.fc_h0(z))
        states: dict[int, torch.Tensor] = {}
        logps: list[torch.Tensor] = []
        chosen: list[torch.Tensor] = []
        op_slot = {v: e for e, v in enumerate(DAG_OP_VERTICES)}
        for v in range(DAG_NUM_VERTICES):
            preds = DAG_PREDECESSORS[v]
            # v0 (START) starts from h0; every other vertex from its aggregated predecessors
            h_in = self.agg(torch.stack([with_vertex_id(states[u], u) for u in preds], dim=1)) if preds else h0
            if v in op_slot:
                feat = torch.relu(self.head_hidden(torch.cat([states[v - 1], h_in, h0], dim=-1)))
                logits = self.head_out[op_slot[v]](feat) / temperature + self.type_mask
                logp = torch.log_softmax(logits, dim=-1)
                logps.append(logp)
                if ops is not None:
                    t = ops[:, op_slot[v]]
                elif mode == "argmax":
                    t = torch.argmax(logp, dim=-1)
                elif uniforms is not None:
                    cdf = logp.detach()[:, :NUM_OPS].exp().cumsum(-1)
                    u = uniforms[:, op_slot[v], None] * cdf[:, -1:]
                    t = (cdf <= u).sum(-1).clamp(max=NUM_OPS - 1)
                else:
                    t = torch.multinomial(logp.detach().exp(), 1, generator=generator).squeeze(-1)
                chosen.append(t)
                x = type_onehot(t, h0.dtype)
            else:
                x = type_onehot(torch.full((B,), _FIXED[v], dtype=torch.long, device=z.device), h0.dtype)
            states[v] = self.gru(x, h_in)
        return torch.stack(logps, dim=1), torch.stack(chosen, dim=1)
