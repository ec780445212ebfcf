"""How well a supernet ranks a space's cells: inherited-weight accuracy of a fixed cell sample against ground truth.

Every weight-sharing comparison is only as good as this ranking (docs/reference/ranking.md), so it is measured
the same way everywhere: ``e2nas rank``, the Kendall monitor and the τ in ``results.json``. The sample is
stratified: the space's ranking pool (:meth:`~e2nas.spaces.SearchSpace.ranking_pool`; NB201's connected cells, one
per isomorphism class) is cut into ``K`` quantile strata of its ground-truth accuracy and one cell is drawn from
each (seeded), which keeps the accuracy spread of a uniform sample with less sampling noise. Any space with ground
truth and a ranking pool can be ranked; the default is NB201. Intervals are percentile bootstraps over the cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from e2nas.rundir import RANKING
from e2nas.spaces import DEFAULT_SPACE, Arch, GroundTruthLike, SearchSpace, SpaceError, get_space

#: the metric supernet accuracy is ranked against on NB201 (cifar10-valid: the same split a search validates on);
#: every space ranks against its own ``judge_metric`` unless a caller names another
RANK_METRIC = "cifar10_valid"
#: per-cell ranking of a run's final supernet, next to its results.json
RANKING_FILE = RANKING  # the run directory's file (e2nas.rundir)
#: the yardsticks read free from a space's ground truth (each space maps them to its metrics:
#: ``SearchSpace.table_yardsticks``)
TABLE_YARDSTICKS = ("params", "flops", "acc12")
#: every yardstick ``e2nas rank --yardsticks`` takes, in print order (synflow/nwot: e2nas.ranking.proxies)
YARDSTICKS = ("params", "flops", "acc12", "synflow", "nwot")


class RankError(ValueError):
    """Bad ranking request (user error)."""


def _judged(space: SearchSpace | str) -> tuple[SearchSpace, GroundTruthLike]:
    """The space (by name or instance) and its ground truth; :class:`RankError` when it has none, so the CLI
    says so instead of ranking against another space's benchmark."""
    s = get_space(space) if isinstance(space, str) else space
    gt = s.ground_truth()
    if gt is None:
        raise RankError(f"the {s.name} space has no ground truth, so there is nothing to rank supernets against")
    return s, gt


def conv_count(cell: Arch, space: SearchSpace | str = DEFAULT_SPACE) -> int:
    """The conv ops of ``cell`` (what under-trained supernets penalise; τ against their count diagnoses it)."""
    return (get_space(space) if isinstance(space, str) else space).conv_count(cell)


