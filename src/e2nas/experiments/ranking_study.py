"""The τ-vs-budget study report (docs/results/ranking) from the runs of ``scripts/ranking_study.sh``.

Runs are found by the run-record reader of the reports (:func:`e2nas.experiments.report.find_runs`). Every run
directory under RUNS holds ``sweep_run.json`` (its settings) and ``results.json`` (its final supernet's
ranking: Kendall τ and co. over 100 stratified cells x 2,000 valid images). Runs are grouped by setting (all seeds
of one setting together); each setting is compared with the base protocol (the ``cpu`` preset as it stood when the
study ran, recorded in each run's config).

    python scripts/ranking_report.py runs/ranking docs/results/ranking [--bn runs/ranking-bn] [--commit SHA]

(a thin entry to :func:`main`).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
from pathlib import Path

import numpy as np

from e2nas.rundir import SWEEP_RUN

#: config fields a study knob may change, in the order the report names them
#: seconds per RandomNAS step of the study's base setting on the idle 2-core machine: the study's wall times were
#: taken on a shared machine, so the report also gives steps x this as the idle-machine estimate. How and when it
#: was measured (remeasure it there if the step changes): docs/results/ranking/report.md, "Search times"
IDLE_STEP_S = 0.0276
#: study families whose supernet or sampler differs from the base's (left out of the τ-vs-steps figure)
OTHER_SUPERNETS = frozenset({"resolution", "batch_size", "N", "C", "sampling"})
KNOBS = ("C", "N", "batch_size", "train_size", "epochs", "steps_per_epoch", "lr", "weight_decay")
#: per-step cost relative to the base step (benchmarks/study_step_cost.py), in a checkout of the repository
STEP_COST = Path("benchmarks") / "results" / "study_step_cost.json"


def find_study_runs(root: Path, bn_dir: Path | None) -> list[dict]:
    """The finished runs under ``root`` that ranked their supernet, each with its sweep entry and, from
    ``bn_dir``, its re-scoring with BN running statistics. Directories are named as found under ``root``."""
    from e2nas.experiments.report import find_runs

    found, _ = find_runs([root], with_logs=False)
    out = []
    for run in found:
        res = run.results
        if res.get("ranking") is None:
            continue
        d = Path(run.root) / run.dir.relative_to(Path(run.root).resolve())
        spec = json.loads((d / SWEEP_RUN).read_text()) if (d / SWEEP_RUN).is_file() else {}
        # the batch-scored runs re-scored with running statistics (runs that score with running ones have none)
        scored_batch = res.get("config", {}).get("eval_bn", "batch") == "batch"
        bn = bn_dir / f"{d.name}.json" if bn_dir is not None and scored_batch else None
        running = json.loads(bn.read_text()) if bn is not None and bn.is_file() else None
        out.append({"dir": d, "results": res, "spec": spec, "running": running})
    return out


def _step_costs(path: Path = STEP_COST) -> dict[str, float]:
    """Per-step cost ratio to the base step by setting, from the committed benchmark (1.0 where unmeasured)."""
    if not path.is_file():
        return {}
    return {r["setting"]: r["ratio"] for r in json.loads(path.read_text())["rows"]}


def _cost(run: dict, costs: dict[str, float]) -> float:
    """The step cost of a run's setting relative to the base step (C, N, batch, fairness, resolution)."""
    cfg = run["results"]["config"]
    ratio = 1.0
    for key, base in (("C", 8), ("N", 1), ("batch_size", 64)):
        if cfg.get(key, base) != base:
            ratio *= costs.get(f"{key}={cfg[key]}", 1.0)
    if (run["results"].get("searcher_options") or {}).get("fair"):
        ratio *= costs.get("fair", 1.0)
    if cfg.get("dataset") == "cifar10-jpeg":
        ratio *= costs.get("32x32", 1.0)
    return ratio


def _setting(run: dict) -> tuple[str, str]:
    """(knob family, label) of a run from its sweep overrides/options/dataset."""
    spec = run["spec"]
    ov = dict(spec.get("overrides") or {})
    ov.pop("data_dir", None)
    opts = spec.get("options") or {}
    parts = []
    if spec.get("dataset") == "cifar10-jpeg":
        parts.append("32x32")
    parts += [
        f"{k}={v}" for k, v in sorted(ov.items()) if k not in ("valid_size",) and not (k == "train_size" and v == 25000)
    ]
    parts += [f"{k}={v}" for k, v in sorted(opts.items())]
    label = ", ".join(parts) or "base"
    if spec.get("preset") == "cpu":
        if run["results"]["config"].get("eval_bn", "batch") == "batch":
            return "preset", "cpu preset, scored with batch BN statistics (before eval_bn)"
        return "preset", "cpu preset (shipped default)" + (f": {label}" if parts else "")
    if spec.get("dataset") == "cifar10-jpeg":
        family = "resolution"
    elif opts:
        family = "sampling"
    elif not ov:
        family = "base"
    elif any(k in ov for k in ("C", "N", "batch_size")):
        family = next(k for k in KNOBS if k in ov)
    elif "train_size" in ov:
        family = "data"
    elif set(ov) == {"epochs"}:
        family = "steps"
    else:
        family = next((k for k in KNOBS if k in ov), "other")
    return family, label


