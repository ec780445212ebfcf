"""``e2nas sweep`` (run a grid of searches from a YAML file) and ``e2nas report`` (tables and plots)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from e2nas.cli.common import fail, print_json, run_line


def sweep(
    file: Path = typer.Argument(..., help="sweep YAML file (schema: docs/experiments.md)"),
    out: str = typer.Option(None, "--out", "-o", help="root directory of the runs (default: the file's `out`)"),
    workers: int = typer.Option(
        None, "--workers", "-w", help="runs at the same time [default: 2; with GPUs: the number of GPU slots]"
    ),
    engine: str = typer.Option("local", "--engine", help="local (worker processes) | ray"),
    address: str = typer.Option(None, "--address", help="Ray cluster address (default: start a local instance)"),
    threads: int = typer.Option(None, "--threads", help="torch threads per run (default: cores // workers)"),
    gpus: int = typer.Option(None, "--gpus", help="GPUs to place runs on (default: none, or all visible with a share)"),
    gpu_per_run: float = typer.Option(
        None, "--gpu-per-run", help="share of one GPU per run, e.g. 0.25 (default: the sweep file's, else 1)"
    ),
    ship_code: bool = typer.Option(
        True, "--ship-code/--no-ship-code", help="with --address: send this e2nas to the cluster's workers"
    ),
    reuse: list[Path] = typer.Option(
        None, "--reuse", help="another sweep's run root: its identical finished runs are copied (repeatable)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="list the runs and their status, run nothing"),
    as_json: bool = typer.Option(False, "--json", help="print the sweep summary as JSON"),
) -> None:
    """Run a grid of searches; finished runs are skipped, interrupted ones resumed, and runs identical to a
    finished run of a sweep named by the file's `reuse` (or --reuse) copied from it. Exit 1 if any run failed."""
    from e2nas.experiments.sweep import SweepError, load_sweep, run_status, run_sweep

    try:
        sw = load_sweep(file)
    except SweepError as err:
        fail(str(err))
    root = Path(out or sw.out)
    if dry_run:
        plan = [{"name": s.name, "status": run_status(root / s.name), **s.to_dict()} for s in sw.runs]
        roots = [Path(r) for r in [*sw.reuse, *(reuse or [])]]
        if roots:
            from e2nas.experiments.reuse import reuse_sources

            sources = reuse_sources(sw.runs, root, roots)
            for p in plan:
                if p["name"] in sources and p["status"] != "running":
                    p.update(status="reusable", reuse_from=str(sources[p["name"]]))
        if as_json:
            print_json({"sweep": sw.name, "out": str(root), "runs": plan, "dropped": sw.dropped})
            return
        for p in plan:
            typer.echo(f"{p['status']:>11}  {p['name']}" + (f"  (from {p['reuse_from']})" if "reuse_from" in p else ""))
        for d in sw.dropped:
            typer.echo(f"    dropped  {d}")
        typer.echo(f"{len(plan)} runs in {root}")
        return
    from e2nas.safeio import ensure_dir

    ensure_dir(root, "sweep output directory (--out)")  # before the header: a bad --out is the only line
    typer.echo(f"sweep {sw.name}: {len(sw.runs)} runs in {root} ({engine})", err=True)
    for d in sw.dropped:
        typer.echo(f"dropped: {d}", err=True)
    try:
        summary = run_sweep(
            sw,
            root,
            workers=workers,
            engine=engine,
            address=address,
            threads=threads,
            report=lambda e: typer.echo(run_line(e), err=True),
            gpus=gpus,
            gpu_per_run=gpu_per_run,
            ship_code=ship_code,
            reuse=list(reuse or []),
        )
    except SweepError as err:
        fail(str(err))
    if as_json:
        print_json(summary)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(summary["counts"].items()))
    typer.echo(f"{counts}; summary in {summary['summary_file']}", err=True)
    if summary["interrupted"]:
        raise typer.Exit(130)
    if summary["counts"].get("failed"):
        raise typer.Exit(1)


