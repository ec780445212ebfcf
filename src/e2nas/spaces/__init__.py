"""Search spaces as plug-ins: the interface every space implements and the registry that names them."""

from e2nas.spaces.base import (
    Arch,
    ArchCost,
    ArchParseError,
    EdgeCosts,
    GroundTruthLike,
    SearchSpace,
    SpaceError,
    SupernetLike,
)
from e2nas.spaces.registry import get_space, list_spaces, register_space

__all__ = [
    "Arch",
    "ArchCost",
    "ArchParseError",
    "EdgeCosts",
    "GroundTruthLike",
    "SearchSpace",
    "SpaceError",
    "SupernetLike",
    "get_space",
    "list_spaces",
    "register_space",
]
