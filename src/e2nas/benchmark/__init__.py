"""Ground truth: the bundled NB201 accuracy table and an adapter for the official benchmark files."""

from e2nas.benchmark.official import OfficialBenchmark
from e2nas.benchmark.table import (
    METRIC_ALIASES,
    PAPER_COLUMNS,
    GroundTruth,
    NB201Table,
    load_table,
)

__all__ = ["METRIC_ALIASES", "PAPER_COLUMNS", "GroundTruth", "NB201Table", "OfficialBenchmark", "load_table"]
