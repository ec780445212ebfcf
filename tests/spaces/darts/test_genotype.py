"""DARTS genotypes: the string format round-trips, malformed strings fail naming the bad part, and the
28-edge view agrees with the genotype."""

from __future__ import annotations

import pytest
import torch

from e2nas.spaces import ArchParseError
from e2nas.spaces.darts import (
    EDGES_PER_CELL,
    NONE_OP,
    NUM_EDGES,
    OPS,
    DartsCell,
    Genotype,
    derive_genotype,
    edge_index,
    random_cell,
)

# DARTS-V2 as published (Liu et al. 2019, the genotype behind the paper's 2.76 % CIFAR-10 error)
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


def test_published_genotype_round_trips_exactly():
    g = Genotype.parse(DARTS_V2)
    assert g.to_string() == DARTS_V2
    assert g.normal[5] == ("skip_connect", 0) and g.reduce_concat == (2, 3, 4, 5)
    assert g.op_counts()["reduce"] == {"max_pool_3x3": 5, "skip_connect": 3}


def test_range_concat_as_darts_writes_it_is_read():
    text = DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 6)")
    assert Genotype.parse(text) == Genotype.parse(DARTS_V2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DARTS_V2.replace("'dil_conv_3x3', 2", "'conv_7x7', 2"), r"unknown op 'conv_7x7' in normal\[7\]"),
        (
            DARTS_V2.replace("('dil_conv_3x3', 2)]", "]").replace("('skip_connect', 0), ]", "('skip_connect', 0)]"),
            "normal has 7 \\(op, input\\) pairs; a DARTS cell needs 8",
        ),
        (DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)"), r"normal\[7\] .* input 5 out of range"),
        (
            DARTS_V2.replace("('sep_conv_3x3', 1), ('sep_conv_3x3', 0)", "('sep_conv_3x3', 1), ('sep_conv_3x3', 3)", 1),
            r"normal\[2\] .* node 3 .* reads states 0..2",
        ),
        (DARTS_V2.replace("'max_pool_3x3', 0", "'none', 0", 1), r"unknown op 'none' in reduce\[0\]"),
        ("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", "NB201 cell, not a DARTS genotype"),
        ("Genotype(normal=[], reduce=[])", "unknown genotype field|lacks normal_concat"),
        ("__import__('os').system('true')", "a DARTS genotype is written Genotype"),
        ("Genotype(normal=[(", "cannot read"),
    ],
)
def test_malformed_genotypes_fail_naming_the_bad_part(text, message):
    with pytest.raises(ArchParseError, match=message) as err:
        Genotype.parse(text)
    assert "\n" not in str(err.value)


def test_cell_view_holds_the_genotype_edges_and_converts_back():
    g = Genotype.parse(DARTS_V2)
    cell = g.to_cell()
    assert len(cell.ops) == NUM_EDGES and cell.is_genotype
    # node 3 (pairs 4, 5) of the normal cell: sep_conv_3x3 from state 1, skip_connect from state 0
    assert cell.ops[edge_index(2, 1)] == OPS.index("sep_conv_3x3")
    assert cell.ops[edge_index(2, 0)] == OPS.index("skip_connect")
    assert cell.ops[edge_index(2, 2)] == NONE_OP
    assert cell.genotype().to_cell() == cell
    # the view lists each node's inputs in ascending order; the architecture is the same
    assert Genotype.parse(cell.to_string()).to_cell() == cell


def test_a_node_reading_one_input_twice_has_no_supernet_view():
    text = DARTS_V2.replace(
        "('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)",
        "('sep_conv_3x3', 0), ('sep_conv_3x3', 0), ('sep_conv_3x3', 0)",
        1,
    )
    g = Genotype.parse(text)  # a valid genotype for retraining
    with pytest.raises(ArchParseError, match="node 2 reads state 0 twice"):
        g.to_cell()


def test_cells_without_two_inputs_per_node_are_not_genotypes():
    cell = DartsCell(tuple([OPS.index("sep_conv_3x3")] * NUM_EDGES))
    assert not cell.is_genotype
    with pytest.raises(ArchParseError, match="normal node 2 has 2 inputs|normal node 3 has 3 inputs"):
        cell.genotype()
    with pytest.raises(ArchParseError, match="28 edge choices"):
        DartsCell((1, 2))


def test_derivation_keeps_the_two_strongest_non_none_edges_per_node():
    logits = torch.zeros(NUM_EDGES, len(OPS))
    logits[:, NONE_OP] = 10.0  # `none` dominates everywhere: it must still never be chosen
    # normal node 3 (state 4) reads states 0..3: make states 3 and 1 the strongest, with different ops
    logits[edge_index(2, 3), OPS.index("dil_conv_5x5")] = 6.0
    logits[edge_index(2, 1), OPS.index("avg_pool_3x3")] = 4.0
    logits[edge_index(2, 0), OPS.index("sep_conv_3x3")] = 2.0
    g = derive_genotype(logits)
    assert g.normal[4:6] == (("dil_conv_5x5", 3), ("avg_pool_3x3", 1))  # the stronger edge first
    assert all(op != "none" for op, _ in g.normal + g.reduce)
    # the reduction half comes from rows 14..27
    logits[EDGES_PER_CELL + edge_index(0, 1), OPS.index("max_pool_3x3")] = 8.0
    assert derive_genotype(logits).reduce[0] == ("max_pool_3x3", 1)


def test_random_cells_are_genotypes_and_follow_the_generator():
    cells = [random_cell(torch.Generator().manual_seed(s)) for s in range(20)]
    assert all(c.is_genotype for c in cells)
    assert random_cell(torch.Generator().manual_seed(3)) == cells[3]
    assert len(set(cells)) == 20
