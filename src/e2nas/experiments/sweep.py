"""Sweeps: a grid of searches (methods × seeds × presets × datasets × ε × options) from one YAML file.

Every run gets its own directory, named from its settings, so re-running a sweep skips finished runs
(``results.json`` present) and resumes interrupted ones (``checkpoint.pt`` present). Runs execute in separate
worker processes (one process per run, so a crash takes down only its run) or as tasks on a Ray cluster. A
failing run leaves ``error.json`` in its directory and an entry in the sweep summary; the others go on.

The YAML schema is documented in docs/experiments.md; :func:`parse_sweep` validates it.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import json
import os
import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from e2nas.experiments.placement import GpuPlan, PlacementError, SlotPool, assign_gpu, plan_gpus, where_am_i
from e2nas.rundir import CHECKPOINT, ERROR, PLACEMENT, RESULTS, SWEEP_RUN


def summary_path(root: Path, name: str) -> Path:
    """``<out>/sweep_summary_<name>.json``: sweeps sharing an output root keep their own summaries."""
    return Path(root) / f"sweep_summary_{re.sub(r'[^A-Za-z0-9._=,+-]', '_', name)}.json"


#: a run another process holds (safeio.lock): skipped now, picked up by a later sweep if still unfinished
BUSY = "busy"
BUSY_EXIT = 75  # EX_TEMPFAIL
#: top-level keys of a sweep file
KEYS = (
    "name",
    "out",
    "method",
    "seed",
    "preset",
    "dataset",
    "epsilon",
    "options",
    "overrides",
    "method_overrides",
    "monitors",
    "include",
    "gpu_per_run",
    "reuse",
)
#: keys an ``include`` block may set (the rest of a block comes from the top level; placement is sweep-wide)
BLOCK_KEYS = tuple(k for k in KEYS if k not in ("name", "out", "include", "gpu_per_run", "reuse"))
ENGINES = ("local", "ray")
#: the one placeholder an ``out`` path may hold: the sweep's (single) preset
PRESET_FIELD = "{preset}"


class SweepError(ValueError):
    """An invalid sweep file or setting (user error: the CLI prints one line and exits 2)."""


@dataclass(frozen=True)
class RunSpec:
    """One search of a sweep: everything needed to build its config (plus the monitors it logs)."""

    method: str
    seed: int
    preset: str
    dataset: str | None = None
    epsilon: float | None = None
    options: tuple[tuple[str, Any], ...] = ()
    overrides: tuple[tuple[str, Any], ...] = ()
    monitors: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()

    def config(self, threads: int | None = None) -> Any:
        """The run's :class:`SearchConfig` (raises ConfigError / SearcherError on bad settings)."""
        from e2nas.engine import make_config

        kw = dict(self.overrides)
        return make_config(
            self.preset,
            self.method,
            **{
                **kw,
                "seed": self.seed,
                "dataset": self.dataset,
                "epsilon": self.epsilon,
                "options": dict(self.options) or None,
                "threads": threads,
            },
        )

    @property
    def name(self) -> str:
        """Deterministic directory name, from the effective settings (so it does not depend on the file)."""
        cfg = self.config()
        parts = [self.method + "".join(f"-{k}={_fmt(v)}" for k, v in self.options)]
        parts += [cfg.preset, cfg.dataset, f"eps{_fmt(cfg.epsilon)}"]
        parts += [f"{k}={_fmt(getattr(cfg, k))}" for k, _ in self.overrides if k not in ("dataset", "data_dir")]
        parts.append(f"s{self.seed}")
        return re.sub(r"[^A-Za-z0-9._=,+-]", "_", "_".join(parts))

    def monitor_dict(self) -> dict[str, dict[str, Any]]:
        return {name: dict(settings) for name, settings in self.monitors}

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "seed": self.seed,
            "preset": self.preset,
            "dataset": self.dataset,
            "epsilon": self.epsilon,
            "options": dict(self.options),
            "overrides": dict(self.overrides),
            "monitors": self.monitor_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSpec:
        return cls(
            method=d["method"],
            seed=int(d["seed"]),
            preset=d["preset"],
            dataset=d.get("dataset"),
            epsilon=d.get("epsilon"),
            options=tuple(sorted(d.get("options", {}).items())),
            overrides=tuple(sorted(d.get("overrides", {}).items())),
            monitors=tuple(sorted((k, tuple(sorted((v or {}).items()))) for k, v in d.get("monitors", {}).items())),
        )


