"""Name registries, one style for every kind.

:class:`PluginRegistry`: one name -> class registry per plug-in kind (searchers, search spaces, monitors): a class
decorator registers a class under its ``name``; the first read imports every module of the kind's package and
loads its entry-point group, so a new plug-in is one new module and nothing else needs editing.

:class:`Registry`: name -> plain object (a preset's factory, a dataset's spec, a paper layout's builder), filled
by the module that defines them; ``register(name)`` is the decorator, ``get(name)`` the one lookup with the one
error that lists the known names.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T", bound=type)
V = TypeVar("V")


class PluginRegistry(Generic[T]):
    """Registered classes of one kind, e.g. ``PluginRegistry("searcher", "e2nas.searchers", ...)``."""

    def __init__(
        self,
        kind: str,
        package: str,
        directory: Path,
        infrastructure: set[str],
        group: str,
        *,
        error: Callable[[str], Exception] = KeyError,
        noun: str = "",
    ) -> None:
        self.kind, self.package, self.directory = kind, package, directory
        self.infrastructure, self.group = infrastructure, group
        #: what a miss raises, and the word for the kind in its message ("method" for searchers)
        self.error, self.noun = error, noun or kind
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

    def get(self, name: str) -> T:
        """The class registered as ``name``; an unknown name raises the registry's error, listing the names."""
        classes = self.classes()
        try:
            return classes[name]
        except KeyError:
            raise self.error(f"unknown {self.noun} {name!r}; choose one of {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        """Every registered name, sorted (discovery order depends on the file system and the entry points)."""
        return sorted(self.classes())


class Registry(Generic[V]):
    """Named objects of one kind, in registration order, e.g. ``Registry("preset", ConfigError)``: lookups of an
    unknown name raise ``error("unknown preset 'x'; choose one of paper, cpu, ...")``."""

    def __init__(self, kind: str, error: Callable[[str], Exception] = KeyError) -> None:
        self.kind, self.error = kind, error
        self._entries: dict[str, V] = {}

    def register(self, name: str) -> Callable[[V], V]:
        """Decorator: make the decorated object available under ``name``."""

        def add(obj: V) -> V:
            return self.add(name, obj)

        return add

    def add(self, name: str, obj: V) -> V:
        """Register ``obj`` under ``name``; a name taken by another object is a ValueError."""
        if not name:
            raise ValueError(f"a {self.kind} needs a non-empty name")
        other = self._entries.get(name, obj)
        if other is not obj:
            raise ValueError(f"{self.kind} name {name!r} is taken by {other!r}")
        self._entries[name] = obj
        return obj

    def get(self, name: str) -> V:
        """The object registered under ``name``; an unknown name raises the registry's error, listing the names."""
        try:
            return self._entries[name]
        except KeyError:
            raise self.error(f"unknown {self.kind} {name!r}; choose one of {', '.join(self._entries)}") from None

    def names(self) -> list[str]:
        """Every registered name, in registration order."""
        return list(self._entries)

    def entries(self) -> dict[str, V]:
        """The registry's own name -> object dict (tests snapshot and restore it)."""
        return self._entries

    def __getitem__(self, name: str) -> V:
        return self.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
