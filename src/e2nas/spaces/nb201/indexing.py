"""NB201 benchmark index <-> cell.

The benchmark's index order is its own (index 0 is ``[4,2,1,2,1,1]``), not a mixed-radix order. It is part of
the space's definition, so it is read here, from the ``arch_str`` column of the bundled benchmark file (row i
is index i), once and memoised; the accuracy columns are the benchmark package's business.
"""

from __future__ import annotations

import csv
import gzip
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from e2nas.spaces.base import ArchParseError
from e2nas.spaces.nb201.layout import NUM_CELLS, NUM_EDGES, NUM_OPS, OPS


def _bundled_file() -> Path:
    return Path(str(resources.files("e2nas") / "_data" / "nb201_accuracy.csv.gz"))


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    op_index = {n: i for i, n in enumerate(OPS)}
    path = _bundled_file()
    if not path.is_file():
        raise FileNotFoundError(f"the NB201 index order is read from {path}, which is missing; reinstall e2nas")
    with gzip.open(path, "rt", newline="") as fh:
        reader = csv.reader(fh)
        col = next(reader).index("arch_str")
        arch = [row[col] for row in reader]
    if len(arch) != NUM_CELLS:
        raise ValueError(f"{path}: expected {NUM_CELLS} cells, found {len(arch)}")
    ops = np.empty((NUM_CELLS, NUM_EDGES), dtype=np.int8)
    for i, s in enumerate(arch):
        ops[i] = [op_index[tok.split("~")[0]] for tok in s.replace("+", "").split("|") if tok]
    ops.flags.writeable = False
    codes = (ops.astype(np.int64) * (NUM_OPS ** np.arange(NUM_EDGES))).sum(axis=1)
    code_to_index = np.empty(NUM_CELLS, dtype=np.int64)
    code_to_index[codes] = np.arange(NUM_CELLS)
    return ops, code_to_index


def index_table() -> np.ndarray:
    """(15625, 6) op indices, row i = NB201 index i."""
    return _tables()[0]


def index_to_ops(index: int) -> tuple[int, ...]:
    if not 0 <= int(index) < NUM_CELLS:
        raise ArchParseError(f"NB201 index {index} out of range; valid indices are 0..{NUM_CELLS - 1}")
    return tuple(int(o) for o in _tables()[0][int(index)])


def ops_to_index(ops: tuple[int, ...]) -> int:
    code = sum(int(o) * NUM_OPS**e for e, o in enumerate(ops))
    return int(_tables()[1][code])
