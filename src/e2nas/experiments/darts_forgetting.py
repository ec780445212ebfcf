"""The E²NAS paper's Fig. 1(b) on the DARTS space: how well the supernet still serves the architectures it
sampled earlier, as training goes on (forgetting), for DARTS-V1, DARTS-V2, GDAS and GDAS with the
complementation loss (GDAS-AC).

Any space works: :class:`ArchForgettingMonitor` tracks the first distinct architectures a searcher reports at
epoch ends by their logged strings (the NB201-only ``forgetting`` monitor tracks benchmark indices) and scores
each with inherited weights at every later epoch. ``python -m e2nas.experiments.darts_forgetting --out DIR``
runs the methods × seeds at CPU scale, then writes ``fig1b_darts.png`` and ``table.md`` into DIR.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from e2nas.rundir import LOG, RESULTS

#: (run name, method, epsilon): the four curves of Fig. 1(b)
METHODS: tuple[tuple[str, str, float], ...] = (
    ("darts-v1", "darts-v1", 0.0),
    ("darts-v2", "darts-v2", 0.0),
    ("gdas", "gdas", 0.0),
    ("gdas-ac", "gdas", 0.5),
)


@dataclass
class ArchForgettingMonitor:
    """Epoch hook: inherited-weight valid accuracy of the first ``archs`` distinct architectures the searcher
    reported (``current_cell`` at epoch ends), each from the epoch it was first reported on. Like every
    monitor it scores through ``ctx.evaluate`` and so leaves the search unchanged."""

    archs: int = 6
    batches: int | None = None

    def __post_init__(self) -> None:
        if self.archs < 1:
            raise ValueError(f"archs must be >= 1, got {self.archs}")

    def __call__(self, ctx: Any, record: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
        seen: dict[str, int] = {}
        for r in [*history, record]:
            if r["cell"] not in seen and len(seen) < self.archs:
                seen[r["cell"]] = int(r["epoch"])
        archs = [ctx.space.parse(s) for s in seen]
        acc = [a for _, a in ctx.evaluate(archs, self.batches)]
        return {"fg_first_epoch": list(seen.values()), "fg_acc": acc, "fg_mean_acc": float(np.mean(acc))}


def run(
    out: Path, seeds: tuple[int, ...], preset: str = "cpu-small", epochs: int | None = None, steps: int | None = None
) -> list[Path]:
    """One search per (method, seed) on the DARTS space with the monitor; finished runs are kept."""
    from e2nas.engine import SearchEngine, make_config

    dirs = []
    for name, method, eps in METHODS:
        for seed in seeds:
            d = out / f"{name}-s{seed}"
            dirs.append(d)
            if (d / RESULTS).is_file():
                continue
            cfg = make_config(preset, method, "darts", seed=seed, epsilon=eps, epochs=epochs, steps_per_epoch=steps)
            SearchEngine(cfg, d, resume=True, progress=False, epoch_hooks=[ArchForgettingMonitor()]).run()
    return dirs


def curves(out: Path) -> dict[str, dict[str, Any]]:
    """Per method: epochs, and the accuracy of the architecture first seen at epoch 1 and the mean over all
    tracked ones, each averaged over seeds (NaN before an architecture was first seen)."""
    result: dict[str, dict[str, Any]] = {}
    for name, _, _ in METHODS:
        first, mean, drops = [], [], []
        for d in sorted(out.glob(f"{name}-s*")):
            log = [json.loads(line) for line in (d / LOG).read_text().splitlines()]
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
    lines = [
        "| method | seeds | epoch-1 arch acc, first → last epoch | mean tracked acc, first → last | "
        "mean drop from best |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, c in data.items():
        f, m = c["first_arch_acc"], c["mean_acc"]
        lines.append(
            f"| {name} | {c['seeds']} | {f[0]:.2f} → {f[-1]:.2f} | {m[0]:.2f} → {m[-1]:.2f} | "
            f"{c['mean_drop_from_best']:.2f} |"
        )
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
    a = ap.parse_args(argv)
    if not a.report_only:
        run(a.out, tuple(int(s) for s in a.seeds.split(",")), a.preset, a.epochs, a.steps)
    for p in write_report(a.out, a.report_to):
        print(p)


if __name__ == "__main__":
    main()
