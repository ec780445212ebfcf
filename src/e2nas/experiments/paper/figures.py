"""The E²NAS paper's figures from run directories (PNG, matplotlib Agg).

- ``fig1a_epsilon.png``: final-cell NB201 accuracy against the complementation weight ε, one line per method
  with mean ± std error bars over seeds; beside it the supernet τ of the same runs, since an accuracy gap
  means little on a supernet that ranks cells badly;
- ``fig1b_forgetting.png``: the forgetting curves of :func:`e2nas.experiments.plots.plot_forgetting`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2nas.experiments.paper.layouts import method_name
from e2nas.experiments.report import COLUMN_TITLES, Group, stats


def plot_epsilon(groups: list[Group], path: Path, metric: str = "cifar10_test_v10") -> Path | None:
    """Fig. 1(a): final accuracy (``metric``) and supernet τ against ε per method; None without any group."""
    from e2nas.experiments.plots import _finish, _pyplot, _style

    lines: dict[str, list[tuple[float, dict[str, Any], dict[str, Any]]]] = {}
    for g in groups:
        s = g.summary()
        taus = [v for v in s["kendall_tau"]["values"] if not math.isnan(v)]
        lines.setdefault(method_name(s), []).append((s["epsilon"], s["final"][metric], stats(taus)))
    if not lines:
        return None
    plt = _pyplot()
    fig, (ax, ax_tau) = plt.subplots(1, 2, figsize=(12, 5))
    for k, (name, points) in enumerate(sorted(lines.items())):
        points.sort(key=lambda p: p[0])
        style = _style(k, len(lines))
        eps = [p[0] for p in points]
        n = max(p[1]["n"] for p in points)
        _errorbar(ax, eps, [p[1] for p in points], f"{name} (n={n})", style)
        _errorbar(ax_tau, eps, [p[2] for p in points], name, style)
    ax.set_xlabel("complementation weight ε (0 = no L_c)")
    ax.set_ylabel(f"NB201 {COLUMN_TITLES.get(metric, metric)} accuracy of the final cell (%)")
    ax.set_title("Final architecture against ε\n(mean ± sample std over seeds)")
    ax_tau.axhline(0.0, color="k", lw=0.8)
    ax_tau.set_xlabel("complementation weight ε (0 = no L_c)")
    ax_tau.set_ylabel("Kendall τ of the final supernet (vs NB201 C10 valid)")
    ax_tau.set_title("Supernet ranking quality of the same runs\n(mean ± sample std over seeds)")
    ax_tau.grid(alpha=0.3)
    if not any(p[2]["n"] for points in lines.values() for p in points):
        ax_tau.text(0.5, 0.5, "no run recorded its supernet τ\n(results.json ranking)", ha="center", va="center")
    fig.suptitle("Fig. 1(a): the complementation loss L_c, final cell and supernet against its weight ε")
    return _finish(fig, ax, path)


def _errorbar(ax: Any, x: list[float], s: list[dict[str, Any]], label: str, style: dict[str, Any]) -> None:
    """Mean line with ± std bars (no bar where a point has one run); points without a value are skipped."""
    keep = [(xi, si) for xi, si in zip(x, s, strict=True) if si["mean"] is not None]
    if not keep:
        return
    xs = [p[0] for p in keep]
    ys = [p[1]["mean"] for p in keep]
    err = [p[1]["std"] or 0.0 for p in keep]
    ax.errorbar(xs, ys, yerr=err, marker="o", ms=4, capsize=3, lw=1.6, label=label, **style)


def plot_fig1b(groups: list[Group], path: Path) -> Path | None:
    """Fig. 1(b): the forgetting curves (runs with the forgetting monitor), their lines named as the paper's
    methods with ε, as in fig1b.md; None if no run has them."""
    from e2nas.experiments.plots import plot_forgetting

    named = []
    for g in groups:
        s = g.summary()
        named.append(dataclasses.replace(g, label=f"{method_name(s)}, ε = {s['epsilon']:g}"))
    return plot_forgetting(named, path)


#: layout name -> (file name, figure function); layouts without a figure are absent
FIGURES: dict[str, tuple[str, Callable[[list[Group], Path], Path | None]]] = {
    "fig1a": ("fig1a_epsilon.png", plot_epsilon),
    "fig1b": ("fig1b_forgetting.png", plot_fig1b),
}


def layout_figures(
    layout: str, dirs: list[str | Path], out_dir: str | Path, per_dir: bool = False, suffix: str = ""
) -> list[Path]:
    """The figures of ``layout`` for the runs under ``dirs``, in ``out_dir`` (``suffix`` before the extension,
    for a layout shown twice); returns the files written."""
    from e2nas.experiments.report import find_runs, group_runs

    if layout not in FIGURES:
        return []
    name, draw = FIGURES[layout]
    runs, _ = find_runs(dirs, with_logs=True)
    path = draw(group_runs(runs, per_dir), Path(out_dir) / name.replace(".png", f"{suffix}.png"))
    return [path] if path is not None else []
