"""The latent-space map: all 15,625 NB201 cells in a 2-D PCA of their D-VAE means, coloured by ground truth,
with search trajectories drawn on top.

What a run contributes, from its ``log.jsonl`` (whichever is there, per epoch):

- ``z``: the architecture point itself (a list of ``nz`` floats; the E²NAS searcher's state), projected with
  the same PCA. Without it the trajectory is the encoder means of each epoch's cell (``cell_index``), which
  every searcher logs, so the map works for any method;
- ``archive``: the visited-cell archive (a list of NB201 indices or cell strings) of the last line that has
  one, drawn as crosses.

Runs that log ``z`` are drawn; if none does, the first run of each of up to ``max_runs`` groups is drawn. Runs of
one setting (a report group) share a colour and one legend entry; seeds differ by marker shape, and archives
have no legend entry of their own, so the legend stays one line per setting however many seeds there are. The
NB201 optimum (star) and the largest cell (pentagon, the most parameters) are marked.
Needs the D-VAE (:mod:`e2nas.vae`) and its weights; otherwise :func:`plot_latent_map` returns None and says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from e2nas.experiments.report import Group, Run
from e2nas.spaces.nb201 import NUM_CELLS, Cell


class LatentMapUnavailableError(RuntimeError):
    """No D-VAE module or weights in this install (the map is skipped, with this message)."""


def load_model() -> Any:
    try:
        from e2nas.vae import load_pretrained
    except ImportError as err:
        raise LatentMapUnavailableError(f"the D-VAE module e2nas.vae is not available ({err})") from None
    try:
        return load_pretrained()
    except Exception as err:  # missing or mismatched weights file
        raise LatentMapUnavailableError(f"no usable D-VAE weights: {type(err).__name__}: {err}") from None


def encode_all(model: Any) -> np.ndarray:
    """Encoder means of all cells in NB201 index order, (15625, nz)."""
    from e2nas.spaces.nb201 import GroundTruth

    ops = np.asarray(GroundTruth().table.ops, dtype=np.int64)
    mu, _ = model.encode_cells(ops)
    return mu.detach().cpu().numpy().astype(np.float64)


def pca_2d(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, components (2, d), explained variance ratio (2,)) of the rows of ``x``."""
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    var = s**2
    k = min(2, vt.shape[0])
    comps = np.zeros((2, x.shape[1]))
    comps[:k] = vt[:k]
    ratio = np.zeros(2)
    ratio[:k] = var[:k] / var.sum() if var.sum() > 0 else 0.0
    return mean, comps, ratio


def _cell_index(v: Any) -> int | None:
    try:
        return Cell.parse(v).index if isinstance(v, str) else int(v)
    except Exception:
        return None


def trajectory(run: Run, mu: np.ndarray) -> tuple[np.ndarray, str, list[int]]:
    """(points in latent space (T, nz), "z" or "cell", archive indices) of one run."""
    zs = [r["z"] for r in run.log if isinstance(r.get("z"), list) and len(r["z"]) == mu.shape[1]]
    if zs:
        pts, kind = np.asarray(zs, dtype=np.float64), "z"
    else:
        idx = [int(r["cell_index"]) for r in run.log if "cell_index" in r]
        pts, kind = mu[idx], "cell"
    archive: list[int] = []
    for r in reversed(run.log):
        if isinstance(r.get("archive"), list):
            archive = [i for i in (_cell_index(v) for v in r["archive"]) if i is not None and 0 <= i < NUM_CELLS]
            break
    return pts, kind, archive


#: marker of a run's trajectory by its seed (the seed's rank among the drawn runs' seeds)
SEED_MARKERS = ("o", "^", "s", "v", "<", ">", "d", "8")


def _colours(n: int) -> list[Any]:
    """n distinct colours: tab10 up to 10, tab20 up to 20, then evenly spaced hues."""
    from e2nas.experiments.mpl import pyplot as _pyplot

    plt = _pyplot()
    if n <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n)]
    if n <= 20:
        return [plt.get_cmap("tab20")(i) for i in range(n)]
    return [plt.get_cmap("hsv")(i / n) for i in range(n)]


