"""NAO (Luo et al., NeurIPS 2018, "Neural Architecture Optimization"), weight-sharing variant, on NB201.

No toolkit ships NAO on NB201, so this is our port of the paper's idea to the 6-op NB201 sequence. Choices:

* Model (CPU, tiny): token embedding -> LSTM encoder over the 6 op tokens -> embedding z = mean of the encoder
  outputs (hidden 32) -> tanh-MLP predictor sigmoid(f(z)) of the (pool-normalised) accuracy; LSTM decoder that
  starts from tanh(W z) and reads [previous op token; z] at every step back to the 6 ops. Trained jointly on
  the pool, full batch, Adam 3e-3: ``tradeoff``·MSE(predictor) + (1 - ``tradeoff``)·CE(reconstruction), with
  NAO's trade-off 0.8. Targets are min-max normalised pool accuracies (NAO normalises them to [0, 1]).
  Parameters start uniform in [-0.1, 0.1] from the searcher's generator and keep training across updates.
* Pool: ``pool_init`` uniform random cells at the start. Each weight step trains the single path of a pool
  cell with probability ``pool_prob``, else of a uniform random cell (so ops outside the pool keep training).
* Every ``update_every`` epochs (``epoch_end``): evaluate the whole pool with the current shared weights
  (``ctx.evaluate``, valid accuracy), train the model ``train_steps`` steps, then for the ``seeds`` best pool
  cells move z along the normalised gradient of the predictor, z' = z + eta·g/||g||, with eta growing in steps
  of ``step_size`` (NAO grows its step until something new decodes) until ``new_per_update`` unseen cells
  decode; evaluate them and add them to the pool (if still short after ``max_tries`` steps, unseen random
  cells fill up; their count is logged). The pool keeps its ``max_pool`` best cells.
* Answer: the pool's best cell by inherited-weight valid accuracy, re-evaluated with the final weights unless
  the last update already did so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from e2nas.searchers.base import SearchContext, SearcherOptions
from e2nas.searchers.complement import SinglePathSearcher
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell
from e2nas.spaces.base import SearchSpace


@dataclass
class NAOOptions(SearcherOptions):
    hidden: int = 32
    embed: int = 16
    pool_init: int = 20
    pool_prob: float = 0.5  # chance a weight step trains a pool cell (else a uniform random cell)
    update_every: int = 5  # epochs between NAO iterations
    train_steps: int = 200  # Adam steps of the encoder/predictor/decoder per iteration
    model_lr: float = 3e-3
    tradeoff: float = 0.8  # weight of the predictor MSE against the reconstruction CE
    seeds: int = 10  # best pool cells whose embeddings are moved
    new_per_update: int = 10
    step_size: float = 0.25
    max_tries: int = 20
    max_pool: int = 100


class NAOModel(nn.Module):
    """Encoder (ops -> z), predictor (z -> accuracy in (0, 1)) and decoder (z -> op logits)."""

    def __init__(self, space: SearchSpace, hidden: int = 32, embed: int = 16) -> None:
        super().__init__()
        self.num_edges, self.num_ops = space.num_edges, space.num_ops
        self.tokens = nn.Embedding(self.num_ops + 1, embed)  # the last row is the decoder's start token
        self.encoder = nn.LSTM(embed, hidden, batch_first=True)
        # tanh, not ReLU: a ReLU MLP has flat regions where the embedding step finds no direction at all
        self.predictor = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.init_state = nn.Linear(hidden, hidden)
        self.decoder = nn.LSTM(embed + hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, self.num_ops)

    def reset_parameters(self, generator: torch.Generator, scale: float = 0.1) -> None:
        with torch.no_grad():
            for p in self.parameters():
                p.copy_((torch.rand(p.shape, generator=generator) * 2.0 - 1.0) * scale)

    def encode(self, ops: torch.Tensor) -> torch.Tensor:
        """(B, 6) op indices -> (B, hidden) embeddings."""
        outputs, _ = self.encoder(self.tokens(ops))
        return outputs.mean(dim=1)

    def predict(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.predictor(z)).squeeze(-1)

    def _step(self, prev: torch.Tensor, z: torch.Tensor, state):
        inp = torch.cat([self.tokens(prev), z], dim=-1).unsqueeze(1)
        out, state = self.decoder(inp, state)
        return self.out(out.squeeze(1)), state

    def _unroll(self, z: torch.Tensor, ops: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the decoder over the 6 edges, feeding back ``ops`` (teacher forcing) or, without them, its own
        argmax: (B, 6, 5) logits and the (B, 6) ops fed back."""
        B = z.shape[0]
        h0 = torch.tanh(self.init_state(z)).unsqueeze(0)
        state = (h0, torch.zeros_like(h0))
        prev = torch.full((B,), self.num_ops, dtype=torch.long)
        logits, fed = [], []
        for e in range(self.num_edges):
            lg, state = self._step(prev, z, state)
            prev = lg.argmax(-1) if ops is None else ops[:, e]
            logits.append(lg)
            fed.append(prev)
        return torch.stack(logits, dim=1), torch.stack(fed, dim=1)

    def decode_logits(self, z: torch.Tensor, ops: torch.Tensor) -> torch.Tensor:
        """Teacher-forced (B, 6, 5) logits of ``ops`` given ``z``."""
        return self._unroll(z, ops)[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Greedy decode: (B, hidden) -> (B, 6) op indices."""
        return self._unroll(z)[1]

    def loss(self, ops: torch.Tensor, target: torch.Tensor, tradeoff: float) -> tuple[torch.Tensor, float, float]:
        """(joint loss, predictor MSE, reconstruction CE) on a batch of cells and their [0, 1] targets."""
        z = self.encode(ops)
        mse = F.mse_loss(self.predict(z), target)
        ce = F.cross_entropy(self.decode_logits(z, ops).reshape(-1, self.num_ops), ops.reshape(-1))
        return tradeoff * mse + (1.0 - tradeoff) * ce, float(mse.detach()), float(ce.detach())

    def ascend(self, z: torch.Tensor, eta: float) -> torch.Tensor:
        """z + eta · (normalised gradient of the predicted accuracy), per row."""
        with torch.enable_grad():
            z = z.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(self.predict(z).sum(), [z])
        return (z + eta * g / g.norm(dim=-1, keepdim=True).clamp_min(1e-12)).detach()


def _ops(cells: list[Cell]) -> torch.Tensor:
    return torch.tensor([c.ops for c in cells], dtype=torch.long)


@register_searcher
class NAO(SinglePathSearcher):
    name = "nao"
    description = "NAO: LSTM encoder/predictor/decoder over pool cells, gradient steps in embedding space"
    Options = NAOOptions
    state_attrs: ClassVar[tuple[str, ...]] = SinglePathSearcher.state_attrs + (
        "model",
        "model_optimizer",
        "pool",
        "accs",
        "fresh",
        "last_cell",
        "info",
    )

    def setup(self, ctx: SearchContext) -> None:
        o = self.options
        self.model = NAOModel(ctx.space, o.hidden, o.embed)
        self.model.reset_parameters(ctx.generator)
        self.model_optimizer = torch.optim.Adam(self.model.parameters(), lr=o.model_lr)
        pool: list[Cell] = []
        while len(pool) < max(o.pool_init, 1):
            c = ctx.space.random_arch(ctx.generator)
            if c not in pool:
                pool.append(c)
        self.pool = pool
        self.accs: list[float | None] = [None] * len(pool)
        self.fresh = False  # pool accuracies were measured with the current shared weights
        self.last_cell = pool[0]
        self.info: dict[str, Any] = {}

    # -- weight training ------------------------------------------------------------------------------
    def train_cell(self, ctx: SearchContext) -> Cell:
        self.fresh = False
        if float(torch.rand((), generator=ctx.generator)) < self.options.pool_prob:
            k = int(torch.randint(0, len(self.pool), (), generator=ctx.generator))
            self.last_cell = self.pool[k]
        else:
            self.last_cell = ctx.space.random_arch(ctx.generator)
        return self.last_cell

    # -- the NAO iteration ----------------------------------------------------------------------------
    def epoch_end(self, ctx: SearchContext) -> None:
        if (ctx.epoch + 1) % max(self.options.update_every, 1) == 0:
            self.iterate(ctx)

    def evaluate_pool(self, ctx: SearchContext) -> None:
        self.accs = [acc for _, acc in ctx.evaluate(self.pool)]
        self.fresh = True

    def train_model(self, steps: int) -> tuple[float, float]:
        """Fit encoder/predictor/decoder on the pool; returns the last (MSE, CE)."""
        acc = torch.tensor(self.accs, dtype=torch.float32)
        lo, hi = float(acc.min()), float(acc.max())
        target = (acc - lo) / max(hi - lo, 1e-8)
        ops = _ops(self.pool)
        mse = ce = float("nan")
        self.model.train()
        for _ in range(steps):
            loss, mse, ce = self.model.loss(ops, target, self.options.tradeoff)
            self.model_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.model_optimizer.step()
        return mse, ce

    def propose(self, ctx: SearchContext) -> tuple[list[Cell], int]:
        """New unseen cells from the best pool cells' embeddings moved up the predictor; (cells, random fills)."""
        o = self.options
        order = sorted(range(len(self.pool)), key=lambda i: -float(self.accs[i]))
        seeds = [self.pool[i] for i in order[: max(o.seeds, 1)]]
        seen = set(self.pool)
        new: list[Cell] = []
        z = self.model.encode(_ops(seeds)).detach()
        for t in range(1, o.max_tries + 1):
            if len(new) >= o.new_per_update:
                break
            for row in self.model.decode(self.model.ascend(z, t * o.step_size)).tolist():
                cell = ctx.space.arch(row)
                if cell not in seen and len(new) < o.new_per_update:
                    seen.add(cell)
                    new.append(cell)
        fills = 0
        while len(new) < o.new_per_update:
            cell = ctx.space.random_arch(ctx.generator)
            if cell not in seen:
                seen.add(cell)
                new.append(cell)
                fills += 1
        return new, fills

    def iterate(self, ctx: SearchContext) -> None:
        o = self.options
        self.evaluate_pool(ctx)
        mse, ce = self.train_model(o.train_steps)
        with torch.no_grad():
            recon = float(
                (self.model.decode(self.model.encode(_ops(self.pool))) == _ops(self.pool)).all(1).float().mean()
            )
        new, fills = self.propose(ctx)
        new_accs = [acc for _, acc in ctx.evaluate(new)] if new else []
        self.pool = self.pool + new
        self.accs = self.accs + new_accs
        if len(self.pool) > o.max_pool:
            keep = sorted(range(len(self.pool)), key=lambda i: -float(self.accs[i]))[: o.max_pool]
            keep.sort()
            self.pool = [self.pool[i] for i in keep]
            self.accs = [self.accs[i] for i in keep]
        self.info = {
            "pool": len(self.pool),
            "predictor_mse": mse,
            "recon_ce": ce,
            "recon_acc": recon,
            "new_cells": len(new),
            "random_fills": fills,
            "new_best_acc": max(new_accs) if new_accs else None,
            "pool_best_acc": max(self.accs),
        }

    # -- answers --------------------------------------------------------------------------------------
    def current_cell(self) -> Cell:
        if any(a is None for a in self.accs):
            return self.last_cell
        return self.pool[max(range(len(self.pool)), key=lambda i: float(self.accs[i]))]

    def final_cell(self, ctx: SearchContext) -> Cell:
        if not self.fresh:
            self.evaluate_pool(ctx)
        order = [i for i in range(len(self.pool)) if ctx.within_budget(self.pool[i])] or range(len(self.pool))
        best = max(order, key=lambda i: float(self.accs[i]))
        self.info = {**self.info, "final_pool": len(self.pool), "valid_acc": self.accs[best]}
        return self.pool[best]

    def extra_log(self) -> dict[str, Any]:
        return dict(self.info)
