"""ENAS (Pham et al., ICML 2018) on NB201, as in NB201's ENAS baseline (Dong & Yang, ICLR 2020).

* Controller: an LSTM cell (hidden 32) that emits the six ops one edge at a time, each choice fed back as the
  next input; logits are squashed as ENAS does, ``tanh_constant · tanh(logits / temperature)`` (2.5, 5.0).
  The controller is tiny and always lives on the CPU; its parameters start uniform in [-0.1, 0.1] drawn from
  the searcher's generator.
* Shared weights: each step trains the single path of a cell sampled from the controller (complementation
  with ``epsilon`` as for every single-path searcher).
* Controller step (every step, one sample): reward R = valid accuracy (fraction) of a freshly sampled cell on
  the step's valid batch with the shared weights (BN batch statistics, no trace left on the supernet) plus
  ``entropy_weight`` · entropy of the sample; baseline b <- decay·b + (1-decay)·R (decay 0.95);
  REINFORCE loss -(R - b)·log p(cell); Adam (lr 1e-3, betas (0, 0.999), eps 1e-3, ENAS' controller settings).
* Answer: ``candidates`` (100) cells sampled from the final controller, the best by inherited-weight valid
  accuracy (``ctx.evaluate``). ``current_cell`` is the controller's greedy decode.
* ``paper`` preset: batch 128 (NB201's ENAS setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from e2nas.searchers.base import Batch, SearchContext, SearcherOptions
from e2nas.searchers.complement import SinglePathSearcher
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell
from e2nas.spaces.base import SearchSpace


@dataclass
class ENASOptions(SearcherOptions):
    hidden: int = 32
    temperature: float = 5.0
    tanh_constant: float = 2.5
    controller_lr: float = 1e-3
    entropy_weight: float = 1e-4
    baseline_decay: float = 0.95
    candidates: int = 100  # controller samples ranked at the end


class Controller(nn.Module):
    """Autoregressive policy over the six edge ops: ``forward(cell=None)`` -> (cell, log p(cell), entropy)."""

    def __init__(
        self, space: SearchSpace, hidden: int = 32, temperature: float = 5.0, tanh_constant: float = 2.5
    ) -> None:
        super().__init__()
        self.space = space
        self.temperature, self.tanh_constant = temperature, tanh_constant
        self.embed = nn.Embedding(space.num_ops + 1, hidden)  # the last row is the start token
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.head = nn.Linear(hidden, space.num_ops)

    def reset_parameters(self, generator: torch.Generator, scale: float = 0.1) -> None:
        with torch.no_grad():
            for p in self.parameters():
                p.copy_((torch.rand(p.shape, generator=generator) * 2.0 - 1.0) * scale)

    def forward(
        self, cell: Cell | None = None, generator: torch.Generator | None = None, greedy: bool = False
    ) -> tuple[Cell, torch.Tensor, torch.Tensor]:
        """Score ``cell`` if given, else sample it (from ``generator``) or decode it greedily."""
        hidden = self.lstm.hidden_size
        h = c = torch.zeros(1, hidden)
        inp = self.embed.weight[self.space.num_ops].unsqueeze(0)
        ops, log_p, entropy = [], torch.zeros(()), torch.zeros(())
        for e in range(self.space.num_edges):
            h, c = self.lstm(inp, (h, c))
            logits = self.head(h).squeeze(0) / self.temperature
            logits = self.tanh_constant * torch.tanh(logits)
            logp = F.log_softmax(logits, dim=-1)
            if cell is not None:
                op = cell.ops[e]
            elif greedy:
                op = int(logp.argmax())
            else:
                op = int(torch.multinomial(logp.detach().exp(), 1, generator=generator))
            ops.append(op)
            log_p = log_p + logp[op]
            entropy = entropy - (logp.exp() * logp).sum()
            inp = self.embed.weight[op].unsqueeze(0)
        return self.space.arch(ops), log_p, entropy


@register_searcher
class ENAS(SinglePathSearcher):
    name = "enas"
    description = "ENAS: LSTM controller, REINFORCE on valid accuracy with shared weights; answer = best of 100 samples"
    Options = ENASOptions
    paper_overrides: ClassVar[dict[str, Any]] = {"batch_size": 128}
    state_attrs: ClassVar[tuple[str, ...]] = SinglePathSearcher.state_attrs + (
        "controller",
        "controller_optimizer",
        "baseline",
        "last_cell",
    )

    def setup(self, ctx: SearchContext) -> None:
        o = self.options
        self.controller = Controller(ctx.space, o.hidden, o.temperature, o.tanh_constant)
        self.controller.reset_parameters(ctx.generator)
        self.controller_optimizer = torch.optim.Adam(
            self.controller.parameters(), lr=o.controller_lr, betas=(0.0, 0.999), eps=1e-3
        )
        self.baseline: float | None = None
        self.last_cell = self.sample(ctx.generator)
        self.final_info: dict[str, Any] = {}

    def sample(self, generator: torch.Generator) -> Cell:
        with torch.no_grad():
            return self.controller(generator=generator)[0]

    def train_cell(self, ctx: SearchContext) -> Cell:
        self.last_cell = self.sample(ctx.generator)
        return self.last_cell

    def policy_step(self, cell: Cell, advantage: float) -> float:
        """One Adam step on the REINFORCE loss -advantage·log p(cell); returns log p(cell) before the step."""
        _, log_p, _ = self.controller(cell)
        loss = -float(advantage) * log_p
        self.controller_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.controller_optimizer.step()
        return float(log_p.detach())

    def arch_step(self, train_batch: Batch, valid_batch: Batch | None, ctx: SearchContext) -> dict[str, float]:
        assert valid_batch is not None
        o = self.options
        with torch.no_grad():
            cell, _, entropy = self.controller(generator=ctx.generator)
        acc = batch_accuracy(ctx, cell, valid_batch)
        reward = acc / 100.0 + o.entropy_weight * float(entropy)
        if self.baseline is None:
            self.baseline = reward
        self.baseline = o.baseline_decay * self.baseline + (1.0 - o.baseline_decay) * reward
        advantage = reward - self.baseline
        log_p = self.policy_step(cell, advantage)
        return {"reward_acc": acc, "baseline": self.baseline, "entropy": float(entropy), "log_p": log_p}

    def current_cell(self) -> Cell:
        with torch.no_grad():
            return self.controller(greedy=True)[0]

    def final_cell(self, ctx: SearchContext) -> Cell:
        n = self.options.candidates
        if n < 1:
            return self.current_cell()
        cells = list(dict.fromkeys(self.sample(ctx.generator) for _ in range(n)))
        best, score = ctx.best_of(cells)
        self.final_info = {"candidates": n, "distinct_candidates": len(cells), **score}
        return best

    def extra_log(self) -> dict[str, Any]:
        return dict(self.final_info)


@torch.no_grad()
def batch_accuracy(ctx: SearchContext, cell: Cell, batch: Batch) -> float:
    """Accuracy (%) of the supernet path ``cell`` on ``batch`` in training mode (batch-statistics BN, as
    ``ctx.evaluate``); BN running statistics are restored so the reward leaves no trace on the supernet."""
    net = ctx.supernet
    saved = [b.clone() for b in net.buffers()]
    was_training = net.training
    net.train()
    x, y = batch
    acc = float((net.forward_cell(x, cell).argmax(1) == y).float().mean()) * 100.0
    for b, v in zip(net.buffers(), saved, strict=True):
        b.copy_(v)
    net.train(was_training)
    return acc
