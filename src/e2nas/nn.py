"""Deprecated: the NB201 network blocks moved to :mod:`e2nas.spaces.nb201` (DARTS' to :mod:`e2nas.spaces.darts`,
``count_parameters`` to :mod:`e2nas.netcost`).

Kept so that code written against ``e2nas.nn`` keeps running; it re-exports the names this package exported
(``MacroNetwork`` and ``DiscreteCell`` under their old names) and warns once on import. Nothing inside e2nas
imports this module (tests/package).
"""

import warnings

from e2nas.netcost import count_parameters
from e2nas.spaces.nb201 import (
    OP_FACTORIES,
    AvgPool,
    NB201Network,
    ReLUConvBN,
    ResNetBasicBlock,
    Zero,
    make_op,
)
from e2nas.spaces.nb201 import NB201DiscreteCell as DiscreteCell
from e2nas.spaces.nb201 import NB201MacroNetwork as MacroNetwork

warnings.warn(
    "e2nas.nn is deprecated; use e2nas.spaces.nb201 (or e2nas.spaces.get_space('nb201').network(...))",
    DeprecationWarning,
    stacklevel=2,
)

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
