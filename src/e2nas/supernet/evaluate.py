"""Inherited-weight evaluation of cells on the supernet: the one measurement that candidate ranking, the Kendall
monitor and ``e2nas rank`` share.

BN uses batch statistics (train mode) as in RSPS/SETN candidate ranking; running statistics and the training
mode are restored afterwards, so an evaluation leaves no trace on the supernet. ``bn="running"`` evaluates with
the running statistics instead (eval mode): statistics averaged over every path the supernet trained, which is
what a user gets from ``supernet.eval()`` and what Ning et al. (2021) compare batch-statistic evaluation with.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

from e2nas.space.cell import Cell
from e2nas.supernet.network import Supernet

Batch = tuple[torch.Tensor, torch.Tensor]

#: how BN normalises during an evaluation: this batch's statistics, or the supernet's running statistics
BN_MODES = ("batch", "running")


def bn_problem(supernet: Supernet, bn: str) -> str | None:
    """What is wrong with scoring ``supernet`` with BN mode ``bn`` (None: nothing); callers add their flag's
    dashes and their error type."""
    if bn not in BN_MODES:
        return f"bn must be one of {', '.join(BN_MODES)}, got {bn!r}"
    if bn == "running" and not getattr(supernet, "track_running_stats", True):
        return "bn running needs BN running statistics, which this supernet does not keep (track_running_stats)"
    return None


@torch.no_grad()
def evaluate_cells(
    supernet: Supernet,
    cells: Sequence[Cell],
    batches: Iterable[Batch],
    criterion: nn.Module | None = None,
    bn: str = "batch",
) -> list[tuple[float, float]]:
    """(mean loss, accuracy %) of each cell over the same ``batches`` (weighted by batch size)."""
    problem = bn_problem(supernet, bn)
    if problem:
        raise ValueError(problem)
    criterion = criterion if criterion is not None else nn.CrossEntropyLoss()
    data = list(batches)
    was_training = supernet.training
    saved = {k: v.clone() for k, v in supernet.named_buffers()}
    supernet.train(bn == "batch")
    out = []
    try:
        for cell in cells:
            loss_sum, correct, count = 0.0, 0, 0
            for x, y in data:
                logits = supernet.forward_cell(x, cell)
                loss_sum += float(criterion(logits, y)) * len(y)
                correct += int((logits.argmax(1) == y).sum())
                count += len(y)
            out.append((loss_sum / max(count, 1), 100.0 * correct / max(count, 1)))
    finally:
        bufs = dict(supernet.named_buffers())
        for k, v in saved.items():
            bufs[k].copy_(v)
        supernet.train(was_training)
    return out
