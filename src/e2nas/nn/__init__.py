"""Network building blocks shared by the discrete NB201 network and the weight-sharing supernet."""

from e2nas.netcost import count_parameters
from e2nas.nn.cell import DiscreteCell
from e2nas.nn.network import MacroNetwork, NB201Network
from e2nas.nn.ops import OP_FACTORIES, AvgPool, ReLUConvBN, Zero, make_op
from e2nas.nn.resblock import ResNetBasicBlock

__all__ = [
    "AvgPool",
    "DiscreteCell",
    "MacroNetwork",
    "NB201Network",
    "OP_FACTORIES",
    "ReLUConvBN",
    "ResNetBasicBlock",
    "Zero",
    "count_parameters",
    "make_op",
]
