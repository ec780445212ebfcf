"""SETN (Dong & Yang, ICCV 2019, "One-Shot Neural Architecture Search via Self-Evaluated Template Network").

* Weights: uniform sampling, one random cell per step (the one-shot "uniform random sampling" of SETN's
  weight phase), so every op is trained equally often and no architecture is favoured by its weights.
* Template distribution: per-edge logits alpha (6x5) trained on the valid loss with GDAS' hard
  Gumbel-softmax straight-through estimator (tau 10 -> 0.1 over the epochs), as NB201's SETN baseline does.
* Answer: the template step samples ``candidates`` cells (100, as NB201's SETN) from softmax(alpha) and keeps
  the one with the lowest inherited-weight validation loss (``ctx.evaluate``); duplicates are evaluated once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from e2nas.searchers.base import SearchContext
from e2nas.searchers.gdas import GDAS, GDASOptions
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell


@dataclass
class SETNOptions(GDASOptions):
    candidates: int = 100  # cells sampled from the template distribution at the end


@register_searcher
class SETN(GDAS):
    name = "setn"
    description = "SETN: uniform-sampling weights, Gumbel-ST template logits; answer = best sampled cell by valid loss"
    Options = SETNOptions
    spaces: ClassVar[tuple[str, ...]] = ("nb201",)
    any_space = False  # listed for NB201 only: GDAS's any_space does not carry over
    state_attrs: ClassVar[tuple[str, ...]] = GDAS.state_attrs + ("last_cell",)

    def setup(self, ctx: SearchContext) -> None:
        super().setup(ctx)
        self.last_cell = ctx.space.random_arch(ctx.generator)
        self.final_info: dict[str, Any] = {}

    def train_cell(self, ctx: SearchContext) -> Cell:
        self.last_cell = ctx.space.random_arch(ctx.generator)
        return self.last_cell

    def sample_cells(self, n: int, generator: torch.Generator) -> list[Cell]:
        """``n`` cells drawn from the template distribution softmax(alpha), edges independent."""
        p = F.softmax(self.alpha.detach().float().cpu(), dim=-1)
        idx = torch.multinomial(p, n, replacement=True, generator=generator)  # (edges, n)
        return [self.space.arch(idx[:, k].tolist()) for k in range(n)]

    def final_cell(self, ctx: SearchContext) -> Cell:
        n = self.options.candidates
        if n < 1:
            return self.current_cell()
        cells = list(dict.fromkeys(self.sample_cells(n, ctx.generator)))
        best, score = ctx.best_of(cells, by="loss")
        self.final_info = {"candidates": n, "distinct_candidates": len(cells), **score}
        return best

    def extra_log(self) -> dict[str, Any]:
        return {**super().extra_log(), **self.final_info}
