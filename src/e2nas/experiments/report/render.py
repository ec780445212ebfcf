"""The sweep report (``e2nas report``, the ``default`` layout): Table 1 (final cell), Table 2 (final vs best
during search), the largest visited cell and the latent search's internals of every group, as Markdown, LaTeX or
JSON. Undefined stds (one run) print as "–" in Markdown and "--" in LaTeX.
"""

from __future__ import annotations

import json
import math
from typing import Any

from e2nas.experiments.report.grouping import COLUMN_TITLES, stats
from e2nas.experiments.report.records import ReportError
from e2nas.experiments.report.tables import latex_table, markdown_table, tex

FORMATS = ("markdown", "json", "latex")


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
        label = tex(g["label"]) if latex else g["label"]
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
            [tex(y["label"]) if latex else y["label"], dash] + [f"{y['values'][c]:.2f}" for c in report["columns"]]
        )
    ref += yard
    for name, vals in report["published"].items():
        ref.append([tex(name + " †") if latex else name + " †", dash])
        ref[-1] += [f"{vals[c]:.2f}" for c in report["columns"]]
    return {"t1": t1, "t2": t2, "visited": visited, "ref": ref, "yard": yard}


def fmt_signed(s: dict[str, Any], pm: str = " ± ", dash: str = "–") -> str:
    """A difference, mean with a sign ± std."""
    if s["mean"] is None:
        return dash
    return f"{s['mean']:+.2f}{pm}{dash if s['std'] is None else format(s['std'], '.2f')}"


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

    lines = ["## Table 1: final architecture (NB201 ground truth, %)", ""]
    lines += markdown_table(
        ["Method", "n", *cols, "supernet τ", "params τ", "search time (s)", "peak mem (MB)"], t1 + ref
    )
    lines += ["", "## Table 2: final / best during search (NB201 ground truth, %)", ""]
    lines += markdown_table(
        ["Method", "n", *cols, "best at epoch", "Δ C10 valid (best − final)", "supernet τ", "params τ"], t2 + r["yard"]
    )
    if r["visited"]:
        lines += [
            "",
            "## Largest visited cell: the params pick among the cells each run visited (NB201 ground truth, %)",
        ]
        lines += [""] + markdown_table(
            ["Method", "n", "cells visited", *cols, "final − largest visited (C10 valid)"], r["visited"]
        )
    inside = [g for g in report["groups"] if g.get("internals")]
    if inside:
        from e2nas.experiments.internals import AT_RADIUS, FIELDS

        lines += ["", "## Inside the latent search (from each run's epoch log)", ""]
        rows = [[g["label"], str(g["n"])] + [fmt_stat(g["internals"][k], 1) for k in FIELDS] for g in inside]
        lines += markdown_table(["Method", "n", *FIELDS.values()], rows)
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
    cols = [tex(COLUMN_TITLES[c]) for c in report["columns"]]

    lines = latex_table(
        "Final architecture, NB201 ground-truth accuracy (\\%), mean $\\pm$ sample std over seeds.",
        ["Method", "$n$", *cols, r"$\tau$", r"params $\tau$", "time (s)", "mem (MB)"],
        t1,
        ref,
    )
    lines += [""]
    lines += latex_table(
        "Final / best-during-search architecture, NB201 ground-truth accuracy (\\%).",
        ["Method", "$n$", *cols, "best epoch", r"$\Delta$ C10 valid", r"$\tau$", r"params $\tau$"],
        t2,
        r["yard"],
    )
    if r["visited"]:
        lines += [""]
        lines += latex_table(
            "Largest visited cell: the params pick among the cells each run visited, NB201 ground truth (\\%).",
            ["Method", "$n$", "cells", *cols, r"final $-$ largest"],
            r["visited"],
        )
    lines += [""] + [f"% {tex(n)}" for n in _notes(report)]
    return "\n".join(lines) + "\n"


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2) + "\n"
    if fmt == "latex":
        return to_latex(report)
    if fmt == "markdown":
        return to_markdown(report)
    raise ReportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
