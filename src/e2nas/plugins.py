"""One name -> class registry per plug-in kind (searchers, search spaces): a class decorator registers a class
under its ``name``; the first read imports every module of the kind's package and loads its entry-point group,
so a new plug-in is one new module and nothing else needs editing."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T", bound=type)


class PluginRegistry(Generic[T]):
    """Registered classes of one kind, e.g. ``PluginRegistry("searcher", "e2nas.searchers", ...)``."""

    def __init__(self, kind: str, package: str, directory: Path, infrastructure: set[str], group: str) -> None:
        self.kind, self.package, self.directory = kind, package, directory
        self.infrastructure, self.group = infrastructure, group
        self._classes: dict[str, T] = {}
        self._discovered = False

    def register(self, cls: T) -> T:
        """Class decorator: make ``cls`` available under ``cls.name``."""
        if not cls.name:
            raise ValueError(f"{cls.__qualname__} needs a non-empty class attribute 'name'")
        other = self._classes.get(cls.name)
        if other is not None and other is not cls and other.__qualname__ != cls.__qualname__:
            raise ValueError(f"{self.kind} name {cls.name!r} is taken by {other.__module__}.{other.__qualname__}")
        self._classes[cls.name] = cls
        return cls

    def classes(self) -> dict[str, T]:
        """Every registered class by name (the package's modules and entry points are imported on first call)."""
        if not self._discovered:
            self._discovered = True
            for mod in pkgutil.iter_modules([str(self.directory)]):
                if mod.name not in self.infrastructure and not mod.name.startswith("_"):
                    importlib.import_module(f"{self.package}.{mod.name}")
            try:
                from importlib.metadata import entry_points

                for ep in entry_points(group=self.group):
                    ep.load()
            except Exception:  # a broken third-party plugin must not break the built-in ones
                pass
        return self._classes
