"""The NB201 cell's fixed layout: op names in index order, the edges of the 4-node DAG, and the parse error.

Kept apart from :mod:`e2nas.spaces.nb201.cell` so that the index order (:mod:`~e2nas.spaces.nb201.indexing`) can use
them without importing the cell class that uses it.
"""

from __future__ import annotations

from e2nas.spaces.base import ArchParseError

__all__ = ["EDGES", "NONE_OP", "NUM_CELLS", "NUM_EDGES", "NUM_NODES", "NUM_OPS", "OPS", "ArchParseError"]

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NUM_OPS = len(OPS)
#: index of the ``none`` op (an edge that carries nothing)
NONE_OP = OPS.index("none")
#: (to_node, from_node) per edge, in the official string order.
EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
NUM_EDGES = len(EDGES)
NUM_NODES = 4
NUM_CELLS = NUM_OPS**NUM_EDGES
