"""``e2nas reproduce``: run the paper's sweeps (``sweeps/paper/<experiment>.yaml``) at one preset and write
their reports and figures, one Markdown file per experiment plus an index, into one directory.

Each experiment is a sweep file named after its layout (:data:`e2nas.experiments.paper.layouts.LAYOUTS`). The
preset is the one field that changes between protocols, so ``preset`` replaces the files' own. Sweeps skip
finished runs and resume interrupted ones, so a long grid can be run in parts (``seeds`` restricts it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2nas.experiments.paper.layouts import LAYOUTS
from e2nas.experiments.sweep import Sweep, SweepError, parse_sweep, read_sweep_file, summary_path

#: the experiments, in the paper's order; each is ``<sweeps dir>/<name>.yaml`` and the layout of that name
EXPERIMENTS: tuple[str, ...] = tuple(LAYOUTS)
#: experiments run only when ``only`` names them (hours on a CPU), each with its own report (not a layout)
OPT_IN: tuple[str, ...] = ("fig1b-darts",)
#: where the sweep files live in a checkout of the repository
DEFAULT_SWEEPS = Path("sweeps") / "paper"


@dataclass
class Experiment:
    """One experiment to reproduce: its sweep (preset applied, seeds trimmed) and where its runs go."""

    name: str
    sweep: Sweep
    runs_dir: Path
    summary: dict[str, Any] = field(default_factory=dict)


def with_preset(data: Any, preset: str | None, data_dir: str | None = None) -> Any:
    """The sweep mapping with ``preset`` in place of the file's (also in its include blocks) and, with
    ``data_dir``, that data directory for every run (``paper`` reads CIFAR-10 from one; not part of run names)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    if preset is not None:
        out["preset"] = preset
    blocks = [dict(b) if isinstance(b, dict) else b for b in data.get("include") or []]
    for b in blocks:
        if isinstance(b, dict) and "preset" in b and preset is not None:
            b["preset"] = preset
    if data_dir is not None:
        for m in [out, *(b for b in blocks if isinstance(b, dict) and "overrides" in b)]:
            m["overrides"] = {**(m.get("overrides") or {}), "data_dir": str(data_dir)}
    if "include" in data:
        out["include"] = blocks if isinstance(data["include"], list) else data["include"]
    return out


def plan(
    sweeps_dir: str | Path = DEFAULT_SWEEPS,
    preset: str | None = None,
    only: list[str] | None = None,
    seeds: list[int] | None = None,
    runs_root: str | Path | None = None,
    data_dir: str | Path | None = None,
) -> list[Experiment]:
    """The experiments to run, validated (every run's config is built); raises SweepError on bad input."""
    chosen = list(only) if only else list(EXPERIMENTS)
    bad = [x for x in chosen if x not in EXPERIMENTS + OPT_IN]
    if bad:
        known = ", ".join(EXPERIMENTS + OPT_IN)
        raise SweepError(f"unknown experiment {bad[0]!r} for --only; choose from {known}")
    root = Path(sweeps_dir)
    if not root.is_dir():
        raise SweepError(
            f"sweep directory {root} not found; run from the repository root (it holds sweeps/paper/) "
            "or pass --sweeps DIR"
        )
    out = []
    for name in chosen:
        path = root / f"{name}.yaml"
        sweep = parse_sweep(with_preset(read_sweep_file(path), preset, data_dir), str(path))
        if seeds is not None:
            sweep.runs = [r for r in sweep.runs if r.seed in seeds]
            if not sweep.runs:
                raise SweepError(f"{path}: no run has seed {', '.join(map(str, seeds))}")
        runs_dir = Path(runs_root) / name if runs_root is not None else Path(sweep.out)
        if runs_root is not None:  # the files' `reuse` names their own `out`s: here the experiments live elsewhere
            sweep.reuse = [str(Path(runs_root) / x) for x in EXPERIMENTS]
        out.append(Experiment(name, sweep, runs_dir))
    presets = sorted({r.preset for e in out for r in e.sweep.runs})
    if len(presets) != 1:
        raise SweepError(f"the sweeps use presets {', '.join(presets)}; pass --preset to run them at one")
    return out


