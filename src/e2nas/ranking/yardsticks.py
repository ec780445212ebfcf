"""Yardsticks: the trivial rankings a supernet's ranking must beat, scored on the same cells (issue 21).

Table yardsticks are NB201 columns (free): ``params`` (parameter count), ``flops``, ``acc12`` (NB201's own
12-epoch training). Proxy yardsticks (``synflow``, ``nwot``: :mod:`e2nas.ranking.proxies`) are computed on each
cell's discrete network at random initialisation at the run's scale (its C, N, classes, images) and cost
seconds. A higher score means a better cell for every yardstick.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from e2nas.ranking.core import TABLE_YARDSTICKS, YARDSTICKS, RankError, _interval, _kendall, _kendall_rows
from e2nas.ranking.proxies import NWOT_BATCH, PROXIES, finite, proxy_scores
from e2nas.spaces import DEFAULT_SPACE


def parse_yardsticks(text: str | None) -> tuple[str, ...]:
    """``params,flops,...`` -> names in the given order; ``all`` -> every one, ``none`` or empty -> none."""
    if text is None or text.strip().lower() == "all":
        return YARDSTICKS
    if text.strip().lower() in ("", "none"):
        return ()
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    for n in names:
        if n not in YARDSTICKS:
            raise RankError(f"unknown yardstick {n!r}; choose from {', '.join(YARDSTICKS)} (or all, none)")
    return tuple(dict.fromkeys(names))


#: yardsticks that are the benchmark's own training on CIFAR-10 (meaningless on another dataset); params and
#: FLOPs are table columns too, but they order cells the same way for any dataset (the head is the same for all)
GROUND_TRUTH_YARDSTICKS = ("acc12",)


def needs_benchmark(name: str) -> bool:
    """True for the yardsticks that only mean something on the benchmark's own data (NB201's CIFAR-10)."""
    return name in GROUND_TRUTH_YARDSTICKS


def yardstick_scores(
    names: Sequence[str],
    cells: Sequence[Any],
    *,
    network: Callable[[Any], nn.Module] | None = None,
    images: torch.Tensor | None = None,
    seed: int = 0,
    space_name: str = DEFAULT_SPACE,
) -> dict[str, tuple[list[float], float, str]]:
    """name -> (score per cell, seconds per cell, source) for every yardstick in ``names``.

    ``network(cell)`` builds a cell's untrained network at the run's scale and ``images`` is the NWOT batch (its
    shape is synflow's input); the proxies need both. ``space_name`` only words the errors."""
    out: dict[str, tuple[list[float], float, str]] = {}
    for name in names:
        if name in TABLE_YARDSTICKS:
            from e2nas.spaces import get_space

            space = get_space(space_name)
            table = space.ground_truth()
            if table is None:
                raise RankError(f"yardstick {name!r} is read from a benchmark table; the {space_name} space has none")
            column = space.table_yardsticks.get(name)
            if column is None:
                raise RankError(
                    f"yardstick {name!r} is not in the {space_name} space's benchmark table (it has "
                    f"{', '.join(space.table_yardsticks) or 'no yardstick columns'}); leave it out of --yardsticks"
                )
            out[name] = ([table.value(c, column) for c in cells], 0.0, "table")
        elif name in PROXIES:
            if network is None or images is None:
                raise RankError(f"yardstick {name!r} needs a network and images to score; none were given")
            try:
                network(cells[0])
            except NotImplementedError:
                raise RankError(
                    f"yardstick {name!r} scores a cell's network at random initialisation, and the {space_name} "
                    "space has no discrete network; leave it out of --yardsticks"
                ) from None
            batch = images[:NWOT_BATCH]
            scores, per = proxy_scores(name, cells, network, batch, seed)
            out[name] = (finite(scores), per, "proxy")
        else:
            raise RankError(f"unknown yardstick {name!r}; choose from {', '.join(YARDSTICKS)}")
    return out


def first_images(valid_loader: Any, n: int = NWOT_BATCH) -> torch.Tensor:
    """The first ``n`` valid images of a :class:`~e2nas.data.DeviceLoader`, normalised and unaugmented."""
    xs, have = [], 0
    for x, _ in valid_loader.images(n):
        xs.append(x)
        have += len(x)
        if have >= n:
            break
    return torch.cat(xs)[:n]


def agreement_with_supernet(
    acc: np.ndarray, scores: dict[str, tuple[list[float], float, str]], seed: int, bootstrap: int = 1000
) -> dict[str, dict[str, Any]]:
    """Without ground truth: Kendall τ between the supernet's inherited accuracy ``acc`` and each yardstick's
    scores on the same cells, with a 95 % percentile bootstrap interval over the cells."""
    idx = np.random.default_rng(seed + 104729).integers(0, len(acc), (bootstrap, len(acc)))
    out = {}
    for name, (sc, per, source) in scores.items():
        v = np.asarray(sc, dtype=np.float64)
        out[name] = {
            "tau_vs_supernet": _kendall(acc, v),
            "interval": _interval(_kendall_rows(acc[idx], v[idx])),
            "seconds_per_cell": per,
            "source": source,
        }
    return out
