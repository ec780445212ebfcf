"""Where the runs of a sweep execute: GPU shares per run, device slots for local workers, Ray task options.

A run asks for ``gpu_per_run`` of one GPU (0.25: four searches share a GPU; the kernels of a C=16, batch-64
search leave most of a large GPU idle). Locally each run process gets one GPU through ``CUDA_VISIBLE_DEVICES``
(so it sees it as ``cuda:0``) and a GPU never holds more runs than ``floor(1 / gpu_per_run)``. Under Ray the
share becomes the task's ``num_gpus`` and Ray does the same bookkeeping per node. The share is a scheduling
unit, as in Ray, not a memory limit.
"""

from __future__ import annotations

import math
import os
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class PlacementError(ValueError):
    """Impossible GPU settings (user error: one line, exit 2)."""


@dataclass(frozen=True)
class GpuPlan:
    """The GPUs a sweep may use and each run's share of one."""

    devices: tuple[str, ...] = ()  # CUDA_VISIBLE_DEVICES names of the usable GPUs ("0", "1", or UUIDs)
    per_run: float = 1.0  # share of one GPU per run, in (0, 1]
    run_device: str = "cuda"  # the device a placed run searches on (tests place CPU runs on mocked GPUs)
    cluster: bool = False  # the GPUs are an existing Ray cluster's: Ray counts them per node, we pass the share

    @property
    def enabled(self) -> bool:
        return bool(self.devices) or self.cluster

    @property
    def slots_per_gpu(self) -> int:
        # 1e-9: 1/0.1 is 9.999999999999998 in floating point, and 0.1 of a GPU means 10 runs
        return max(1, math.floor(1.0 / self.per_run + 1e-9))

    @property
    def slots(self) -> int:
        return len(self.devices) * self.slots_per_gpu


def _torch_device_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def visible_gpus(env: Mapping[str, str] | None = None, device_count: Callable[[], int] | None = None) -> list[str]:
    """The GPUs this process may use: the ``CUDA_VISIBLE_DEVICES`` list when it is set (an empty value means
    none), else ``0 .. device_count()-1`` (torch's count unless ``device_count`` is given)."""
    env = os.environ if env is None else env
    raw = env.get("CUDA_VISIBLE_DEVICES")
    if raw is not None:
        return [d.strip() for d in raw.split(",") if d.strip() and d.strip() != "-1"]
    count = (device_count or _torch_device_count)()
    return [str(i) for i in range(count)]


def plan_gpus(
    gpus: int | None,
    per_run: float | None,
    env: Mapping[str, str] | None = None,
    device_count: Callable[[], int] | None = None,
) -> GpuPlan:
    """The sweep's GPU plan from ``--gpus`` and ``gpu_per_run``.

    Neither given: a CPU sweep (torch is not even asked). ``gpus`` N: the first N visible GPUs; a share alone:
    every visible GPU. ``--gpus 0`` is an explicit CPU sweep.
    """
    if per_run is not None and not (isinstance(per_run, int | float) and 0.0 < per_run <= 1.0):
        raise PlacementError(f"gpu_per_run must be a share of one GPU in (0, 1], got {per_run!r}")
    if gpus is not None and gpus < 0:
        raise PlacementError(f"--gpus must be >= 0, got {gpus}")
    if gpus == 0 or (gpus is None and per_run is None):
        return GpuPlan()
    visible = visible_gpus(env, device_count)
    want = len(visible) if gpus is None else gpus
    if want > len(visible) or not visible:
        shown = (env if env is not None else os.environ).get("CUDA_VISIBLE_DEVICES")
        where = f"CUDA_VISIBLE_DEVICES={shown!r}" if shown is not None else "torch.cuda.device_count()"
        raise PlacementError(
            f"asked for {want or 'some'} GPU(s) but {len(visible)} are visible ({where}); "
            "use --gpus with at most that many, or no GPU options for a CPU sweep"
        )
    return GpuPlan(devices=tuple(visible[:want]), per_run=float(per_run if per_run is not None else 1.0))


@dataclass
class SlotPool:
    """Local placement: each starting run takes the GPU with the most free slots (the lower index on ties), so
    runs spread over the GPUs before they share one."""

    plan: GpuPlan
    free: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.free = {d: self.plan.slots_per_gpu for d in self.plan.devices}

    def acquire(self) -> str | None:
        """A GPU for one more run, or None when every slot is taken."""
        if not self.free:
            return None
        best = max(self.free, key=lambda d: (self.free[d], -self.plan.devices.index(d)))
        if self.free[best] <= 0:
            return None
        self.free[best] -= 1
        return best

    def release(self, device: str) -> None:
        if self.free.get(device, self.plan.slots_per_gpu) >= self.plan.slots_per_gpu:
            raise ValueError(f"GPU {device!r} released more often than acquired")
        self.free[device] += 1


def assign_gpu(device: str | None) -> None:
    """In a fresh run process, before CUDA is initialised: show it only its GPU (it becomes ``cuda:0``)."""
    if device is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = device


def where_am_i() -> dict[str, Any]:
    """Where this run process executes: host, the GPUs it sees, the e2nas it imported, the Ray node (under Ray)."""
    info: dict[str, Any] = {"host": socket.gethostname(), "pid": os.getpid()}
    info["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
    import e2nas

    info["code"] = os.path.dirname(os.path.abspath(e2nas.__file__))  # under Ray: the shipped copy
    ray = sys.modules.get("ray")  # only a Ray task has it imported; a local run must not pay for the import
    if ray is not None and ray.is_initialized():
        info["ray_node_id"] = ray.get_runtime_context().get_node_id()
        info["ray_gpu_ids"] = [str(g) for g in ray.get_gpu_ids()]
    return info
