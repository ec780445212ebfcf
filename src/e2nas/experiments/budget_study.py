"""The budget study's report (issue 24): per FLOPs budget and method, the final cell's ground truth (mean ±
sample std over seeds) beside the best and the largest cell under the same budget, the final supernet's τ beside
the parameter count's τ on the same cells, and a figure of accuracy against FLOPs over the space's Pareto front.

    python scripts/budget_report.py results/cpu-pretrained/runs/budget --out docs/results/budget

Runs are found by the reports' run-record reader (:func:`e2nas.experiments.report.find_runs`); a run counts when
its results.json records a budget (``e2nas search --max-flops/--max-params``).
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from e2nas.experiments.report import ReportError, Run, code_note, find_runs, markdown_table
from e2nas.spaces import get_space

#: (ground-truth column, header) of each accuracy the table shows
COLUMNS = (("cifar10_valid", "C10 valid"), ("cifar100_test", "C100 test"), ("imagenet16_test", "IN16 test"))


def budgeted_runs(dirs: Sequence[str | Path]) -> tuple[list[Run], list[str]]:
    """The runs under ``dirs`` that searched under a budget (and the reader's warnings)."""
    runs, warnings = find_runs(list(dirs), with_logs=False)
    return [r for r in runs if r.results.get("budget")], warnings


def _budget_key(r: Run) -> tuple[float, float]:
    b = r.results["budget"]
    return (b.get("max_flops_M") or math.inf, b.get("max_params_M") or math.inf)


def _label(key: tuple[float, float]) -> str:
    parts = [
        f"{key[0]:g} M FLOPs" if math.isfinite(key[0]) else "",
        f"{key[1]:g} M params" if math.isfinite(key[1]) else "",
    ]
    return ", ".join(p for p in parts if p)


def _ms(values: list[float]) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def _cell(entry: dict) -> str:
    g = entry["ground_truth"]
    return f"#{entry['index']} {entry['cost']['flops_M']:.1f} M: " + " / ".join(f"{g[k]:.2f}" for k, _ in COLUMNS)


def table(runs: list[Run]) -> list[str]:
    """One Markdown row per (budget, method)."""
    groups: dict[tuple, list[Run]] = defaultdict(list)
    for r in runs:
        groups[(_budget_key(r), r.method)].append(r)
    head = ["budget", "method", "seeds", "final FLOPs (M)", *(c for _, c in COLUMNS), "replaced"]
    head += ["supernet τ", "params τ", "best under budget", "largest under budget"]
    rows = []
    for (key, method), rs in sorted(groups.items()):
        y = rs[0].results["budget"]["ground_truth_under_budget"]
        finals = [r.results["final"] for r in rs]
        replaced = sum(r.results["budget"].get("replaced_by") is not None for r in rs)
        row = [_label(key), method, str(len(rs)), _ms([f["cost"]["flops_M"] for f in finals])]
        row += [_ms([f["ground_truth"][k] for f in finals]) for k, _ in COLUMNS]
        row += [f"{replaced}/{len(rs)}", _ms([r.tau() for r in rs]), _ms([r.params_tau() for r in rs])]
        row += [_cell(y["best"]), _cell(y["largest"])]
        rows.append(row)
    return markdown_table(head, rows, align="l" * len(head), spaced=True)


def write_csv(runs: list[Run], path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["method", "seed", "max_flops_M", "max_params_M", "final_index", "final_flops_M", "replaced"]
            + [k for k, _ in COLUMNS]
            + ["supernet_tau", "params_tau"]
        )
        for r in sorted(runs, key=lambda r: (_budget_key(r), r.method, r.results["seed"])):
            f, b = r.results["final"], r.results["budget"]
            w.writerow(
                [
                    r.method,
                    r.results["seed"],
                    b.get("max_flops_M"),
                    b.get("max_params_M"),
                    f.get("index"),
                    f["cost"]["flops_M"],
                    b.get("replaced_by") is not None,
                    *[f["ground_truth"][k] for k, _ in COLUMNS],
                    r.tau(),
                    r.params_tau(),
                ]
            )


def figure(runs: list[Run], path: Path) -> None:
    """C10 valid against FLOPs: every cell of the space's table, its Pareto front, the budgets and the finals."""
    from e2nas.experiments.mpl import pyplot

    plt = pyplot()
    spaces = {r.space for r in runs}
    if len(spaces) != 1:
        raise ReportError(f"budget runs of several spaces ({', '.join(sorted(spaces))}); report one space at a time")
    gt = get_space(spaces.pop()).ground_truth()
    if gt is None:
        raise ReportError("the runs' space has no ground-truth table to draw the front from")
    flops, acc = gt.table.column("flops_M"), gt.table.column("cifar10_valid")
    order = np.argsort(flops, kind="stable")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(flops, acc, s=2, c="0.85", label="every cell", rasterized=True)
    ax.step(flops[order], np.maximum.accumulate(acc[order]), where="post", c="k", lw=1, label="Pareto front")
    markers = {"random": "o", "gdas": "s", "e2nas": "^"}
    for method in sorted({r.method for r in runs}):
        rs = [r.results["final"] for r in runs if r.method == method]
        ax.scatter(
            [f["cost"]["flops_M"] for f in rs],
            [f["ground_truth"]["cifar10_valid"] for f in rs],
            marker=markers.get(method, "D"),
            s=36,
            label=method,
            zorder=3,
        )
    for key in sorted({_budget_key(r)[0] for r in runs}):
        if math.isfinite(key):
            ax.axvline(key, ls=":", c="0.4", lw=1)
    finals = [r.results["final"]["ground_truth"]["cifar10_valid"] for r in runs]
    ax.set_ylim(max(float(acc.min()), min(60.0, min(finals) - 2.0)), float(acc.max()) + 1)
    ax.set_xlabel("FLOPs (M, the table's flops_cifar10_M)")
    ax.set_ylabel("CIFAR-10 valid accuracy (%, ground truth)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Final cells under FLOPs budgets (dotted lines)")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def write_report(dirs: Sequence[str | Path], out: Path) -> list[Run]:
    """report.md, runs.csv and accuracy_vs_flops.png for the budgeted runs under ``dirs``."""
    runs, warnings = budgeted_runs(dirs)
    if not runs:
        raise ReportError(f"no budgeted runs with ground truth under {', '.join(map(str, dirs))}")
    out.mkdir(parents=True, exist_ok=True)
    write_csv(runs, out / "runs.csv")
    figure(runs, out / "accuracy_vs_flops.png")
    presets = sorted({str(r.results.get("preset")) for r in runs})
    text = [
        "# Search under a FLOPs budget",
        "",
        f"{len(runs)} runs (preset {', '.join(presets)}), read from {', '.join(map(str, dirs))} by "
        "`scripts/budget_report.py` (`e2nas.experiments.budget_study`). " + code_note(runs),
        "",
        "Accuracies are NB201 ground truth (C10 valid / C100 test / IN16 test) of the final cell, mean ± sample std "
        "over seeds. *replaced*: runs whose searcher's own answer was over the budget and was replaced by the "
        "best-scored visited cell within it. *supernet τ*: Kendall τ of the final supernet's ranking of the run's "
        "100 sampled cells (all cells, not only those within the budget); *params τ*: the parameter count's τ on "
        "the same cells, the yardstick a supernet has to beat. The best and the largest cell under each budget "
        "come from the NB201 table (C10 valid / C100 test / IN16 test); the largest is the budgeted form of the "
        "parameter-count yardstick.",
        "",
        *table(runs),
        "",
        "![accuracy vs FLOPs](accuracy_vs_flops.png)",
        "",
    ]
    if warnings:
        text += ["Skipped:", "", *(f"- {w}" for w in warnings), ""]
    (out / "report.md").write_text("\n".join(text))
    return runs


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, help="directories holding budgeted runs")
    ap.add_argument("--out", type=Path, required=True, help="directory for report.md, runs.csv and the figure")
    args = ap.parse_args(argv)
    try:
        runs = write_report(args.dirs, args.out)
    except ReportError as err:
        raise SystemExit(f"error: {err}") from None
    print(f"wrote {args.out / 'report.md'}, runs.csv and accuracy_vs_flops.png ({len(runs)} runs)")
