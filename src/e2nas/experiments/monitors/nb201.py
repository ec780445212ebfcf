"""The NB201 monitors: Kendall τ against the benchmark's ground truth and the forgetting of visited cells.

Both track NB201 cells by benchmark index, so they declare ``spaces = ("nb201",)``. They work with every
searcher, since they only read the logged cells. What they track is derived from the seed or from the earlier
log lines, so a resumed run continues them unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from e2nas.experiments.monitors.base import Monitor, MonitorError, due
from e2nas.experiments.monitors.registry import register_monitor
from e2nas.spaces.nb201 import NUM_CELLS, Cell


@register_monitor
@dataclass
class KendallMonitor(Monitor):
    """Supernet quality over training: the ranking of :mod:`e2nas.ranking` (Kendall τ-b, Spearman ρ, top-10 %
    precision between inherited-weight accuracy and NB201 ground truth) every ``every`` epochs.

    The cells are the stratified sample of connected cells that ``e2nas rank`` and results.json use (``seed``),
    the same at every epoch and in every run, so curves of different methods are comparable. Each cell is
    evaluated on ``images`` valid images (None: all of them): one or two batches of 64 would be noise (a 64-image
    accuracy has a standard error of about 6 points). Cost per evaluation: ``sample`` x ``images`` forward
    passes, e.g. 100 cells x 2,000 images = 200k images (measured time at the cpu preset: docs/ranking.md).
    """

    name = "kendall"
    description = "Kendall tau of inherited-weight accuracy against NB201 ground truth on a fixed cell sample"
    spaces = ("nb201",)

    every: int = 5
    sample: int = 100
    seed: int = 0
    images: int | None = None
    metric: str = "cifar10_valid"
    bootstrap: int = 200  # resamples for the logged 95 % interval of τ

    def __post_init__(self) -> None:
        if self.every < 1 or not 2 <= self.sample <= NUM_CELLS:
            raise MonitorError(f"kendall needs every >= 1 and 2 <= sample <= {NUM_CELLS}")
        if self.images is not None and self.images < 1:
            raise MonitorError(f"kendall images must be >= 1 (or omitted for all valid images), got {self.images}")
        from e2nas.ranking import RankError, sample_cells

        try:
            self.cells = sample_cells(self.sample, self.seed, self.metric, space="nb201")
        except RankError as err:
            raise MonitorError(f"kendall: {err}") from None

    def __call__(self, ctx: Any, record: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not due(record["epoch"], self.every, ctx.epochs):
            return None
        from e2nas.ranking import rank_scores

        t0 = time.perf_counter()
        scores, n = ctx.evaluate_images(self.cells, self.images)
        r = rank_scores(
            self.cells, scores, images=n, seed=self.seed, metric=self.metric, bootstrap=self.bootstrap, space="nb201"
        )
        return {
            "kendall_tau": r.kendall_tau,
            "kendall_ci": list(r.intervals["kendall_tau"]),
            "kendall_spearman": r.spearman,
            "kendall_top10": r.top10_precision,
            "kendall_n": self.sample,
            "kendall_images": n,
            "kendall_time_s": time.perf_counter() - t0,
        }


@register_monitor
@dataclass
class ForgettingMonitor(Monitor):
    """Forgetting curve (E²NAS paper, Fig. 1b): inherited-weight valid accuracy of earlier-visited cells.

    The tracked set is the first ``cells`` distinct cells the searcher reported at epoch ends (``current_cell``,
    the ``cell_index`` of the log lines); each is evaluated at every ``every``-th epoch from the epoch it was
    first seen on. With ``source="random"`` the set is instead a fixed seeded sample, for methods whose
    current cell rarely changes. Compare runs with ε = 0 and ε = 0.5 to see what complementation does.
    """

    name = "forgetting"
    description = "forgetting of the first visited NB201 cells, by benchmark index (Fig. 1b on NB201)"
    spaces = ("nb201",)

    cells: int = 5
    every: int = 1
    source: str = "visited"  # visited | random
    seed: int = 1
    images: int | None = None  # valid images per cell (None: all of them), as the Kendall monitor

    def __post_init__(self) -> None:
        if self.cells < 1 or self.every < 1:
            raise MonitorError("forgetting needs cells >= 1 and every >= 1")
        if self.images is not None and self.images < 1:
            raise MonitorError(f"forgetting images must be >= 1 (or omitted for all valid images), got {self.images}")
        if self.source not in ("visited", "random"):
            raise MonitorError(f"forgetting source must be 'visited' or 'random', got {self.source!r}")

    def tracked(self, record: dict[str, Any], history: list[dict[str, Any]]) -> list[int]:
        if self.source == "random":
            rng = np.random.default_rng(self.seed)
            return [int(i) for i in rng.choice(NUM_CELLS, size=self.cells, replace=False)]
        out: list[int] = []
        for r in [*history, record]:
            i = int(r["cell_index"])
            if i not in out:
                out.append(i)
            if len(out) == self.cells:
                break
        return out

    def __call__(self, ctx: Any, record: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not due(record["epoch"], self.every, ctx.epochs):
            return None
        idx = self.tracked(record, history)
        t0 = time.perf_counter()
        scores, _ = ctx.evaluate_images([Cell.from_index(i) for i in idx], self.images)
        acc = [a for _, a in scores]
        return {
            "forget_cells": idx,
            "forget_acc": acc,
            "forget_mean_acc": float(np.mean(acc)),
            "forget_time_s": time.perf_counter() - t0,
        }
