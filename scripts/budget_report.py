"""The budget study's report (issue 24): per method and FLOPs budget, the final cell's NB201 accuracies (mean ±
sample std over seeds) next to the best and the largest NB201 cell under the same budget, and a figure of C10
valid accuracy against FLOPs with NB201's Pareto front drawn from the bundled table.

    python scripts/budget_report.py runs/cpu-pretrained/budget --out docs/results/budget

Reads every results.json under the given directories that was searched under a budget; writes report.md,
runs.csv and accuracy_vs_flops.png into --out.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

from e2nas.spaces.nb201 import GroundTruth

COLUMNS = (("cifar10_valid", "C10 valid"), ("cifar100_test", "C100 test"), ("imagenet16_test", "IN16 test"))


def read_runs(dirs: list[Path]) -> list[dict]:
    runs = []
    for d in dirs:
        for path in sorted(d.rglob("results.json")):
            r = json.loads(path.read_text())
            b = r.get("budget")
            if b is None or r.get("final", {}).get("ground_truth") is None:
                continue
            runs.append(
                {
                    "dir": str(path.parent),
                    "method": r["method"],
                    "seed": r["seed"],
                    "max_flops": b["max_flops_M"],
                    "max_params": b["max_params_M"],
                    "final": r["final"],
                    "budget": b,
                }
            )
    return runs


def _ms(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def table(runs: list[dict]) -> list[str]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in runs:
        groups[(r["max_flops"], r["method"])].append(r)
    head = "| FLOPs budget (M) | method | seeds | final FLOPs (M) | " + " | ".join(c for _, c in COLUMNS)
    head += " | replaced | best under budget | largest under budget |"
    lines = [head, "| " + " | ".join(["---"] * (len(COLUMNS) + 7)) + " |"]
    for (budget, method), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        y = rs[0]["budget"]["ground_truth_under_budget"]

        def ref(e: dict) -> str:
            g = e["ground_truth"]
            return f"#{e['index']} {e['cost']['flops_M']:.1f} M: " + " / ".join(f"{g[k]:.2f}" for k, _ in COLUMNS)

        flops = [r["final"]["cost"]["flops_M"] for r in rs]
        accs = [_ms([r["final"]["ground_truth"][k] for r in rs]) for k, _ in COLUMNS]
        replaced = sum(r["budget"]["replaced_by"] is not None for r in rs)
        lines.append(
            f"| {budget:g} | {method} | {len(rs)} | {_ms(flops)} | "
            + " | ".join(accs)
            + f" | {replaced}/{len(rs)} | {ref(y['best'])} | {ref(y['largest'])} |"
        )
    return lines


def figure(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gt = GroundTruth()
    flops, acc = gt.table.column("flops_M"), gt.table.column("cifar10_valid")
    order = np.argsort(flops, kind="stable")
    front = np.maximum.accumulate(acc[order])
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(flops, acc, s=2, c="0.85", label="NB201 cells", rasterized=True)
    ax.step(flops[order], front, where="post", c="k", lw=1, label="NB201 Pareto front")
    markers = {"random": "o", "gdas": "s", "e2nas": "^"}
    for method in sorted({r["method"] for r in runs}):
        rs = [r for r in runs if r["method"] == method]
        ax.scatter(
            [r["final"]["cost"]["flops_M"] for r in rs],
            [r["final"]["ground_truth"]["cifar10_valid"] for r in rs],
            marker=markers.get(method, "D"),
            s=36,
            label=method,
            zorder=3,
        )
    for b in sorted({r["max_flops"] for r in runs if r["max_flops"] is not None}):
        ax.axvline(b, ls=":", c="0.4", lw=1)
    ax.set_xlabel("FLOPs (M, NB201 flops_cifar10_M)")
    ax.set_ylabel("CIFAR-10 valid accuracy (%, NB201)")
    finals = [r["final"]["ground_truth"]["cifar10_valid"] for r in runs]
    ax.set_ylim(max(acc.min(), min(60.0, min(finals) - 2.0)), acc.max() + 1)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Final cells under FLOPs budgets (dotted lines)")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    runs = read_runs(args.dirs)
    if not runs:
        raise SystemExit(f"error: no budgeted runs with ground truth under {', '.join(map(str, args.dirs))}")
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "runs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["method", "seed", "max_flops_M", "final_index", "final_flops_M", "replaced", *[k for k, _ in COLUMNS]]
        )
        for r in sorted(runs, key=lambda r: (r["max_flops"] or 0, r["method"], r["seed"])):
            f = r["final"]
            w.writerow(
                [
                    r["method"],
                    r["seed"],
                    r["max_flops"],
                    f.get("index"),
                    f["cost"]["flops_M"],
                    r["budget"]["replaced_by"] is not None,
                    *[f["ground_truth"][k] for k, _ in COLUMNS],
                ]
            )
    figure(runs, args.out / "accuracy_vs_flops.png")
    presets = sorted({json.loads((Path(r["dir"]) / "results.json").read_text())["preset"] for r in runs})
    text = [
        "# Search under a FLOPs budget",
        "",
        f"{len(runs)} runs (preset {', '.join(presets)}), read from {', '.join(map(str, args.dirs))} by "
        "`scripts/budget_report.py`. Accuracies are NB201 ground truth (C10 valid / C100 test / IN16 test) of the "
        "final cell, mean ± sample std over seeds; *replaced*: runs whose searcher's own answer was over the budget "
        "and was replaced by the best-scored visited cell within it. The best and the largest cell under each "
        "budget come from the NB201 table (C10 valid / C100 test / IN16 test).",
        "",
        *table(runs),
        "",
        "![accuracy vs FLOPs](accuracy_vs_flops.png)",
        "",
    ]
    (args.out / "report.md").write_text("\n".join(text))
    print(f"wrote {args.out / 'report.md'}, runs.csv and accuracy_vs_flops.png ({len(runs)} runs)")


if __name__ == "__main__":
    main()
