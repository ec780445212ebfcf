"""NB201 behind the space interface: the same cells, samples and networks as the NB201 modules give."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e2nas.netcost import count_parameters
from e2nas.spaces import ArchParseError, SpaceError, get_space, list_spaces
from e2nas.spaces.nb201 import Cell, load_table
from e2nas.spaces.nb201.indexing import index_table


def test_registry_names_the_spaces_and_refuses_unknown_ones():
    assert {"nb201", "darts"} <= set(list_spaces())
    with pytest.raises(SpaceError, match="unknown search space 'nope'; choose one of "):
        get_space("nope")


def test_index_order_read_by_the_space_is_the_benchmark_table_order():
    assert np.array_equal(index_table(), load_table().ops)


def test_parse_format_and_describe_round_trip():
    space = get_space("nb201")
    cell = space.parse(
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    assert space.parse(space.format(cell)) == cell
    assert space.describe(cell) == {"index": cell.index}
    assert space.arch(list(cell.ops)) == cell
    with pytest.raises(ArchParseError, match="unknown op 'conv'"):
        space.parse("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_random_arch_draws_what_the_searchers_drew_before():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    expected = Cell(tuple(int(o) for o in torch.randint(0, 5, (6,), generator=g1)))
    assert get_space("nb201").random_arch(g2) == expected


def test_derive_is_the_per_edge_argmax_over_all_ops():
    w = torch.zeros(6, 5)
    w[torch.arange(6), torch.tensor([0, 1, 2, 3, 4, 0])] = 1.0
    assert get_space("nb201").derive(w).ops == (0, 1, 2, 3, 4, 0)


def test_network_has_the_benchmark_parameter_count(gt):
    space = get_space("nb201")
    cell = Cell.from_index(2581)
    net = space.network(cell, C=16, N=5, num_classes=10)
    assert count_parameters(net) / 1e6 == pytest.approx(gt.query(2581)["params_cifar10_M"], abs=1e-6)


def test_encode_gives_op_tokens_and_validate_refuses_other_types():
    space = get_space("nb201")
    cells = [Cell.from_index(0), Cell.from_index(1)]
    assert space.encode(cells).tolist() == [list(c.ops) for c in cells]
    with pytest.raises(ArchParseError, match="not an NB201 cell"):
        space.validate("|none~0|")