def preset_of(experiments: list[Experiment]) -> str:
    return experiments[0].sweep.runs[0].preset


def run(
    experiments: list[Experiment],
    workers: int = 2,
    threads: int | None = None,
    report: Callable[[dict[str, Any]], None] | None = None,
) -> bool:
    """Run every experiment's sweep (finished runs are skipped, runs another experiment has already made are
    copied from it); False if one was interrupted (Ctrl-C)."""
    from e2nas.experiments.sweep import run_sweep

    dirs: list[str | Path] = [e.runs_dir for e in experiments]
    for e in experiments:
        e.summary = run_sweep(e.sweep, e.runs_dir, workers=workers, threads=threads, report=report, reuse=dirs)
        if e.summary["interrupted"]:
            return False
    return True


def write_reports(experiments: list[Experiment], out_dir: str | Path, published: bool = True) -> list[Path]:
    """Each experiment's layout report (``<name>.md``) and figures, and ``README.md`` linking them, in
    ``out_dir``; experiments without a finished run are listed as such. Returns the files written."""
    from e2nas.experiments.paper.figures import layout_figures
    from e2nas.experiments.paper.layouts import build_layout, render_layout
    from e2nas.experiments.report import ReportError
    from e2nas.safeio import atomic_write_text, ensure_dir

    out = ensure_dir(Path(out_dir), "report directory (--out)")
    written: list[Path] = []
    index = [f"# E²NAS paper experiments at the `{preset_of(experiments)}` preset", ""]
    index += ["Generated by `e2nas reproduce`; each sweep is a file in sweeps/paper/ with its preset set as above.", ""]
    for e in experiments:
        if e.name == "fig1b-darts":
            written += _write_darts_fig1b(e, out, index)
            continue
        try:
            data = build_layout(e.name, [e.runs_dir], published=published)
        except ReportError:
            index.append(f"- {e.name}: no finished runs in {e.runs_dir}")
            continue
        figures = layout_figures(e.name, [e.runs_dir], out)
        text = render_layout(data, "markdown")
        text += "".join(f"\n![{p.stem}]({p.name})\n" for p in figures)
        path = out / f"{e.name}.md"
        atomic_write_text(path, text)
        atomic_write_text(out / f"{e.name}.json", render_layout(data, "json"))
        written += [path, out / f"{e.name}.json", *figures]
        n = sum(g["n"] for g in data["groups"])
        index.append(f"- [{e.name}]({path.name}): {n} of {len(e.sweep.runs)} runs, sweep {e.sweep.source}")
    atomic_write_text(out / "README.md", "\n".join(index) + "\n")
    return [*written, out / "README.md"]


def _write_darts_fig1b(e: Experiment, out: Path, index: list[str]) -> list[Path]:
    """Fig. 1(b) on the DARTS space (:mod:`e2nas.experiments.darts_forgetting`) into ``out/fig1b-darts/``."""
    from e2nas.experiments.darts_forgetting import curves, write_report

    if not e.runs_dir.is_dir() or not curves(e.runs_dir):
        index.append(f"- {e.name}: no finished runs in {e.runs_dir}")
        return []
    png, md = write_report(e.runs_dir, out / e.name)
    index.append(f"- [{e.name}]({e.name}/{md.name}) and [its figure]({e.name}/{png.name}), sweep {e.sweep.source}")
    return [png, md]


def sweep_sections(dirs: list[str | Path]) -> list[tuple[str, Path]]:
    """(layout, run directory) for every sweep summary under ``dirs`` written by a sweep named after a layout
    (the files of sweeps/paper/): what ``e2nas report --layout auto`` shows."""
    found: list[tuple[str, Path]] = []
    for d in dirs:
        root = Path(d)
        files = [root] if root.is_file() else sorted(root.rglob("sweep_summary_*.json"))
        for f in files:
            try:
                name = json.loads(f.read_text()).get("sweep")
            except (OSError, ValueError, AttributeError):
                continue
            if name in LAYOUTS and summary_path(f.parent, name) == f and (name, f.parent) not in found:
                found.append((name, f.parent))
    return sorted(found, key=lambda s: (EXPERIMENTS.index(s[0]), str(s[1])))
