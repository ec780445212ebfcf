import numpy as np

from e2nas.spaces.nb201 import (
    DAG_OP_VERTICES,
    DAG_PREDECESSORS,
    Cell,
    all_cells,
    cell_to_dag,
    cells_to_dag_types,
    dag_to_cell,
)
from e2nas.spaces.nb201.dag import TYPE_ADD, TYPE_END, TYPE_START


def test_dag_layout_matches_spec():
    t = cell_to_dag(Cell.from_index(2581))
    assert t.shape == (12,)
    assert t[0] == TYPE_START and t[11] == TYPE_END
    assert all(t[v] == TYPE_ADD for v in (1, 3, 6, 10))
    assert [t[v] for v in DAG_OP_VERTICES] == [3, 2, 3, 1, 3, 3]
    # topological: every predecessor comes earlier
    assert all(all(u < v for u in preds) for v, preds in enumerate(DAG_PREDECESSORS))
    assert DAG_PREDECESSORS[6] == (4, 5) and DAG_PREDECESSORS[10] == (7, 8, 9)


def test_dag_roundtrip_batched():
    cells = list(all_cells())
    ops = np.array([c.ops for c in cells])
    types = cells_to_dag_types(ops)
    assert all(dag_to_cell(types[i]) == cells[i] for i in range(0, 15625, 97))
    assert np.array_equal(types[5], cell_to_dag(cells[5]))
