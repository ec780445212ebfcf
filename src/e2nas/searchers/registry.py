"""Searcher registry: ``@register_searcher`` on the class, ``create_searcher(name, ...)``, ``list_searchers()``.

Every module in the ``e2nas.searchers`` package is imported the first time the registry is read, so a new
searcher is one new file; nothing else needs editing. Third-party packages can register through the
``e2nas.searchers`` entry-point group.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from e2nas.searchers.base import Searcher, SearcherError, SearcherOptions, parse_options

_REGISTRY: dict[str, type[Searcher]] = {}
_discovered = False
#: modules of this package that hold infrastructure, not searchers
_NOT_SEARCHERS = {"base", "registry", "complement"}


def register_searcher(cls: type[Searcher]) -> type[Searcher]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} needs a non-empty class attribute 'name'")
    other = _REGISTRY.get(cls.name)
    if other is not None and other is not cls and other.__qualname__ != cls.__qualname__:
        raise ValueError(f"searcher name {cls.name!r} is taken by {other.__module__}.{other.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    package = __name__.rpartition(".")[0]  # this module's package, found without importing it (no circle)
    for mod in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if mod.name not in _NOT_SEARCHERS and not mod.name.startswith("_"):
            importlib.import_module(f"{package}.{mod.name}")
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group="e2nas.searchers"):
            ep.load()
    except Exception:  # a broken third-party plugin must not break the built-in methods
        pass


def get_searcher_class(name: str) -> type[Searcher]:
    _discover()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise SearcherError(f"unknown method {name!r}; known methods: {', '.join(sorted(_REGISTRY))}") from None


def check_space(name: str, space: str) -> None:
    """Raise :class:`SearcherError` (one line) if method ``name`` does not work on search space ``space``."""
    cls = get_searcher_class(name)
    if space not in cls.spaces:
        raise SearcherError(
            f"method {name!r} works on the {'/'.join(cls.spaces)} search space only, not {space!r}; "
            f"see `e2nas methods` for the methods of each space"
        )


def list_searchers() -> dict[str, str]:
    """``{name: one-line description}`` of every registered searcher, sorted by name."""
    _discover()
    return {n: _REGISTRY[n].description for n in sorted(_REGISTRY)}


def create_searcher(
    name: str, options: dict[str, Any] | SearcherOptions | None = None, epsilon: float = 0.0
) -> Searcher:
    """Instantiate a registered searcher. ``options`` is its Options dataclass or a dict of (string) values."""
    cls = get_searcher_class(name)
    opts = options if isinstance(options, SearcherOptions) else parse_options(cls.Options, options)
    if not isinstance(opts, cls.Options):
        raise SearcherError(f"{name} expects options of type {cls.Options.__name__}, got {type(opts).__name__}")
    return cls(opts, epsilon=epsilon)
