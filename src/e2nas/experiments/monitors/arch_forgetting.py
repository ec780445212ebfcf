"""The space-generic forgetting monitor behind Fig. 1(b) on the DARTS space (``sweeps/paper/fig1b-darts.yaml``).

The NB201 ``forgetting`` monitor tracks benchmark indices; this one tracks the first distinct architectures a
searcher reports at epoch ends by their logged strings, so it works on every space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from e2nas.experiments.monitors.base import Monitor, MonitorError
from e2nas.experiments.monitors.registry import register_monitor


@register_monitor
@dataclass
class ArchForgettingMonitor(Monitor):
    """Inherited-weight valid accuracy of the first ``archs`` distinct architectures the searcher reported
    (``current_cell`` at epoch ends), each from the epoch it was first reported on, on ``batches`` fixed valid
    batches (None: the evaluation default), at every epoch."""

    name = "arch-forgetting"
    description = "forgetting of the first reported architectures by their strings (any space; Fig. 1b on DARTS)"

    archs: int = 6
    batches: int | None = None

    def __post_init__(self) -> None:
        if self.archs < 1:
            raise MonitorError(f"arch-forgetting archs must be >= 1, got {self.archs}")

    def __call__(self, ctx: Any, record: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
        seen: dict[str, int] = {}
        for r in [*history, record]:
            if r["cell"] not in seen and len(seen) < self.archs:
                seen[r["cell"]] = int(r["epoch"])
        archs = [ctx.space.parse(s) for s in seen]
        acc = [a for _, a in ctx.evaluate(archs, self.batches)]
        return {"fg_first_epoch": list(seen.values()), "fg_acc": acc, "fg_mean_acc": float(np.mean(acc))}
