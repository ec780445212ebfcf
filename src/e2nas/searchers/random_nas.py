"""RandomNAS / RSPS (Li & Talwalkar 2019): train the supernet on a uniformly random cell each step; the
answer is the best of ``candidates`` random cells by inherited-weight validation accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from e2nas.searchers.base import SearchContext, SearcherOptions, random_cell
from e2nas.searchers.complement import SinglePathSearcher
from e2nas.searchers.registry import register_searcher
from e2nas.space.cell import NUM_EDGES, NUM_OPS, Cell


@dataclass
class RandomNASOptions(SearcherOptions):
    candidates: int = 100  # random cells ranked at the end
    # strict fairness (Chu et al. 2021, FairNAS): in every block of 5 steps each edge trains each of its 5 ops
    # exactly once (a fresh random permutation per edge and block), instead of independent uniform draws
    fair: bool = False


@register_searcher
class RandomNAS(SinglePathSearcher):
    name = "random"
    description = "RandomNAS/RSPS: uniform random cell per step; answer = best of 100 random cells on valid data"
    Options = RandomNASOptions
    needs_valid_batch = False
    state_attrs: ClassVar[tuple[str, ...]] = SinglePathSearcher.state_attrs + ("last_cell", "fair_block")

    def setup(self, ctx: SearchContext) -> None:
        self.last_cell = random_cell(ctx.generator)
        self.final_info: dict[str, Any] = {}
        self.fair_block: list[list[int]] = []  # the cells still to train in the current fair block

    def train_cell(self, ctx: SearchContext) -> Cell:
        if self.options.fair:
            if not self.fair_block:
                perms = [torch.randperm(NUM_OPS, generator=ctx.generator).tolist() for _ in range(NUM_EDGES)]
                self.fair_block = [[perms[e][k] for e in range(NUM_EDGES)] for k in range(NUM_OPS)]
            self.last_cell = Cell(tuple(self.fair_block.pop(0)))
        else:
            self.last_cell = random_cell(ctx.generator)
        return self.last_cell

    def current_cell(self) -> Cell:
        return self.last_cell

    def final_cell(self, ctx: SearchContext) -> Cell:
        n = self.options.candidates
        if n < 1:
            return self.last_cell
        best, score = ctx.best_of([random_cell(ctx.generator) for _ in range(n)])
        self.final_info = {"candidates": n, **score}
        return best

    def extra_log(self) -> dict[str, Any]:
        return dict(self.final_info)
