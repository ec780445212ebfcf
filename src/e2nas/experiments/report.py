"""Reports: the E²NAS paper's Table 1 (final cell) and Table 2 (final vs best during search) from run dirs.

Every directory holding a ``results.json`` below the given roots is a run. Runs are grouped by method, the
searcher options that differ from the method's defaults, ε, preset, dataset and epochs; each group gives
mean ± sample standard deviation (ddof=1) over its runs (seeds) of the NB201 ground truth of its cells. With
one run the std is undefined: ``None`` in JSON, "–" in Markdown and LaTeX.

Every table also carries the yardsticks of :mod:`e2nas.experiments.yardsticks` (the largest cell, the median cell,
the random-k oracle) and, per group, the largest cell its runs visited: answers that need no search, on the
table's own columns.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from e2nas.rundir import LOG, RANKING, RESULTS
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
FORMATS = ("markdown", "json", "latex")


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


# -- rendering ---------------------------------------------------------------------------------------------


def fmt_stat(s: dict[str, Any], digits: int = 2, pm: str = " ± ", dash: str = "–") -> str:
    if s["mean"] is None or (isinstance(s["mean"], float) and math.isnan(s["mean"])):
        return dash
    std = dash if s["std"] is None else f"{s['std']:.{digits}f}"
    return f"{s['mean']:.{digits}f}{pm}{std}"


def fmt_tau(s: dict[str, Any], pm: str = " ± ", dash: str = "–") -> str:
    """Supernet τ with a sign; '(n/a)' for runs made before results.json carried it."""
    vals = [v for v in s["values"] if not math.isnan(v)]
    if not vals:
        return "n/a"
    t = stats(vals)
    std = dash if t["std"] is None else f"{t['std']:.2f}"
    mark = (r"$^\ast$" if pm.strip().startswith("$") else " ⚠") if t["mean"] <= 0 else ""
    return f"{t['mean']:+.2f}{pm}{std}{mark}"


def _rows(report: dict[str, Any], latex: bool) -> dict[str, list[list[str]]]:
    """Table rows as strings: ``t1`` (final cell), ``t2`` (final / best), ``visited`` (largest visited cell),
    ``ref`` (optimum, yardsticks, published: Table 1's reference rows) and ``yard`` (the yardsticks alone)."""
    pm, dash = (r" $\pm$ ", "--") if latex else (" ± ", "–")
    t1, t2, visited, ref = [], [], [], []
    for g in report["groups"]:
        label = _tex(g["label"]) if latex else g["label"]
        t1.append(
            [label, str(g["n"])]
            + [fmt_stat(g["final"][c], 2, pm, dash) for c in report["columns"]]
            + [fmt_tau(g["kendall_tau"], pm, dash), fmt_tau(g.get("params_tau", stats([])), pm, dash)]
            + [fmt_stat(g["search_time_s"], 0, pm, dash), fmt_stat(g["peak_memory_mb"], 0, pm, dash)]
        )
        delta = [
            b - f
            for b, f in zip(g["best"]["cifar10_valid"]["values"], g["final"]["cifar10_valid"]["values"], strict=True)
        ]
        t2.append(
            [label, str(g["n"])]
            + [
                f"{fmt_stat(g['final'][c], 2, pm, dash)} / {fmt_stat(g['best'][c], 2, pm, dash)}"
                for c in report["columns"]
            ]
            + [fmt_stat(g["best_epoch"], 1, pm, dash), fmt_stat(stats(delta), 2, pm, dash)]
            + [fmt_tau(g["kendall_tau"], pm, dash), fmt_tau(g.get("params_tau", stats([])), pm, dash)]
        )
        if "largest_visited" in g and g["largest_visited"]["cifar10_valid"]["n"]:
            big = g["largest_visited"]
            ok = [i is not None for i in g["largest_visited_index"]]
            finals = [v for v, keep in zip(g["final"]["cifar10_valid"]["values"], ok, strict=True) if keep]
            gain = [f - b for f, b in zip(finals, big["cifar10_valid"]["values"], strict=True)]
            visited.append(
                [label, str(big["cifar10_valid"]["n"]), fmt_stat(g["cells_visited"], 1, pm, dash)]
                + [fmt_stat(big[c], 2, pm, dash) for c in report["columns"]]
                + [fmt_signed(stats(gain), pm, dash)]
            )
    opt = report["optimum"]
    ref.append(["NB201 optimum", dash] + [f"{opt[c]['value']:.2f}" for c in report["columns"]])
    yard = []
    for y in (report.get("yardsticks") or {}).get("rows", []):
        yard.append(
            [_tex(y["label"]) if latex else y["label"], dash] + [f"{y['values'][c]:.2f}" for c in report["columns"]]
        )
    ref += yard
    for name, vals in report["published"].items():
        ref.append([_tex(name + " †") if latex else name + " †", dash])
        ref[-1] += [f"{vals[c]:.2f}" for c in report["columns"]]
    return {"t1": t1, "t2": t2, "visited": visited, "ref": ref, "yard": yard}


def fmt_signed(s: dict[str, Any], pm: str = " ± ", dash: str = "–") -> str:
    """A difference, mean with a sign ± std."""
    if s["mean"] is None:
        return dash
    return f"{s['mean']:+.2f}{pm}{dash if s['std'] is None else format(s['std'], '.2f')}"


def _tex(s: str) -> str:
    s = s.replace("\\", r"\textbackslash{}")
    for ch in "_&%$#{}":
        s = s.replace(ch, "\\" + ch)
    return s.replace("ε", r"$\epsilon$").replace("²", r"$^2$").replace("†", r"$^\dagger$")


def _notes(report: dict[str, Any]) -> list[str]:
    notes = [
        "Values: NB201 ground-truth accuracy (%) of each run's final cell (Table 1) and of the best cell seen "
        "during search by C10 valid (Table 2), mean ± sample std over runs (ddof=1; – when n = 1). "
        "C10 test is the NB201 v1_0 column (`cifar10_test_v10`), as in the E²NAS paper.",
        "Supernet τ: Kendall τ between the final supernet's inherited-weight accuracy and NB201 cifar10_valid "
        "over the run's ranking sample (results.json `ranking`, `e2nas rank`), mean ± std over runs; ⚠ marks "
        "τ ≤ 0, a supernet that does not rank cells the right way round, on which a comparison is not evidence; "
        "n/a: runs made before τ was recorded.",
        "Search time: wall-clock seconds of the search, without the time of epoch monitors (Kendall τ, "
        "forgetting) where a run had them; peak memory: "
        + ", ".join(sorted({k for g in report["groups"] for k in g["peak_memory_kind"]}))
        + " in MB.",
    ]
    y = report.get("yardsticks")
    if y:
        notes.append(y["note"])
        if y["rows"]:
            from e2nas.experiments.yardsticks import VISITED_NOTE

            notes.append(
                VISITED_NOTE + " Final − largest visited: the run's final cell minus its largest visited "
                "cell, C10 valid, mean ± std over runs."
            )
    if report["published"]:
        notes.append(
            "† published numbers (docs/reference/published.md) for the full paper protocol, for reference only."
        )
    return notes


def to_markdown(report: dict[str, Any]) -> str:
    r = _rows(report, latex=False)
    t1, t2, ref = r["t1"], r["t2"], r["ref"]
    cols = [COLUMN_TITLES[c] for c in report["columns"]]

    def table(header: list[str], rows: list[list[str]]) -> list[str]:
        out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
        out += ["| " + " | ".join(r + [""] * (len(header) - len(r))) + " |" for r in rows]
        return out

    lines = ["## Table 1: final architecture (NB201 ground truth, %)", ""]
    lines += table(["Method", "n", *cols, "supernet τ", "params τ", "search time (s)", "peak mem (MB)"], t1 + ref)
    lines += ["", "## Table 2: final / best during search (NB201 ground truth, %)", ""]
    lines += table(
        ["Method", "n", *cols, "best at epoch", "Δ C10 valid (best − final)", "supernet τ", "params τ"], t2 + r["yard"]
    )
    if r["visited"]:
        lines += [
            "",
            "## Largest visited cell: the params pick among the cells each run visited (NB201 ground truth, %)",
        ]
        lines += [""] + table(
            ["Method", "n", "cells visited", *cols, "final − largest visited (C10 valid)"], r["visited"]
        )
    inside = [g for g in report["groups"] if g.get("internals")]
    if inside:
        from e2nas.experiments.internals import AT_RADIUS, FIELDS

        lines += ["", "## Inside the latent search (from each run's epoch log)", ""]
        rows = [[g["label"], str(g["n"])] + [fmt_stat(g["internals"][k], 1) for k in FIELDS] for g in inside]
        lines += table(["Method", "n", *FIELDS.values()], rows)
        lines += [
            "",
            f"- z at radius: ‖z‖ ≥ {AT_RADIUS:g} × the trust radius at an epoch's end (the projection clips there); "
            "– when it never was or there is no radius (the reference variant). Dead steps: arch steps on a "
            "disconnected cell (scored by the decoder's mixture). "
            "Distinct epoch cells: different cells among the epochs' final cells. Gradient ratio: median over the "
            "epochs with γ > 0 of the last arch step's norms, – without a novelty gradient (the reference variant); "
            "`grad_balance=unit` rescales both to 1 before mixing.",
        ]
    lines += [""] + [f"- {n}" for n in _notes(report)]
    if report.get("code"):
        lines.append(f"- {report['code']}")
    if report["warnings"]:
        lines += [f"- warning: {w}" for w in report["warnings"]]
    return "\n".join(lines) + "\n"


def to_latex(report: dict[str, Any]) -> str:
    r = _rows(report, latex=True)
    t1, t2, ref = r["t1"], r["t2"], r["ref"]
    cols = [_tex(COLUMN_TITLES[c]) for c in report["columns"]]

    def table(caption: str, header: list[str], rows: list[list[str]], extra: list[list[str]] = ()) -> list[str]:
        spec = "l" + "r" * (len(header) - 1)
        out = [r"\begin{table}[t]", r"\centering", rf"\caption{{{caption}}}", rf"\begin{{tabular}}{{{spec}}}"]
        out += [r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
        out += [" & ".join(r + [""] * (len(header) - len(r))) + r" \\" for r in rows]
        if extra:
            out.append(r"\midrule")
            out += [" & ".join(r + [""] * (len(header) - len(r))) + r" \\" for r in extra]
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
        return out

    lines = table(
        "Final architecture, NB201 ground-truth accuracy (\\%), mean $\\pm$ sample std over seeds.",
        ["Method", "$n$", *cols, r"$\tau$", "time (s)", "mem (MB)"],
        t1,
        ref,
    )
    lines += [""]
    lines += table(
        "Final / best-during-search architecture, NB201 ground-truth accuracy (\\%).",
        ["Method", "$n$", *cols, "best epoch", r"$\Delta$ C10 valid", r"$\tau$"],
        t2,
        r["yard"],
    )
    if r["visited"]:
        lines += [""]
        lines += table(
            "Largest visited cell: the params pick among the cells each run visited, NB201 ground truth (\\%).",
            ["Method", "$n$", "cells", *cols, r"final $-$ largest"],
            r["visited"],
        )
    lines += [""] + [f"% {_tex(n)}" for n in _notes(report)]
    return "\n".join(lines) + "\n"


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2) + "\n"
    if fmt == "latex":
        return to_latex(report)
    if fmt == "markdown":
        return to_markdown(report)
    raise ReportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
