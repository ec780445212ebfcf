"""Search spaces as plug-ins: the interface every space implements and the registry that names them."""

from e2nas.spaces.base import (
    Arch,
    ArchCost,
    ArchParseError,
    EdgeCosts,
    GroundTruthLike,
    SearchSpace,
    Shown,
    SpaceError,
    SupernetLike,
)
from e2nas.spaces.registry import DEFAULT_SPACE, LEGACY_SPACE, get_space, list_spaces, register_space

__all__ = [
    "DEFAULT_SPACE",
    "LEGACY_SPACE",
    "Arch",
    "ArchCost",
    "ArchParseError",
    "EdgeCosts",
    "GroundTruthLike",
    "SearchSpace",
    "Shown",
    "SpaceError",
    "SupernetLike",
    "get_space",
    "list_spaces",
    "register_space",
]
