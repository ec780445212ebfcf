"""The DARTS space (Liu, Simonyan & Yang 2019), everything in one place: genotypes and the 28-edge architecture
view, the candidate ops, the evaluation network, the weight-sharing search network and :class:`DARTSSpace`, the
plug-in the registry names ``darts`` (docs/reference/darts.md). There is no benchmark, so no ground truth.

Importing this package registers the space (``e2nas.spaces.get_space("darts")`` imports it on first use).
"""

from e2nas.spaces.darts.genotype import (
    CELL_EDGES,
    EDGES_PER_CELL,
    NONE_OP,
    NUM_EDGES,
    NUM_INPUTS,
    NUM_NODES,
    NUM_OPS,
    OPS,
    DartsCell,
    Genotype,
    derive_genotype,
    edge_index,
    parse_cell,
    random_cell,
)
from e2nas.spaces.darts.network import DartsAuxiliaryHead, DartsEvalCell, DartsNetwork, drop_path
from e2nas.spaces.darts.ops import DARTS_OP_FACTORIES, make_darts_op
from e2nas.spaces.darts.space import DARTSSpace
from e2nas.spaces.darts.supernet import DartsSearchCell, DartsSupernet

__all__ = [
    "CELL_EDGES",
    "DARTS_OP_FACTORIES",
    "EDGES_PER_CELL",
    "NONE_OP",
    "NUM_EDGES",
    "NUM_INPUTS",
    "NUM_NODES",
    "NUM_OPS",
    "OPS",
    "DARTSSpace",
    "DartsAuxiliaryHead",
    "DartsCell",
    "DartsEvalCell",
    "DartsNetwork",
    "DartsSearchCell",
    "DartsSupernet",
    "Genotype",
    "derive_genotype",
    "drop_path",
    "edge_index",
    "make_darts_op",
    "parse_cell",
    "random_cell",
]
