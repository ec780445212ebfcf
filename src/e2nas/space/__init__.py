"""The NAS-Bench-201 cell search space: cells, string format, isomorphism keys and the D-VAE DAG view."""

from e2nas.spaces import ArchParseError
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
