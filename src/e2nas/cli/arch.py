"""``e2nas arch`` and ``e2nas space``: inspect cells and the search space."""

from __future__ import annotations

import typer

from e2nas.cli.common import fail, print_json

space_app = typer.Typer(help="Facts about the NB201 search space.", no_args_is_help=True)


def arch(
    architecture: str = typer.Argument(
        ..., metavar="ARCH", help="NB201 index, official string or 6 op ids; with --space darts a Genotype(...)"
    ),
    space: str = typer.Option("nb201", "--space", help="nb201 | darts"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Show an architecture: NB201 cell (index, ops, isomorphism key, parameters, ground truth) or DARTS
    genotype (op counts, evaluation-network parameters)."""
    shows = {"nb201": _nb201_arch, "darts": _darts_arch}
    if space not in shows:
        fail(f"unknown search space {space!r}; choose one of {', '.join(shows)}")
    shows[space](architecture, as_json)


def _darts_arch(architecture: str, as_json: bool) -> None:
    """A DARTS genotype, its op counts and the parameters of its evaluation network (20 cells, C=36, CIFAR-10)."""
    from e2nas.spaces import ArchParseError
    from e2nas.spaces.darts import DartsNetwork, Genotype

    try:
        genotype = Genotype.parse(architecture)
    except ArchParseError as err:
        fail(f"invalid DARTS genotype: {err}")
    from e2nas.spaces import get_space

    net = DartsNetwork(genotype, C=36, N=6, num_classes=10, auxiliary=True)
    space = get_space("darts")
    info = {
        "space": "darts",
        "genotype": genotype.to_string(),
        "op_counts": genotype.op_counts(),
        "eval_network": {"C": 36, "cells": len(net.cells), "num_classes": 10},
        "params": net.num_parameters(auxiliary=True),
        "params_without_aux": net.num_parameters(auxiliary=False),
        # the network without the auxiliary head (what is deployed), counted by FlopCounterMode
        "cost": _cost(space, genotype),
    }
    if as_json:
        print_json(info)
        return
    typer.echo(info["genotype"])
    for kind, counts in info["op_counts"].items():
        typer.echo(f"{kind}: " + ", ".join(f"{op} x{n}" for op, n in counts.items()))
    typer.echo(
        f"evaluation network (20 cells, C=36, CIFAR-10): {info['params_without_aux'] / 1e6:.6f} M parameters, "
        f"{info['params'] / 1e6:.6f} M with the auxiliary head"
    )
    typer.echo(_cost_line(info["cost"]))


def _cost(space, arch) -> dict:
    """The space's cost report, or an error line: a genotype with no 28-edge view is still counted."""
    from e2nas.spaces import ArchCost

    counted = space.count_cost(arch)
    try:
        budget = space.cost(arch).to_dict()
    except Exception:  # a DARTS genotype reading one input twice has no 28-edge view: use the full count
        budget = ArchCost(counted["params"] / 1e6, counted["macs"] / 1e6).to_dict()
    return {**budget, "flops_convention": space.flops_convention, "counted": counted}


def _cost_line(cost: dict) -> str:
    c = cost["counted"]
    return (
        f"cost: {cost['params_M']:.6f} M parameters, {cost['flops_M']:.6f} M FLOPs ({cost['flops_convention']}); "
        f"FlopCounterMode: {c['flops'] / 1e6:.6f} M FLOPs = {c['macs'] / 1e6:.6f} M multiply-adds"
    )


def _nb201_arch(architecture: str, as_json: bool) -> None:
    from e2nas.netcost import count_parameters
    from e2nas.spaces import ArchParseError, get_space
    from e2nas.spaces.nb201 import Cell, GroundTruth, NB201Network, iso_key

    try:
        cell = Cell.parse(architecture)
    except ArchParseError as err:
        fail(f"invalid architecture {architecture!r}: {err}")
    gt = GroundTruth()
    info = {
        "index": cell.index,
        "arch": cell.to_string(),
        "ops": list(cell.op_names),
        "iso_key": iso_key(cell),
        "params_M": round(count_parameters(NB201Network(cell, C=16, N=5, num_classes=10)) / 1e6, 6),
        "ground_truth": gt.summary(cell),
        "cost": _cost(get_space("nb201"), cell),
    }
    if as_json:
        print_json(info)
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"NB201 cell #{info['index']}", show_header=False)
    t.add_row("arch", info["arch"])
    t.add_row("ops (e0..e5)", ", ".join(info["ops"]))
    t.add_row("iso key", info["iso_key"])
    t.add_row("params (M)", f"{info['params_M']:.6f}")
    t.add_row("FLOPs (M, NB201 table)", f"{info['cost']['flops_M']:.6f}")
    counted = info["cost"]["counted"]
    t.add_row("FlopCounterMode (M)", f"{counted['flops'] / 1e6:.6f} FLOPs = {counted['macs'] / 1e6:.6f} multiply-adds")
    for k, v in info["ground_truth"].items():
        t.add_row(k, f"{v:.3f}")
    t.add_row("rank (C10 valid)", f"{gt.rank(cell)} / 15625")
    Console().print(t)


@space_app.command("stats")
def space_stats(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Counts and optima of the NB201 space."""
    from e2nas.spaces.nb201 import NUM_EDGES, NUM_OPS, OPS, PAPER_COLUMNS, GroundTruth

    gt = GroundTruth()
    best = {}
    for m in PAPER_COLUMNS + ("cifar10_test",):
        cell, value = gt.best(m)
        best[m] = {"index": cell.index, "value": value}
    stats = {
        "cells": len(gt.table.arch_str),
        "iso_classes": len(set(gt.table.iso_unique_str)),
        "edges": NUM_EDGES,
        "ops": list(OPS),
        "num_ops": NUM_OPS,
        "best": best,
    }
    if as_json:
        print_json(stats)
        return
    typer.echo(f"cells: {stats['cells']}  iso classes: {stats['iso_classes']}  ops: {', '.join(OPS)}")
    for m, b in best.items():
        typer.echo(f"best {m}: {b['value']:.3f} (index {b['index']})")
