"""What a latent-space search (E²NAS) did inside, read from its epoch log: how soon z reached the trust radius
and how long it stayed there, how many arch steps landed on a disconnected cell, how many distinct cells it
ended its epochs on, and how much larger the novelty gradient was than the validation one.

These are the numbers to look at when E²NAS loses a comparison: z pinned at the radius means the arch step is
mostly clipped; many dead steps mean the decoder spends steps on cells that output zeros; a few distinct cells
mean the search settled early (or was pinned); a huge gradient ratio means that without ``grad_balance=unit``
the validation loss would not steer z at all while γ is large.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: ||z|| at or above this share of the radius counts as "at the radius" (the projection clips to exactly it)
AT_RADIUS = 0.99
#: the summary's fields, with the titles the report's table uses
FIELDS: dict[str, str] = {
    "z_at_radius_from": "z at radius from epoch",
    "z_at_radius_frac": "epochs at radius (%)",
    "dead_step_frac": "dead steps (%)",
    "distinct_cells": "distinct epoch cells",
    "archive_unique": "archive unique (mean)",
    "log10_grad_ratio": "log₁₀ ‖∇novelty‖ / ‖∇L_val‖ (median)",
}


def run_internals(log: list[dict[str, Any]], total_steps: int | None) -> dict[str, float] | None:
    """The summary of one run's log; None for runs that log no latent state (every searcher but E²NAS)."""
    rows = [r for r in log if "z_norm" in r]
    if not rows:
        return None
    radius = float(rows[-1].get("z_radius") or 0.0)
    at = [float(r["z_norm"]) >= AT_RADIUS * radius for r in rows]
    first = next((int(r["epoch"]) for r, a in zip(rows, at, strict=True) if a), None)
    # epochs whose last arch step had both gradients (the reference variant's novelty is a value only: none)
    ratios = [
        math.log10(float(r["grad_novelty_norm"]) / float(r["grad_val_norm"]))
        for r in rows
        if float(r.get("gamma") or 0.0) > 0
        and float(r.get("grad_val_norm") or 0.0) > 0
        and float(r.get("grad_novelty_norm") or 0.0) > 0
    ]
    unbounded = radius <= 0  # no trust radius (the reference variant): nothing to be pinned at
    dead = rows[-1].get("dead_steps")
    return {
        "z_at_radius_from": float(first) if first is not None and not unbounded else math.nan,
        "z_at_radius_frac": math.nan if unbounded else 100.0 * sum(at) / len(rows),
        "dead_step_frac": 100.0 * float(dead) / total_steps if dead is not None and total_steps else math.nan,
        "distinct_cells": float(len({r.get("cell_index") for r in rows})),
        "archive_unique": float(np.mean([r["archive_unique"] for r in rows if "archive_unique" in r] or [math.nan])),
        "log10_grad_ratio": float(np.median(ratios)) if ratios else math.nan,
    }


def total_steps(results: dict[str, Any]) -> int | None:
    """Arch steps of a finished run: epochs × steps per epoch (None when results.json does not say)."""
    try:
        return int(results["epochs"]) * int(results["steps_per_epoch"])
    except (KeyError, TypeError, ValueError):
        return None
