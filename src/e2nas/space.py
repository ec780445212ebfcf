"""Deprecated: the NB201 cell API moved to :mod:`e2nas.spaces.nb201` (one home per search space).

Kept so that code written against ``e2nas.space`` keeps running; it re-exports the names this package exported
and warns once on import. Submodules (``e2nas.space.cell``, ``e2nas.space.darts``, ...) are gone: import from
``e2nas.spaces.nb201`` / ``e2nas.spaces.darts``. Nothing inside e2nas imports this module (tests/package).
"""

import warnings

from e2nas.spaces.base import ArchParseError
from e2nas.spaces.nb201 import (
    DAG_NUM_TYPES,
    DAG_NUM_VERTICES,
    DAG_OP_VERTICES,
    DAG_PREDECESSORS,
    EDGES,
    NUM_CELLS,
    NUM_EDGES,
    NUM_OPS,
    OPS,
    Cell,
    all_cells,
    cell_to_dag,
    cells_to_dag_types,
    dag_to_cell,
    iso_key,
)

warnings.warn(
    "e2nas.space is deprecated; use e2nas.spaces.nb201 (or e2nas.spaces.get_space('nb201'))",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "EDGES",
    "NUM_CELLS",
    "NUM_EDGES",
    "NUM_OPS",
    "OPS",
    "ArchParseError",
    "Cell",
    "all_cells",
    "iso_key",
    "cell_to_dag",
    "cells_to_dag_types",
    "dag_to_cell",
    "DAG_NUM_TYPES",
    "DAG_NUM_VERTICES",
    "DAG_OP_VERTICES",
    "DAG_PREDECESSORS",
]
