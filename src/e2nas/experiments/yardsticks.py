"""Yardsticks for NB201 search results: what answers that need no search score on the same columns.

A searched cell means little until it is set beside the trivial answers, and on NB201 those are strong:

- **the largest cell**: the cell with the most parameters (``params_cifar10_M``; docs/reference/nb201.md names
  it), i.e. counting parameters instead of searching;
- **the median cell**: per column, the median over all 15,625 cells, i.e. what a cell drawn at random scores
  (disconnected cells included, since a uniform draw and a search can both end on one);
- **the random-k oracle**: the best of k uniformly drawn cells by ground-truth C10 valid, scored on each column.
  "Best seen during search" is such an oracle pick among the cells a run saw, so its yardstick is the same pick
  among as many random cells. Its expectation is exact (no sampling): see :func:`expected_random_oracle`.

Per run, :func:`visited_cells` collects every cell the run logged as visited and :func:`largest_visited` picks the
one with the most parameters: if the search's own final cell is worse than that, the supernet added nothing over
counting parameters for that run.

Everything comes from the shipped ground-truth table (:class:`e2nas.spaces.nb201.GroundTruth`); nothing is
hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from e2nas.spaces.nb201 import NUM_CELLS, Cell, GroundTruth, NB201Space

#: the space whose table these yardsticks read (runs of any other space have none)
SPACE = NB201Space.name

#: the table column the params pick counts (parameters of the CIFAR-10 network, millions)
PARAMS = "params_M"
#: the column every oracle pick (best seen, random-k oracle) is made by
ORACLE_BY = "cifar10_valid"
#: log fields that name one cell the run visited (an NB201 index or a cell string)
CELL_FIELDS = ("cell_index", "cell", "step_cell", "decoded_cell")
#: log fields that hold a list of visited cells (E²NAS's novelty archive)
CELL_LIST_FIELDS = ("archive",)


def _index(value: Any) -> int | None:
    """An NB201 index from a logged index or cell string; None for anything else (another space, garbage)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        i = Cell.parse(value).index if isinstance(value, str) else int(value)
    except Exception:  # noqa: BLE001 - a field this reader does not understand is not a visited NB201 cell
        return None
    return i if 0 <= i < NUM_CELLS else None


def largest_cell(gt: GroundTruth | None = None) -> int:
    """NB201 index of the cell with the most parameters (the first on ties)."""
    gt = gt or GroundTruth()
    return int(np.argmax(gt.table.column(PARAMS)))


def median_cell(columns: Sequence[str], gt: GroundTruth | None = None) -> dict[str, float]:
    """Per column, the median over all 15,625 cells."""
    gt = gt or GroundTruth()
    return {c: float(np.median(gt.table.column(c))) for c in columns}


def oracle_probabilities(k: int, by: str = ORACLE_BY, gt: GroundTruth | None = None) -> np.ndarray:
    """P(cell i is the oracle pick by ``by`` among ``k`` cells drawn uniformly with replacement), per NB201 index.

    With the cells sorted by ``by``, the pick lies among the first r cells with probability (r / N)^k; a group of
    cells tied on ``by`` shares its mass equally (the pick among tied draws is a coin toss)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    gt = gt or GroundTruth()
    v = gt.table.column(by)
    n = len(v)
    values, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    upto = np.cumsum(counts) / n  # share of cells at or below each distinct value
    below = np.concatenate([[0.0], upto[:-1]])
    mass = upto**k - below**k  # P(the best draw has this value)
    return mass[inverse] / counts[inverse]


def expected_random_oracle(
    k: int, columns: Sequence[str], by: str = ORACLE_BY, gt: GroundTruth | None = None
) -> dict[str, dict[str, float]]:
    """Per column: mean and std of the column's value of the oracle pick among ``k`` random cells (exact)."""
    gt = gt or GroundTruth()
    p = oracle_probabilities(k, by, gt)
    out = {}
    for c in columns:
        x = gt.table.column(c)
        mean = float(p @ x)
        out[c] = {"mean": mean, "std": float(np.sqrt(max(p @ (x - mean) ** 2, 0.0)))}
    return out


