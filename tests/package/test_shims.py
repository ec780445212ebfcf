"""The deprecated import paths (``e2nas.space``, ``e2nas.benchmark``, ``e2nas.nn``, ``e2nas.supernet``) warn and
still give the very objects of their new homes, so old user code keeps running."""

from __future__ import annotations

import importlib
import sys

import pytest

import e2nas.netcost
import e2nas.spaces
import e2nas.spaces.nb201 as nb201

#: shim -> {old name: the object it must be}
EXPECTED = {
    "e2nas.space": {
        "Cell": nb201.Cell,
        "ArchParseError": e2nas.spaces.ArchParseError,
        "NUM_CELLS": 15625,
        "NUM_EDGES": 6,
        "NUM_OPS": 5,
        "OPS": nb201.OPS,
        "EDGES": nb201.EDGES,
        "all_cells": nb201.all_cells,
        "iso_key": nb201.iso_key,
        "cell_to_dag": nb201.cell_to_dag,
        "cells_to_dag_types": nb201.cells_to_dag_types,
        "dag_to_cell": nb201.dag_to_cell,
        "DAG_NUM_TYPES": nb201.DAG_NUM_TYPES,
        "DAG_NUM_VERTICES": nb201.DAG_NUM_VERTICES,
        "DAG_OP_VERTICES": nb201.DAG_OP_VERTICES,
        "DAG_PREDECESSORS": nb201.DAG_PREDECESSORS,
    },
    "e2nas.benchmark": {
        "GroundTruth": nb201.GroundTruth,
        "load_table": nb201.load_table,
        "NB201Table": nb201.NB201Table,
        "OfficialBenchmark": nb201.OfficialBenchmark,
        "PAPER_COLUMNS": nb201.PAPER_COLUMNS,
        "METRIC_ALIASES": nb201.METRIC_ALIASES,
    },
    "e2nas.nn": {
        "NB201Network": nb201.NB201Network,
        "MacroNetwork": nb201.NB201MacroNetwork,
        "DiscreteCell": nb201.NB201DiscreteCell,
        "ReLUConvBN": nb201.ReLUConvBN,
        "make_op": nb201.make_op,
        "count_parameters": e2nas.netcost.count_parameters,
    },
    "e2nas.supernet": {"Supernet": nb201.NB201Supernet, "SearchCell": nb201.NB201SearchCell},
}


@pytest.mark.parametrize("shim", sorted(EXPECTED))
def test_a_shim_warns_and_gives_the_same_objects(shim, monkeypatch):
    monkeypatch.delitem(sys.modules, shim, raising=False)  # a fresh import warns again; restored afterwards
    with pytest.warns(DeprecationWarning, match=rf"{shim} is deprecated; use e2nas\.spaces\.nb201"):
        module = importlib.import_module(shim)
    for name, obj in EXPECTED[shim].items():
        assert getattr(module, name) is obj or getattr(module, name) == obj, name
    assert set(EXPECTED[shim]) <= set(module.__all__)


def test_the_space_shim_names_what_it_exported_before():
    """``e2nas.space`` exported these sixteen names before the move."""
    with pytest.warns(DeprecationWarning):
        sys.modules.pop("e2nas.space", None)
        module = importlib.import_module("e2nas.space")
    assert set(module.__all__) == set(EXPECTED["e2nas.space"])
