"""Run records: every directory holding a ``results.json`` is a run; what a report reads from each.

Shared by the sweep report, the paper layouts and the studies (budget, ranking, contrasts), so that all of them
find, skip and describe runs the same way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2nas.rundir import LOG, RANKING, RESULTS
from e2nas.spaces import LEGACY_SPACE


class ReportError(ValueError):
    """Nothing to report, or an unreadable input (user error)."""


@dataclass
class Run:
    """One finished search, read from its directory."""

    dir: Path
    results: dict[str, Any]
    log: list[dict[str, Any]] = field(default_factory=list)
    root: str = ""  # the directory given to find_runs that this run was found under

    @property
    def method(self) -> str:
        return str(self.results["method"])

    @property
    def config(self) -> dict[str, Any]:
        return self.results.get("config", {})

    def monitor_time(self) -> float:
        """Seconds the epoch monitors took (log fields ``<monitor>_time_s``); 0 without monitors."""
        return float(sum(v for r in self.log for k, v in r.items() if k.endswith("_time_s") and k != "time_s"))

    def search_time(self) -> float:
        """Wall time of the search without the monitors' time, so monitored and plain runs compare."""
        return float(self.results.get("wall_time_s", math.nan)) - self.monitor_time()

    def tau(self) -> float:
        """Kendall τ of the run's final supernet (results.json ``ranking``); NaN for runs made without it."""
        r = self.results.get("ranking")
        return float(r["kendall_tau"]) if isinstance(r, dict) and "kendall_tau" in r else math.nan

    def params_tau(self) -> float:
        """Kendall τ of the parameter count on the same cells as :meth:`tau` (the yardstick a supernet has to
        beat); NaN for runs made before results.json recorded it."""
        r = self.results.get("ranking")
        if isinstance(r, dict) and r.get("params_tau") is not None:
            return float(r["params_tau"])
        return self._params_tau_from_cells() if isinstance(r, dict) else math.nan

    def _params_tau_from_cells(self) -> float:
        """For runs made before results.json recorded it: the same τ from ranking.json's ranked cells and the
        space's ground truth (NaN without either)."""
        from scipy.stats import kendalltau

        from e2nas.spaces import SpaceError, get_space

        try:
            per_cell = json.loads((self.dir / RANKING).read_text())["per_cell"]
            space = get_space(self.space)
            gt = space.ground_truth()
        except (OSError, ValueError, KeyError, TypeError, SpaceError):
            return math.nan
        if gt is None or len(per_cell) < 2:
            return math.nan
        params = [gt.value(space.parse(c["cell"]), "params_M") for c in per_cell]
        return float(kendalltau(params, [c["ground_truth"] for c in per_cell]).statistic)

    def internals(self) -> dict[str, float] | None:
        """The latent search's logged internals (:mod:`e2nas.experiments.internals`); None for other methods."""
        from e2nas.experiments.internals import run_internals, total_steps

        return run_internals(self.log, total_steps(self.results))

    @property
    def space(self) -> str:
        # runs made before results.json named their space are of the legacy space
        return str(self.results.get("space") or self.config.get("space") or LEGACY_SPACE)

    def largest_visited(self) -> tuple[int | None, int]:
        """(the params pick among the cells this run logged as visited, how many distinct cells that was);
        (None, 0) off NB201 (:func:`e2nas.experiments.yardsticks.visited_cells`)."""
        from e2nas.experiments.yardsticks import SPACE, largest_visited, visited_cells

        if self.space != SPACE:
            return None, 0

        cells = visited_cells(self.log, self.results)
        return largest_visited(cells), len(cells)

    def cells_seen(self) -> int:
        """Distinct cells "best seen during search" picks from (each epoch's cell and the final one)."""
        from e2nas.experiments.yardsticks import SPACE, seen_cells

        return len(seen_cells(self.log, self.results)) if self.space == SPACE else 0

    def changed_options(self) -> dict[str, Any]:
        """Searcher options that differ from the method's defaults (all of them if the method is unknown)."""
        opts = dict(self.results.get("searcher_options") or {})
        try:
            from e2nas.searchers import get_searcher_class

            defaults = vars(get_searcher_class(self.method).Options())
        except Exception:  # a method this install does not have: show what was set, if anything
            return {k: v for k, v in (self.config.get("options") or {}).items()}
        return {k: v for k, v in opts.items() if k not in defaults or defaults[k] != v}

    def key(self, per_dir: bool = False) -> tuple:
        """Group key: method, changed options, ε, preset, dataset, epochs (and the root dir with ``per_dir``)."""
        c = self.config
        opts = tuple(sorted((k, json.dumps(v)) for k, v in self.changed_options().items()))
        return (
            self.method,
            opts,
            float(self.results.get("epsilon", c.get("epsilon", 0.0)) or 0.0),
            self.results.get("preset", c.get("preset")),
            c.get("dataset"),
            self.results.get("epochs", c.get("epochs")),
            self.root if per_dir else "",
        )


def read_log(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / LOG
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                out.append(json.loads(line))
            except ValueError:
                break  # a torn last line of a killed run
    return out


def find_runs(dirs: list[str | Path], with_logs: bool = True) -> tuple[list[Run], list[str]]:
    """Every run (a ``results.json``) under ``dirs``; returns (runs, warnings about unreadable ones)."""
    runs: list[Run] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    for d in dirs:
        root = Path(d)
        if not root.exists():
            raise ReportError(f"{root} does not exist; give directories that hold runs (results.json)")
        files = [root] if root.is_file() else sorted(root.rglob(RESULTS))
        for f in files:
            run_dir = f.parent.resolve()
            if run_dir in seen:
                continue
            seen.add(run_dir)
            try:
                res = json.loads(f.read_text())
                gt = res["final"]["ground_truth"]
            except (OSError, ValueError, KeyError, TypeError) as err:
                warnings.append(f"skipped {f}: unreadable results ({type(err).__name__})")
                continue
            if gt is None:
                dataset = (res.get("config") or {}).get("dataset")
                warnings.append(f"skipped {f}: searched on dataset {dataset!r}, which NB201 has no ground truth for")
                continue
            runs.append(Run(run_dir, res, read_log(run_dir) if with_logs else [], root=str(d)))
    return runs, warnings


def code_note(runs: list[Run]) -> str:
    """Which code made ``runs``, from results.json ``versions`` (git commit, else the source digest), for a
    report's notes: "Code: git a3abae5 (12 runs), source 1f2e… (3 runs); 5 runs do not record it"."""
    counts: dict[str, int] = {}
    missing = 0
    for r in runs:
        v = r.results.get("versions") or {}
        if v.get("git_commit"):
            commit = str(v["git_commit"])
            key = "git " + commit[:7] + ("+dirty" if commit.endswith("+dirty") else "")
        elif v.get("e2nas_source"):
            key = f"source digest {v['e2nas_source']}"
        else:
            missing += 1
            continue
        counts[key] = counts.get(key, 0) + 1
    parts = [f"{k} ({n} run{'s' if n != 1 else ''})" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    if missing:
        parts.append(f"{missing} run{'s' if missing != 1 else ''} made before results.json recorded its code")
    return "Code: " + "; ".join(parts) + "."
