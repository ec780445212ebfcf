"""Deprecated: NB201's ground truth (the bundled table, the official-file adapter) moved to
:mod:`e2nas.spaces.nb201` (``GroundTruth``, ``load_table``, ...; or ``e2nas.spaces.get_space('nb201').ground_truth()``).

Kept so that code written against ``e2nas.benchmark`` keeps running; it re-exports the names this package
exported and warns once on import. Nothing inside e2nas imports this module (tests/package).
"""

import warnings

from e2nas.spaces.nb201 import METRIC_ALIASES, PAPER_COLUMNS, GroundTruth, NB201Table, OfficialBenchmark, load_table

warnings.warn(
    "e2nas.benchmark is deprecated; use e2nas.spaces.nb201 (or e2nas.spaces.get_space('nb201').ground_truth())",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["METRIC_ALIASES", "PAPER_COLUMNS", "GroundTruth", "NB201Table", "OfficialBenchmark", "load_table"]