@dataclass
class Sweep:
    name: str
    out: str
    runs: list[RunSpec]
    dropped: list[str] = field(default_factory=list)  # grid points left out, with the reason
    source: str | None = None
    gpu_per_run: float | None = None  # share of one GPU per run (placement only: not part of run names)
    reuse: list[str] = field(default_factory=list)  # other sweeps' run roots whose identical finished runs count


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return format(v, "g")
    if isinstance(v, list | tuple):
        return ",".join(_fmt(x) for x in v)
    return str(v)


def _as_list(value: Any, key: str, kind: type | tuple[type, ...]) -> list[Any]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise SweepError(f"sweep key {key!r} is an empty list; give at least one value")
    for v in values:
        if isinstance(v, bool) and kind is not bool or not isinstance(v, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise SweepError(f"sweep key {key!r}: {v!r} is not a {names}")
    return values


def _grid(mapping: dict[str, Any], where: str) -> list[tuple[tuple[str, Any], ...]]:
    """``{a: [1, 2], b: 3}`` -> [((a,1),(b,3)), ((a,2),(b,3))]; a list value is a grid axis."""
    if not isinstance(mapping, dict):
        raise SweepError(f"{where} must be a mapping of key: value (a list value is a grid axis)")
    keys = sorted(mapping)
    axes = []
    for k in keys:
        v = mapping[k]
        if isinstance(v, dict):
            raise SweepError(f"{where}.{k}: nested mappings are not allowed")
        if k == "arch_betas" and isinstance(v, list) and v and not isinstance(v[0], list):
            v = [v]  # one pair, not an axis
        vals = v if isinstance(v, list) else [v]
        if not vals:
            raise SweepError(f"{where}.{k} is an empty list")
        axes.append(vals)
    return [tuple(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]


def parse_sweep(data: Any, source: str | None = None) -> Sweep:
    """Validate a sweep mapping (the parsed YAML) and expand it into runs; every run's config is built here,
    so a bad method, option or config field fails before anything runs.

    ``include`` is a list of blocks, each a grid of its own whose missing keys come from the top level (top-level
    ``options`` and ``method_overrides`` only for the block's methods): the sweep runs the union, once each."""
    where = source or "sweep"
    if not isinstance(data, dict):
        raise SweepError(f"{where}: a sweep file must be a YAML mapping with keys {', '.join(KEYS)}")
    _check_keys(data, KEYS, where)
    name = data.get("name") or (Path(source).stem if source else "sweep")
    if not isinstance(name, str):
        raise SweepError(f"{where}: 'name' must be a string")
    out = data.get("out") or f"runs/{name}"
    if not isinstance(out, str):
        raise SweepError(f"{where}: 'out' must be a path string")
    blocks = data.get("include") or []
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and b for b in blocks):
        raise SweepError(f"{where}: 'include' must be a list of non-empty mappings (each a grid of its own)")
    top = {k: v for k, v in data.items() if k in BLOCK_KEYS}
    runs, dropped, seeds = _expand(top, where)
    for i, block in enumerate(blocks):
        at = f"{where}: include[{i}]"
        _check_keys(block, BLOCK_KEYS, at)
        b_runs, b_dropped, b_seeds = _expand(_inherit(top, block), at)
        known = {r.name for r in runs}
        runs += [r for r in b_runs if r.name not in known]
        dropped += b_dropped
        seeds += [s for s in b_seeds if s not in seeds]
    # seed-major order: a sweep stopped half-way has every setting for the first seeds, not all seeds of a few
    rank = {sd: i for i, sd in enumerate(seeds)}
    runs.sort(key=lambda r: rank[r.seed])
    reuse = data.get("reuse") or []
    if isinstance(reuse, str):
        reuse = [reuse]
    if not isinstance(reuse, list) or not all(isinstance(r, str) and r for r in reuse):
        raise SweepError(f"{where}: 'reuse' must be a list of run directories (other sweeps' 'out')")
    used = sorted({r.preset for r in runs})
    for key, path in [("out", out), *(("reuse", r) for r in reuse)]:
        # `out: runs/{preset}/table1`: switching the preset also switches the directory
        if PRESET_FIELD in path and len(used) != 1:
            raise SweepError(f"{where}: '{key}' uses {PRESET_FIELD} but the sweep has presets {', '.join(used)}")
    out = out.replace(PRESET_FIELD, used[0]) if PRESET_FIELD in out else out
    reuse = [r.replace(PRESET_FIELD, used[0]) if PRESET_FIELD in r else r for r in reuse]
    gpu_per_run = data.get("gpu_per_run")
    try:
        plan_gpus(0, gpu_per_run)  # validates the share only
    except PlacementError as err:
        raise SweepError(f"{where}: {err}") from None
    share = float(gpu_per_run) if gpu_per_run is not None else None
    return Sweep(
        name=name, out=out, runs=runs, dropped=sorted(set(dropped)), source=source, gpu_per_run=share, reuse=reuse
    )


def _check_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for k in data:
        if k not in allowed:
            near = difflib.get_close_matches(str(k), allowed, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise SweepError(f"{where}: unknown key {k!r}{hint}; allowed: {', '.join(allowed)}")


def _inherit(top: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
    """An include block with its missing keys taken from the top level; per-method mappings of the top level
    are kept only for the block's own methods (its method list may be shorter)."""
    merged = {**top, **block}
    methods = block.get("method", top.get("method"))
    names = set(methods) if isinstance(methods, list) else {methods}
    for key in ("options", "method_overrides"):
        if key not in block and isinstance(top.get(key), dict) and "all" not in names:
            merged[key] = {m: v for m, v in top[key].items() if m in names}
    return merged


def _expand(data: dict[str, Any], where: str) -> tuple[list[RunSpec], list[str], list[int]]:
    """One grid (the top level or an include block) -> (runs, dropped grid points, seeds in file order)."""
    from e2nas.engine import DEFAULT_PRESET, ConfigError
    from e2nas.experiments.method_overrides import MethodOverrideError, check_method_overrides, resolve
    from e2nas.experiments.monitors import MonitorError, build_monitors
    from e2nas.searchers import SearcherError, create_searcher, get_searcher_class, list_searchers

    if "method" not in data:
        raise SweepError(f"{where}: 'method' is required (a name, a list of names, or 'all')")
    methods = data["method"]
    if methods == "all" or methods == ["all"]:
        methods = list(list_searchers())
    methods = _as_list(methods, "method", str)
    for m in methods:
        try:
            get_searcher_class(m)
        except SearcherError as err:
            raise SweepError(f"{where}: {err}") from None
    seeds = _as_list(data.get("seed", 0), "seed", int)
    presets = _as_list(data.get("preset", DEFAULT_PRESET), "preset", str)
    datasets = _as_list(data["dataset"], "dataset", str) if data.get("dataset") is not None else [None]
    epsilons = (
        [float(e) for e in _as_list(data["epsilon"], "epsilon", (int, float))]
        if data.get("epsilon") is not None
        else [None]
    )
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise SweepError(f"{where}: 'options' must map method names to option mappings")
    for m in options:
        if m not in methods:
            raise SweepError(f"{where}: options given for {m!r}, which is not in this sweep's methods")
    overrides = _grid(data.get("overrides") or {}, "overrides")
    try:
        per_method = check_method_overrides(data.get("method_overrides"), methods, where)
    except MethodOverrideError as err:
        raise SweepError(str(err)) from None
    monitors_spec = data.get("monitors") or {}
    try:
        build_monitors(monitors_spec)
    except MonitorError as err:
        raise SweepError(f"{where}: {err}") from None
    monitors = tuple(sorted((k, tuple(sorted((v or {}).items()))) for k, v in monitors_spec.items()))

    runs: list[RunSpec] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for m in methods:
        cls = get_searcher_class(m)
        opt_grid = _grid(options.get(m) or {}, f"options.{m}")
        own_grid = _grid(per_method.get(m) or {}, f"method_overrides.{m}")
        for opts in opt_grid:
            try:
                parsed = create_searcher(m, dict(opts) or None, 0.0).options
            except SearcherError as err:
                raise SweepError(f"{where}: options.{m}: {err}") from None
            opts = tuple((k, getattr(parsed, k)) for k, _ in opts)  # typed values: 5 and 5.0 name one run
            grid = itertools.product(presets, datasets, epsilons, overrides, own_grid, seeds)
            for preset, ds, eps, ov, own, seed in grid:
                if eps and not cls.supports_epsilon:
                    dropped.append(f"{m} eps={_fmt(eps)}: {m} does not support complementation (epsilon must be 0)")
                    continue
                try:
                    spec = RunSpec(m, int(seed), preset, ds, eps, opts, resolve(preset, ov, own), monitors)
                    run_name = spec.name
                except (ConfigError, SearcherError) as err:
                    raise SweepError(f"{where}: run {m} seed {seed}: {err}") from None
                if run_name not in seen:
                    seen.add(run_name)
                    runs.append(spec)
    return runs, dropped, [int(s) for s in seeds]


def load_sweep(path: str | Path) -> Sweep:
    """Read, validate and expand a sweep file."""
    return parse_sweep(read_sweep_file(path), str(path))


def read_sweep_file(path: str | Path) -> Any:
    """The parsed YAML of a sweep file, not yet validated (callers may change a field first: the preset)."""
    p = Path(path)
    if not p.is_file():
        raise SweepError(f"sweep file {p} not found")
    try:
        data = yaml.safe_load(p.read_text())
    except OSError as err:
        from e2nas.safeio.errors import describe_os_error

        raise SweepError(describe_os_error(err, "read sweep file", p)) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise SweepError(f"{p}: not valid YAML{at}: {getattr(err, 'problem', err)}") from None
    return data


# -- running -----------------------------------------------------------------------------------------------


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


def run_task(spec: dict[str, Any], run_dir: str, threads: int, device: str | None) -> dict[str, Any]:
    """The body of one Ray task: the run, with where it ran (``execute_run`` records the node and GPUs)."""
    return execute_run(spec, run_dir, threads, device)


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
        return {**entry, "status": "skipped", **_result_fields(out)}
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
            return {**entry, "status": "skipped", **_result_fields(out)}
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
    return {**entry, "status": status, "resumed": resume, "wall_s": time.time() - t0, **_result_fields(out)}


def _error_line(err: BaseException) -> str:
    """The one line a failed run reports: OS errors name the path and the fix like the CLI does."""
    if isinstance(err, OSError) and err.errno is not None:
        from e2nas.safeio.errors import describe_os_error

        return f"{type(err).__name__}: {describe_os_error(err, 'use')}"
    return f"{type(err).__name__}: {err}"


def _result_fields(run_dir: Path) -> dict[str, Any]:
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
        return {**entry, "status": "finished", **_result_fields(run_dir)}
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
        ["torch", "torch._dynamo", "e2nas.engine", "e2nas.experiments.monitors", "e2nas.experiments.sweep"]
    )
    return ctx


def _run_local(
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


def _run_ray(
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
            entry.update(_result_fields(run_dir))
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
            entry.update({"reused_from": str(source), **_result_fields(run_dir)})
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
                    entries += _run_ray(jobs, workers, threads, address, report, gpu_plan, ship_code)
                else:
                    _run_local(jobs, workers, threads, report, entries, gpu_plan)
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
