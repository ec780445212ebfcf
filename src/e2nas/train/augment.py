"""Cutout (DeVries & Taylor 2017) on a batch already on the device: one square per image set to zero after
normalisation, centred anywhere in the image and clipped at its border, as DARTS trains."""

from __future__ import annotations

import torch


def cutout(x: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """``x`` (B, C, H, W) with a ``size`` x ``size`` square per image zeroed; ``size`` 0 returns ``x``."""
    if size <= 0:
        return x
    B, _, H, W = x.shape
    cy = torch.randint(0, H, (B, 1, 1), generator=generator, device=generator.device).to(x.device)
    cx = torch.randint(0, W, (B, 1, 1), generator=generator, device=generator.device).to(x.device)
    rows = torch.arange(H, device=x.device).view(1, H, 1)
    cols = torch.arange(W, device=x.device).view(1, 1, W)
    half = size // 2
    inside = (rows >= cy - half) & (rows < cy - half + size) & (cols >= cx - half) & (cols < cx - half + size)
    return x * (~inside).unsqueeze(1).to(x.dtype)
