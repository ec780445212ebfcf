"""The DARTS candidate operations (Liu et al. 2019), with a stride so reduction cells can halve the input.

``affine`` is False in the search network (as DARTS) and True in the evaluation network.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from e2nas.blocks import ReLUConvBN


class StridedZero(nn.Module):
    """``none``: zeros of the output's shape (spatially subsampled when the edge reduces)."""

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride].mul(0.0) if self.stride > 1 else x.mul(0.0)


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing every other pixel: two stride-2 1x1 convs, the second shifted by one
    pixel, concatenated (DARTS' skip_connect on reducing edges and preprocessing after a reduction)."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even channel count, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine, track_running_stats=track_running_stats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


class DilConv(nn.Sequential):
    """ReLU -> depthwise (dilated) conv -> pointwise conv -> BN."""

    def __init__(
        self, C: int, k: int, stride: int, padding: int, dilation: int, affine: bool, track: bool = True
    ) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(C, C, k, stride=stride, padding=padding, dilation=dilation, groups=C, bias=False),
            nn.Conv2d(C, C, 1, bias=False),
            nn.BatchNorm2d(C, affine=affine, track_running_stats=track),
        )


class SepConv(nn.Sequential):
    """Two depthwise-separable blocks (the first carries the stride), as DARTS' ``sep_conv_kxk``."""

    def __init__(self, C: int, k: int, stride: int, padding: int, affine: bool, track: bool = True) -> None:
        super().__init__(
            DilConv(C, k, stride, padding, 1, affine, track),
            DilConv(C, k, 1, padding, 1, affine, track),
        )


OpFactory = Callable[[int, int, bool, bool], nn.Module]

#: op name -> factory(C, stride, affine, track_running_stats), in DARTS op-index order
DARTS_OP_FACTORIES: dict[str, OpFactory] = {
    "none": lambda C, s, a, t: StridedZero(s),
    "max_pool_3x3": lambda C, s, a, t: nn.MaxPool2d(3, stride=s, padding=1),
    "avg_pool_3x3": lambda C, s, a, t: nn.AvgPool2d(3, stride=s, padding=1, count_include_pad=False),
    "skip_connect": lambda C, s, a, t: nn.Identity() if s == 1 else FactorizedReduce(C, C, a, t),
    "sep_conv_3x3": lambda C, s, a, t: SepConv(C, 3, s, 1, a, t),
    "sep_conv_5x5": lambda C, s, a, t: SepConv(C, 5, s, 2, a, t),
    "dil_conv_3x3": lambda C, s, a, t: DilConv(C, 3, s, 2, 2, a, t),
    "dil_conv_5x5": lambda C, s, a, t: DilConv(C, 5, s, 4, 2, a, t),
}


def make_darts_op(name: str, C: int, stride: int, affine: bool = True, track_running_stats: bool = True) -> nn.Module:
    try:
        factory = DARTS_OP_FACTORIES[name]
    except KeyError:
        raise ValueError(f"unknown DARTS op {name!r}; expected one of {', '.join(DARTS_OP_FACTORIES)}") from None
    return factory(C, stride, affine, track_running_stats)


def preprocess(c_in: int, c_out: int, reduce: bool, affine: bool, track: bool = True) -> nn.Module:
    """What a cell applies to an input state: FactorizedReduce when that state is twice the cell's resolution,
    else ReLU-Conv1x1-BN."""
    if reduce:
        return FactorizedReduce(c_in, c_out, affine, track)
    return ReLUConvBN(c_in, c_out, 1, 1, affine, track)


def cell_layout(layers: int) -> list[bool]:
    """Whether each of ``layers`` cells reduces: at 1/3 and 2/3 of the depth (DARTS)."""
    return [i in (layers // 3, 2 * layers // 3) for i in range(layers)]


def layers_for(N: int) -> int:
    """Cells of a network with ``N`` normal cells per stage: 3N normal + 2 reductions (N=2: 8, N=6: 20)."""
    return 3 * N + 2
