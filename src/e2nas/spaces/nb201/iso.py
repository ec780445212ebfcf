"""Isomorphism-canonical key of a cell.

The key expands the output node into a sorted sum of op-path terms: ``skip_connect`` passes its input's
expression through, ``none`` (or any op reading a node that is exactly ``#``) contributes the zero term ``#``, and any
other op wraps its input as ``(x)@op``.
Sorting the terms at every node makes the key invariant to the order of parallel paths, so cells that
differ only by a permutation of equivalent edges share one key.

Zero terms are kept in sums (``#+#`` is not simplified to ``#``), which is NATS-Bench's
``get_unique_str`` convention; with it the keys equal the table's ``iso_unique_str`` string for
string, so the 6,466 classes are exactly the benchmark's grouping (tested over all 15,625 cells).
"""

from __future__ import annotations

from e2nas.spaces.nb201.cell import NUM_NODES, OPS, Cell

ZERO = "#"


def iso_key(cell: Cell) -> str:
    nodes = ["0"]
    for node in range(1, NUM_NODES):
        terms = []
        for e, src in cell.edges_into(node):
            op, x = OPS[cell.ops[e]], nodes[src]
            if op == "none" or x == ZERO:
                terms.append(ZERO)
            elif op == "skip_connect":
                terms.append(x)
            else:
                terms.append(f"({x})@{op}")
        nodes.append("+".join(sorted(terms)))
    return nodes[-1]
