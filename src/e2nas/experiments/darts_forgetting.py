"""The E²NAS paper's Fig. 1(b) on the DARTS space: the report of ``sweeps/paper/fig1b-darts.yaml``.

The runs are an ordinary sweep with the space-generic ``arch-forgetting`` monitor
(:class:`e2nas.experiments.monitors.ArchForgettingMonitor`): ``e2nas reproduce --only fig1b-darts`` or
``e2nas sweep sweeps/paper/fig1b-darts.yaml``. This module turns their logs into curves per method (DARTS-V1,
DARTS-V2, GDAS and GDAS with the complementation loss, GDAS-AC), ``fig1b_darts.png`` and ``table.md``.
``python -m e2nas.experiments.darts_forgetting --out DIR`` (the older command) runs that sweep into DIR at the
given preset and seeds, then writes the report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from e2nas.rundir import LOG, RESULTS

#: (curve name, method, epsilon): the four curves of Fig. 1(b)
METHODS: tuple[tuple[str, str, float], ...] = (
    ("darts-v1", "darts-v1", 0.0),
    ("darts-v2", "darts-v2", 0.0),
    ("gdas", "gdas", 0.0),
    ("gdas-ac", "gdas", 0.5),
)
#: the sweep file of the experiment, in a checkout of the repository
SWEEP_FILE = Path("sweeps") / "paper" / "fig1b-darts.yaml"


def run(
    out: Path,
    seeds: tuple[int, ...],
    preset: str = "cpu-small",
    epochs: int | None = None,
    steps: int | None = None,
    sweep_file: Path = SWEEP_FILE,
    threads: int | None = None,
) -> list[Path]:
    """Run the sweep of ``sweep_file`` at ``preset`` and ``seeds`` (and ``epochs``/``steps`` if given) into
    ``out``, one run at a time as the old runner did; finished runs are kept. Returns the run directories."""
    from e2nas.experiments.sweep import SweepError, parse_sweep, read_sweep_file, run_sweep

    data = read_sweep_file(sweep_file)
    if not isinstance(data, dict):
        raise SweepError(f"{sweep_file}: a sweep file must be a YAML mapping")
    data = {**data, "preset": preset, "seed": list(seeds)}
    extra = {k: v for k, v in (("epochs", epochs), ("steps_per_epoch", steps)) if v is not None}
    data["overrides"] = {**(data.get("overrides") or {}), **extra}
    sweep = parse_sweep(data, str(sweep_file))
    summary = run_sweep(sweep, out, workers=1, threads=threads)
    return [Path(e["dir"]) for e in summary["runs"]]


def _curve_name(results: dict[str, Any]) -> str | None:
    """The Fig. 1(b) curve a run belongs to, from its results.json (method and ε)."""
    method, eps = results.get("method"), float(results.get("epsilon") or 0.0)
    return next((name for name, m, e in METHODS if m == method and e == eps), None)


def _runs_by_curve(out: Path) -> dict[str, list[Path]]:
    """The finished runs directly under ``out`` per curve, in directory order (old runner: ``gdas-ac-s0``;
    sweep: ``gdas_cpu_..._eps0.5_space=darts_s0``). The method and ε come from results.json, so both read."""
    found: dict[str, list[Path]] = {}
    for f in sorted(out.glob(f"*/{RESULTS}")):
        try:
            name = _curve_name(json.loads(f.read_text()))
        except (OSError, ValueError):
            continue
        if name is not None:
            found.setdefault(name, []).append(f.parent)
    return found


def curves(out: Path) -> dict[str, dict[str, Any]]:
    """Per method: epochs, and the accuracy of the architecture first seen at epoch 1 and the mean over all
    tracked ones, each averaged over seeds (NaN before an architecture was first seen)."""
    result: dict[str, dict[str, Any]] = {}
    runs = _runs_by_curve(out)
    for name, _, _ in METHODS:
        first, mean, drops = [], [], []
        for d in runs.get(name, []):
            log = [json.loads(line) for line in (d / LOG).read_text().splitlines()]
            if not log or "fg_acc" not in log[0]:  # a run without the arch-forgetting monitor
                continue
            first.append([r["fg_acc"][0] for r in log])
            mean.append([r["fg_mean_acc"] for r in log])
            # forgetting: how far each tracked architecture fell from its best inherited-weight accuracy
            last = log[-1]
            for k, acc in enumerate(last["fg_acc"]):
                history = [r["fg_acc"][k] for r in log if len(r["fg_acc"]) > k]
                drops.append(max(history) - acc)
        if not first:
            continue
        result[name] = {
            "seeds": len(first),
            "epochs": list(range(1, len(first[0]) + 1)),
            "first_arch_acc": np.mean(np.array(first), axis=0).tolist(),
            "mean_acc": np.mean(np.array(mean), axis=0).tolist(),
            "mean_drop_from_best": float(np.mean(drops)),
        }
    return result


def write_report(out: Path, dest: Path | None = None) -> tuple[Path, Path]:
    """``fig1b_darts.png`` (left: accuracy of the epoch-1 architecture; right: mean over tracked ones) and
    ``table.md`` with the numbers behind it, from the runs under ``out``, written to ``dest`` (default ``out``:
    run records and the report they make may live apart, e.g. results/ and docs/results/)."""
    from e2nas.experiments.mpl import pyplot

    data = curves(out)
    out = out if dest is None else dest
    out.mkdir(parents=True, exist_ok=True)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, c in data.items():
        axes[0].plot(c["epochs"], c["first_arch_acc"], marker="o", label=f"{name} ({c['seeds']} seeds)")
        axes[1].plot(c["epochs"], c["mean_acc"], marker="o", label=name)
    axes[0].set_title("architecture sampled at epoch 1")
    axes[1].set_title("mean over the first 6 distinct architectures")
    for ax in axes:
        ax.set_xlabel("supernet epoch")
        ax.set_ylabel("inherited-weight valid accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Fig. 1(b) on the DARTS space (CPU scale)")
    fig.tight_layout()
    png = out / "fig1b_darts.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    from e2nas.experiments.report.tables import markdown_table

    head = [
        "method",
        "seeds",
        "epoch-1 arch acc, first → last epoch",
        "mean tracked acc, first → last",
        "mean drop from best",
    ]
    rows = [
        [
            name,
            str(c["seeds"]),
            f"{c['first_arch_acc'][0]:.2f} → {c['first_arch_acc'][-1]:.2f}",
            f"{c['mean_acc'][0]:.2f} → {c['mean_acc'][-1]:.2f}",
            f"{c['mean_drop_from_best']:.2f}",
        ]
        for name, c in data.items()
    ]
    lines = markdown_table(head, rows, align="l" * len(head), spaced=True)
    md = out / "table.md"
    md.write_text("\n".join(lines) + "\n")
    return png, md


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--preset", default="cpu-small")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--report-to", type=Path, default=None, help="where the figure and table go (default: --out)")
    ap.add_argument("--sweep", type=Path, default=SWEEP_FILE, help="the sweep file (default: %(default)s)")
    a = ap.parse_args(argv)
    if not a.report_only:
        run(a.out, tuple(int(s) for s in a.seeds.split(",")), a.preset, a.epochs, a.steps, a.sweep)
    for p in write_report(a.out, a.report_to):
        print(p)


if __name__ == "__main__":
    main()
