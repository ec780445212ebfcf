"""The DARTS search network: 8 cells with reductions at 1/3 and 2/3, the three forward modes, and discrete
networks that hold exactly the weights a genotype inherits."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from e2nas.spaces.darts import NUM_EDGES, NUM_OPS, DartsSupernet, random_cell


def _net(**kw) -> DartsSupernet:
    torch.manual_seed(0)
    return DartsSupernet(C=4, N=1, num_classes=10, **kw)


def test_paper_network_has_8_cells_reducing_at_2_and_5_with_a_3c_stem():
    net = DartsSupernet(C=16, N=2)
    assert [c.reduction for c in net.cells] == [False, False, True, False, False, True, False, False]
    assert net.stem[0].out_channels == 48
    assert net.classifier.in_features == 4 * 64  # concat of 4 nodes at 4C


def test_single_path_equals_the_one_hot_mixture_and_the_discrete_network():
    net = _net().eval()
    cell = random_cell(torch.Generator().manual_seed(1))
    x = torch.randn(3, 3, 32, 32)
    onehot = F.one_hot(torch.tensor(cell.ops), NUM_OPS).float()
    single = net.forward_cell(x, cell)
    assert torch.allclose(single, net.forward_mixture(x, onehot), atol=1e-5)
    sub = net.discrete_network(cell).eval()
    assert torch.equal(sub(x), single)
    assert sum(p.numel() for p in sub.parameters()) < sum(p.numel() for p in net.parameters())


def test_straight_through_weights_all_get_gradients():
    net = _net().train()
    cell = random_cell(torch.Generator().manual_seed(2))
    alpha = torch.zeros(NUM_EDGES, NUM_OPS, requires_grad=True)
    p = F.softmax(alpha, -1)
    H = F.one_hot(torch.tensor(cell.ops), NUM_OPS).float() - p.detach() + p
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    F.cross_entropy(net.forward_st(x, cell, H), y).backward()
    assert alpha.grad is not None and (alpha.grad.abs().sum(1) > 0).all()  # every edge, `none` ones included


def test_mixture_gradient_reaches_every_op_weight():
    net = _net().train()
    alpha = (1e-3 * torch.randn(NUM_EDGES, NUM_OPS)).requires_grad_(True)
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    F.cross_entropy(net.forward_mixture(x, F.softmax(alpha, -1)), y).backward()
    assert (alpha.grad != 0).all()


def test_search_ops_have_darts_parameter_counts():
    """Depthwise k x k + pointwise C x C per separable block, no conv biases, BN without affine parameters
    (xautodl's search ops differ only by conv biases when affine=False; DARTS has none)."""
    from e2nas.spaces.darts import make_darts_op

    C = 16

    def n(name: str, stride: int = 1) -> int:
        return sum(p.numel() for p in make_darts_op(name, C, stride, affine=False).parameters())

    assert n("sep_conv_3x3") == 2 * (C * 9 + C * C) and n("sep_conv_5x5") == 2 * (C * 25 + C * C)
    assert n("dil_conv_3x3") == C * 9 + C * C and n("dil_conv_5x5") == C * 25 + C * C
    assert n("skip_connect", 2) == C * C and n("skip_connect") == 0  # FactorizedReduce only when reducing
    assert n("max_pool_3x3") == n("avg_pool_3x3") == n("none") == 0
    assert sum(p.numel() for p in make_darts_op("sep_conv_3x3", C, 1, affine=True).parameters()) == 800 + 4 * C
