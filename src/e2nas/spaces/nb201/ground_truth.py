"""The bundled NAS-Bench-201 table (15,625 cells x 22 columns, 1.2 MB) as numpy columns.

Column provenance (see docs/ground_truth.md): 200-epoch means from NB201/NATS-Bench; ``cifar10_test_acc_v10``
is NB201 v1_0, the release the E²NAS authors scored against; ``acc12_*`` are 12-epoch numbers.
It is loaded once per process (timing: docs/ground_truth.md); every lookup after that is an array index.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from e2nas.spaces.nb201.cell import NUM_CELLS, OPS, Cell

#: short names used in reports and on the CLI -> table columns
METRIC_ALIASES: dict[str, str] = {
    "cifar10_valid": "cifar10_valid_acc",
    "cifar10_test": "cifar10_test_acc",
    "cifar10_test_v10": "cifar10_test_acc_v10",
    "cifar10_test_v11": "cifar10_test_acc_v11",
    "cifar10_valid_test": "cifar10_valid_test_acc",
    "cifar100_test": "cifar100_test_acc",
    "imagenet16_test": "imagenet16_test_acc",
    "flops_M": "flops_cifar10_M",
    "params_M": "params_cifar10_M",
}
#: the E²NAS paper's Table 1 columns: C10 valid, C10 test (v1_0), C100 test, IN16 test
PAPER_COLUMNS: tuple[str, ...] = ("cifar10_valid", "cifar10_test_v10", "cifar100_test", "imagenet16_test")
#: what ``GroundTruth.summary`` reports (and `e2nas arch --json` prints)
SUMMARY_KEYS: tuple[str, ...] = (
    "cifar10_valid",
    "cifar10_test",
    "cifar10_test_v10",
    "cifar100_test",
    "imagenet16_test",
    "flops_M",
)


def _default_path() -> Path:
    return Path(str(resources.files("e2nas") / "_data" / "nb201_accuracy.csv.gz"))


@dataclass(frozen=True)
class NB201Table:
    """Columns of the table as arrays indexed by NB201 index."""

    arch_str: tuple[str, ...]
    iso_unique_str: tuple[str, ...]
    ops: np.ndarray  # (15625, 6) int8
    columns: Mapping[str, np.ndarray]  # float64, one per numeric column

    def column(self, metric: str) -> np.ndarray:
        name = METRIC_ALIASES.get(metric, metric)
        if name not in self.columns:
            known = sorted(set(METRIC_ALIASES) | set(self.columns))
            raise KeyError(f"unknown metric {metric!r}; known: {', '.join(known)}")
        return self.columns[name]

    @cached_property
    def class_representatives(self) -> tuple[Cell, ...]:
        """The connected cells that come first in their isomorphism class, in index order: one cell per distinct
        network. Walking 15,625 cells takes a while, so it is done once per table."""
        seen: set[str] = set()
        pool: list[Cell] = []
        for i in range(NUM_CELLS):
            cell = Cell.from_index(i)
            if self.iso_unique_str[i] not in seen and cell.connected:
                seen.add(self.iso_unique_str[i])
                pool.append(cell)
        return tuple(pool)


@lru_cache(maxsize=4)
def load_table(path: str | Path | None = None) -> NB201Table:
    """Read the gzipped CSV; memoised so the whole process shares one copy."""
    p = Path(path) if path is not None else _default_path()
    if not p.is_file():
        raise FileNotFoundError(f"ground-truth table not found at {p}; reinstall e2nas or pass a valid path")
    op_index = {n: i for i, n in enumerate(OPS)}
    with gzip.open(p, "rt", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    if len(rows) != NUM_CELLS:
        raise ValueError(f"{p}: expected {NUM_CELLS} rows, found {len(rows)}")
    col = {name: i for i, name in enumerate(header)}
    idx = np.array([int(r[col["index"]]) for r in rows])
    if not np.array_equal(idx, np.arange(NUM_CELLS)):
        raise ValueError(f"{p}: rows are not in index order 0..{NUM_CELLS - 1}")
    arch = tuple(r[col["arch_str"]] for r in rows)
    ops = np.empty((NUM_CELLS, 6), dtype=np.int8)
    for i, s in enumerate(arch):
        # fast path for the well-formed official strings in the table
        ops[i] = [op_index[tok.split("~")[0]] for tok in s.replace("+", "").split("|") if tok]
    numeric = [h for h in header if h not in ("index", "arch_str", "iso_unique_str")]
    data = np.array([[float(r[col[h]]) for h in numeric] for r in rows], dtype=np.float64)
    columns = {h: data[:, j].copy() for j, h in enumerate(numeric)}
    for a in columns.values():
        a.flags.writeable = False
    ops.flags.writeable = False
    return NB201Table(arch, tuple(r[col["iso_unique_str"]] for r in rows), ops, columns)


class GroundTruth:
    """Look up benchmark results of cells; the judge every searcher is scored by.

    >>> gt = GroundTruth()
    >>> gt.query(2581)["cifar10_test_acc_v10"]   # doctest: +SKIP
    """

    def __init__(self, table: NB201Table | None = None) -> None:
        self.table = table if table is not None else load_table()
        self._sorted: dict[str, np.ndarray] = {}

    @staticmethod
    def _index(arch: Cell | str | int) -> int:
        cell = Cell.parse(arch)
        return cell.index

    def query(self, arch: Cell | str | int) -> dict[str, float | str | int]:
        """Every column of the table for one cell."""
        i = self._index(arch)
        out: dict[str, float | str | int] = {
            "index": i,
            "arch_str": self.table.arch_str[i],
            "iso_unique_str": self.table.iso_unique_str[i],
        }
        out.update({k: float(v[i]) for k, v in self.table.columns.items()})
        return out

    def value(self, arch: Cell | str | int, metric: str) -> float:
        return float(self.table.column(metric)[self._index(arch)])

    def summary(self, arch: Cell | str | int) -> dict[str, float]:
        """The headline metrics (short names) of one cell."""
        i = self._index(arch)
        return {k: float(self.table.column(k)[i]) for k in SUMMARY_KEYS}

    def best(self, metric: str = "cifar10_valid") -> tuple[Cell, float]:
        """The best cell under ``metric`` (first index on ties) and its value."""
        col = self.table.column(metric)
        i = int(np.argmax(col))
        return Cell.from_index(i), float(col[i])

    def rank(self, arch: Cell | str | int, metric: str = "cifar10_valid") -> int:
        """1 = best. Ties share the best rank among them."""
        col = self.table.column(metric)
        v = col[self._index(arch)]
        return int(np.count_nonzero(col > v)) + 1

    def percentile(self, arch: Cell | str | int, metric: str = "cifar10_valid") -> float:
        """Share of cells (in %) strictly worse than this one."""
        col = self.table.column(metric)
        v = col[self._index(arch)]
        return 100.0 * float(np.count_nonzero(col < v)) / len(col)
