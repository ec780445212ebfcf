"""Monitor registry: ``@register_monitor`` on the class; a sweep's ``monitors:`` mapping becomes objects
through :func:`build_monitors`. Every module of this package is imported on the first read, so a new monitor
is one new file; third-party packages can register through the ``e2nas.monitors`` entry-point group."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from e2nas.experiments.monitors.base import Monitor, MonitorError
from e2nas.plugins import PluginRegistry

#: the registered monitors (base and registry are infrastructure)
MONITORS: PluginRegistry[type[Monitor]] = PluginRegistry(
    "monitor",
    __name__.rpartition(".")[0],
    Path(__file__).parent,
    {"base", "registry"},
    "e2nas.monitors",
    error=MonitorError,
)
register_monitor = MONITORS.register


def get_monitor_class(name: str) -> type[Monitor]:
    return MONITORS.get(name)


def list_monitors() -> dict[str, str]:
    """``{name: one-line description}`` of every registered monitor, sorted by name."""
    classes = MONITORS.classes()
    return {n: classes[n].description for n in sorted(classes)}


def check_spaces(spec: dict[str, Any] | None, space: str) -> None:
    """:class:`MonitorError` if a monitor named in ``spec`` does not work on ``space`` (without building it:
    building one can sample cells, which a sweep with many runs should do once, not per run)."""
    for name in spec or {}:
        cls = get_monitor_class(name)
        if not cls.supports(space):
            raise MonitorError(
                f"monitor {name!r} works on the {'/'.join(cls.spaces or ())} search space only, not {space!r}"
            )


def build_monitors(spec: dict[str, dict[str, Any]] | None, space: str | None = None) -> list[Monitor]:
    """``{"kendall": {"every": 5}, "forgetting": {}}`` -> monitor objects; unknown names or settings raise
    :class:`MonitorError`, and so does a monitor that does not work on ``space`` (when given)."""
    out = []
    for name, settings in (spec or {}).items():
        if space is not None:
            check_spaces({name: settings}, space)
        cls = get_monitor_class(name)
        settings = settings or {}
        if not isinstance(settings, dict):
            raise MonitorError(f"monitor {name!r} expects a mapping of settings, got {settings!r}")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        bad = sorted(set(settings) - known)
        if bad:
            raise MonitorError(f"monitor {name!r} has no setting {bad[0]!r}; known: {', '.join(sorted(known))}")
        try:
            out.append(cls(**settings))
        except TypeError as err:
            raise MonitorError(f"monitor {name!r}: {err}") from None
    return out