def _tau_loss(run_dir: Path) -> float:
    """τ of the ranking by inherited loss, from the run's per-cell ranking.json."""
    from e2nas.ranking import read_ranking

    return read_ranking(run_dir / "ranking.json").kendall_tau_loss


def _stats(xs: list[float]) -> tuple[float, float]:
    a = np.asarray(xs, dtype=float)
    return float(a.mean()), (float(a.std(ddof=1)) if a.size > 1 else math.nan)


def summarise(runs: list[dict], step_cost: Path = STEP_COST) -> list[dict]:
    """One row per setting (all its seeds): τ and co. with their seed spread, costs, and Δτ per extra minute."""
    costs = _step_costs(step_cost)
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in runs:
        groups.setdefault(_setting(r), []).append(r)
    rows = []
    for (family, label), rs in groups.items():
        rk = [r["results"]["ranking"] for r in rs]
        res = [r["results"] for r in rs]
        steps = res[0]["epochs"] * res[0]["steps_per_epoch"]
        cfg = res[0]["config"]
        running = [r["running"] for r in rs if r["running"] is not None]
        row = {
            "family": family,
            "label": label,
            "n": len(rs),
            "seeds": sorted(r["seed"] for r in res),
            "steps": steps,
            "step_cost": _cost(rs[0], costs),
            "image_size": 32 if cfg.get("dataset") == "cifar10-jpeg" else 16,
            "train_images": cfg.get("train_size") or 25000,
            "search_s": _stats([r["wall_time_s"] for r in res]),
            "tau": _stats([k["kendall_tau"] for k in rk]),
            "tau_ci": [k["intervals"]["kendall_tau"] for k in rk],
            "spearman": _stats([k["spearman"] for k in rk]),
            "top10": _stats([k["top10_precision"] for k in rk]),
            "top1_gt": _stats([k["top1_gt"] for k in rk]),
            "top5_gt": _stats([k["top5_gt"] for k in rk]),
            "tau_conv": _stats([k["tau_conv_ops"] for k in rk]),
            "tau_loss": _stats([_tau_loss(r["dir"]) for r in rs]),
            "inherited": _stats([k["mean_inherited_acc"] for k in rk]),
            # the same supernets scored with BN running statistics (scripts/ranking_bn.sh); NaN where not scored
            "tau_running": _stats([k["kendall_tau"] for k in running]) if running else (math.nan, math.nan),
            "n_running": len(running),
            "cells": rk[0]["cells"],
            "images": rk[0]["images"],
            "eval_s": _stats([k["eval_time_s"] for k in rk]),
            "final_gt": _stats([r["final"]["ground_truth"]["cifar10_valid"] for r in res]),
            "dirs": [str(r["dir"]) for r in rs],
        }
        rows.append(row)
    order = (
        "preset",
        "base",
        "steps",
        "data",
        "lr",
        "weight_decay",
        "track_running_stats",
        "sampling",
        "resolution",
        "batch_size",
        "N",
        "C",
    )
    rows.sort(key=lambda r: (order.index(r["family"]) if r["family"] in order else 99, r["steps"], r["label"]))
    base = next((r for r in rows if r["family"] == "base"), None)
    for r in rows:
        if base is None or r is base:
            r["dtau_per_min"] = None
            continue
        dt = (r["steps"] * r["step_cost"] - base["steps"]) * IDLE_STEP_S / 60.0
        dtau = r["tau"][0] - base["tau"][0]
        r["dtau"] = dtau
        r["dmin"] = dt
        r["dtau_per_min"] = dtau / dt if abs(dt) > 0.25 else None
    return rows


def _f(m: tuple[float, float], d: int = 2, sign: bool = False) -> str:
    mean, std = m
    s = f"{mean:+.{d}f}" if sign else f"{mean:.{d}f}"
    return s + ("" if math.isnan(std) else f" ± {std:.{d}f}")


def table(rows: list[dict]) -> list[str]:
    """One Markdown row per setting."""
    from e2nas.experiments.report import markdown_table

    head = [
        "setting", "seeds", "steps", "idle est. (s)", "search on the shared box (s)", "Kendall τ", "per-seed 95 % CI",
        "τ, running-BN scoring", "Spearman ρ", "top-10 % prec.", "GT of top-1", "τ by loss", "τ vs #conv",
        "mean inherited acc", "Δτ / extra idle min",
    ]  # fmt: skip
    body = []
    for r in rows:
        ci = "; ".join(f"[{lo:+.2f}, {hi:+.2f}]" for lo, hi in r["tau_ci"])
        per = "–" if r.get("dtau_per_min") is None else f"{r['dtau_per_min']:+.3f}"
        running = "–" if not r["n_running"] else _f(r["tau_running"], 3, True) + f" ({r['n_running']})"
        cells = [
            r["label"], str(r["n"]), f"{r['steps']:,}", f"{r['steps'] * r['step_cost'] * IDLE_STEP_S:.0f}",
            _f(r["search_s"], 0), _f(r["tau"], 3, True), ci, running, _f(r["spearman"], 2, True), _f(r["top10"], 2),
            _f(r["top1_gt"], 2), _f(r["tau_loss"], 2, True), _f(r["tau_conv"], 2, True), _f(r["inherited"], 1), per,
        ]  # fmt: skip
        body.append(cells)
    return markdown_table(head, body, align="l" + "r" * 5 + "l" + "r" * 8)


