"""The Ray engine: one Ray task per run on a local instance or a cluster (``--engine ray``)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2nas.experiments.placement import GpuPlan
from e2nas.experiments.sweep.run import execute_run
from e2nas.experiments.sweep.spec import SweepError
from e2nas.rundir import ERROR


def run_task(spec: dict[str, Any], run_dir: str, threads: int, device: str | None) -> dict[str, Any]:
    """The body of one Ray task: the run, with where it ran (``execute_run`` records the node and GPUs)."""
    return execute_run(spec, run_dir, threads, device)


def run_ray(
    jobs: list[tuple[dict[str, Any], Path]],
    workers: int,
    threads: int,
    address: str | None,
    report: Callable[[dict[str, Any]], None],
    plan: GpuPlan | None = None,
    ship_code: bool = True,
) -> list[dict[str, Any]]:
    """One Ray task per run (``num_cpus=threads``, ``num_gpus`` = the plan's share, spread over the nodes).
    Without ``address`` a local Ray instance is started with ``workers × threads`` CPUs and the plan's GPUs; with
    one, the driver's e2nas is shipped to the cluster (``ship_code``) and the run dirs must be on a file system
    every node sees."""
    try:
        import ray
    except ImportError:
        raise SweepError("--engine ray needs Ray: pip install 'e2nas[ray]'") from None
    from e2nas.experiments.ray_cluster import RayConnectError, connect, task_options

    plan = plan or GpuPlan()
    try:
        started = connect(address, workers * threads, plan, ship_code and bool(address))
    except RayConnectError as err:
        raise SweepError(str(err)) from None
    try:
        task = ray.remote(**task_options(threads, plan))(run_task)
        device = plan.run_device if plan.enabled else None
        refs = {}
        for spec, run_dir in jobs:
            refs[task.remote(spec, str(run_dir), threads, device)] = (spec, run_dir, time.time())
        done: list[dict[str, Any]] = []
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            ref = ready[0]
            spec, run_dir, t0 = refs.pop(ref)
            try:
                entry = ray.get(ref)
            except Exception as err:  # the task's worker died
                msg = f"ray task failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                with contextlib.suppress(OSError):  # an unwritable run directory must not stop the other runs
                    run_dir.mkdir(parents=True, exist_ok=True)
                    (run_dir / ERROR).write_text(json.dumps({"error": msg, "traceback": str(err)}, indent=2) + "\n")
                entry = {"name": run_dir.name, "dir": str(run_dir), **spec, "status": "failed", "error": msg}
                entry["wall_s"] = time.time() - t0
            done.append(entry)
            report(entry)
        return done
    finally:
        if started:
            ray.shutdown()
