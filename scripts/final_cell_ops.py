"""Which operations the final cells of a set of runs use: per run, the number of `none` edges and of convolution
edges (of NB201's 6) and the cell's C10-valid ground truth; grouped by method (E²NAS by variant). Sparse cells
(many `none`, few convolutions) are what an under-trained supernet rates too high.

    python scripts/final_cell_ops.py results/cpu/runs/table1 [--markdown]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", type=Path, nargs="+")
    ap.add_argument("--markdown", action="store_true", help="a Markdown table")
    a = ap.parse_args()
    rows: dict[str, list[tuple[int, int, float, int]]] = defaultdict(list)
    for d in a.dirs:
        for f in sorted(d.rglob("results.json")):
            r = json.loads(f.read_text())
            method = r["method"]
            if method == "e2nas":
                method += f" ({(r.get('searcher_options') or {}).get('variant', 'paper')})"
            ops = [p.split("~")[0] for p in r["final"]["cell"].replace("|+|", "|").strip("|").split("|")]
            conv = sum(o.startswith("nor_conv") for o in ops)
            rows[method].append((ops.count("none"), conv, r["final"]["ground_truth"]["cifar10_valid"], r["seed"]))
    if a.markdown:
        print("| method | runs | `none` edges per final cell | conv edges per final cell | C10 valid |")
        print("|---|---:|---|---|---|")
    for m, v in rows.items():
        v.sort(key=lambda t: t[3])
        none = ", ".join(str(t[0]) for t in v)
        conv = ", ".join(str(t[1]) for t in v)
        acc = ", ".join(f"{t[2]:.2f}" for t in v)
        if a.markdown:
            print(f"| {m} | {len(v)} | {none} | {conv} | {acc} |")
        else:
            print(f"{m}: none {none}; conv {conv}; {acc}")


if __name__ == "__main__":
    main()
