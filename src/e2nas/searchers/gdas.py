"""GDAS (Dong & Yang, CVPR 2019) and GDAS-A (argmax instead of Gumbel sampling, no exploration).

Per-edge logits alpha (edges x ops: 6x5 on NB201, 28x8 on DARTS). Each step draws a cell with hard
Gumbel-softmax: p = softmax((log_softmax(alpha) + g) / tau), cell = argmax p, H = onehot - sg(p) + p; the
supernet runs only the chosen op per edge, scaled by H, so the valid loss reaches alpha. tau falls linearly
from tau_max to tau_min over the epochs. The answer is the space's derivation from alpha.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from e2nas.device import to_device
from e2nas.searchers.base import Batch, SearchContext, SearcherOptions
from e2nas.searchers.complement import SinglePathSearcher
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell


@dataclass
class GDASOptions(SearcherOptions):
    tau_max: float = 10.0
    tau_min: float = 0.1
    init_std: float = 1e-3  # alpha ~ init_std * N(0, 1)


@register_searcher
class GDAS(SinglePathSearcher):
    name = "gdas"
    description = "GDAS: hard Gumbel-softmax straight-through over per-edge logits, tau 10 -> 0.1"
    Options = GDASOptions
    cells_repeat = True  # the Gumbel argmax concentrates on few cells once tau is low (GDAS-A: one cell)
    sample: ClassVar[bool] = True
    spaces: ClassVar[tuple[str, ...]] = ("nb201", "darts")
    any_space = True
    state_attrs: ClassVar[tuple[str, ...]] = SinglePathSearcher.state_attrs + ("alpha", "arch_optimizer", "tau")

    def setup(self, ctx: SearchContext) -> None:
        self.space = ctx.space
        init = self.options.init_std * torch.randn(ctx.space.num_edges, ctx.space.num_ops, generator=ctx.generator)
        self.alpha = init.to(ctx.device).requires_grad_(True)
        self.arch_optimizer = ctx.make_arch_optimizer([self.alpha])
        self.tau = self.options.tau_max

    def epoch_start(self, ctx: SearchContext) -> None:
        o = self.options
        self.tau = o.tau_min + (o.tau_max - o.tau_min) * (1.0 - ctx.epoch / max(ctx.epochs - 1, 1))

    def hard_weights(self, ctx: SearchContext) -> tuple[Cell, torch.Tensor]:
        """(chosen cell, straight-through weights H) for one step."""
        logp = F.log_softmax(self.alpha, dim=-1)
        if self.sample:
            u = torch.rand(self.alpha.shape, generator=ctx.generator).clamp_(1e-10, 1.0 - 1e-7)
            logp = logp + to_device(-torch.log(-torch.log(u)), logp.device)
        p = F.softmax(logp / self.tau, dim=-1)
        idx = p.argmax(dim=-1)
        H = F.one_hot(idx, self.space.num_ops).to(p.dtype) - p.detach() + p
        return self.space.arch(idx.tolist()), H

    def train_cell(self, ctx: SearchContext) -> Cell:
        with torch.no_grad():
            return self.hard_weights(ctx)[0]

    def arch_step(self, train_batch: Batch, valid_batch: Batch | None, ctx: SearchContext) -> dict[str, float]:
        assert valid_batch is not None
        x, y = valid_batch
        cell, H = self.hard_weights(ctx)
        loss, logits = ctx.st_loss(valid_batch, cell, H)
        penalty = ctx.budget_penalty(F.softmax(self.alpha, dim=-1))
        self.arch_optimizer.zero_grad(set_to_none=True)
        (loss if penalty is None else loss + penalty).backward()
        self.arch_optimizer.step()
        acc = float((logits.detach().argmax(1) == y).float().mean()) * 100.0
        info = {"arch_loss": float(loss.detach()), "arch_acc": acc}
        if penalty is not None:
            info["budget_penalty"] = float(penalty.detach())
        return info

    def current_cell(self) -> Cell:
        return self.space.derive(self.alpha)

    def extra_log(self) -> dict[str, Any]:
        return {"tau": self.tau}


@register_searcher
class GDASArgmax(GDAS):
    name = "gdas-a"
    description = "GDAS-A: GDAS with argmax instead of Gumbel sampling (no exploration)"
    sample = False
