"""Searcher registry: ``@register_searcher`` on the class, ``create_searcher(name, ...)``, ``list_searchers()``.

Every module in the ``e2nas.searchers`` package is imported the first time the registry is read, so a new
searcher is one new file; nothing else needs editing. Third-party packages can register through the
``e2nas.searchers`` entry-point group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2nas.plugins import PluginRegistry
from e2nas.searchers.base import Searcher, SearcherError, SearcherOptions, parse_options

#: the registered searchers (base, registry and complement are infrastructure, not searchers)
_PLUGINS: PluginRegistry[type[Searcher]] = PluginRegistry(
    "searcher",
    __name__.rpartition(".")[0],
    Path(__file__).parent,
    {"base", "registry", "complement"},
    "e2nas.searchers",
    error=SearcherError,
    noun="method",
)
register_searcher = _PLUGINS.register


def get_searcher_class(name: str) -> type[Searcher]:
    return _PLUGINS.get(name)


def searcher_spaces(name: str) -> list[str]:
    """The search spaces method ``name`` works on: its ``spaces``, then, for a method that needs only the space
    interface (``any_space``), every other registered space."""
    cls = get_searcher_class(name)
    if not cls.any_space:
        return list(cls.spaces)
    from e2nas.spaces import list_spaces

    return list(cls.spaces) + [s for s in list_spaces() if s not in cls.spaces]


def check_space(name: str, space: str) -> None:
    """Raise :class:`SearcherError` (one line) if method ``name`` does not work on search space ``space``."""
    cls = get_searcher_class(name)
    if space not in searcher_spaces(name):
        raise SearcherError(
            f"method {name!r} works on the {'/'.join(cls.spaces)} search space only, not {space!r}; "
            f"see `e2nas methods` for the methods of each space"
        )


def list_searchers() -> dict[str, str]:
    """``{name: one-line description}`` of every registered searcher, sorted by name."""
    classes = _PLUGINS.classes()
    return {n: classes[n].description for n in sorted(classes)}


def create_searcher(
    name: str, options: dict[str, Any] | SearcherOptions | None = None, epsilon: float = 0.0
) -> Searcher:
    """Instantiate a registered searcher. ``options`` is its Options dataclass or a dict of (string) values."""
    cls = get_searcher_class(name)
    opts = options if isinstance(options, SearcherOptions) else parse_options(cls.Options, options)
    if not isinstance(opts, cls.Options):
        raise SearcherError(f"{name} expects options of type {cls.Options.__name__}, got {type(opts).__name__}")
    return cls(opts, epsilon=epsilon)
