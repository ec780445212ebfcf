"""One run of a sweep: its config, its directory (the lock, the spec and placement files), resume or skip,
and the fields its sweep summary entry takes from ``results.json``. Runs in a worker process or a Ray task."""

from __future__ import annotations

import contextlib
import json
import time
import traceback
from pathlib import Path
from typing import Any

from e2nas.experiments.placement import where_am_i
from e2nas.experiments.sweep.spec import RunSpec
from e2nas.rundir import CHECKPOINT, ERROR, PLACEMENT, RESULTS, SWEEP_RUN

#: a run another process holds (safeio.lock): skipped now, picked up by a later sweep if still unfinished
BUSY = "busy"
BUSY_EXIT = 75  # EX_TEMPFAIL


def run_status(run_dir: Path) -> str:
    """finished | running (another process holds it) | failed | interrupted (checkpoint, no results) | pending,
    from the files in ``run_dir``."""
    from e2nas.safeio.lock import held_by_other

    if (run_dir / RESULTS).exists():
        return "finished"
    if held_by_other(run_dir) is not None:
        return "running"
    if (run_dir / ERROR).exists():
        return "failed"
    if (run_dir / CHECKPOINT).exists():
        return "interrupted"
    return "pending"


def execute_run(
    spec: dict[str, Any], run_dir: str, threads: int | None = None, device: str | None = None
) -> dict[str, Any]:
    """Run (or resume, or skip) one search; never raises. Runs in a worker process or a Ray task.

    ``device`` (e.g. "cuda" for a run placed on a GPU) replaces the config's device; it is one of the fields a
    resumed run may change, and it is not part of the run's name.
    """
    out = Path(run_dir)
    entry: dict[str, Any] = {"name": out.name, "dir": str(out), **spec}
    t0 = time.time()
    if (out / RESULTS).exists():
        return {**entry, "status": "skipped", **result_fields(out)}
    resume = False
    lock = contextlib.ExitStack()
    try:
        import torch

        from e2nas.engine import SearchEngine
        from e2nas.experiments.monitors import build_monitors
        from e2nas.safeio import hold_run_dir

        if threads:
            torch.set_num_threads(threads)
        out.mkdir(parents=True, exist_ok=True)
        # the run's one writer from here on: a second sweep on this directory gets "busy" and touches nothing
        lock.enter_context(hold_run_dir(out))
        if (out / RESULTS).exists():  # finished by another process while this one waited to start
            return {**entry, "status": "skipped", **result_fields(out)}
        resume = (out / CHECKPOINT).exists()
        (out / ERROR).unlink(missing_ok=True)
        (out / PLACEMENT).unlink(missing_ok=True)  # written again below; never report a stale one
        (out / SWEEP_RUN).write_text(json.dumps(spec, indent=2) + "\n")
        entry["placement"] = {**where_am_i(), "device": device or "config"}
        (out / PLACEMENT).write_text(json.dumps(entry["placement"], indent=2) + "\n")
        run = RunSpec.from_dict(spec)
        cfg = run.config(threads)
        if device is not None:
            cfg.device = device
        hooks = build_monitors(run.monitor_dict())
        engine = SearchEngine(cfg, out, resume=resume, progress=False, epoch_hooks=hooks, hold_lock=False)
        results = engine.run()
    except BaseException as err:  # noqa: BLE001 - one failing run must not stop the sweep
        from e2nas.safeio import RunDirBusyError

        if isinstance(err, RunDirBusyError):  # another sweep is running it: not a failure, nothing to record
            return {**entry, "status": BUSY, "error": f"running in another process ({err.holder})"}
        if isinstance(err, KeyboardInterrupt):
            status = "interrupted" if (out / CHECKPOINT).exists() else "not started"
            return {**entry, "status": status, "resumed": resume, "wall_s": time.time() - t0}
        msg = _error_line(err)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / ERROR).write_text(
                json.dumps({"error": msg, "traceback": traceback.format_exc(), "time": time.time()}, indent=2) + "\n"
            )
        except OSError:
            pass
        return {**entry, "status": "failed", "error": msg, "resumed": resume, "wall_s": time.time() - t0}
    finally:
        lock.close()
    status = "finished" if results is not None else "interrupted"
    return {**entry, "status": status, "resumed": resume, "wall_s": time.time() - t0, **result_fields(out)}


def _error_line(err: BaseException) -> str:
    """The one line a failed run reports: OS errors name the path and the fix like the CLI does."""
    if isinstance(err, OSError) and err.errno is not None:
        from e2nas.safeio.errors import describe_os_error

        return f"{type(err).__name__}: {describe_os_error(err, 'use')}"
    return f"{type(err).__name__}: {err}"


def result_fields(run_dir: Path) -> dict[str, Any]:
    try:
        res = json.loads((run_dir / RESULTS).read_text())
        return {
            "final_index": res["final"]["index"],
            "final_cifar10_valid": res["final"]["ground_truth"]["cifar10_valid"],
            "search_time_s": res.get("wall_time_s"),
            "resumed": res.get("resumed"),
        }
    except (OSError, ValueError, KeyError):
        return {}
