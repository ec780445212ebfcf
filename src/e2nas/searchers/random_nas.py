"""RandomNAS / RSPS (Li & Talwalkar 2019): train the supernet on a uniformly random cell each step; the
answer is the best of ``candidates`` random cells by inherited-weight validation accuracy.

``score`` swaps that last ranking for a yardstick (issue 21, docs/ranking.md): ``params`` / ``flops`` (counted on
each candidate's discrete network at the run's C, N and image size: the largest cell wins), ``synflow`` / ``nwot``
(zero-cost proxies of that network at random initialisation, :mod:`e2nas.ranking.proxies`). The supernet is
trained as usual either way, so a sweep can put "RandomNAS picking by parameter count" in the same table as the
supernet's pick and show what the supernet adds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from e2nas.searchers.base import SearchContext, SearcherError, SearcherOptions
from e2nas.searchers.complement import SinglePathSearcher
from e2nas.searchers.registry import register_searcher
from e2nas.spaces.base import Arch as Cell


@dataclass
class RandomNASOptions(SearcherOptions):
    candidates: int = 100  # random cells ranked at the end
    # strict fairness (Chu et al. 2021, FairNAS): in every block of num_ops steps each edge trains each of its ops
    # exactly once (a fresh random permutation per edge and block), instead of independent uniform draws
    fair: bool = False
    # where the trained cell is drawn from: uniform over the whole space, or uniformly from one of the space's
    # sampling pools (NB201: "connected" cells, "iso" one cell per isomorphism class); with fair, uniform only
    sampler: str = "uniform"
    # how the final candidates are ranked: supernet (inherited valid accuracy) or a yardstick (SCORES)
    score: str = "supernet"


#: what ``score`` takes: the supernet, or a yardstick computed on each candidate's untrained network
SCORES = ("supernet", "params", "flops", "synflow", "nwot")


@register_searcher
class RandomNAS(SinglePathSearcher):
    name = "random"
    description = "RandomNAS/RSPS: uniform random cell per step; answer = best of 100 random cells on valid data"
    Options = RandomNASOptions
    needs_valid_batch = False
    spaces: ClassVar[tuple[str, ...]] = ("nb201", "darts")
    any_space = True
    state_attrs: ClassVar[tuple[str, ...]] = SinglePathSearcher.state_attrs + ("last_cell", "fair_block")

    def __init__(self, options: SearcherOptions | None = None, epsilon: float = 0.0) -> None:
        super().__init__(options, epsilon)
        if self.options.score not in SCORES:
            raise SearcherError(f"unknown score {self.options.score!r}; choose one of {', '.join(SCORES)}")

    def setup(self, ctx: SearchContext) -> None:
        sampler = self.options.sampler
        self.pool: list[Cell] | None = None
        if sampler != "uniform":
            if self.options.fair:
                raise SearcherError(f"random: fair=true trains every op equally and cannot use sampler={sampler}")
            self.pool = ctx.space.arch_pool(sampler)
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
        elif self.pool is not None:
            self.last_cell = self.pool[int(torch.randint(len(self.pool), (1,), generator=ctx.generator))]
        else:
            self.last_cell = ctx.space.random_arch(ctx.generator)
        return self.last_cell

    def current_cell(self) -> Cell:
        return self.last_cell

    def final_cell(self, ctx: SearchContext) -> Cell:
        n = self.options.candidates
        if n < 1:
            return self.last_cell
        cells = [ctx.random_candidate() for _ in range(n)]
        if self.options.score == "supernet":
            best, score = ctx.best_of(cells)
        else:
            best, score = best_by_yardstick(ctx, cells, self.options.score)
        self.final_info = {"candidates": n, **score}
        return best

    def extra_log(self) -> dict[str, Any]:
        return dict(self.final_info)


def best_by_yardstick(ctx: SearchContext, cells: list[Cell], name: str) -> tuple[Cell, dict[str, Any]]:
    """The cell of ``cells`` with the highest yardstick ``name`` (first of equals), its score and the cost per
    cell. Networks are built at the supernet's C, N and classes on ``ctx.device``; proxies are initialised with the
    run's seed and NWOT reads the first valid images (synflow only their shape)."""
    from e2nas.ranking.proxies import NWOT_BATCH, count_flops, count_params, finite, proxy_scores, seeded_network

    net = ctx.supernet
    C, N, classes = net.C, net.N, net.num_classes  # type: ignore[attr-defined]
    seed = int(ctx.config.seed)

    def build(cell: Cell) -> torch.nn.Module:
        return ctx.space.network(cell, C, N, classes, auxiliary=False).to(ctx.device)

    batches = ctx.valid_images(NWOT_BATCH) if ctx.valid_images is not None else ctx.valid_batches(1)
    images = torch.cat([x for x, _ in batches])[:NWOT_BATCH]
    if name in ("params", "flops"):
        import time

        t0 = time.perf_counter()
        shape = tuple(images.shape[1:])
        count = count_params if name == "params" else (lambda m: count_flops(m, shape))
        scores = [count(seeded_network(lambda c=c: build(c), seed)) for c in cells]
        per = (time.perf_counter() - t0) / len(cells)
    else:
        scores, per = proxy_scores(name, cells, build, images, seed)
        scores = finite(scores)
    i = max(range(len(cells)), key=lambda k: (scores[k], -k))
    return cells[i], {"score": name, "score_value": float(scores[i]), "score_seconds_per_cell": per}