def figures(rows: list[dict], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    written = []
    fig, ax = plt.subplots(figsize=(11, 6))
    fams = sorted({r["family"] for r in rows})
    cmap = plt.get_cmap("tab10")
    for i, fam in enumerate(fams):
        rs = [r for r in rows if r["family"] == fam]
        x = [r["steps"] * r["step_cost"] * IDLE_STEP_S / 60 for r in rs]
        y = [r["tau"][0] for r in rs]
        yerr = [0 if math.isnan(r["tau"][1]) else r["tau"][1] for r in rs]
        ax.errorbar(x, y, yerr=yerr, fmt="o", color=cmap(i % 10), label=fam, capsize=3)
        for r, xi, yi in zip(rs, x, y, strict=True):
            short = r["label"].replace("cpu preset (shipped default)", "preset").replace("lr=0.05, ", "")
            short = short.replace("train_size=10000", "10k").replace("steps_per_epoch=", "spe=")
            ax.annotate(short, (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=6)
    ax.axhline(0, color="k", lw=0.8)
    ax.axhline(0.5, color="g", lw=0.8, ls="--", label="target τ = 0.5")
    ax.set_xlabel(
        f"RandomNAS search time on the idle 2-core machine, minutes (steps x {IDLE_STEP_S * 1e3:.1f} ms x step cost)"
    )
    ax.set_ylabel("Kendall τ of the final RandomNAS supernet\n(100 cells x 2,000 valid images; mean ± std over seeds)")
    ax.set_title("Supernet ranking quality against CPU search time, one knob at a time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(out / "tau_vs_time.png", dpi=120)
    plt.close(fig)
    written.append("tau_vs_time.png")

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    styles = {}
    for r in rows:
        if r["family"] in OTHER_SUPERNETS:  # a different supernet or sampler: not on this figure's axis
            continue
        lr = json.loads((Path(r["dirs"][0]) / "config.json").read_text())["lr"]
        key = (r["train_images"], lr)
        for (lo, hi), d in zip(r["tau_ci"], r["dirs"], strict=True):
            ranking = json.loads((Path(d) / "results.json").read_text())["ranking"]
            if ranking.get("bn", "batch") != "batch":  # one scoring on one figure: batch statistics, as most runs
                continue
            style = styles.setdefault(key, (cmap(len(styles) % 10), "os^Dv"[len(styles) % 5]))
            tau = ranking["kendall_tau"]
            ax.errorbar(
                [r["steps"]],
                [tau],
                yerr=[[tau - lo], [hi - tau]],
                fmt=style[1],
                color=style[0],
                alpha=0.7,
                capsize=2,
                label=f"{key[0] // 1000}k images, lr {key[1]:g}",
            )
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=True))
    ax.legend(uniq.values(), uniq.keys(), fontsize=8)
    ax.axhline(0, color="k", lw=0.8)
    ax.axhline(0.5, color="g", lw=0.8, ls="--")
    ax.set_xlabel("optimizer steps of the RandomNAS supernet (batch 64)")
    ax.set_ylabel("Kendall τ (one dot per seed, 95 % bootstrap CI)")
    ax.set_title("Ranking quality against training steps (16x16, C=8, N=1, batch 64, batch-BN scoring)", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "tau_vs_steps.png", dpi=120)
    plt.close(fig)
    written.append("tau_vs_steps.png")
    return written


def main(argv: list[str] | None = None, step_cost: Path = STEP_COST) -> None:
    """The command line of ``scripts/ranking_report.py``: study.json, table.md and the figures in OUT."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("runs", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--bn", type=Path, default=None, help="the runs re-scored with running BN (scripts/ranking_bn.sh)")
    ap.add_argument("--commit", default=None, help="commit the runs ran on (default: git rev-parse HEAD)")
    args = ap.parse_args(argv)
    from e2nas.experiments.report import ReportError

    try:
        runs = find_study_runs(args.runs, args.bn)
    except ReportError as err:
        raise SystemExit(f"error: {err}") from None
    if not runs:
        raise SystemExit(f"error: no finished runs with a ranking under {args.runs}")
    rows = summarise(runs, step_cost)
    args.out.mkdir(parents=True, exist_ok=True)
    commit = (
        args.commit
        or subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    )
    figs = figures(rows, args.out)
    (args.out / "study.json").write_text(json.dumps({"commit": commit, "rows": rows}, indent=2) + "\n")
    lines = table(rows)
    (args.out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print("figures:", ", ".join(str(args.out / f) for f in figs))