def draw_latent_map(groups: list[Group], model: Any, max_runs: int = 4) -> Any:
    """The map as a matplotlib figure: all cells coloured by C10 valid, the NB201 optimum and the largest cell
    marked, and the runs' trajectories: one colour per setting (group), one marker shape per seed, archives as
    crosses in their setting's colour. The legend below the axes has one entry per setting; a second one
    explains the symbols."""
    from matplotlib.lines import Line2D

    from e2nas.experiments.mpl import pyplot as _pyplot
    from e2nas.experiments.yardsticks import largest_cell
    from e2nas.spaces.nb201 import GroundTruth

    plt = _pyplot()
    mu = encode_all(model)
    mean, comps, ratio = pca_2d(mu)
    xy = (mu - mean) @ comps.T
    gt = GroundTruth()
    acc = gt.table.column("cifar10_valid")

    drawn = [(g, [run for run in g.runs if any(isinstance(r.get("z"), list) for r in run.log)]) for g in groups]
    drawn = [(g, runs) for g, runs in drawn if runs]
    if not drawn:
        drawn = [(g, [g.runs[0]]) for g in groups if g.runs and g.runs[0].log][:max_runs]
    colours = _colours(len(drawn))
    seeds = sorted({run.results.get("seed") for _, runs in drawn for run in runs}, key=str)
    marker = {s: SEED_MARKERS[i % len(SEED_MARKERS)] for i, s in enumerate(seeds)}

    fig, ax = plt.subplots(figsize=(9, 7.5))
    order = np.argsort(acc)  # good cells on top
    lo = float(np.percentile(acc, 5))
    sc = ax.scatter(
        xy[order, 0],
        xy[order, 1],
        c=acc[order],
        s=3,
        cmap="viridis",
        vmin=lo,
        vmax=float(acc.max()),
        alpha=0.8,
        lw=0,
        rasterized=True,
    )
    fig.colorbar(sc, ax=ax, label=f"NB201 C10-valid accuracy (%), clipped below at the 5th percentile ({lo:.1f})")
    best, big = int(np.argmax(acc)), largest_cell(gt)
    ax.scatter(*xy[best], marker="*", s=300, c="red", edgecolors="k", zorder=8)
    ax.scatter(*xy[big], marker="p", s=220, c="white", edgecolors="k", linewidths=2, zorder=8)

    settings = []
    kinds = set()
    for (g, runs), c in zip(drawn, colours, strict=True):
        for run in runs:
            pts, kind, archive = trajectory(run, mu)
            if len(pts) == 0:
                continue
            kinds.add(kind)
            m = marker[run.results.get("seed")]
            p2 = (pts - mean) @ comps.T
            ax.plot(p2[:, 0], p2[:, 1], "-", marker=m, color=c, ms=3, lw=1.0, alpha=0.85, zorder=5)
            ax.scatter(*p2[0], marker=m, s=55, facecolors="white", edgecolors=[c], linewidths=1.5, zorder=7)
            final = _cell_index(run.results.get("final", {}).get("index"))
            if final is not None:
                ax.scatter(*xy[final], marker=m, s=80, color=c, edgecolors="k", zorder=7)
            if archive:
                a2 = xy[archive]
                ax.scatter(a2[:, 0], a2[:, 1], marker="x", s=20, color=c, lw=0.8, alpha=0.7, zorder=6)
        settings.append(Line2D([], [], color=c, lw=2, label=f"{g.label} (n={len(runs)})"))

    grey = "0.35"
    what = " / ".join({"z": "z per epoch", "cell": "encoded cell per epoch"}[k] for k in sorted(kinds, reverse=True))
    symbols = [
        Line2D([], [], ls="", marker="*", ms=14, mfc="red", mec="k", label=f"NB201 optimum (#{best})"),
        Line2D([], [], ls="", marker="p", ms=12, mfc="white", mec="k", mew=2, label=f"largest cell (#{big})"),
        *(Line2D([], [], ls="", marker=marker[s], ms=7, color=grey, label=f"seed {s}") for s in seeds),
        Line2D([], [], ls="", marker="o", ms=7, mfc="white", mec=grey, label="first epoch"),
        Line2D([], [], ls="", marker="o", ms=8, mfc=grey, mec="k", label="final cell"),
        Line2D([], [], ls="", marker="x", ms=6, color=grey, label="archive (last epoch)"),
    ]
    # both legends below the axes (inside, they hide cells and trajectories): symbols first, then the settings
    ax.add_artist(
        ax.legend(handles=symbols, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, frameon=False)
    )
    ax.set_xlabel(f"PC 1 of D-VAE means ({100 * ratio[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC 2 of D-VAE means ({100 * ratio[1]:.1f}% of variance)")
    ax.set_title(
        f"D-VAE latent space of all {NUM_CELLS:,} NB201 cells (PCA of encoder means, nz={mu.shape[1]})\n"
        f"trajectories ({what or 'none'}): colour = setting, marker = seed"
    )
    ncol = 1 if len(settings) <= 6 else 2 if len(settings) <= 24 else 3
    rows = -(-len(symbols) // 4)
    ax.legend(
        handles=settings,
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1 - 0.035 * rows),
        ncol=ncol,
        frameon=False,
    )
    return fig


def plot_latent_map(groups: list[Group], path: Path, model: Any = None, max_runs: int = 4) -> Path | None:
    """Draw the map (:func:`draw_latent_map`) to ``path``; None (with a printed reason) without the D-VAE."""
    try:
        model = model if model is not None else load_model()
    except LatentMapUnavailableError as err:
        import sys

        print(f"latent map skipped: {err}", file=sys.stderr)
        return None
    from e2nas.experiments.mpl import pyplot as _pyplot

    fig = draw_latent_map(groups, model, max_runs)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    _pyplot().close(fig)
    return path
