"""The 12-vertex DAG view of a cell used by the D-VAE (docs/reference/method.md#the-d-vae-over-nb201-cells).

Vertex types: 0-4 the ops, 5 START, 6 ADD, 7 END. Vertices are listed in topological order:
v0 START; v1 ADD(node0)<-v0; v2 op(e0)<-v1; v3 ADD(node1)<-v2; v4 op(e1)<-v1; v5 op(e2)<-v3;
v6 ADD(node2)<-v4,v5; v7 op(e3)<-v1; v8 op(e4)<-v3; v9 op(e5)<-v6; v10 ADD(node3)<-v7,v8,v9; v11 END<-v10.
"""

from __future__ import annotations

import numpy as np

from e2nas.spaces.nb201.cell import NUM_OPS, Cell

TYPE_START, TYPE_ADD, TYPE_END = NUM_OPS, NUM_OPS + 1, NUM_OPS + 2
DAG_NUM_TYPES = NUM_OPS + 3
DAG_NUM_VERTICES = 12
#: vertex id of each edge's op vertex, e0..e5
DAG_OP_VERTICES: tuple[int, ...] = (2, 4, 5, 7, 8, 9)
#: predecessors of each vertex (the topology is the same for every cell)
DAG_PREDECESSORS: tuple[tuple[int, ...], ...] = (
    (),
    (0,),
    (1,),
    (2,),
    (1,),
    (3,),
    (4, 5),
    (1,),
    (3,),
    (6,),
    (7, 8, 9),
    (10,),
)
_FIXED_TYPES = {0: TYPE_START, 1: TYPE_ADD, 3: TYPE_ADD, 6: TYPE_ADD, 10: TYPE_ADD, 11: TYPE_END}


def cell_to_dag(cell: Cell) -> np.ndarray:
    """Vertex types (12,) of the cell's DAG, in topological order."""
    types = np.empty(DAG_NUM_VERTICES, dtype=np.int64)
    for v, t in _FIXED_TYPES.items():
        types[v] = t
    for e, v in enumerate(DAG_OP_VERTICES):
        types[v] = cell.ops[e]
    return types


def cells_to_dag_types(ops: np.ndarray) -> np.ndarray:
    """Batched: (B, 6) op indices -> (B, 12) vertex types."""
    ops = np.asarray(ops)
    out = np.empty((ops.shape[0], DAG_NUM_VERTICES), dtype=np.int64)
    for v, t in _FIXED_TYPES.items():
        out[:, v] = t
    out[:, list(DAG_OP_VERTICES)] = ops
    return out


def dag_to_cell(types: np.ndarray) -> Cell:
    """Inverse of :func:`cell_to_dag`; raises if a fixed vertex has the wrong type or an op vertex is not an op."""
    types = np.asarray(types)
    for v, t in _FIXED_TYPES.items():
        if types[v] != t:
            raise ValueError(f"vertex {v} must have type {t}, got {types[v]}")
    return Cell(tuple(int(types[v]) for v in DAG_OP_VERTICES))
