"""Space registry: ``@register_space`` on the class, ``get_space(name)``, ``list_spaces()``.

Every module of this package is imported the first time the registry is read, so a new space is one new
module; third-party packages can register through the ``e2nas.spaces`` entry-point group.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from e2nas.spaces.base import SearchSpace, SpaceError

_REGISTRY: dict[str, type[SearchSpace]] = {}
_discovered = False
#: modules of this package that hold infrastructure, not spaces
_NOT_SPACES = {"base", "registry"}


def register_space(cls: type[SearchSpace]) -> type[SearchSpace]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__qualname__} needs a non-empty class attribute 'name'")
    other = _REGISTRY.get(cls.name)
    if other is not None and other is not cls and other.__qualname__ != cls.__qualname__:
        raise ValueError(f"space name {cls.name!r} is taken by {other.__module__}.{other.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    package = __name__.rpartition(".")[0]
    for mod in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if mod.name not in _NOT_SPACES and not mod.name.startswith("_"):
            importlib.import_module(f"{package}.{mod.name}")
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group="e2nas.spaces"):
            ep.load()
    except Exception:  # a broken third-party plugin must not break the built-in spaces
        pass


def get_space(name: str) -> SearchSpace:
    """A fresh instance of the space registered as ``name``."""
    _discover()
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise SpaceError(f"unknown search space {name!r}; known spaces: {', '.join(sorted(_REGISTRY))}") from None


def list_spaces() -> dict[str, str]:
    """``{name: one-line description}`` of every registered space, sorted by name."""
    _discover()
    return {n: _REGISTRY[n].description for n in sorted(_REGISTRY)}
