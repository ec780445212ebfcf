"""Reuse of finished runs across sweeps: the paper's experiments share settings (Table 2's γ = sig:10 row is
Table 1's E²NAS row, Fig. 1(a)'s ε = 0 RandomNAS and GDAS are Table 1's), so a sweep may take a finished run
of another sweep instead of training the same supernet again.

Two runs are the same when everything that decides their result is: the config fields (less those that do
not change a CPU result, as for resuming), the searcher's options with their defaults filled in (so
``variant=paper`` and ``gamma=sig:10`` name the same E²NAS) and the epoch monitors. Only finished runs of a
sweep (``results.json`` and ``sweep_run.json``) are candidates. A reused run's files are copied, the results
file last, so a copy cut short is not mistaken for a finished run; ``reused.json`` names the source.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from e2nas.rundir import ERROR, LOCK, PLACEMENT, RESULTS, REUSED, SWEEP_RUN
from e2nas.safeio.lock import hold_run_dir

#: config fields that change neither the search nor its final ranking (threads: CPU results do not depend on
#: them, the engine's resume check says the same); ``options`` is replaced by the resolved searcher options
_FREE = frozenset({"threads", "snapshot_every", "options"})
#: files of the source run that describe the source's own sweep entry or process, not the result
_OWN = frozenset({SWEEP_RUN, PLACEMENT, REUSED, ERROR, LOCK})


def _canon(obj: Any) -> Any:
    """JSON-comparable form: tuples as lists, integral numbers as floats (YAML's ``0`` equals ``0.0``)."""
    if isinstance(obj, dict):
        return {str(k): _canon(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_canon(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int | float):
        return float(obj)
    return str(obj)


def run_key(config: dict[str, Any], searcher_options: dict[str, Any], monitors: dict[str, Any]) -> str:
    """A digest of what decides a run's result (see the module docstring)."""
    from e2nas.engine.config import LATER_FIELDS  # torch-free

    # a run made before a field existed ran with the value that field now has by default for such runs
    cfg = {k: v for k, v in {**LATER_FIELDS, **config}.items() if k not in _FREE}
    if cfg.get("data_dir"):
        cfg["data_dir"] = str(Path(cfg["data_dir"]).expanduser().resolve())
    blob = json.dumps(_canon({"config": cfg, "options": searcher_options, "monitors": monitors}), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def spec_key(spec: Any) -> str:
    """The key of a sweep's :class:`RunSpec` before it runs: its config, and its options resolved the way the
    engine resolves them."""
    from e2nas.searchers.base import parse_options
    from e2nas.searchers.registry import get_searcher_class

    cfg = spec.config()
    options = parse_options(get_searcher_class(cfg.method).Options, cfg.options)
    return run_key(cfg.to_dict(), dict(vars(options)), spec.monitor_dict())


def finished_key(run_dir: Path) -> str | None:
    """The key of a finished sweep run, or None when ``run_dir`` is not one (or its files are unreadable)."""
    try:
        results = json.loads((run_dir / RESULTS).read_text())
        spec = json.loads((run_dir / SWEEP_RUN).read_text())
        return run_key(results["config"], results["searcher_options"], spec.get("monitors") or {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def index_finished(dirs: list[Path]) -> dict[str, Path]:
    """key -> run directory for every finished sweep run directly under ``dirs`` (missing dirs are skipped; of
    two runs with one key the first found wins)."""
    found: dict[str, Path] = {}
    for root in dirs:
        if not root.is_dir():
            continue
        for run_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            key = finished_key(run_dir)
            if key is not None and key not in found:
                found[key] = run_dir
    return found


def reuse_sources(specs: list[Any], root: Path, roots: list[Path]) -> dict[str, Path]:
    """run name -> the finished run under ``roots`` that each unfinished run of ``specs`` (directories under
    ``root``) may be copied from. The roots are read only when some run is unfinished."""
    pending = [s for s in specs if not (root / s.name / RESULTS).exists()]
    if not roots or not pending:
        return {}
    finished = index_finished(roots)
    out: dict[str, Path] = {}
    for s in pending:
        source = finished.get(spec_key(s))
        if source is not None and source.resolve() != (root / s.name).resolve():
            out[s.name] = source
    return out


def adopt(source: Path, run_dir: Path, spec: dict[str, Any]) -> None:
    """Copy the finished run ``source`` into ``run_dir`` as this sweep's run ``spec``, holding ``run_dir``'s lock.
    Stale files of an interrupted attempt in ``run_dir`` (a checkpoint, a log, an error) are removed first;
    ``results.json`` comes last."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with hold_run_dir(run_dir):  # RunDirBusyError if another process is training this run right now
        _adopt_locked(source, run_dir, spec)


def _adopt_locked(source: Path, run_dir: Path, spec: dict[str, Any]) -> None:
    if (run_dir / RESULTS).exists():  # another process finished it meanwhile: keep its result
        return
    for stale in run_dir.iterdir():  # an unfinished attempt of this run: nothing of it may outlive the copy
        if (stale.is_file() or stale.is_symlink()) and stale.name != LOCK:  # the lock file is ours now
            stale.unlink()
    files = sorted(p for p in source.iterdir() if p.name not in _OWN and p.name != RESULTS)
    for p in files:
        if p.is_dir():
            shutil.rmtree(run_dir / p.name, ignore_errors=True)
            shutil.copytree(p, run_dir / p.name)
        else:
            _copy(p, run_dir / p.name)
    (run_dir / SWEEP_RUN).write_text(json.dumps(spec, indent=2) + "\n")
    (run_dir / REUSED).write_text(json.dumps({"from": str(source.absolute())}, indent=2) + "\n")
    _copy(source / RESULTS, run_dir / RESULTS)  # last: from here on the run counts as finished


def _copy(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.reuse-tmp")
    shutil.copy2(src, tmp)
    os.replace(tmp, dst)
