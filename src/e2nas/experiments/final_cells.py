"""Which operations the final cells of a set of runs use: per run, the number of `none` edges and of convolution
edges (of NB201's 6) and the cell's C10-valid ground truth; grouped by method (E²NAS by variant). Sparse cells
(many `none`, few convolutions) are what an under-trained supernet rates too high.

    python scripts/final_cell_ops.py results/cpu/runs/table1 [--markdown]   (a thin entry to :func:`main`)
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple


class FinalCell(NamedTuple):
    """One run's final cell: `none` edges, convolution edges, C10-valid ground truth (%), the run's seed."""

    none: int
    conv: int
    c10_valid: float
    seed: int


def cell_ops(cell: str) -> list[str]:
    """The operation of every edge of an NB201 cell string (``|op~0|+|op~0|op~1|+|...|``), in string order."""
    return [p.split("~")[0] for p in cell.replace("|+|", "|").strip("|").split("|")]


def method_label(result: dict) -> str:
    """The run's method, E²NAS with its variant (``e2nas (paper)``)."""
    method = result["method"]
    if method == "e2nas":
        method += f" ({(result.get('searcher_options') or {}).get('variant', 'paper')})"
    return method


def final_cells(dirs: Iterable[Path]) -> dict[str, list[FinalCell]]:
    """Every finished run's final cell under ``dirs`` (a run in two directories counts twice), by method in the
    order first met, each method's runs by seed."""
    rows: dict[str, list[FinalCell]] = defaultdict(list)
    for d in dirs:
        for f in sorted(d.rglob("results.json")):
            r = json.loads(f.read_text())
            ops = cell_ops(r["final"]["cell"])
            conv = sum(o.startswith("nor_conv") for o in ops)
            rows[method_label(r)].append(
                FinalCell(ops.count("none"), conv, r["final"]["ground_truth"]["cifar10_valid"], r["seed"])
            )
    for v in rows.values():
        v.sort(key=lambda t: t.seed)
    return dict(rows)


def render(rows: dict[str, list[FinalCell]], markdown: bool = False) -> list[str]:
    """One line per method (a Markdown table with ``markdown``)."""
    out = []
    if markdown:
        out += [
            "| method | runs | `none` edges per final cell | conv edges per final cell | C10 valid |",
            "|---|---:|---|---|---|",
        ]
    for m, v in rows.items():
        none = ", ".join(str(t.none) for t in v)
        conv = ", ".join(str(t.conv) for t in v)
        acc = ", ".join(f"{t.c10_valid:.2f}" for t in v)
        if markdown:
            out.append(f"| {m} | {len(v)} | {none} | {conv} | {acc} |")
        else:
            out.append(f"{m}: none {none}; conv {conv}; {acc}")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """The command line of ``scripts/final_cell_ops.py``."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("dirs", type=Path, nargs="+")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    a = ap.parse_args(argv)
    print("\n".join(render(final_cells(a.dirs), a.markdown)))
