"""Per-method config overrides of a sweep (``method_overrides:``), e.g. DARTS' shorter search.

The paper protocol gives DARTS 50 epochs where the single-path methods get 250
(docs/reference/hyperparameters.md). A sweep states that once, as a ratio, so the same file stays right when only
its preset changes::

    method_overrides:
      darts-v1: {epochs_scale: 0.2}     # 1/5 of the sweep's epochs: 50 at `paper`, 1/5 of the preset's elsewhere

``epochs_scale`` is relative to the epochs every other method of the run gets: the ``epochs`` of the sweep's
``overrides`` if set, else the preset's own (not a searcher's ``paper_overrides``). Any other key is a
``SearchConfig`` field that replaces the sweep-wide value for that method; a list is an axis for that method
only, as in ``options:``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

#: the pseudo-field: epochs as a fraction of the sweep's common epochs
SCALE = "epochs_scale"
#: config fields that have their own sweep key (and their own checks), so a method cannot override them here
OWN_KEYS = {"seed": "seed", "method": "method", "preset": "preset", "epsilon": "epsilon", "options": "options"}


class MethodOverrideError(ValueError):
    """A bad ``method_overrides`` entry (the sweep reports it as its own one-line error)."""


def check_method_overrides(spec: Any, methods: list[str], where: str) -> dict[str, dict[str, Any]]:
    """Validate ``method_overrides`` (method -> {field: value or list}); returns it as a plain dict.

    Raises :class:`MethodOverrideError` naming the bad part."""
    from e2nas.engine import SearchConfig

    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise MethodOverrideError(f"{where}: 'method_overrides' must map method names to mappings of config fields")
    fields = {f.name for f in dataclasses.fields(SearchConfig)}
    for m, ov in spec.items():
        if m not in methods:
            raise MethodOverrideError(
                f"{where}: method_overrides given for {m!r}, which is not in this sweep's methods"
            )
        if not isinstance(ov, dict) or not ov:
            raise MethodOverrideError(f"{where}: method_overrides.{m} must be a non-empty mapping of config fields")
        for k in ov:
            if k in OWN_KEYS:
                raise MethodOverrideError(
                    f"{where}: method_overrides.{m}.{k}: use the sweep key {OWN_KEYS[k]!r} "
                    "(or an 'include' block for one method)"
                )
            if k != SCALE and k not in fields:
                raise MethodOverrideError(f"{where}: method_overrides.{m}: unknown config field {k!r} (or {SCALE!r})")
        if SCALE in ov:
            if "epochs" in ov:
                raise MethodOverrideError(f"{where}: method_overrides.{m}: give 'epochs' or {SCALE!r}, not both")
            for s in ov[SCALE] if isinstance(ov[SCALE], list) else [ov[SCALE]]:
                if isinstance(s, bool) or not isinstance(s, int | float) or not 0 < s <= 100:
                    raise MethodOverrideError(
                        f"{where}: method_overrides.{m}.{SCALE} must be a number in (0, 100], got {s!r}"
                    )
    return {m: dict(ov) for m, ov in spec.items()}


def resolve(preset: str, common: tuple[tuple[str, Any], ...], own: tuple[tuple[str, Any], ...]) -> tuple:
    """The run's overrides: the sweep's ``common`` ones, replaced by the method's ``own`` ones, with
    ``epochs_scale`` turned into epochs = max(1, round(scale × common epochs)); sorted by field name."""
    from e2nas.engine import PRESETS

    merged = dict(common)
    mine = dict(own)
    scale = mine.pop(SCALE, None)
    merged.update(mine)
    if scale is not None:
        base = dict(common).get("epochs", PRESETS.get(preset)().epochs)
        merged["epochs"] = max(1, round(float(scale) * int(base)))
    return tuple(sorted(merged.items()))
