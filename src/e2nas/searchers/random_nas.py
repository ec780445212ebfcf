"""RandomNAS / RSPS (Li & Talwalkar 2019): train the supernet on a uniformly random cell each step; the
answer is the best of ``candidates`` random cells by inherited-weight validation accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from e2nas.searchers.base import SearchContext, SearcherOptions
from e2nas.searchers.complement import SinglePathSearcher
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell


@dataclass
class RandomNASOptions(SearcherOptions):
    candidates: int = 100  # random cells ranked at the end
    # strict fairness (Chu et al. 2021, FairNAS): in every block of num_ops steps each edge trains each of its ops
    # exactly once (a fresh random permutation per edge and block), instead of independent uniform draws
    fair: bool = False


@register_searcher
class RandomNAS(SinglePathSearcher):
    name = "random"
    description = "RandomNAS/RSPS: uniform random cell per step; answer = best of 100 random cells on valid data"
    Options = RandomNASOptions
    needs_valid_batch = False
    spaces: ClassVar[tuple[str, ...]] = ("nb201", "darts")
    state_attrs: ClassVar[tuple[str, ...]] = SinglePathSearcher.state_attrs + ("last_cell", "fair_block")

    def setup(self, ctx: SearchContext) -> None:
        self.last_cell = ctx.space.random_arch(ctx.generator)
        self.final_info: dict[str, Any] = {}
        self.fair_block: list[list[int]] = []  # the cells still to train in the current fair block

    def train_cell(self, ctx: SearchContext) -> Cell:
        if self.options.fair:
            sp = ctx.space
            if not self.fair_block:
                # ops per edge cycle through a random permutation; with fewer ops than the block length (5 in
                # NB201, 8 in DARTS) the block is num_ops long
                perms = [torch.randperm(sp.num_ops, generator=ctx.generator).tolist() for _ in range(sp.num_edges)]
                self.fair_block = [[perms[e][k] for e in range(sp.num_edges)] for k in range(sp.num_ops)]
            self.last_cell = sp.arch(self.fair_block.pop(0))
        else:
            self.last_cell = ctx.space.random_arch(ctx.generator)
        return self.last_cell

    def current_cell(self) -> Cell:
        return self.last_cell

    def final_cell(self, ctx: SearchContext) -> Cell:
        n = self.options.candidates
        if n < 1:
            return self.last_cell
        best, score = ctx.best_of([ctx.random_candidate() for _ in range(n)])
        self.final_info = {"candidates": n, **score}
        return best

    def extra_log(self) -> dict[str, Any]:
        return dict(self.final_info)
