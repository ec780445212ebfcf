"""Space registry: ``@register_space`` on the class, ``get_space(name)``, ``list_spaces()``.

Every module and package (one folder per space, ``e2nas.spaces.nb201``) of this package is imported the first
time the registry is read, so a new space is one new folder; third-party packages can register through the
``e2nas.spaces`` entry-point group (docs/spaces.md#adding-a-space).
"""

from __future__ import annotations

from pathlib import Path

from e2nas.plugins import PluginRegistry
from e2nas.spaces.base import SearchSpace, SpaceError

#: the space used when none is given (``--space`` defaults, configs): the one place that names it
DEFAULT_SPACE = "nb201"
#: the space of records that name none: results, configs and checkpoints (the ``__cell__`` tag) written before
#: spaces were plug-ins. Kept apart from :data:`DEFAULT_SPACE` so a new default never re-reads old runs.
LEGACY_SPACE = "nb201"

#: the registered spaces (base and registry are infrastructure, not spaces)
_PLUGINS: PluginRegistry[type[SearchSpace]] = PluginRegistry(
    "space",
    __name__.rpartition(".")[0],
    Path(__file__).parent,
    {"base", "registry"},
    "e2nas.spaces",
    error=SpaceError,
    noun="search space",
)
register_space = _PLUGINS.register


def get_space(name: str) -> SearchSpace:
    """A fresh instance of the space registered as ``name``."""
    return _PLUGINS.get(name)()


def list_spaces() -> dict[str, str]:
    """``{name: one-line description}`` of every registered space, sorted by name."""
    classes = _PLUGINS.classes()
    return {n: classes[n].description for n in sorted(classes)}