def sample_random_oracle(
    ks: Sequence[int],
    column: str,
    draws: int = 20_000,
    seed: int | np.random.Generator = 0,
    by: str = ORACLE_BY,
) -> np.ndarray:
    """Monte Carlo of a group of runs: per draw, the mean over runs of ``column`` of the oracle pick (by ``by``)
    among ``ks[i]`` uniform random cells for run i. For P(random ≥ observed) of a group's mean; ``seed`` may be
    a generator shared between calls."""
    gt = GroundTruth()
    by_col, col = gt.table.column(by), gt.table.column(column)
    rng = np.random.default_rng(seed)
    per_run = []
    for k in ks:
        idx = rng.integers(0, len(by_col), (draws, k))
        per_run.append(col[idx[np.arange(draws), by_col[idx].argmax(1)]])
    return np.mean(per_run, axis=0)


def seen_cells(log: Iterable[dict[str, Any]], results: dict[str, Any]) -> set[int]:
    """The cells "best seen during search" picks from: every epoch's cell and the final one."""
    out = {i for r in log if (i := _index(r.get("cell_index", r.get("cell")))) is not None}
    final = _index((results.get("final") or {}).get("index"))
    return out | ({final} if final is not None else set())


def visited_cells(log: Iterable[dict[str, Any]], results: dict[str, Any]) -> set[int]:
    """Every NB201 cell a run logged as visited: each epoch's cell (``cell_index``/``cell``), E²NAS's
    ``step_cell``, ``decoded_cell`` and novelty ``archive``, and results.json's final and best cell. Cells a
    searcher scores without logging them (RandomNAS's final candidates) are not in it."""
    out: set[int] = set()
    for r in log:
        for f in CELL_FIELDS:
            if (i := _index(r.get(f))) is not None:
                out.add(i)
        for f in CELL_LIST_FIELDS:
            if isinstance(r.get(f), list):
                out.update(i for i in map(_index, r[f]) if i is not None)
    for key in ("final", "best"):
        if (i := _index((results.get(key) or {}).get("index"))) is not None:
            out.add(i)
    return out


def largest_visited(cells: Iterable[int], gt: GroundTruth | None = None) -> int | None:
    """The params pick among ``cells``: most parameters, the lowest NB201 index on ties (cells with the same
    op counts have the same parameters, so counting cannot tell them apart); None for no cells."""
    cells = sorted(set(cells))
    if not cells:
        return None
    gt = gt or GroundTruth()
    params = gt.table.column(PARAMS)[cells]
    return int(cells[int(np.argmax(params))])


def yardstick_rows(columns: Sequence[str], k: int | None, gt: GroundTruth | None = None) -> list[dict[str, Any]]:
    """The three yardsticks scored on ``columns``, each ``{"name", "label", "values": {column: value}, ...}``;
    the random-k oracle only with ``k`` (the number of cells the table's runs saw, typically)."""
    gt = gt or GroundTruth()
    big = largest_cell(gt)
    params = float(gt.table.column(PARAMS)[big])
    rows = [
        {
            "name": "largest_cell",
            "label": f"largest cell (#{big}, {params:.2f} M params)",
            "index": big,
            "cell": gt.table.arch_str[big],
            "values": {c: float(gt.table.column(c)[big]) for c in columns},
        },
        {
            "name": "median_cell",
            "label": f"median cell (all {NUM_CELLS:,})",
            "values": median_cell(columns, gt),
        },
    ]
    if k:
        orc = expected_random_oracle(k, columns, gt=gt)
        rows.append(
            {
                "name": "random_oracle",
                "label": f"random-k oracle (k = {k})",
                "k": k,
                "values": {c: orc[c]["mean"] for c in columns},
                "std": {c: orc[c]["std"] for c in columns},
            }
        )
    return rows


NOTE = (
    "Yardsticks (no search; NB201 ground truth): the largest cell is the one with the most parameters "
    "(`params_cifar10_M`); the median cell is, per column, the median over all 15,625 cells (disconnected ones "
    "included: what a uniformly drawn cell scores); the random-k oracle is the expected value (exact, not sampled) "
    'of the best of k uniformly drawn cells picked by C10 valid, the same oracle pick that "best seen during '
    "search\" makes, with k the median number of distinct cells the table's runs saw (each epoch's cell and the "
    "final one)."
)
VISITED_NOTE = (
    "Largest visited: the params pick (most `params_cifar10_M`, lowest index on ties) among the cells each run "
    "logged as visited (each epoch's cell; E²NAS also its step, decoded and novelty-archive cells; the final and "
    "best cell), mean ± std over runs. Where a search's final cell is worse than this, its supernet added nothing "
    "over counting parameters for that run."
)
NO_GROUND_TRUTH_NOTE = (
    "No yardstick rows: some runs are not on NB201 (space {spaces}), and only NB201 has a ground-truth table "
    "to score the largest cell, the median cell and the random-k oracle on."
)
