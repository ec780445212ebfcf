import random

import pytest
import torch

from e2nas.netcost import count_parameters
from e2nas.spaces.nb201 import NUM_OPS, Cell, NB201Network


def _sample_spanning_every_op(n: int = 60) -> list[int]:
    rng = random.Random(0)
    picks = [Cell.from_ops([op] * 6).index for op in range(NUM_OPS)]  # every op on every edge
    picks += [Cell.from_ops([(op + e) % NUM_OPS for e in range(6)]).index for op in range(NUM_OPS)]
    picks += rng.sample(range(15625), n)
    return picks


@pytest.mark.parametrize(
    ("classes", "column"), [(10, "params_cifar10_M"), (100, "params_cifar100_M"), (120, "params_imagenet16_M")]
)
def test_param_count_matches_table(gt, classes, column):
    col = gt.table.column(column)
    for i in _sample_spanning_every_op(40 if classes == 10 else 10):
        got = count_parameters(NB201Network(i, C=16, N=5, num_classes=classes)) / 1e6
        assert got == pytest.approx(col[i], abs=1e-6), (i, got, col[i])


def test_forward_backward_real_shapes():
    net = NB201Network(2581, C=8, N=1)
    x = torch.randn(4, 3, 32, 32)
    out = net(x)
    assert out.shape == (4, 10)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_all_none_cell_outputs_constant_features():
    net = NB201Network(Cell.from_ops(["none"] * 6), C=4, N=1).eval()
    x1, x2 = torch.randn(2, 3, 32, 32), torch.randn(2, 3, 32, 32)
    # the cells zero the signal; only the ResNet blocks' shortcuts see zeros too, so outputs agree
    assert torch.allclose(net(x1), net(x2), atol=1e-6)


def test_bad_sizes_rejected():
    with pytest.raises(ValueError, match="must be positive"):
        NB201Network(0, C=0)
