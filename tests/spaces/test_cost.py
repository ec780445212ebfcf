"""Parameters and FLOPs of architectures: FlopCounterMode counts of the evaluation networks, the NB201 table's
columns, and the additive per-edge model the budget penalties use."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from e2nas.spaces import ArchCost, SearchSpace, SpaceError, get_space
from e2nas.spaces.darts import Genotype
from e2nas.spaces.nb201 import NUM_CELLS, OPS, Cell

#: output elements of one NB201 cell edge summed over the 15 cells of the C=16, N=5 network at 32x32
EDGE_ELEMENTS = 5 * (16 * 32 * 32 + 32 * 16 * 16 + 64 * 8 * 8)

DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)


def test_nb201_counts_equal_the_table_on_a_sample(gt):
    """Parameters counted on the C=16, N=5 network equal ``params_cifar10_M`` exactly; the table's
    ``flops_cifar10_M`` is FlopCounterMode's multiply-adds plus 3 per output element of every ReLU-Conv-BN edge,
    9 per output element of every 3x3 average pool and 160,832 outside the cells (docs/spaces.md#costs)."""
    space = get_space("nb201")
    rng = np.random.default_rng(24)
    sample = [0, 1462, 2581, NUM_CELLS - 1, *rng.choice(NUM_CELLS, 8, replace=False).tolist()]
    for index in sample:
        cell = Cell.from_index(int(index))
        counted = space.count_cost(cell)
        row = gt.query(cell)
        assert counted["params"] == round(row["params_cifar10_M"] * 1e6)
        assert counted["flops"] == 2 * counted["macs"]
        names = [OPS[o] for o in cell.ops]
        convs = sum(n.startswith("nor_conv") for n in names)
        pools = names.count("avg_pool_3x3")
        expected = counted["macs"] + 3 * EDGE_ELEMENTS * convs + 9 * EDGE_ELEMENTS * pools + 160_832
        assert round(row["flops_cifar10_M"] * 1e6) == expected, cell
        cost = space.cost(cell)
        assert cost.params_M == pytest.approx(row["params_cifar10_M"], abs=1e-9)
        assert cost.flops_M == pytest.approx(row["flops_cifar10_M"], abs=1e-9)


def test_nb201_edge_model_is_exact_on_every_cell(gt):
    space = get_space("nb201")
    ec = space.edge_costs()
    ops = torch.as_tensor(gt.table.ops.astype(np.int64))
    idx = torch.arange(ops.shape[1])
    for metric, column in (("params", "params_M"), ("flops", "flops_M")):
        base, table = ec.table(metric)
        model = base + table[idx, ops].sum(dim=1)
        np.testing.assert_allclose(model.numpy(), gt.table.column(column), atol=1e-6)


@pytest.mark.slow
def test_darts_edge_model_equals_a_full_count():
    space = get_space("darts")
    v2 = Genotype.parse(DARTS_V2)
    counted = space.count_cost(v2)
    # DARTS-V2 at C=36, 20 cells without the auxiliary head: DARTS' logged 3.349342 M parameters
    assert counted["params"] == 3_349_342
    assert counted["macs"] == 528_359_040
    assert space.cost(v2) == pytest.approx(ArchCost(3.349342, 528.35904))
    # one random genotype (a full count is ~1.5 s); the cheapest genotype is the third one counted:
    # tests/searchers/test_budget.py::test_darts_budget_penalty_and_smallest
    arch = space.random_arch(torch.Generator().manual_seed(3))
    counted = space.count_cost(arch)
    cost = space.cost(arch)
    assert cost.params_M == pytest.approx(counted["params"] / 1e6, abs=1e-9)
    assert cost.flops_M == pytest.approx(counted["macs"] / 1e6, abs=1e-9)


def test_within_and_a_space_without_network():
    c = ArchCost(1.0, 100.0)
    assert c.within(1.0, 100.0) and c.within(None, None)
    assert not c.within(0.5, None) and not c.within(None, 99.9)

    class NoNetwork(SearchSpace):
        name = "toy"

    space = NoNetwork()
    assert not space.has_eval_network and get_space("nb201").has_eval_network
    with pytest.raises(SpaceError, match="no evaluation network"):
        space.eval_network(None)
    with pytest.raises(SpaceError, match="no per-edge cost model"):
        space.edge_costs()
