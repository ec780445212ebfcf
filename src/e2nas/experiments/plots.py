"""PNG figures from run directories (matplotlib, Agg backend, no display needed).

- ``search_curve.png``: ground-truth C10 valid accuracy of each epoch's current cell, per method (mean line,
  min–max band over seeds);
- ``kendall_tau.png``: supernet quality, Kendall τ between inherited-weight and ground-truth accuracy over
  epochs (runs with the ``kendall`` monitor);
- ``forgetting.png``: the forgetting curve, inherited-weight accuracy of earlier-visited cells over training,
  ε = 0 against ε > 0 (runs with the ``forgetting`` monitor);
- ``ranking.png`` (one run only): its final supernet's inherited-weight accuracy against ground truth
  (``ranking.json``), see :func:`plot_ranking`;
- ``latent_map.png``: the D-VAE latent space with search trajectories, see :mod:`e2nas.experiments.latent_map`
  (skipped when the D-VAE or its weights are not installed).

Each figure stands on its own: title, axis labels with units, legend, and the number of runs per line.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from e2nas.experiments.mpl import pyplot as _pyplot
from e2nas.experiments.report import Group, Run, find_runs, group_runs
from e2nas.ranking import RANKING_FILE
from e2nas.spaces import SearchSpace, SpaceError, get_space


def _series(runs: list[Run], value: Callable[[dict[str, Any]], float | None]) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values (runs × epochs) with NaN where a run has no value) from the runs' logs."""
    epochs = sorted({int(r["epoch"]) for run in runs for r in run.log if value(r) is not None})
    col = {e: i for i, e in enumerate(epochs)}
    vals = np.full((len(runs), len(epochs)), np.nan)
    for j, run in enumerate(runs):
        for r in run.log:
            v = value(r)
            if v is not None and int(r["epoch"]) in col:
                vals[j, col[int(r["epoch"])]] = float(v)
    return np.asarray(epochs), vals


def _band_plot(
    ax: Any, groups: list[Group], value: Callable[[dict[str, Any]], float | None], band: str = "minmax"
) -> int:
    """Draw mean line + band per group; returns how many groups had data. Every group gets its own colour and
    line style (20 colours, then other dashes); bands fade as groups get many."""
    data = [(g, *_series(g.runs, value)) for g in groups]
    data = [(g, ep, vals) for g, ep, vals in data if ep.size]
    alpha = 0.18 if len(data) <= 4 else 0.07
    drawn = 0
    for k, (g, ep, vals) in enumerate(data):
        style = _style(k, len(data))
        with warnings.catch_warnings():  # an epoch only some runs reached: NaN columns are fine
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(vals, axis=0)
            if band == "std":
                sd = np.nan_to_num(np.nanstd(vals, axis=0, ddof=1)) if len(vals) > 1 else np.zeros_like(mean)
                lo, hi = mean - sd, mean + sd
            else:
                lo, hi = np.nanmin(vals, axis=0), np.nanmax(vals, axis=0)
        n = int(np.sum(np.any(np.isfinite(vals), axis=1)))
        marker = "o" if ep.size < 30 else None
        ax.plot(ep, mean, marker=marker, ms=3, lw=1.6, label=f"{g.label} (n={n})", **style)
        if n > 1:
            ax.fill_between(ep, lo, hi, color=style["color"], alpha=alpha, lw=0)
        drawn += 1
    return drawn


