"""Ray for sweeps: connecting (a local instance or an existing cluster), shipping this e2nas to its workers,
and the resources and spread of one task per run.

Why the code is shipped: workers of a cluster started with ``ray start`` import whatever e2nas *their* Python
finds, not the driver's. Measured on the dev machine (Ray 2.60, head started with ``ray start --head
--node-ip-address 127.0.0.1``, also in a loopback-only network namespace like the GPU machine's): the driver
connected, but the runs then executed the e2nas of the venv's editable install (another checkout, with
someone's uncommitted edits: every run failed with a TypeError); on a node without e2nas installed (the GPU
machine runs from ``PYTHONPATH=src``) they fail with ModuleNotFoundError. Shipping the driver's package as a
``py_modules`` runtime env makes every node run exactly the driver's code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2nas.experiments.placement import GpuPlan


class RayConnectError(RuntimeError):
    """Ray could not be started or reached (the sweep reports it as one line)."""


def package_dir() -> Path:
    """The directory of the e2nas package the driver imported (what ``py_modules`` ships)."""
    import e2nas

    return Path(e2nas.__file__).resolve().parent


def runtime_env(ship_code: bool) -> dict[str, Any] | None:
    """The job's runtime env: the driver's e2nas as a py_module (caches and byte code left out)."""
    if not ship_code:
        return None
    return {"py_modules": [str(package_dir())], "excludes": ["__pycache__", "*.pyc"]}


def connect(address: str | None, num_cpus: int, plan: GpuPlan, ship_code: bool) -> bool:
    """``ray.init`` for a sweep; True if this call started Ray (the caller then shuts it down).

    Without ``address``: a local instance with ``num_cpus`` CPUs and the plan's GPUs, workers at normal
    priority (Ray's default nice 15 starved them on a shared machine: importing torch took 27 s instead of 5 s).
    With one: join that cluster; its resources are its own, so none are passed.
    """
    import ray

    if ray.is_initialized():
        return False
    kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    try:
        if address:
            env = runtime_env(ship_code)
            ray.init(address=address, **({"runtime_env": env} if env else {}), **kw)
        else:
            # address="local": always a new instance. Without it ray.init joins an instance it finds (RAY_ADDRESS, a
            # running `ray start`, /tmp/ray/ray_current_cluster) and then refuses num_cpus; seen with tests run in
            # parallel, where the sweep test found the two-node cluster test's instance
            ray.init(
                address="local",
                num_cpus=num_cpus,
                num_gpus=len(plan.devices),
                _system_config={"worker_niceness": 0},
                **kw,
            )
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        target = f"the Ray cluster at {address}" if address else "a local Ray instance"
        hint = "; start one with `ray start --head` and pass its HOST:PORT" if address else ""
        raise RayConnectError(f"could not connect to {target}: {first}{hint}") from None
    return True


def task_options(threads: int, plan: GpuPlan) -> dict[str, Any]:
    """Resources of one run's task; SPREAD so a cluster's runs go to every node rather than fill one first."""
    opts: dict[str, Any] = {"num_cpus": threads, "max_retries": 0, "scheduling_strategy": "SPREAD"}
    if plan.enabled:
        opts["num_gpus"] = plan.per_run
    return opts
