"""The recipe study's report: τ of every kept supernet against the parameter count's τ on the same cells, as a
Markdown table, a JSON summary and a τ-vs-steps figure, all from the study's JSONL ranking records.

    python scripts/pretrain_report.py docs/results/pretrain/rankings.jsonl --out docs/results/pretrain

(a thin entry to :func:`main`) writes summary.json (one row per supernet and BN mode), tables.md (the generated
tables, included by report.md) and tau_vs_steps.png.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from e2nas.pretrain.study import read_records, write_json
from e2nas.safeio import atomic_write_text

#: short names of the recipes the study's run directories encode (the sweep's option and override values)
_RECIPE_TAGS = (("sampler=iso", "iso sampling"), ("fair=true", "strictly fair"))


def recipe_label(run: str) -> str:
    """A human label for a study run directory name: sampling and seed."""
    sampling = next((label for tag, label in _RECIPE_TAGS if tag in run), "uniform")
    seed = run.rsplit("_s", 1)[-1]
    return f"{sampling}, seed {seed}"


def summarise(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (supernet, BN mode): mean and per-sample τ, ρ, top-10 %, params τ and τ − params τ."""
    groups: dict[tuple[str, str, bool], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[(r["supernet"], r["bn"], False)].append(r)
        if r["sample_seed"] == 0:  # every supernet also as a sample-0 row: the curves compare on one sample
            groups[(r["supernet"], r["bn"], True)].append(r)
    rows = []
    for (sup, bn, first), recs in groups.items():
        if not first and [r["sample_seed"] for r in recs] == [0]:
            continue  # the sample-0 row already says it
        recs = sorted(recs, key=lambda r: r["sample_seed"])
        tau = np.array([r["kendall_tau"] for r in recs])
        ptau = np.array([r["params_tau"] for r in recs])
        rows.append(
            {
                "supernet": sup,
                "run": recs[0]["run"],
                "recipe": recipe_label(recs[0]["run"]),
                "epoch": recs[0]["epoch"],
                "average": recs[0].get("average", []),
                "steps": recs[0]["steps"],
                "bn": bn,
                "samples": [r["sample_seed"] for r in recs],
                "kendall_tau": float(tau.mean()),
                "kendall_tau_per_sample": tau.round(3).tolist(),
                "spearman": float(np.mean([r["spearman"] for r in recs])),
                "top10_precision": float(np.mean([r["top10_precision"] for r in recs])),
                "params_tau": float(ptau.mean()),
                "tau_minus_params_tau": float((tau - ptau).mean()),
                "mean_inherited_acc": float(np.mean([r["mean_inherited_acc"] for r in recs])),
            }
        )
    return sorted(rows, key=lambda r: (r["recipe"], r["steps"], r["bn"], len(r["samples"])))


def markdown(rows: Sequence[dict[str, Any]], note: str = "") -> list[str]:
    """The report's tables: every supernet on sample 0, then the ones ranked on ≥ 3 samples."""
    out = []
    if note:
        out += [note, ""]
    multi = [r for r in rows if len(r["samples"]) >= 3]
    if multi:
        out += [
            "### Ranked on three or more cell samples (mean; per-sample τ in brackets, sample order 0, 1, 2, 3)",
            "",
            "| recipe | steps | BN | τ | params τ | τ − params τ | ρ | top-10 % | mean inherited acc. |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in multi:
            per = ", ".join(f"{t:+.3f}" for t in r["kendall_tau_per_sample"])
            out.append(
                f"| {r['recipe']} | {r['steps']:,} | {r['bn']} | {r['kendall_tau']:+.3f} ({per}) | "
                f"{r['params_tau']:+.3f} | {r['tau_minus_params_tau']:+.3f} | {r['spearman']:+.3f} | "
                f"{r['top10_precision']:.2f} | {r['mean_inherited_acc']:.1f} % |"
            )
        out.append("")
    single = [r for r in rows if r["samples"] == [0]]
    if single:
        out += [
            "### Every kept supernet on cell sample 0",
            "",
            "| recipe | epoch | steps | BN | τ | params τ | τ − params τ | top-10 % | mean inherited acc. |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in single:
            out.append(
                f"| {r['recipe']} | {r['epoch']} | {r['steps']:,} | {r['bn']} | {r['kendall_tau']:+.3f} | "
                f"{r['params_tau']:+.3f} | {r['tau_minus_params_tau']:+.3f} | {r['top10_precision']:.2f} | "
                f"{r['mean_inherited_acc']:.1f} % |"
            )
        out.append("")
    return out


def plot(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """τ against steps for every recipe (sample 0, BN batch statistics), with the parameter count's τ."""
    from e2nas.experiments.mpl import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    curves: dict[str, list[tuple[int, float]]] = defaultdict(list)
    params = None
    for r in rows:
        if r["samples"] == [0] and not r["average"]:
            curves[f"{r['recipe']} (BN {r['bn']})"].append((r["steps"], r["kendall_tau"]))
            params = r["params_tau"]
    for label, pts in sorted(curves.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
    if params is not None:
        ax.axhline(params, color="black", linestyle="--", label=f"parameter count ({params:+.3f})")
    ax.set_xlabel("pretraining steps (batch 64)")
    ax.set_ylabel("Kendall τ vs NB201 cifar10_valid (100 cells, sample 0)")
    ax.set_title("Pretrained supernet ranking against counting parameters")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_report(records: Path, out: Path, note: str = "") -> list[dict[str, Any]]:
    """summary.json, tables.md and tau_vs_steps.png in ``out`` from the ranking records file; the rows."""
    rows = summarise(read_records(records))
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "summary.json", rows)
    lines = ["<!-- generated by scripts/pretrain_report.py from rankings.jsonl; do not edit -->", ""]
    atomic_write_text(out / "tables.md", "\n".join(lines + markdown(rows, note)) + "\n")
    plot(rows, out / "tau_vs_steps.png")
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """The command line of ``scripts/pretrain_report.py``."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("records", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--note", default="", help="a line put above the tables (e.g. the commits the runs ran on)")
    a = ap.parse_args(argv)
    rows = write_report(a.records, a.out, a.note)
    print(f"{len(rows)} rows -> {a.out}/summary.json, tables.md, tau_vs_steps.png")
