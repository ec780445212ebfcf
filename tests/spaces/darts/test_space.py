"""The DARTS space behind the interface, and DARTS architectures in checkpoints."""

from __future__ import annotations

import pytest
import torch

from e2nas.engine.state_codec import decode_state, encode_state
from e2nas.spaces import ArchParseError, get_space
from e2nas.spaces.darts import DartsCell
from e2nas.spaces.nb201 import Cell


def test_interface_round_trips_and_refuses_the_other_space():
    space = get_space("darts")
    cell = space.random_arch(torch.Generator().manual_seed(0))
    assert space.parse(space.format(cell)) == cell
    assert space.arch(list(cell.ops)) == cell
    assert (space.num_edges, space.num_ops, space.ops[space.none_op]) == (28, 8, "none")
    assert space.ground_truth() is None
    with pytest.raises(ArchParseError, match="not a DARTS architecture"):
        space.validate(Cell.from_index(0))
    with pytest.raises(ArchParseError, match="not an NB201 cell"):
        get_space("nb201").validate(cell)


def test_derive_gives_a_genotype_and_the_network_is_the_evaluation_network():
    space = get_space("darts")
    cell = space.derive(torch.randn(28, 8, generator=torch.Generator().manual_seed(0)))
    assert isinstance(cell, DartsCell) and cell.is_genotype
    net = space.network(cell, C=4, N=1, num_classes=10, auxiliary=False)
    assert len(net.cells) == 5 and net.auxiliary is None


def test_darts_cells_survive_the_weights_only_checkpoint_codec():
    cell = get_space("darts").random_arch(torch.Generator().manual_seed(0))
    state = {"prev_cell": cell, "pool": [cell, Cell.from_index(5)]}
    encoded = encode_state(state)
    assert encoded["prev_cell"] == {"__arch__": ["darts", list(cell.ops)]}
    assert decode_state(encoded) == state
