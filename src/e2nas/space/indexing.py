"""NB201 benchmark index <-> cell.

The benchmark's index order is its own (index 0 is ``[4,2,1,2,1,1]``), not a mixed-radix order, so the
mapping is read from the bundled ground-truth table once and memoised.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from e2nas.space.cell import NUM_CELLS, NUM_EDGES, NUM_OPS, ArchParseError


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    from e2nas.benchmark.table import load_table

    ops = load_table().ops  # (15625, 6) int8, row = index
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


def codes_to_indices(codes: np.ndarray) -> np.ndarray:
    """Vectorised mixed-radix code -> NB201 index."""
    return _tables()[1][np.asarray(codes)]
