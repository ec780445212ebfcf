"""Host-to-device copies that do not stall the host.

A copy from pageable host memory to a GPU makes the host wait for the stream to drain first, which would
turn every small per-step tensor (the six op indices of a cell, six uniforms, a one-hot) into a device sync.
From pinned memory with ``non_blocking`` the copy is queued like a kernel (the caching host allocator keeps the
pinned block alive until the copy has run). On the CPU this is the identity.
"""

from __future__ import annotations

import torch


def to_device(t: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """``t`` on ``device`` without a host sync (pinned + non_blocking for CPU -> CUDA); ``t`` if already there."""
    device = torch.device(device)
    if t.device == device or (device.type == "cuda" and t.device.type == "cuda" and device.index is None):
        return t
    if device.type == "cuda" and t.device.type == "cpu":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)
