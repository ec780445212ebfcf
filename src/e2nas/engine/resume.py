"""Resuming a search: the run directory's stored settings with the settings given now on top.

``e2nas search --resume --out DIR`` and library users both go through :func:`resume_config`, then
``SearchEngine(cfg, DIR, resume=True).run()``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from e2nas.engine.config import ConfigError, SearchConfig
from e2nas.rundir import RunPaths

#: fields that name what the run is: given on resume they must equal the stored ones (another value is a new run)
IDENTITY_FIELDS = ("method", "preset", "space", "init_supernet")


class ResumeError(ConfigError):
    """Settings that cannot continue the run in a directory (one line). ``field`` and ``given`` name the refused
    setting and ``detail`` what the run has instead, when one is to blame (None for a missing or unreadable
    ``config.json``)."""

    def __init__(self, message: str, field: str | None = None, given: Any = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.field, self.given, self.detail = field, given, detail


def resume_config(run_dir: str | Path, overrides: Mapping[str, Any] | None = None) -> SearchConfig:
    """The config that continues the search in ``run_dir``: its ``config.json`` with ``overrides`` on top.

    ``overrides`` maps :class:`SearchConfig` field names to the values given now; a ``None`` value counts as not
    given, and ``options`` (searcher options) are merged into the stored ones rather than replacing them.

    What may change on resume:

    * the fields of :data:`~e2nas.engine.config.RESUME_FREE_FIELDS` (device, data_dir, threads, cuda_graphs,
      rank_cells, rank_images, rank_seed, snapshot_every): they do not change the result on CPU;
    * any other field only to the value the run already has. This function applies it, and
      ``SearchEngine(..., resume=True)`` then refuses a checkpoint whose settings differ
      (:class:`~e2nas.engine.CheckpointError`, e.g. another seed or number of epochs). A run stopped before its
      first checkpoint has nothing to keep and starts afresh with the new settings.

    What may not change: ``method``, ``preset``, ``space`` and ``init_supernet`` (:data:`IDENTITY_FIELDS`): a
    different value is a different run, refused here with :class:`ResumeError`, as is a directory without a
    readable ``config.json``. An unknown field or an invalid value raises :class:`ConfigError`.
    """
    paths = RunPaths(run_dir)
    if not paths.config.is_file():
        raise ResumeError(f"{paths.root} has no {paths.config.name}: there is no search to resume there")
    try:
        stored = SearchConfig.from_dict(json.loads(paths.config.read_text()))
    except (ValueError, TypeError) as err:
        raise ResumeError(
            f"{paths.config} is not a readable run config ({err}); resume with the run's original settings"
        ) from None
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    known = {f.name for f in dataclasses.fields(SearchConfig)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(f"unknown config field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for key in IDENTITY_FIELDS:
        if key in given and given[key] != getattr(stored, key):
            have = getattr(stored, key)
            if key == "init_supernet":
                what = f"it started from {have}" if have else "it started from fresh weights"
            else:
                what = f"{key} {have}"
            raise ResumeError(
                f"{key} {given[key]} does not match the run being resumed ({what}); drop it or use another run "
                "directory",
                key,
                given[key],
                what,
            )
    options = given.pop("options", None) or {}
    for key, value in given.items():
        setattr(stored, key, value)
    stored.options = {**stored.options, **options}
    stored.validate()
    return stored


__all__ = ["IDENTITY_FIELDS", "ResumeError", "resume_config"]
