"""The local engine: one fresh worker process per run, a few at a time, placed on GPU slots when there are
some, and a Ctrl-C that lets every running run checkpoint before the sweep stops."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2nas.experiments.placement import GpuPlan, SlotPool, assign_gpu
from e2nas.experiments.sweep.run import BUSY, BUSY_EXIT, execute_run, result_fields
from e2nas.rundir import CHECKPOINT, ERROR, PLACEMENT, RESULTS


def _worker_entry(
    spec: dict[str, Any], run_dir: str, threads: int | None, gpu: str | None = None, device: str | None = None
) -> None:
    if hasattr(os, "setpgrp"):
        os.setpgrp()  # a terminal Ctrl-C reaches only the sweep, which forwards exactly one SIGINT per run
    assign_gpu(gpu)  # a fresh process: CUDA is not initialised yet (the fork server never touches it)
    status = execute_run(spec, run_dir, threads, device if gpu is not None else None)
    code = {"finished": 0, "skipped": 0, "failed": 1, "interrupted": 130, "not started": 130, BUSY: BUSY_EXIT}[
        status["status"]
    ]
    raise SystemExit(code)


def _read_placement(run_dir: Path) -> dict[str, Any]:
    try:
        return {"placement": json.loads((run_dir / PLACEMENT).read_text())}
    except (OSError, ValueError):
        return {}


def _collect_local(spec: dict[str, Any], run_dir: Path, exitcode: int | None, t0: float) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": run_dir.name, "dir": str(run_dir), **spec, "wall_s": time.time() - t0}
    if exitcode == BUSY_EXIT:  # the placement file there is the other process's
        from e2nas.safeio.lock import held_by_other

        holder = held_by_other(run_dir) or "it has finished since"
        return {**entry, "status": BUSY, "error": f"running in another process ({holder})"}
    entry.update(_read_placement(run_dir))
    if exitcode == 0 and (run_dir / RESULTS).exists():
        return {**entry, "status": "finished", **result_fields(run_dir)}
    if exitcode == 130:  # stopped before its first checkpoint: nothing to resume, it starts afresh next time
        return {**entry, "status": "interrupted" if (run_dir / CHECKPOINT).exists() else "not started"}
    err_file = run_dir / ERROR
    if err_file.exists():
        try:
            msg = json.loads(err_file.read_text())["error"]
        except (ValueError, KeyError):
            msg = "see error.json"
    else:
        msg = f"worker process exited with code {exitcode} (killed or crashed) before reporting"
        with contextlib.suppress(OSError):  # an unwritable run directory must not stop the other runs
            run_dir.mkdir(parents=True, exist_ok=True)
            err_file.write_text(json.dumps({"error": msg, "traceback": None, "time": time.time()}, indent=2) + "\n")
    return {**entry, "status": "failed", "error": msg}


def _mp_context() -> Any:
    """A fork server that has imported torch and e2nas once: each run is a fresh process (a crash kills only
    its run) that starts in milliseconds, not the seconds a spawned interpreter needs to import torch. Forking
    the caller itself could deadlock once torch has run OpenMP threads in it. Spawn where there is no fork."""
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    # torch._dynamo: the first optimizer constructed imports it, ~3 s on a busy machine
    ctx.set_forkserver_preload(
        ["torch", "torch._dynamo", "e2nas.engine", "e2nas.experiments.monitors", "e2nas.experiments.sweep.local"]
    )
    return ctx


def run_local(
    jobs: list[tuple[dict[str, Any], Path]],
    workers: int,
    threads: int,
    report: Callable[[dict[str, Any]], None],
    done: list[dict[str, Any]],
    plan: GpuPlan | None = None,
) -> None:
    """One fresh process per run (forked from a preloaded server), at most ``workers`` at a time and, with a
    GPU plan, only while a GPU slot is free (the run sees just its GPU); entries are appended to ``done`` as runs
    end. On Ctrl-C every running run gets one SIGINT (it checkpoints and stops), nothing new starts, and
    KeyboardInterrupt is re-raised once they have exited."""
    import signal
    from multiprocessing.connection import wait

    ctx = _mp_context()
    pool = SlotPool(plan) if plan is not None and plan.enabled else None
    pending = list(jobs)
    running: dict[int, tuple[Any, dict[str, Any], Path, float, str | None]] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                gpu = pool.acquire() if pool is not None else None
                if pool is not None and gpu is None:
                    break
                spec, run_dir = pending.pop(0)
                device = plan.run_device if plan is not None and gpu is not None else None
                p = ctx.Process(
                    target=_worker_entry, args=(spec, str(run_dir), threads, gpu, device), name=f"e2nas-{run_dir.name}"
                )
                p.start()
                running[p.sentinel] = (p, spec, run_dir, time.time(), gpu)
                report({"name": run_dir.name, "status": "started", "dir": str(run_dir), "gpu": gpu})
            for sentinel in wait(list(running), timeout=5.0):
                p, spec, run_dir, t0, gpu = running.pop(sentinel)  # type: ignore[call-overload]
                p.join()
                if pool is not None and gpu is not None:
                    pool.release(gpu)
                entry = _collect_local(spec, run_dir, p.exitcode, t0)
                done.append(entry)
                report(entry)
    except KeyboardInterrupt:
        for p, *_ in running.values():
            if p.pid is not None and p.exitcode is None:
                os.kill(p.pid, signal.SIGINT)
        for p, spec, run_dir, t0, _gpu in running.values():
            p.join()
            entry = _collect_local(spec, run_dir, p.exitcode, t0)
            done.append(entry)
            report(entry)
        running.clear()
        raise
