"""NAS-Bench-201 (Dong & Yang 2020), everything in one place: the six-edge cell and its string format, index order,
isomorphism keys and D-VAE DAG view; the ops, discrete network and weight-sharing supernet; the bundled benchmark
table (ground truth); and :class:`NB201Space`, the plug-in the registry names ``nb201`` (docs/reference/nb201.md).

Importing this package registers the space (``e2nas.spaces.get_space("nb201")`` imports it on first use).
The architecture class keeps its short name :class:`Cell` (it is used everywhere and its repr is in old logs).
"""

from e2nas.spaces.nb201.cell import (
    EDGES,
    NONE_OP,
    NUM_CELLS,
    NUM_EDGES,
    NUM_NODES,
    NUM_OPS,
    OPS,
    STRING_FORMAT,
    Cell,
    all_cells,
)
from e2nas.spaces.nb201.dag import (
    DAG_NUM_TYPES,
    DAG_NUM_VERTICES,
    DAG_OP_VERTICES,
    DAG_PREDECESSORS,
    cell_to_dag,
    cells_to_dag_types,
    dag_to_cell,
)
from e2nas.spaces.nb201.ground_truth import METRIC_ALIASES, PAPER_COLUMNS, GroundTruth, NB201Table, load_table
from e2nas.spaces.nb201.iso import iso_key
from e2nas.spaces.nb201.network import NB201DiscreteCell, NB201MacroNetwork, NB201Network
from e2nas.spaces.nb201.official import OfficialBenchmark
from e2nas.spaces.nb201.ops import OP_FACTORIES, AvgPool, ReLUConvBN, Zero, make_op
from e2nas.spaces.nb201.resblock import ResNetBasicBlock
from e2nas.spaces.nb201.space import NB201Space
from e2nas.spaces.nb201.supernet import NB201SearchCell, NB201Supernet

__all__ = [
    "DAG_NUM_TYPES",
    "DAG_NUM_VERTICES",
    "DAG_OP_VERTICES",
    "DAG_PREDECESSORS",
    "EDGES",
    "METRIC_ALIASES",
    "NONE_OP",
    "NUM_CELLS",
    "NUM_EDGES",
    "NUM_NODES",
    "NUM_OPS",
    "OPS",
    "OP_FACTORIES",
    "PAPER_COLUMNS",
    "STRING_FORMAT",
    "AvgPool",
    "Cell",
    "GroundTruth",
    "NB201DiscreteCell",
    "NB201MacroNetwork",
    "NB201Network",
    "NB201SearchCell",
    "NB201Space",
    "NB201Supernet",
    "NB201Table",
    "OfficialBenchmark",
    "ReLUConvBN",
    "ResNetBasicBlock",
    "Zero",
    "all_cells",
    "cell_to_dag",
    "cells_to_dag_types",
    "dag_to_cell",
    "iso_key",
    "load_table",
    "make_op",
]
