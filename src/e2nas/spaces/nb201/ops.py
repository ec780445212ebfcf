"""The five NB201 candidate operations (stride 1, C_in == C_out inside a cell)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from e2nas.blocks import ReLUConvBN


class Zero(nn.Module):
    """The ``none`` op: a zero tensor of the input's shape (kept so mixtures stay well-defined)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class AvgPool(nn.AvgPool2d):
    """3x3 average pooling, stride 1, padding 1, not counting the padding (NB201 ``avg_pool_3x3``)."""

    def __init__(self) -> None:
        super().__init__(3, stride=1, padding=1, count_include_pad=False)


OpFactory = Callable[[int, bool, bool], nn.Module]

#: op name -> factory(C, affine, track_running_stats), in NB201 op-index order
OP_FACTORIES: dict[str, OpFactory] = {
    "none": lambda C, affine, track: Zero(),
    "skip_connect": lambda C, affine, track: nn.Identity(),
    "nor_conv_1x1": lambda C, affine, track: ReLUConvBN(C, C, 1, 1, affine, track),
    "nor_conv_3x3": lambda C, affine, track: ReLUConvBN(C, C, 3, 1, affine, track),
    "avg_pool_3x3": lambda C, affine, track: AvgPool(),
}


def make_op(name: str, C: int, affine: bool = True, track_running_stats: bool = True) -> nn.Module:
    try:
        factory = OP_FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; expected one of {', '.join(OP_FACTORIES)}") from None
    return factory(C, affine, track_running_stats)
