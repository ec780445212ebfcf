"""``e2nas sweep`` (run a grid of searches from a YAML file) and ``e2nas report`` (tables and plots)."""

from __future__ import annotations

from pathlib import Path

import typer

from e2nas.cli.common import fail, print_json


def _line(entry: dict) -> str:
    status = entry["status"]
    extra = ""
    if entry.get("final_cifar10_valid") is not None:
        extra = f"  final #{entry['final_index']} C10 valid {entry['final_cifar10_valid']:.2f}"
    if entry.get("error"):
        extra = f"  {entry['error']}"
    if entry.get("wall_s") is not None and status != "started":
        extra += f"  ({entry['wall_s']:.0f}s)"
    return f"{status:>11}  {entry['name']}{extra}"


def sweep(
    file: Path = typer.Argument(..., help="sweep YAML file (schema: docs/experiments.md)"),
    out: str = typer.Option(None, "--out", "-o", help="root directory of the runs (default: the file's `out`)"),
    workers: int = typer.Option(2, "--workers", "-w", help="runs at the same time"),
    engine: str = typer.Option("local", "--engine", help="local (worker processes) | ray"),
    address: str = typer.Option(None, "--address", help="Ray cluster address (default: start a local instance)"),
    threads: int = typer.Option(None, "--threads", help="torch threads per run (default: cores // workers)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="list the runs and their status, run nothing"),
    as_json: bool = typer.Option(False, "--json", help="print the sweep summary as JSON"),
) -> None:
    """Run a grid of searches; finished runs are skipped, interrupted ones resumed. Exit 1 if any run failed."""
    from e2nas.experiments.sweep import SweepError, load_sweep, run_status, run_sweep

    try:
        sw = load_sweep(file)
    except SweepError as err:
        fail(str(err))
    root = Path(out or sw.out)
    if dry_run:
        plan = [{"name": s.name, "status": run_status(root / s.name), **s.to_dict()} for s in sw.runs]
        if as_json:
            print_json({"sweep": sw.name, "out": str(root), "runs": plan, "dropped": sw.dropped})
            return
        for p in plan:
            typer.echo(f"{p['status']:>11}  {p['name']}")
        for d in sw.dropped:
            typer.echo(f"    dropped  {d}")
        typer.echo(f"{len(plan)} runs in {root}")
        return
    typer.echo(f"sweep {sw.name}: {len(sw.runs)} runs in {root} ({engine}, {workers} workers)", err=True)
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
            report=lambda e: typer.echo(_line(e), err=True),
        )
    except SweepError as err:
        fail(str(err))
    if as_json:
        print_json(summary)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(summary["counts"].items()))
    typer.echo(f"{counts}; summary in {root / 'sweep_summary.json'}", err=True)
    if summary["interrupted"]:
        raise typer.Exit(130)
    if summary["counts"].get("failed"):
        raise typer.Exit(1)