def sample_cells(
    k: int, seed: int = 0, metric: str | None = None, space: SearchSpace | str = DEFAULT_SPACE
) -> list[Arch]:
    """``k`` cells of the space's ranking pool, one per ground-truth quantile stratum (seeded); ties in ground
    truth go to the cell earlier in the pool. ``metric``: None = the space's ``judge_metric``."""
    s, gt = _judged(space)
    metric = metric or s.judge_metric
    try:
        pool = s.ranking_pool()
    except SpaceError as err:
        raise RankError(str(err)) from None
    acc = [gt.value(a, metric) for a in pool]
    if not 2 <= k <= len(pool):
        raise RankError(f"--cells must be between 2 and {len(pool)} ({s.ranking_pool_note}), got {k}")
    order = sorted(range(len(pool)), key=lambda j: (acc[j], j))
    bounds = np.linspace(0, len(order), k + 1).round().astype(int)
    rng = np.random.default_rng(seed)
    return [pool[order[rng.integers(lo, hi)]] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def _kendall(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import kendalltau

    if np.ptp(a) == 0 or np.ptp(b) == 0:  # constant input: no ranking at all
        return 0.0
    t = kendalltau(a, b).statistic
    return float(t) if np.isfinite(t) else 0.0


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    r = spearmanr(a, b).statistic
    return float(r) if np.isfinite(r) else 0.0


def _order(acc: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """Supernet ranking, best first: higher accuracy, ties to the lower loss, then to the earlier cell."""
    return np.lexsort((np.arange(len(acc)), loss, -acc))


def top_precision(acc: np.ndarray, loss: np.ndarray, gt: np.ndarray, frac: float = 0.1) -> float:
    """Share of the supernet's top ``frac`` cells that are among the ground truth's top ``frac`` (of the sample)."""
    m = max(1, math.ceil(frac * len(gt)))
    ours = set(_order(acc, loss)[:m].tolist())
    theirs = set(np.lexsort((np.arange(len(gt)), -gt))[:m].tolist())
    return len(ours & theirs) / m


def _kendall_rows(a: np.ndarray, b: np.ndarray, chunk: int = 64) -> np.ndarray:
    """Kendall τ-b of every row pair (a[r], b[r]) of (B, n) arrays: Σ sign(Δa)·sign(Δb) over pairs, divided by
    sqrt(pairs untied in a · pairs untied in b), i.e. (P − Q) / sqrt((P + Q + T_b)(P + Q + T_a)) as scipy's τ-b;
    0 where a row is constant. Vectorised (chunks of rows) because the bootstrap needs a thousand of them."""
    out = np.empty(len(a))
    for lo in range(0, len(a), chunk):
        x, y = a[lo : lo + chunk], b[lo : lo + chunk]
        sx = np.sign(x[:, :, None] - x[:, None, :])
        sy = np.sign(y[:, :, None] - y[:, None, :])
        num = (sx * sy).sum((1, 2))
        den = np.sqrt((sx * sx).sum((1, 2)) * (sy * sy).sum((1, 2)))
        out[lo : lo + chunk] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out


def _spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman ρ of every row pair: Pearson correlation of average ranks (ties share their mean rank)."""
    from scipy.stats import rankdata

    ra = rankdata(a, axis=1) - (a.shape[1] + 1) / 2
    rb = rankdata(b, axis=1) - (b.shape[1] + 1) / 2
    den = np.sqrt((ra * ra).sum(1) * (rb * rb).sum(1))
    num = (ra * rb).sum(1)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def batch_metrics(acc: np.ndarray, loss: np.ndarray, gt: np.ndarray, convs: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`point_metrics` of every row of (B, n) arrays (bootstrap resamples)."""
    B, n = acc.shape
    pos = np.broadcast_to(np.arange(n), (B, n))
    ours = np.lexsort((pos, loss, -acc), axis=-1)
    theirs = np.lexsort((pos, -gt), axis=-1)
    m = max(1, math.ceil(0.1 * n))
    rows = np.arange(B)[:, None]
    # precision on resampled rows compares positions, so a cell drawn twice counts as two members
    top_o, top_t = np.sort(ours[:, :m], 1), theirs[:, :m]
    hits = (top_o[:, :, None] == top_t[:, None, :]).any(2).sum(1)
    return {
        "kendall_tau": _kendall_rows(acc, gt),
        "spearman": _spearman_rows(acc, gt),
        "top10_precision": hits / m,
        "top1_gt": gt[rows[:, 0], ours[:, 0]],
        "top5_gt": gt[rows, ours[:, :5]].mean(1),
        "tau_conv_ops": _kendall_rows(acc, convs),
        "kendall_tau_loss": _kendall_rows(-loss, gt),
    }


def point_metrics(acc: np.ndarray, loss: np.ndarray, gt: np.ndarray, convs: np.ndarray) -> dict[str, float]:
    order = _order(acc, loss)
    return {
        "kendall_tau": _kendall(acc, gt),
        "spearman": _spearman(acc, gt),
        "top10_precision": top_precision(acc, loss, gt),
        "top1_gt": float(gt[order[0]]),
        "top5_gt": float(gt[order[:5]].mean()),
        "tau_conv_ops": _kendall(acc, convs),
        "kendall_tau_loss": _kendall(-loss, gt),
    }


@dataclass
class Ranking:
    """The result of ranking one supernet: point estimates, bootstrap 95 % intervals and the per-cell data."""

    kendall_tau: float
    spearman: float
    top10_precision: float
    top1_gt: float
    top5_gt: float
    tau_conv_ops: float
    kendall_tau_loss: float  # the same τ with cells ranked by inherited loss instead of accuracy
    intervals: dict[str, tuple[float, float]]
    cells: int
    images: int
    seed: int
    metric: str
    mean_inherited_acc: float
    eval_time_s: float
    per_cell: list[dict[str, Any]] = field(default_factory=list)
    bn: str = "batch"  # BN statistics of the evaluation (e2nas.inherited.BN_MODES)
    #: the same cells ranked by each yardstick: name -> {kendall_tau, spearman, top10_precision, intervals,
    #: seconds_per_cell, source} (empty in rankings written before issue 21)
    yardsticks: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: supernet τ − params τ with its paired bootstrap interval: {difference, interval, beats} (None without params)
    vs_params: dict[str, Any] | None = None

    @property
    def backwards(self) -> bool:
        return self.kendall_tau < 0

    @property
    def params_tau(self) -> float | None:
        """Kendall τ of the parameter count on the same cells (None when it was not ranked)."""
        p = self.yardsticks.get("params")
        return None if p is None else p["kendall_tau"]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["intervals"] = {k: list(v) for k, v in self.intervals.items()}
        d["ranks_backwards"] = self.backwards
        d["params_tau"] = self.params_tau
        return d

    def summary(self) -> dict[str, Any]:
        """What results.json and reports carry (no per-cell list)."""
        d = self.to_dict()
        d.pop("per_cell")
        return d


def rank_scores(
    cells: list[Arch],
    scores: list[tuple[float, float]],
    *,
    images: int,
    seed: int,
    eval_time_s: float = 0.0,
    metric: str | None = None,
    bootstrap: int = 1000,
    bn: str = "batch",
    yardsticks: dict[str, tuple[list[float], float, str]] | None = None,
    space: SearchSpace | str = DEFAULT_SPACE,
) -> Ranking:
    """Metrics of inherited-weight ``scores`` ((loss, acc %) per cell of ``space``) against its ground truth
    ``metric``, and of each yardstick's ``(scores, seconds per cell, source)`` on the same cells with the same
    bootstrap resamples."""
    sp, judge = _judged(space)
    metric = metric or sp.judge_metric
    loss = np.array([s[0] for s in scores], dtype=np.float64)
    acc = np.array([s[1] for s in scores], dtype=np.float64)
    gt = np.array([judge.value(c, metric) for c in cells], dtype=np.float64)
    convs = np.array([sp.conv_count(c) for c in cells], dtype=np.float64)
    point = point_metrics(acc, loss, gt, convs)
    rng = np.random.default_rng(seed + 104729)
    n = len(cells)
    idx = rng.integers(0, n, (bootstrap, n))
    draws = batch_metrics(acc[idx], loss[idx], gt[idx], convs[idx]) if bootstrap > 0 else {}
    intervals = {
        k: (float(np.percentile(draws[k], 2.5)), float(np.percentile(draws[k], 97.5))) if draws else (v, v)
        for k, v in point.items()
    }
    ys, vs_params = _yardstick_metrics(yardsticks or {}, gt, idx if bootstrap > 0 else None, point, draws)
    per_cell = [
        {
            **sp.describe(c),  # NB201: its index
            "cell": sp.format(c),
            "inherited_acc": float(a),
            "inherited_loss": float(lo),
            "ground_truth": float(g),
            "conv_ops": int(k),
            **({"yardsticks": {name: float(v[0][i]) for name, v in (yardsticks or {}).items()}} if yardsticks else {}),
        }
        for i, (c, a, lo, g, k) in enumerate(zip(cells, acc, loss, gt, convs, strict=True))
    ]
    return Ranking(
        **point,
        intervals=intervals,
        cells=n,
        images=images,
        seed=seed,
        metric=metric,
        mean_inherited_acc=float(acc.mean()),
        eval_time_s=eval_time_s,
        per_cell=per_cell,
        bn=bn,
        yardsticks=ys,
        vs_params=vs_params,
    )


def _interval(x: np.ndarray) -> list[float]:
    return [float(np.percentile(x, 2.5)), float(np.percentile(x, 97.5))]


def _yardstick_metrics(
    yardsticks: dict[str, tuple[list[float], float, str]],
    gt: np.ndarray,
    idx: np.ndarray | None,
    point: dict[str, float],
    draws: dict[str, np.ndarray],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """τ, ρ and top-10 % precision of each yardstick (higher score = better cell; ties to the earlier cell) with
    intervals from the supernet's own resamples ``idx``, and the paired difference supernet τ − params τ."""
    out: dict[str, dict[str, Any]] = {}
    tau_draws: dict[str, np.ndarray] = {}
    for name, (scores, per_cell_s, source) in yardsticks.items():
        s = np.asarray(scores, dtype=np.float64)
        zero = np.zeros_like(s)
        d: dict[str, Any] = {
            "kendall_tau": _kendall(s, gt),
            "spearman": _spearman(s, gt),
            "top10_precision": top_precision(s, zero, gt),
            "seconds_per_cell": float(per_cell_s),
            "source": source,
        }
        if idx is not None:
            tau_draws[name] = _kendall_rows(s[idx], gt[idx])
            precision = batch_metrics(s[idx], zero[idx], gt[idx], zero[idx])["top10_precision"]
            d["intervals"] = {
                "kendall_tau": _interval(tau_draws[name]),
                "spearman": _interval(_spearman_rows(s[idx], gt[idx])),
                "top10_precision": _interval(precision),
            }
        else:
            d["intervals"] = {k: [d[k], d[k]] for k in ("kendall_tau", "spearman", "top10_precision")}
        out[name] = d
    if "params" not in out:
        return out, None
    diff = point["kendall_tau"] - out["params"]["kendall_tau"]
    iv = _interval(draws["kendall_tau"] - tau_draws["params"]) if idx is not None else [diff, diff]
    return out, {"difference": diff, "interval": iv, "beats": iv[0] > 0}


def beats_params_line(r: Ranking) -> str | None:
    """The one line that says whether the supernet ranks better than counting parameters (None: not ranked)."""
    v = r.vs_params
    if v is None:
        return None
    lo, hi = v["interval"]
    verdict = "beats counting parameters" if v["beats"] else "does not beat counting parameters"
    return (
        f"supernet tau - params tau = {v['difference']:+.2f} [{lo:+.2f}, {hi:+.2f}] "
        f"(paired bootstrap over cells): {verdict}"
    )


def read_ranking(path: Any) -> Ranking:
    """A :class:`Ranking` from its JSON (``ranking.json``); plain JSON, so reading it runs no code."""
    import json

    d = json.loads(Path(path).read_text())
    d.pop("ranks_backwards", None)
    d.pop("params_tau", None)  # derived from yardsticks
    if "kendall_tau_loss" not in d:  # written before the loss ranking was recorded
        cells = d["per_cell"]
        d["kendall_tau_loss"] = _kendall(
            -np.array([c["inherited_loss"] for c in cells]), np.array([c["ground_truth"] for c in cells])
        )
        d["intervals"].setdefault("kendall_tau_loss", [math.nan, math.nan])
    d["intervals"] = {k: (float(v[0]), float(v[1])) for k, v in d["intervals"].items()}
    return Ranking(**d)


def format_ranking(r: Ranking) -> list[str]:
    """Human-readable lines (the ``e2nas rank`` output)."""

    def iv(k: str, fmt: str = "{:+.3f}") -> str:
        lo, hi = r.intervals[k]
        return f"{fmt.format(getattr(r, k))}  [{fmt.format(lo)}, {fmt.format(hi)}]"

    lines = [
        f"{r.cells} cells (stratified, seed {r.seed}) x {r.images} valid images, BN {r.bn} statistics, "
        f"ground truth {r.metric}; "
        f"mean inherited accuracy {r.mean_inherited_acc:.1f} %; {r.eval_time_s:.1f} s",
        f"Kendall tau        {iv('kendall_tau')}",
        f"Spearman rho       {iv('spearman')}",
        f"top-10% precision  {iv('top10_precision', '{:.2f}')}",
        f"GT of top-1 cell   {iv('top1_gt', '{:.2f}')}",
        f"GT of top-5 cells  {iv('top5_gt', '{:.2f}')}",
        f"tau vs #conv ops   {iv('tau_conv_ops')}  (ground truth itself: about +0.6)",
        f"tau by loss        {iv('kendall_tau_loss')}  (cells ranked by inherited loss instead of accuracy)",
    ]
    if r.backwards:
        lines.append("WARNING: this supernet ranks backwards (tau < 0): comparisons made on it are not evidence")
    if r.yardsticks:
        lines += format_yardsticks(r)
    return lines


def format_yardsticks(r: Ranking) -> list[str]:
    """The yardstick table beside the supernet's row, and the "beats counting parameters" line."""

    def cell(v: float, iv: Any, fmt: str) -> str:
        return f"{fmt.format(v)} [{fmt.format(iv[0])}, {fmt.format(iv[1])}]"

    head = f"{'ranking by':<18}{'Kendall tau':<26}{'Spearman rho':<26}{'top-10% precision':<24}s/cell"
    rows = [("supernet", r.kendall_tau, r.spearman, r.top10_precision, r.intervals, r.eval_time_s / max(r.cells, 1))]
    rows += [
        (f"{name} ({y['source']})", y["kendall_tau"], y["spearman"], y["top10_precision"], y["intervals"],
         y["seconds_per_cell"])
        for name, y in r.yardsticks.items()
    ]  # fmt: skip
    lines = ["yardsticks on the same cells (nothing trained on them):", head]
    for label, tau, rho, top, ivs, per in rows:
        lines.append(
            f"{label:<18}{cell(tau, ivs['kendall_tau'], '{:+.3f}'):<26}{cell(rho, ivs['spearman'], '{:+.3f}'):<26}"
            f"{cell(top, ivs['top10_precision'], '{:.2f}'):<24}{per:.3f}"
        )
    line = beats_params_line(r)
    if line:
        lines.append(line)
    return lines


def rank_supernet(
    supernet: Any,
    valid_loader: Any,
    cells: int = 100,
    images: int | None = None,
    seed: int = 0,
    metric: str | None = None,
    bootstrap: int = 1000,
    bn: str = "batch",
    calib: Any = None,
    yardsticks: Callable[[list[Arch]], dict[str, tuple[list[float], float, str]]] | None = None,
    space: SearchSpace | str = DEFAULT_SPACE,
) -> Ranking:
    """Rank ``cells`` stratified cells (seed ``seed``) on the first ``images`` images of ``valid_loader`` (a
    :class:`~e2nas.data.DeviceLoader`; None = all of it) with the supernet's inherited weights; ``bn``: BN
    statistics of the evaluation (this batch's, the supernet's running ones, or recalibrated per cell on the
    training batches ``calib``). ``yardsticks(cells)`` scores the same cells by the yardsticks
    (:func:`e2nas.ranking.yardsticks.yardstick_scores`). ``space``: the supernet's search space."""
    import time

    from e2nas.inherited import bn_problem, evaluate_cells

    problem = bn_problem(supernet, bn)
    if problem:
        raise RankError(f"--{problem}; score with --bn batch" if bn != "batch" else f"--{problem}")
    if bn == "recal" and not calib:
        raise RankError("--bn recal needs training batches to recalibrate BN on; this caller gave none")
    total = len(valid_loader.y)
    n = total if images is None else images
    if not 1 <= n <= total:
        raise RankError(f"--images must be between 1 and the run's {total} valid images, got {n}")
    sample = sample_cells(cells, seed, metric, space)
    t0 = time.perf_counter()
    scores = evaluate_cells(supernet, sample, list(valid_loader.images(n)), bn=bn, calib=calib)
    elapsed = time.perf_counter() - t0
    return rank_scores(
        sample,
        scores,
        images=n,
        seed=seed,
        eval_time_s=elapsed,
        metric=metric,
        bootstrap=bootstrap,
        bn=bn,
        yardsticks=yardsticks(sample) if yardsticks else None,
        space=space,
    )
