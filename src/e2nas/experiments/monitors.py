"""Epoch-end monitors of the supernet: Kendall τ against ground truth and the forgetting of visited cells.

A monitor is an engine epoch hook (``SearchEngine(..., epoch_hooks=[...])``): at the end of an epoch it scores
cells with their inherited weights through ``ctx.evaluate`` (no side effects on the supernet or any RNG) and
returns fields for that epoch's ``log.jsonl`` line. They work with every searcher, since they only read the
logged cells. Both are stateless apart from their settings: what they track is derived from the seed or from
the earlier log lines, so a resumed run continues them unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from e2nas.space.cell import NUM_CELLS, Cell


class MonitorError(ValueError):
    """A bad monitor name or setting (user error)."""


def _due(epoch: int, every: int, epochs: int) -> bool:
    """Epochs 1-based: every ``every``-th epoch, the first and the last."""
    return epoch == 1 or epoch % every == 0 or epoch == epochs


@dataclass
class KendallMonitor:
    """Supernet quality: Kendall τ-b between inherited-weight valid accuracy and NB201 ground truth.

    The cells are a fixed sample (``seed``) of ``sample`` distinct cells, the same at every epoch and, for a
    given ``seed``, the same in every run, so curves of different methods are comparable.
    """

    every: int = 5
    sample: int = 50
    seed: int = 0
    batches: int | None = None  # valid batches per cell (None: the config's eval_batches)
    metric: str = "cifar10_valid"

    def __post_init__(self) -> None:
        if self.every < 1 or not 2 <= self.sample <= NUM_CELLS:
            raise MonitorError(f"kendall needs every >= 1 and 2 <= sample <= {NUM_CELLS}")
        idx = np.random.default_rng(self.seed).choice(NUM_CELLS, size=self.sample, replace=False)
        self.cells = [Cell.from_index(int(i)) for i in idx]
        self._gt: np.ndarray | None = None

    def __call__(self, ctx: Any, record: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not _due(record["epoch"], self.every, ctx.epochs):
            return None
        from scipy.stats import kendalltau

        from e2nas.benchmark import GroundTruth

        if self._gt is None:
            col = GroundTruth().table.column(self.metric)
            self._gt = np.array([col[c.index] for c in self.cells])
        t0 = time.perf_counter()
        acc = np.array([a for _, a in ctx.evaluate(self.cells, self.batches)])
        res = kendalltau(acc, self._gt)
        tau = float(res.statistic) if np.isfinite(res.statistic) else 0.0  # all-equal accuracies: no ranking
        return {
            "kendall_tau": tau,
            "kendall_p": float(res.pvalue) if np.isfinite(res.pvalue) else 1.0,
            "kendall_n": self.sample,
            "kendall_time_s": time.perf_counter() - t0,
        }


@dataclass
class ForgettingMonitor:
    """Forgetting curve (E²NAS paper, Fig. 1b): inherited-weight valid accuracy of earlier-visited cells.

    The tracked set is the first ``cells`` distinct cells the searcher reported at epoch ends (``current_cell``,
    the ``cell_index`` of the log lines); each is evaluated at every ``every``-th epoch from the epoch it was
    first seen on. With ``source="random"`` the set is instead a fixed seeded sample, for methods whose
    current cell rarely changes. Compare runs with ε = 0 and ε = 0.5 to see what complementation does.
    """

    cells: int = 5
    every: int = 1
    source: str = "visited"  # visited | random
    seed: int = 1
    batches: int | None = None

    def __post_init__(self) -> None:
        if self.cells < 1 or self.every < 1:
            raise MonitorError("forgetting needs cells >= 1 and every >= 1")
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
        if not _due(record["epoch"], self.every, ctx.epochs):
            return None
        idx = self.tracked(record, history)
        t0 = time.perf_counter()
        acc = [a for _, a in ctx.evaluate([Cell.from_index(i) for i in idx], self.batches)]
        return {
            "forget_cells": idx,
            "forget_acc": acc,
            "forget_mean_acc": float(np.mean(acc)),
            "forget_time_s": time.perf_counter() - t0,
        }


#: monitor name (the key in a sweep's ``monitors:`` mapping) -> class
MONITORS: dict[str, type] = {"kendall": KendallMonitor, "forgetting": ForgettingMonitor}


def build_monitors(spec: dict[str, dict[str, Any]] | None) -> list[Any]:
    """``{"kendall": {"every": 5}, "forgetting": {}}`` -> monitor objects; unknown names/settings raise."""
    out = []
    for name, settings in (spec or {}).items():
        cls = MONITORS.get(name)
        if cls is None:
            raise MonitorError(f"unknown monitor {name!r}; known: {', '.join(MONITORS)}")
        settings = settings or {}
        if not isinstance(settings, dict):
            raise MonitorError(f"monitor {name!r} expects a mapping of settings, got {settings!r}")
        known = {f.name for f in fields(cls)}
        bad = sorted(set(settings) - known)
        if bad:
            raise MonitorError(f"monitor {name!r} has no setting {bad[0]!r}; known: {', '.join(sorted(known))}")
        try:
            out.append(cls(**settings))
        except TypeError as err:
            raise MonitorError(f"monitor {name!r}: {err}") from None
    return out