def _style(k: int, total: int) -> dict[str, Any]:
    """Colour and dash of the k-th of ``total`` lines: unique up to 80 lines."""
    cmap = _pyplot().get_cmap("tab10" if total <= 10 else "tab20")
    per = 10 if total <= 10 else 20
    return {"color": cmap(k % per), "linestyle": ("-", "--", ":", "-.")[(k // per) % 4]}


def _finish(fig: Any, ax: Any, path: Path, legend: bool = True) -> Path:
    if legend:
        handles, _ = ax.get_legend_handles_labels()
        if len(handles) > 6:  # many groups: legend beside the axes, not over the data
            fig.set_size_inches(fig.get_size_inches()[0] + 4.5, fig.get_size_inches()[1])
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), framealpha=0.85)
        else:
            ax.legend(fontsize=8, loc="best", framealpha=0.85)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return path


def plot_search_curves(groups: list[Group], path: Path, metric: str = "cifar10_valid") -> Path | None:
    """Figure (a): ground-truth accuracy of the current cell per epoch, per method; None if no run has a log."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    drawn = _band_plot(ax, groups, lambda r: (r.get("ground_truth") or {}).get(metric))
    if not drawn:
        plt.close(fig)
        return None
    space = _one_space(groups)
    gt = space.ground_truth() if space is not None else None
    title = space.title if space is not None else "ground-truth"
    if gt is not None:
        _, best = gt.best(metric)
        ax.axhline(best, color="k", ls="--", lw=1, label=f"{title} optimum ({best:.2f}%)")
    ax.set_xlabel("search epoch")
    ax.set_ylabel(f"ground-truth {metric.replace('_', ' ')} accuracy of current cell (%)")
    ax.set_title(f"Search progress: {title} accuracy of each epoch's cell\n(line: mean over seeds, band: min–max)")
    return _finish(fig, ax, path)


def _one_space(groups: list[Group]) -> SearchSpace | None:
    """The space every run of ``groups`` searched; None for runs of several spaces or of one this install lacks."""
    names = {run.space for g in groups for run in g.runs}
    if len(names) != 1:
        return None
    try:
        return get_space(names.pop())
    except SpaceError:
        return None


def plot_kendall(groups: list[Group], path: Path) -> Path | None:
    """Supernet quality over epochs (runs logged with the ``kendall`` monitor); None if none did."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    if not _band_plot(ax, groups, lambda r: r.get("kendall_tau")):
        plt.close(fig)
        return None
    ns = sorted({r.get("kendall_n") for g in groups for run in g.runs for r in run.log if r.get("kendall_n")})
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xlabel("search epoch")
    ax.set_ylabel("Kendall τ (inherited-weight vs ground-truth C10 valid accuracy)")
    ax.set_title(
        f"Supernet ranking quality over {'/'.join(map(str, ns))} fixed random cells\n"
        "(line: mean over seeds, band: min–max)"
    )
    return _finish(fig, ax, path)


def _forgetting_drop(run: Run) -> dict[int, list[float]]:
    """epochs since a tracked cell was first evaluated -> accuracy change since then (percentage points).

    The monitor evaluates every k epochs and on epoch 1, so a cell first seen on epoch 1 and one first seen on
    epoch k have lags of different phase (4, 9, ... vs 5, 10, ...); lags are rounded to multiples of the
    run's evaluation spacing so that every point averages all cells."""
    evals = [r for r in run.log if r.get("forget_cells")]
    epochs = [int(r["epoch"]) for r in evals]
    step = max(1, int(np.median(np.diff(epochs)))) if len(epochs) > 1 else 1
    first: dict[int, float] = {}
    out: dict[int, list[float]] = {}
    start: dict[int, int] = {}
    for r in evals:
        for c, a in zip(r["forget_cells"], r["forget_acc"], strict=False):
            if c not in first:
                first[c], start[c] = a, int(r["epoch"])
            lag = int(round((int(r["epoch"]) - start[c]) / step)) * step
            out.setdefault(lag, []).append(a - first[c])
    return out


def plot_forgetting(groups: list[Group], path: Path) -> Path | None:
    """Figure 1(b) analogue: left, mean inherited-weight accuracy of the tracked cells per epoch; right, its
    change since each cell was first visited. Groups differing in ε are the comparison; None if no data."""
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    if not _band_plot(ax1, groups, lambda r: r.get("forget_mean_acc")):
        plt.close(fig)
        return None
    drops = [(g, [_forgetting_drop(run) for run in g.runs]) for g in groups]
    drops = [(g, per_run) for g, per_run in drops if any(per_run)]
    for k, (g, per_run) in enumerate(drops):
        lags = sorted({lag for d in per_run for lag in d})
        mean = [np.mean([np.mean(d[lag]) for d in per_run if lag in d]) for lag in lags]
        n = sum(1 for d in per_run if d)
        marker = "o" if len(lags) < 30 else None
        ax2.plot(lags, mean, marker=marker, ms=3, label=f"{g.label} (n={n})", **_style(k, len(drops)))
    ax2.axhline(0.0, color="k", lw=0.8)
    ax1.set_xlabel("search epoch")
    ax1.set_ylabel("inherited-weight valid accuracy of tracked cells (%)")
    ax1.set_title("Earlier-visited cells during training\n(mean over cells; band: min–max over seeds)")
    ax2.set_xlabel("epochs since the cell was first visited")
    ax2.set_ylabel("change of its inherited-weight accuracy (percentage points)")
    ax2.set_title("Forgetting: accuracy change since first visit\n(mean over cells and seeds)")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    fig.suptitle("Multi-model forgetting with (ε > 0) and without (ε = 0) architecture complementation")
    return _finish(fig, ax1, path)


def make_plots(
    dirs: list[str | Path], out_dir: str | Path, latent_map: bool = True, per_dir: bool = False
) -> list[Path]:
    """Every figure the runs under ``dirs`` have data for, as PNGs in ``out_dir``; returns the files written.
    Runs are grouped as in the report (``per_dir``: never across the given directories)."""
    runs, _ = find_runs(dirs, with_logs=True)
    groups = group_runs(runs, per_dir)
    out = Path(out_dir)
    written = [
        plot_search_curves(groups, out / "search_curve.png"),
        plot_kendall(groups, out / "kendall_tau.png"),
        plot_forgetting(groups, out / "forgetting.png"),
    ]
    if latent_map:
        from e2nas.experiments.latent_map import plot_latent_map

        written.append(plot_latent_map(groups, out / "latent_map.png"))
    if len(runs) == 1 and (runs[0].dir / RANKING_FILE).is_file():  # one run: its final supernet's ranking
        from e2nas.ranking import read_ranking

        written.append(plot_ranking(read_ranking(runs[0].dir / RANKING_FILE), out / "ranking.png"))
    return [p for p in written if p is not None]


def plot_ranking(ranking: Any, path: Path) -> Path:
    """Scatter of inherited-weight accuracy (supernet) against ground truth, one dot per ranked cell, coloured
    by its number of conv ops (what an under-trained supernet penalises); τ with its interval in the title. When
    the ranking carries yardsticks, a second panel beside it shows every ranking's Kendall τ with its interval
    (supernet first, then each yardstick on the same cells)."""
    plt = _pyplot()
    cells = ranking.per_cell
    x = np.array([c["ground_truth"] for c in cells])
    y = np.array([c["inherited_acc"] for c in cells])
    k = np.array([c["conv_ops"] for c in cells])
    yardsticks = getattr(ranking, "yardsticks", None) or {}
    if yardsticks:
        fig, (ax, bars) = plt.subplots(1, 2, figsize=(11.5, 4.8), gridspec_kw={"width_ratios": [1.3, 1]})
        _plot_taus(bars, ranking, yardsticks)
    else:
        fig, ax = plt.subplots(figsize=(6.4, 4.8))
    sc = ax.scatter(x, y, c=k, cmap="viridis", vmin=0, vmax=6, s=22, edgecolors="none")
    fig.colorbar(sc, ax=ax, label="conv ops in the cell (of 6 edges)")
    lo, hi = ranking.intervals["kendall_tau"]
    warn = "  (ranks backwards)" if ranking.backwards else ""
    ax.set_title(
        f"Supernet ranking of {ranking.cells} cells on {ranking.images} valid images\n"
        f"Kendall τ {ranking.kendall_tau:+.3f} [{lo:+.3f}, {hi:+.3f}], Spearman ρ {ranking.spearman:+.3f}{warn}",
        fontsize=10,
    )
    ax.set_xlabel(f"NB201 ground truth, {ranking.metric} (%)")
    ax.set_ylabel("inherited-weight valid accuracy (%)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _plot_taus(ax: Any, ranking: Any, yardsticks: dict[str, dict[str, Any]]) -> None:
    """Horizontal bars: Kendall τ of the supernet and of each yardstick on the same cells, 95 % intervals."""
    labels = ["supernet"] + [f"{name} ({y.get('source', '')})" for name, y in yardsticks.items()]
    taus = [ranking.kendall_tau] + [y["kendall_tau"] for y in yardsticks.values()]
    ivs = [ranking.intervals["kendall_tau"]] + [y["intervals"]["kendall_tau"] for y in yardsticks.values()]
    pos = np.arange(len(labels))[::-1]
    # a percentile interval need not hold its point estimate (few cells): clip the bars at the point
    err = np.clip(
        [
            [t - lo for t, (lo, _) in zip(taus, ivs, strict=True)],
            [hi - t for t, (_, hi) in zip(taus, ivs, strict=True)],
        ],
        0,
        None,
    )
    colors = ["tab:red"] + ["tab:gray"] * len(yardsticks)
    ax.barh(pos, taus, xerr=err, color=colors, alpha=0.8, capsize=3)
    ax.set_yticks(pos, labels, fontsize=9)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(min(-0.1, min(lo for lo, _ in ivs) - 0.05), 1.0)
    ax.set_xlabel(f"Kendall τ against {ranking.metric} (95 % interval)")
    line = ""
    if getattr(ranking, "vs_params", None):
        v = ranking.vs_params
        verdict = "beats" if v["beats"] else "does not beat"
        line = (
            f"\nsupernet − params: {v['difference']:+.2f} [{v['interval'][0]:+.2f}, {v['interval'][1]:+.2f}]: {verdict}"
        )
    ax.set_title(f"The same cells ranked by the yardsticks{line}", fontsize=10)
    ax.grid(alpha=0.3, axis="x")
