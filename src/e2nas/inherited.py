"""Inherited-weight evaluation of architectures on a supernet of any space: the one measurement that candidate
ranking, the Kendall monitor and ``e2nas rank`` share (it only calls :meth:`SupernetLike.forward_cell`).

BN uses batch statistics (train mode) as in RSPS/SETN candidate ranking; running statistics and the training
mode are restored afterwards, so an evaluation leaves no trace on the supernet. ``bn="running"`` evaluates with
the running statistics instead (eval mode): statistics averaged over every path the supernet trained, which is
what a user gets from ``supernet.eval()`` and what Ning et al. (2021) compare batch-statistic evaluation with.
``bn="recal"`` recalibrates BN for each cell before scoring it (as SPOS, Guo et al. 2020, does): the running
statistics are reset and re-estimated (cumulative average) from a few fixed training batches through that cell's
path, then the cell is scored in eval mode. Running statistics averaged over every path the supernet trained can
break single cells outright (docs/results/pretrain), and batch statistics of a small evaluation batch are noisy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from torch import nn

from e2nas.spaces.base import Arch as Cell

#: a :class:`~e2nas.spaces.base.SupernetLike` module of any space (train/eval modes and buffers are nn.Module's)
Supernet = nn.Module

Batch = tuple[torch.Tensor, torch.Tensor]

#: how BN normalises during an evaluation: this batch's statistics, the supernet's running statistics, or
#: statistics re-estimated per cell on calibration batches
BN_MODES = ("batch", "running", "recal")


def bn_problem(supernet: Supernet, bn: str) -> str | None:
    """What is wrong with scoring ``supernet`` with BN mode ``bn`` (None: nothing); callers add their flag's
    dashes and their error type."""
    if bn not in BN_MODES:
        return f"bn must be one of {', '.join(BN_MODES)}, got {bn!r}"
    if bn in ("running", "recal") and not getattr(supernet, "track_running_stats", True):
        return f"bn {bn} needs BN running statistics, which this supernet does not keep (track_running_stats)"
    return None


def _bn_layers(supernet: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in supernet.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


def _recalibrate(supernet: Supernet, cell: Cell, calib: Sequence[Batch]) -> None:
    """Re-estimate every BN layer's running statistics from ``calib`` through ``cell``'s path (cumulative average,
    so every calibration image counts once; layers off the path keep no stale statistics that matter)."""
    layers = _bn_layers(supernet)
    momenta = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None
    supernet.train(True)
    try:
        for x, _ in calib:
            supernet.forward_cell(x, cell)
    finally:
        for m, mom in zip(layers, momenta, strict=True):
            m.momentum = mom
        supernet.train(False)


@torch.no_grad()
def evaluate_cells(
    supernet: Supernet,
    cells: Sequence[Cell],
    batches: Iterable[Batch],
    criterion: nn.Module | None = None,
    bn: str = "batch",
    calib: Iterable[Batch] | None = None,
) -> list[tuple[float, float]]:
    """(mean loss, accuracy %) of each cell over the same ``batches`` (weighted by batch size); ``calib``: the
    training batches BN is recalibrated on per cell when ``bn="recal"``."""
    problem = bn_problem(supernet, bn)
    if problem:
        raise ValueError(problem)
    calib_data = list(calib) if calib is not None else []
    if bn == "recal" and not calib_data:
        raise ValueError("bn recal needs calibration batches (training images) to re-estimate BN statistics on")
    criterion = criterion if criterion is not None else nn.CrossEntropyLoss()
    data = list(batches)
    was_training = supernet.training
    saved = {k: v.clone() for k, v in supernet.named_buffers()}
    supernet.train(bn == "batch")
    out = []
    try:
        for cell in cells:
            if bn == "recal":
                _recalibrate(supernet, cell, calib_data)
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
