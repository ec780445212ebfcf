"""Per-epoch means of the per-step numbers the engine logs (losses, accuracies, a searcher's ``arch_step`` info).

A number already on the host adds up in Python floats, as it always did (so CPU logs are unchanged). A value
that is still a tensor on a GPU adds up *on the GPU* in float64 and is read once, at the epoch end or a
checkpoint: reading it every step (``float(loss)``) would make the host wait for the GPU to finish the step
before it may queue the next kernels, and a tiny-kernel search spends most of its time in that wait.
The finiteness check of those values therefore happens when they are read (the error names the epoch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


class NonFiniteError(ArithmeticError):
    """A logged per-step value became NaN or infinite; ``key`` names it."""

    def __init__(self, key: str, value: float) -> None:
        super().__init__(f"{key} became {value}")
        self.key, self.value = key, value


def on_device(value: object) -> bool:
    """True for a tensor that lives on an accelerator (reading it would sync)."""
    return isinstance(value, torch.Tensor) and value.device.type != "cpu"


@dataclass
class StepMeters:
    sums: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    pending: dict[str, torch.Tensor] = field(default_factory=dict)  # device sums not yet read

    def add(self, key: str, value: float | torch.Tensor) -> None:
        if on_device(value):
            v = value.detach().double().reshape(())
            self.pending[key] = v if key not in self.pending else self.pending[key] + v
        else:
            self.sums[key] = self.sums.get(key, 0.0) + float(value)
        self.counts[key] = self.counts.get(key, 0) + 1

    def flush(self) -> None:
        """Read the device sums (one sync for all of them); NonFiniteError if one is NaN/inf."""
        if not self.pending:
            return
        keys = list(self.pending)
        values = torch.stack([self.pending[k] for k in keys]).cpu().tolist()
        self.pending = {}
        for k, v in zip(keys, values, strict=True):
            self.sums[k] = self.sums.get(k, 0.0) + v
            if not math.isfinite(v):
                raise NonFiniteError(k, v)

    def means(self) -> dict[str, float]:
        self.flush()
        return {k: self.sums[k] / self.counts[k] for k in self.sums}
