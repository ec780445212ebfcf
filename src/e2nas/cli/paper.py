"""The paper's experiments on the command line: ``e2nas reproduce`` and ``e2nas report --layout``."""

from __future__ import annotations

from pathlib import Path

import typer

from e2nas.cli.common import fail, print_json


def report_layout(
    layout: str,
    dirs: list[Path],
    fmt: str,
    out: Path | None,
    plot_dir: Path | None,
    published: bool,
    per_dir: bool,
) -> None:
    """``e2nas report --layout L``: one paper layout of the runs, or (``auto``) one per sweeps/paper/ sweep
    found under ``dirs``; figures of figure layouts go to ``plot_dir``."""
    import json

    from e2nas.experiments.paper.figures import layout_figures
    from e2nas.experiments.paper.layouts import LAYOUTS, build_layout, render_layout
    from e2nas.experiments.paper.reproduce import sweep_sections
    from e2nas.experiments.report import ReportError

    if layout != "auto" and layout not in LAYOUTS:
        fail(f"unknown layout {layout!r}; choose one of default, auto, {', '.join(LAYOUTS)}")
    for d in dirs:
        if not d.exists():
            fail(f"{d} does not exist; give directories that hold runs (results.json)")
    sections = sweep_sections(dirs) if layout == "auto" else [(layout, None)]
    texts, datas, figures = [], [], []
    repeated = len(sections) > len({name for name, _ in sections})
    for i, (name, root) in enumerate(sections):
        where = [root] if root is not None else dirs
        try:
            data = build_layout(name, where, published=published, per_dir=per_dir)
        except ReportError as err:
            fail(str(err))
        drawn = layout_figures(name, where, plot_dir, per_dir, f"_{i}" if repeated else "") if plot_dir else []
        text = render_layout(data, fmt)
        if fmt == "markdown" and drawn:
            base = out.parent if out is not None else None
            links = [p.relative_to(base) if base is not None and p.is_relative_to(base) else p for p in drawn]
            text += "".join(f"\n![{p.stem}]({p})\n" for p in links)
        data["plots"] = [str(p) for p in drawn]
        texts.append(text)
        datas.append(data)
        figures += drawn
        for w in data["warnings"]:
            typer.echo(f"warning: {w}", err=True)
    if fmt == "json":
        text = json.dumps({"sections": [json.loads(render_layout(d, "json")) for d in datas]}, indent=2) + "\n"
    else:
        text = "\n".join(texts)
    if out is None:
        typer.echo(text, nl=False)
        return
    from e2nas.safeio import atomic_write_text, ensure_dir

    ensure_dir(out.parent, "directory of --out")
    atomic_write_text(out, text)
    typer.echo(f"report written to {out}" + (f"; {len(figures)} figures in {plot_dir}" if figures else ""), err=True)


def reproduce(
    preset: str = typer.Option(None, "--preset", "-p", help="preset for every sweep [default: the files', cpu]"),
    only: list[str] = typer.Option(
        None, "--only", help="table1 | table2 | fig1a | fig1b | fig1b-darts (repeatable) [default: all but fig1b-darts]"
    ),
    out: Path = typer.Option(None, "--out", "-o", help="reports and figures [default: docs/results/<preset>]"),
    runs: Path = typer.Option(None, "--runs", help="run directories go to RUNS/<experiment> [default: the files' out]"),
    sweeps: Path = typer.Option(Path("sweeps/paper"), "--sweeps", help="directory of the sweep files"),
    data_dir: Path = typer.Option(None, "--data-dir", help="dataset directory for every run (paper: CIFAR-10)"),
    seeds: str = typer.Option(None, "--seeds", help="only these seeds, e.g. 0 or 0,1 (run a long grid in parts)"),
    workers: int = typer.Option(2, "--workers", "-w", help="runs at the same time"),
    threads: int = typer.Option(None, "--threads", help="torch threads per run (default: cores // workers)"),
    published: bool = typer.Option(True, "--published/--no-published", help="published numbers beside the tables"),
    dry_run: bool = typer.Option(False, "--dry-run", help="list every experiment's runs and their status, run nothing"),
    no_run: bool = typer.Option(
        False, "--no-run", help="write the reports of the runs finished so far, start no run (a grid run in parts)"
    ),
    as_json: bool = typer.Option(False, "--json", help="with --dry-run: the plan as JSON"),
) -> None:
    """Run the E²NAS paper's experiments (sweeps/paper/: Table 1, Table 2, Fig. 1a, Fig. 1b) at one preset and
    write their reports and figures. Finished runs are skipped, interrupted ones resumed. Exit 1 if a run failed."""
    from e2nas.experiments.paper.reproduce import plan, preset_of, run, write_reports
    from e2nas.experiments.sweep import SweepError, run_status

    try:
        seed_list = [int(s) for s in seeds.split(",")] if seeds else None
    except ValueError:
        fail(f"--seeds must be comma-separated integers such as 0,1; got {seeds!r}")
    if workers < 1:
        fail(f"--workers must be >= 1, got {workers}")
    try:
        experiments = plan(sweeps, preset, only, seed_list, runs, data_dir)
    except SweepError as err:
        fail(str(err))
    if dry_run:
        rows = [
            {"experiment": e.name, "name": s.name, "status": run_status(e.runs_dir / s.name), "dir": str(e.runs_dir)}
            for e in experiments
            for s in e.sweep.runs
        ]
        if as_json:
            print_json({"preset": preset_of(experiments), "runs": rows})
            return
        for r in rows:
            typer.echo(f"{r['status']:>11}  {r['experiment']:<6}  {r['name']}")
        typer.echo(f"{len(rows)} runs at preset {preset_of(experiments)}")
        return
    from e2nas.cli.common import run_line as _line

    report_dir = out or Path("docs") / "results" / preset_of(experiments)
    if no_run:
        missing = [e.runs_dir for e in experiments if not e.runs_dir.is_dir()]
        if len(missing) == len(experiments):
            where = ", ".join(map(str, missing))
            fail(f"--no-run: no run directory exists ({where}); run the sweeps first or pass --runs")
        finished = True
    else:
        try:
            finished = run(experiments, workers, threads, report=lambda e: typer.echo(_line(e), err=True))
        except SweepError as err:
            fail(str(err))
    written = write_reports(experiments, report_dir, published)
    typer.echo(f"{len(written)} files in {report_dir}", err=True)
    if not finished:
        raise typer.Exit(130)
    if any(e.summary.get("counts", {}).get("failed") for e in experiments):
        raise typer.Exit(1)
