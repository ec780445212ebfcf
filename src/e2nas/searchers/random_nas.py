"""RandomNAS / RSPS (Li & Talwalkar 2019): train the supernet on a uniformly random cell each step; the
answer is the best of ``candidates`` random cells by inherited-weight validation accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from e2nas.searchers.base import SearchContext, SearcherOptions
from e2nas.searchers.complement import SinglePathSearcher
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell


@dataclass
class RandomNASOptions(SearcherOptions):
    candidates: int = 100  # random cells ranked at the end


@register_searcher
class RandomNAS(SinglePathSearcher):
    name = "random"
    description = "RandomNAS/RSPS: uniform random cell per step; answer = best of 100 random cells on valid data"
    Options = RandomNASOptions
    needs_valid_batch = False
    spaces: ClassVar[tuple[str, ...]] = ("nb201", "darts")
    state_attrs: ClassVar[tuple[str, ...]] = SinglePathSearcher.state_attrs + ("last_cell",)

    def setup(self, ctx: SearchContext) -> None:
        self.last_cell = ctx.space.random_arch(ctx.generator)
        self.final_info: dict[str, Any] = {}

    def train_cell(self, ctx: SearchContext) -> Cell:
        self.last_cell = ctx.space.random_arch(ctx.generator)
        return self.last_cell

    def current_cell(self) -> Cell:
        return self.last_cell

    def final_cell(self, ctx: SearchContext) -> Cell:
        n = self.options.candidates
        if n < 1:
            return self.last_cell
        best, score = ctx.best_of([ctx.space.random_arch(ctx.generator) for _ in range(n)])
        self.final_info = {"candidates": n, **score}
        return best

    def extra_log(self) -> dict[str, Any]:
        return dict(self.final_info)
