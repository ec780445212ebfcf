"""The latent-space map: all 15,625 NB201 cells in a 2-D PCA of their D-VAE means, coloured by ground truth,
with search trajectories drawn on top.

What a run contributes, from its ``log.jsonl`` (whichever is there, per epoch):

- ``z``: the architecture point itself (a list of ``nz`` floats; the E²NAS searcher's state), projected with
  the same PCA. Without it the trajectory is the encoder means of each epoch's cell (``cell_index``), which
  every searcher logs, so the map works for any method;
- ``archive``: the visited-cell archive (a list of NB201 indices or cell strings) of the last line that has
  one, drawn as crosses.

Runs that log ``z`` are drawn; if none does, the first run of each of up to ``max_runs`` groups is drawn.
Needs the D-VAE (:mod:`e2nas.vae`) and its weights; otherwise :func:`plot_latent_map` returns None and says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from e2nas.experiments.report import Group, Run
from e2nas.space.cell import NUM_CELLS, Cell


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
    from e2nas.benchmark import GroundTruth

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


def plot_latent_map(groups: list[Group], path: Path, model: Any = None, max_runs: int = 4) -> Path | None:
    """Draw the map; None (with a printed reason) when the D-VAE is unavailable."""
    try:
        model = model if model is not None else load_model()
    except LatentMapUnavailableError as err:
        import sys

        print(f"latent map skipped: {err}", file=sys.stderr)
        return None
    from e2nas.benchmark import GroundTruth
    from e2nas.experiments.mpl import pyplot as _pyplot

    plt = _pyplot()
    mu = encode_all(model)
    mean, comps, ratio = pca_2d(mu)
    xy = (mu - mean) @ comps.T
    acc = GroundTruth().table.column("cifar10_valid")

    runs = [run for g in groups for run in g.runs if any(isinstance(r.get("z"), list) for r in run.log)]
    if not runs:
        runs = [g.runs[0] for g in groups if g.runs and g.runs[0].log][:max_runs]
    label_of = {id(run): g.label for g in groups for run in g.runs}

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
    best = int(np.argmax(acc))
    ax.scatter(*xy[best], marker="*", s=260, c="red", edgecolors="k", zorder=6, label="NB201 optimum")
    colors = plt.get_cmap("tab10")
    for k, run in enumerate(runs):
        pts, kind, archive = trajectory(run, mu)
        if len(pts) == 0:
            continue
        p2 = (pts - mean) @ comps.T
        c = colors(k % 10)
        seed = run.results.get("seed")
        name = f"{label_of.get(id(run), run.method)} s{seed}: {'z' if kind == 'z' else 'encoded cell'} per epoch"
        ax.plot(p2[:, 0], p2[:, 1], "-o", color=c, ms=3, lw=1.2, zorder=5, label=name)
        ax.scatter(*p2[0], marker="s", s=50, color=c, edgecolors="k", zorder=7)
        final = _cell_index(run.results.get("final", {}).get("index"))
        if final is not None:
            ax.scatter(*xy[final], marker="D", s=70, color=c, edgecolors="k", zorder=7)
        if archive:
            a2 = xy[archive]
            ax.scatter(a2[:, 0], a2[:, 1], marker="x", s=25, color=c, zorder=6, label=f"  archive ({len(archive)})")
    ax.set_xlabel(f"PC 1 of D-VAE means ({100 * ratio[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC 2 of D-VAE means ({100 * ratio[1]:.1f}% of variance)")
    ax.set_title(
        f"D-VAE latent space of all {NUM_CELLS:,} NB201 cells (PCA of encoder means, nz={mu.shape[1]})\n"
        "trajectories: square = first epoch, diamond = final cell"
    )
    # below the axes: inside, it hides the trajectories it labels
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
