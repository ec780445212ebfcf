"""Grouping: runs of one setting (method, changed options, ε, preset, dataset, epochs) become one group with
mean ± sample standard deviation (ddof=1) over its runs (seeds) of the NB201 ground truth of their cells. With
one run the std is undefined: ``None`` in JSON.

Every report also carries the yardsticks of :mod:`e2nas.experiments.yardsticks` (the largest cell, the median
cell, the random-k oracle) and, per group, the largest cell its runs visited: answers that need no search, on the
table's own columns.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from e2nas.experiments.report.records import ReportError, Run, code_note, find_runs
from e2nas.spaces import LEGACY_SPACE
from e2nas.spaces.nb201 import PAPER_COLUMNS

#: table headers of the paper's columns
COLUMN_TITLES: dict[str, str] = {
    "cifar10_valid": "C10 valid",
    "cifar10_test_v10": "C10 test (v1_0)",
    "cifar100_test": "C100 test",
    "imagenet16_test": "IN16 test",
}
#: published NB201 search results (NB201 paper Table 5, E²NAS paper Table 1; docs/reference/published.md), in
#: PAPER_COLUMNS order
PUBLISHED: dict[str, tuple[float, float, float, float]] = {
    "DARTS-V1 (NB201 paper)": (39.77, 54.30, 15.61, 16.32),
    "GDAS (NB201 paper)": (89.89, 93.61, 70.70, 41.71),
    "SETN (NB201 paper)": (84.04, 87.64, 59.05, 32.52),
    "ENAS (NB201 paper)": (37.51, 53.89, 13.96, 14.84),
    "RSPS (NB201 paper)": (80.42, 84.07, 52.31, 26.28),
    "E²NAS (E²NAS paper)": (90.94, 93.89, 72.05, 45.77),
}


def stats(values: list[float]) -> dict[str, Any]:
    """mean and sample std (ddof=1; None for a single value) of ``values``."""
    a = np.asarray(values, dtype=float)
    return {
        "mean": float(a.mean()) if a.size else None,
        "std": float(a.std(ddof=1)) if a.size > 1 else None,
        "n": int(a.size),
        "values": [float(v) for v in a],
    }


@dataclass
class Group:
    key: tuple
    runs: list[Run]
    label: str = ""

    def summary(self) -> dict[str, Any]:
        method, opts, eps, preset, dataset, epochs, root = self.key
        final = {c: stats([r.results["final"]["ground_truth"][c] for r in self.runs]) for c in PAPER_COLUMNS}
        bests = [r.results.get("best") or r.results["final"] for r in self.runs]
        best = {c: stats([b["ground_truth"][c] for b in bests]) for c in PAPER_COLUMNS}
        epochs_best = [b.get("epoch") for b in bests if b.get("epoch") is not None]
        picks = [r.largest_visited() for r in self.runs]
        big = [i for i, _ in picks if i is not None]
        from e2nas.experiments.yardsticks import SPACE
        from e2nas.spaces.nb201 import GroundTruth

        gt = GroundTruth()
        largest = {c: stats([float(gt.table.column(c)[i]) for i in big]) for c in PAPER_COLUMNS}
        return {
            "label": self.label,
            "method": method,
            "options": {k: json.loads(v) for k, v in opts},
            "epsilon": eps,
            "preset": preset,
            "dataset": dataset,
            "epochs": epochs,
            "dir": root or None,
            "n": len(self.runs),
            "seeds": sorted(r.results.get("seed") for r in self.runs),
            "runs": [str(r.dir) for r in self.runs],
            "final": final,
            "best": best,
            "best_epoch": stats(epochs_best),
            "largest_visited": largest,
            "largest_visited_index": [i for i, _ in picks],
            "cells_visited": stats([n for i, n in picks if i is not None]),
            "cells_seen": stats([r.cells_seen() for r in self.runs if r.space == SPACE]),
            "search_time_s": stats([r.search_time() for r in self.runs]),
            "kendall_tau": stats([r.tau() for r in self.runs]),
            "params_tau": stats([r.params_tau() for r in self.runs]),
            "monitor_time_s": stats([r.monitor_time() for r in self.runs]),
            "peak_memory_mb": stats([r.results.get("peak_memory_mb", math.nan) for r in self.runs]),
            "peak_memory_kind": sorted({str(r.results.get("peak_memory_kind")) for r in self.runs}),
            "internals": _internals([r.internals() for r in self.runs]),
            "spaces": sorted({r.space for r in self.runs}),
        }


def yardsticks(groups: list[dict[str, Any]], columns: list[str]) -> dict[str, Any]:
    """The yardstick rows (:mod:`e2nas.experiments.yardsticks`) for a table of ``groups`` (summary dicts) on
    ``columns``: ``{"rows": [...], "k": k of the random-k oracle, "note": ...}``; no rows, and a note saying
    why, when some runs are not on NB201 (no ground-truth table to score the yardsticks on)."""
    from e2nas.experiments import yardsticks as ys

    spaces = sorted({s for g in groups for s in g.get("spaces", [LEGACY_SPACE])})  # older summaries: no "spaces"
    if spaces != [ys.SPACE]:
        return {"rows": [], "k": None, "note": ys.NO_GROUND_TRUTH_NOTE.format(spaces=", ".join(spaces))}
    seen = [v for g in groups for v in g["cells_seen"]["values"]]
    k = int(round(float(np.median(seen)))) if seen else None
    return {"rows": ys.yardstick_rows(columns, k), "k": k, "note": ys.NOTE}


def _internals(per_run: list[dict[str, float] | None]) -> dict[str, Any] | None:
    """Per field, stats over the runs (NaNs left out: a run whose z never reached the radius has no epoch)."""
    found = [x for x in per_run if x is not None]
    if not found:
        return None
    return {k: stats([x[k] for x in found if not math.isnan(x[k])]) for k in found[0]}


def group_runs(runs: list[Run], per_dir: bool = False) -> list[Group]:
    """Group runs by setting and give each group a label: method, changed options, ε, and preset / dataset /
    epochs / source directory (``per_dir``) where those differ between groups."""
    groups: dict[tuple, Group] = {}
    for r in runs:
        k = r.key(per_dir)
        groups.setdefault(k, Group(k, [])).runs.append(r)
    out = sorted(groups.values(), key=lambda g: tuple(str(x) for x in g.key))
    varying = [len({g.key[i] for g in out}) > 1 for i in range(7)]
    for g in out:
        method, opts, eps, preset, dataset, epochs, root = g.key
        extra = [f"{k}={json.loads(v)}" for k, v in opts]
        if eps or varying[2]:
            extra.append(f"ε={eps:g}")
        if varying[3]:
            extra.append(str(preset))
        if varying[4]:
            extra.append(str(dataset))
        if varying[5]:
            extra.append(f"{epochs} ep")
        if varying[6]:
            extra.append(Path(root).name or root)
        g.label = method + (f" ({', '.join(extra)})" if extra else "")
    return out


def duplicate_seeds(groups: list[Group]) -> list[str]:
    """Warnings for groups holding the same seed more than once (e.g. one setting run in two directories)."""
    out = []
    for g in groups:
        seeds = [r.results.get("seed") for r in g.runs]
        dup = sorted({s for s in seeds if seeds.count(s) > 1}, key=str)
        if dup:
            out.append(
                f"{g.label}: seed(s) {', '.join(map(str, dup))} appear in more than one run; "
                "pass --per-dir to keep the directories apart"
            )
    return out


def build_report(dirs: list[str | Path], published: bool = False, per_dir: bool = False) -> dict[str, Any]:
    """The report as a JSON-ready dict (tables in data form); raises ReportError if no run is found.

    ``per_dir``: runs found under different given directories are never grouped together."""
    runs, warnings = find_runs(dirs, with_logs=True)
    if not runs:
        raise ReportError(f"no runs (results.json) found under {', '.join(str(d) for d in dirs)}")
    groups = group_runs(runs, per_dir)
    warnings = warnings + duplicate_seeds(groups)
    from e2nas.spaces.nb201 import GroundTruth

    gt = GroundTruth()
    optimum = {}
    for c in PAPER_COLUMNS:
        cell, value = gt.best(c)
        optimum[c] = {"value": value, "index": cell.index, "cell": cell.to_string()}
    summaries = [g.summary() for g in groups]
    return {
        "columns": list(PAPER_COLUMNS),
        "column_titles": COLUMN_TITLES,
        "std": "sample standard deviation over runs (ddof=1); null when a group has one run",
        "groups": summaries,
        "optimum": optimum,
        "yardsticks": yardsticks(summaries, list(PAPER_COLUMNS)),
        "published": ({k: dict(zip(PAPER_COLUMNS, v, strict=True)) for k, v in PUBLISHED.items()} if published else {}),
        "warnings": warnings,
        "dirs": [str(d) for d in dirs],
        "code": code_note(runs),
    }
