"""The stride-2 ResNet basic block that joins the three NB201 stages."""

from __future__ import annotations

import torch
from torch import nn

from e2nas.spaces.nb201.ops import ReLUConvBN


class ResNetBasicBlock(nn.Module):
    """Two ReLU-Conv3x3-BN (the first with stride 2) plus an AvgPool(2)+Conv1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 2) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=stride)
        self.conv_b = ReLUConvBN(c_out, c_out, 3, stride=1)
        if stride == 2:
            self.shortcut: nn.Module = nn.Sequential(
                nn.AvgPool2d(kernel_size=2, stride=2), nn.Conv2d(c_in, c_out, 1, bias=False)
            )
        elif c_in != c_out:
            self.shortcut = ReLUConvBN(c_in, c_out, 1)
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)
