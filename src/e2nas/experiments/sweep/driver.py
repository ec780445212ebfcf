"""Running a sweep: which runs are done, reused or still to run, the engine that runs them, and the sweep
summary (``<out>/sweep_summary_<name>.json``)."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2nas.experiments.placement import GpuPlan, PlacementError, plan_gpus
from e2nas.experiments.sweep.local import run_local
from e2nas.experiments.sweep.ray import run_ray
from e2nas.experiments.sweep.run import BUSY, result_fields
from e2nas.experiments.sweep.spec import Sweep, SweepError
from e2nas.rundir import RESULTS

#: ``--engine`` values: worker processes on this machine, or tasks on a Ray instance or cluster
ENGINES = ("local", "ray")


def summary_path(root: Path, name: str) -> Path:
    """``<out>/sweep_summary_<name>.json``: sweeps sharing an output root keep their own summaries."""
    return Path(root) / f"sweep_summary_{re.sub(r'[^A-Za-z0-9._=,+-]', '_', name)}.json"


def _raise_interrupt(signum: int, frame: Any) -> None:  # noqa: ARG001
    raise KeyboardInterrupt


def run_sweep(
    sweep: Sweep,
    out: str | Path | None = None,
    workers: int | None = None,
    engine: str = "local",
    address: str | None = None,
    threads: int | None = None,
    report: Callable[[dict[str, Any]], None] | None = None,
    gpus: int | None = None,
    gpu_per_run: float | None = None,
    ship_code: bool = True,
    gpu_plan: GpuPlan | None = None,
    reuse: list[str | Path] | None = None,
) -> dict[str, Any]:
    """Run every run of ``sweep`` not finished yet; write and return the sweep summary.

    ``reuse``: run roots of other sweeps (besides the file's ``reuse``); a pending run whose settings equal a
    finished run there is copied from it instead of run (status ``reused``, see :mod:`e2nas.experiments.reuse`).

    ``threads``: torch threads per run (default: CPU cores // workers, at least 1). ``gpus`` / ``gpu_per_run``
    (default: the sweep file's share) place the runs on GPUs (see :mod:`e2nas.experiments.placement`); then
    ``workers`` defaults to the number of GPU slots, else to 2. ``gpu_plan`` replaces both (tests mock GPUs).
    ``ship_code``: with ``address``, send this e2nas to the cluster's workers.
    """
    if engine not in ENGINES:
        raise SweepError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if gpu_plan is None:
        share = gpu_per_run if gpu_per_run is not None else sweep.gpu_per_run
        if address and gpus:
            raise SweepError("--gpus counts this machine's GPUs; with --address give only --gpu-per-run")
        try:
            plan_gpus(0, share)  # the share alone
            # a cluster's GPUs are the cluster's: only the share matters, Ray counts them on every node
            gpu_plan = GpuPlan(per_run=share, cluster=True) if address and share else plan_gpus(gpus, share)
        except PlacementError as err:
            raise SweepError(str(err)) from None
    if workers is None:
        workers = gpu_plan.slots if gpu_plan.enabled and not address else 2
    if workers < 1:
        raise SweepError(f"--workers must be >= 1, got {workers}")
    from e2nas.safeio import atomic_write_text, ensure_dir

    root = ensure_dir(Path(out if out is not None else sweep.out).absolute(), "sweep output directory (--out)")
    threads = threads or max(1, (os.cpu_count() or 1) // workers)
    report = report or (lambda entry: None)
    t0 = time.time()
    entries: list[dict[str, Any]] = []
    jobs: list[tuple[dict[str, Any], Path]] = []
    reuse_roots = [Path(r).absolute() for r in [*sweep.reuse, *(reuse or [])]]
    sources: dict[str, Path] = {}
    if reuse_roots:
        from e2nas.experiments.reuse import reuse_sources

        sources = reuse_sources(sweep.runs, root, reuse_roots)
    for spec in sweep.runs:
        run_dir = root / spec.name
        if (run_dir / RESULTS).exists():
            entry = {"name": spec.name, "dir": str(run_dir), **spec.to_dict(), "status": "skipped"}
            entry.update(result_fields(run_dir))
            entries.append(entry)
            report(entry)
            continue
        source = sources.get(spec.name)
        if source is not None:
            from e2nas.experiments.reuse import adopt
            from e2nas.safeio import RunDirBusyError

            try:
                adopt(source, run_dir, spec.to_dict())
            except RunDirBusyError as err:  # another sweep is training it: leave it to that one
                entry = {"name": spec.name, "dir": str(run_dir), **spec.to_dict(), "status": BUSY}
                entry["error"] = f"running in another process ({err.holder})"
                entries.append(entry)
                report(entry)
                continue
            except OSError:  # the copy failed: train it instead (an unwritable directory fails as the run)
                jobs.append((spec.to_dict(), run_dir))
                continue
            entry = {"name": spec.name, "dir": str(run_dir), **spec.to_dict(), "status": "reused"}
            entry.update({"reused_from": str(source), **result_fields(run_dir)})
            entries.append(entry)
            report(entry)
            continue
        jobs.append((spec.to_dict(), run_dir))
    interrupted = False
    try:
        if jobs:
            from e2nas.engine.signals import on_stop_signals  # the engine package imports torch: not at import time

            # Ctrl-C and SIGTERM both stop the sweep the checkpointing way (every running run gets one SIGINT)
            with on_stop_signals(_raise_interrupt):
                if engine == "ray":
                    entries += run_ray(jobs, workers, threads, address, report, gpu_plan, ship_code)
                else:
                    run_local(jobs, workers, threads, report, entries, gpu_plan)
    except KeyboardInterrupt:
        interrupted = True
    order = {spec.name: i for i, spec in enumerate(sweep.runs)}
    by_name = {e["name"]: e for e in entries}
    for spec in sweep.runs:  # runs never started (Ctrl-C)
        if spec.name not in by_name:
            by_name[spec.name] = {
                "name": spec.name,
                "dir": str(root / spec.name),
                **spec.to_dict(),
                "status": "not started",
            }
    runs = sorted(by_name.values(), key=lambda e: order.get(e["name"], len(order)))
    counts: dict[str, int] = {}
    for e in runs:
        counts[e["status"]] = counts.get(e["status"], 0) + 1
    summary = {
        "sweep": sweep.name,
        "file": sweep.source,
        "out": str(root),
        "engine": engine,
        "address": address,
        "workers": workers,
        "threads_per_run": threads,
        "gpus": list(gpu_plan.devices) if gpu_plan.enabled and not address else None,
        "gpu_per_run": gpu_plan.per_run if gpu_plan.enabled else None,
        "started": t0,
        "wall_s": time.time() - t0,
        "interrupted": interrupted,
        "counts": counts,
        "dropped": sweep.dropped,
        "runs": runs,
    }
    path = summary_path(root, sweep.name)
    atomic_write_text(path, json.dumps(summary, indent=2) + "\n")
    summary["summary_file"] = str(path)
    return summary
