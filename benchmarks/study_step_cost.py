"""Per-step cost of the τ study's settings (docs/results/ranking) relative to its 16x16, C=8, N=1, batch-64
RandomNAS step, so the report can turn steps into CPU time for settings whose steps cost more or less.

Each setting trains a real RandomNAS supernet through the engine (``SearchEngine``, the study's own code path);
a setting's step time is the difference between a run of ``--steps`` and one of ``--steps / 4`` steps (so build,
data loading and the final evaluation cancel), repeated ``--repeats`` times round-robin over the settings so that
on a shared machine every setting sees the same load; the median is reported, with its ratio to ``base``.

    python benchmarks/study_step_cost.py --json [--threads 1] > benchmarks/results/study_step_cost.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from typing import Any

import torch

from e2nas.engine import SearchEngine, make_config

#: (name, preset, overrides): the study's knobs that change what one step costs
SETTINGS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("base", "cpu-base", {}),
    ("C=4", "cpu-base", {"C": 4}),
    ("C=16", "cpu-base", {"C": 16}),
    ("N=2", "cpu-base", {"N": 2}),
    ("batch_size=128", "cpu-base", {"batch_size": 128}),
    ("fair", "cpu-base", {"options": {"fair": "true"}}),
    ("32x32", "cpu-base", {"image_size": 32}),
)


def _run(preset: str, overrides: dict[str, Any], steps: int) -> float:
    cfg = make_config(preset, "random", epochs=1, steps_per_epoch=steps, rank_cells=0, **overrides)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        SearchEngine(cfg, d, progress=False).run()
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=160)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    short = max(1, a.steps // 4)
    times: dict[str, list[float]] = {name: [] for name, _, _ in SETTINGS}
    for _ in range(a.repeats):
        for name, preset, ov in SETTINGS:
            dt = _run(preset, ov, a.steps) - _run(preset, ov, short)
            times[name].append(dt / (a.steps - short))
    base = statistics.median(times["base"])
    rows = [
        {"setting": n, "step_ms": 1000 * statistics.median(t), "ratio": statistics.median(t) / base, "all_ms": t}
        for n, t in times.items()
    ]
    if a.json:
        print(json.dumps({"threads": a.threads, "steps": a.steps, "repeats": a.repeats, "rows": rows}, indent=2))
        return
    for r in rows:
        print(f"{r['setting']:>16}  {r['step_ms']:7.1f} ms/step  x{r['ratio']:.2f}")


if __name__ == "__main__":
    main()