def report(
    dirs: list[Path] = typer.Argument(..., help="directories searched (recursively) for runs (results.json)"),
    as_json: bool = typer.Option(False, "--json", help="JSON output"),
    markdown: bool = typer.Option(False, "--markdown", help="Markdown tables (the default)"),
    latex: bool = typer.Option(False, "--latex", help="LaTeX tables (booktabs)"),
    out: Path = typer.Option(None, "--out", "-o", help="write the report here; PNG plots go next to it"),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="with --out: write the PNG figures next to it"),
    plots_dir: Path = typer.Option(None, "--plots-dir", help="write the PNG figures here (also without --out)"),
    published: bool = typer.Option(False, "--published", help="add the published NB201 numbers as reference rows"),
    latent_map: bool = typer.Option(True, "--latent-map/--no-latent-map", help="draw the D-VAE latent map"),
    per_dir: bool = typer.Option(False, "--per-dir", help="never group runs found under different DIRs"),
    layout: str = typer.Option(
        "default",
        "--layout",
        help="default (Table 1 + Table 2 of every group) | table1 | table2 | fig1a | fig1b (the paper's layout) | "
        "auto (the layout of each sweeps/paper/ sweep found under DIRS, else default)",
    ),
) -> None:
    """Paper-format tables (Table 1: final cell; Table 2: final vs best during search) and plots from runs."""
    from e2nas.experiments.report import ReportError, build_report

    chosen = [f for f, on in (("json", as_json), ("markdown", markdown), ("latex", latex)) if on]
    if len(chosen) > 1:
        fail("choose one of --json, --markdown, --latex")
    fmt = chosen[0] if chosen else "markdown"
    plot_dir = plots_dir if plots_dir else (out.parent if out and plots else None)
    if layout == "auto":
        from e2nas.experiments.paper.reproduce import sweep_sections

        if not sweep_sections(list(dirs)):
            typer.echo("note: no sweep of sweeps/paper/ wrote these runs; the default report follows", err=True)
            layout = "default"
    if layout != "default":
        from e2nas.cli.paper import report_layout

        report_layout(layout, list(dirs), fmt, out, plot_dir, published, per_dir)
        return
    try:
        rep = build_report(list(dirs), published=published, per_dir=per_dir)
    except ReportError as err:
        fail(str(err))
    text = _render_with_plots(rep, fmt, out, plot_dir, latent_map, list(dirs), per_dir)
    if out is None:
        typer.echo(text, nl=False)
    for w in rep["warnings"]:
        typer.echo(f"warning: {w}", err=True)


def _render_with_plots(
    rep: dict[str, Any],
    fmt: str,
    out: Path | None,
    plot_dir: Path | None,
    latent_map: bool,
    dirs: list[Path],
    per_dir: bool,
) -> str:
    """Write the figures (if ``plot_dir``), render the report, link the figures from Markdown, write ``out``."""
    from e2nas.experiments.report import render

    written: list[Path] = []
    if plot_dir is not None:
        from e2nas.experiments.plots import make_plots

        written = make_plots(dirs, plot_dir, latent_map=latent_map, per_dir=per_dir)
        rep["plots"] = [str(p) for p in written]
    text = render(rep, fmt)
    if fmt == "markdown" and written:
        base = out.parent if out is not None else None
        links = [str(p.relative_to(base)) if base is not None and p.is_relative_to(base) else str(p) for p in written]
        text += "\n## Figures\n\n" + "".join(f"![{Path(x).stem}]({x})\n\n" for x in links)
    if out is not None:
        from e2nas.safeio import atomic_write_text, ensure_dir

        ensure_dir(out.parent, "directory of --out")
        atomic_write_text(out, text)
        typer.echo(
            f"report written to {out}" + (f"; {len(written)} figures in {plot_dir}" if plot_dir else ""), err=True
        )
    return text
