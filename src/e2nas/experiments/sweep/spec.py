"""A sweep file's schema: validation with one clear error per mistake, and expansion into runs.

A sweep is a grid (methods × seeds × presets × datasets × ε × options × overrides) plus ``include`` blocks,
each a grid of its own. Every run's config is built while parsing, so a bad setting fails before anything
runs. The YAML schema is documented in docs/experiments.md.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from e2nas.experiments.placement import PlacementError, plan_gpus

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
    from e2nas.experiments.monitors import MonitorError, build_monitors, check_spaces
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
                    if monitors_spec:  # a monitor on a space it cannot read fails here, not after an epoch
                        check_spaces(monitors_spec, spec.config().space)
                except (ConfigError, SearcherError, MonitorError) as err:
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
