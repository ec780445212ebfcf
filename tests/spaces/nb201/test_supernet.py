import random

import pytest
import torch

from e2nas.spaces.nb201 import NUM_OPS, Cell, NB201Supernet


def _cells(n: int = 6) -> list[Cell]:
    rng = random.Random(1)
    cells = [Cell.parse(2581), Cell.from_ops([3, 0, 4, 1, 2, 0]), Cell.from_ops([0] * 6)]
    return cells + [Cell(tuple(rng.randrange(NUM_OPS) for _ in range(6))) for _ in range(n)]


def _randomise_bn(net: torch.nn.Module) -> None:
    g = torch.Generator().manual_seed(3)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d) and m.running_mean is not None:
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


@pytest.mark.parametrize("track", [True, False])
@pytest.mark.parametrize("train", [False, True])
def test_single_path_equals_discrete_network(track, train):
    torch.manual_seed(0)
    net = NB201Supernet(C=4, N=1, track_running_stats=track)
    _randomise_bn(net)
    x = torch.randn(3, 3, 32, 32)
    for cell in _cells():
        sub = net.discrete_network(cell)
        net.train(train)
        sub.train(train)
        with torch.no_grad():
            a, b = net.forward_cell(x, cell), sub(x)
        assert torch.allclose(a, b, atol=1e-5), cell


def test_discrete_network_takes_exactly_the_cells_weights():
    net = NB201Supernet(C=4, N=1)
    cell = Cell.from_ops([3, 2, 1, 0, 4, 3])
    sub = net.discrete_network(cell)
    convs = sum(1 for o in cell.ops if o in (2, 3))
    assert len(sub.state_dict()) == len(net.cell_state_dict(cell))
    # 3 cells (N=1) x convs per cell x (conv weight + 3 BN buffers, no affine)
    n_cell_keys = sum(1 for k in sub.state_dict() if ".edges." in k)
    assert n_cell_keys == 3 * convs * 4


def _st_grads(net, cell, x, y):
    """(dL/dalpha, dL/dH) of the straight-through forward of ``cell`` with alpha = 0."""
    alpha = torch.zeros(6, 5, requires_grad=True)
    p = torch.softmax(alpha, dim=-1)
    onehot = torch.nn.functional.one_hot(torch.tensor(cell.ops), 5).float()
    H = onehot - p.detach() + p
    H.retain_grad()
    loss = torch.nn.functional.cross_entropy(net.forward_st(x, cell, H), y)
    loss.backward()
    return alpha.grad, H.grad, H


def test_straight_through_gradient_reaches_arch_params():
    torch.manual_seed(0)
    net = NB201Supernet(C=4, N=1)
    cell = Cell.from_ops([3, 2, 1, 0, 3, 2])  # e3 none; every other edge reaches node 3
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    g_alpha, g_H, H = _st_grads(net, cell, x, y)
    # every edge sends gradient to its row of alpha, the `none` edge too (through the shift terms)
    assert all(float(g_alpha[e].abs().sum()) > 0 for e in range(6))
    for e, o in enumerate(cell.ops):
        others = [k for k in range(5) if k != o]
        # the unchosen entries of an edge act as one constant shift of its node: equal gradients
        assert torch.allclose(g_H[e, others], g_H[e, others[0]].expand(4), rtol=1e-5, atol=1e-9)
        assert (float(g_H[e, o]) == 0.0) == (o == 0)  # a chosen `none` outputs zeros: no gradient of its own
    # values are the single path's
    with torch.no_grad():
        assert torch.allclose(net.forward_st(x, cell, H), net.forward_cell(x, cell), atol=1e-6)


def test_straight_through_disconnected_cell_has_no_arch_gradient():
    # the cell outputs a constant 0 (plus 0-valued shifts); the ReLU after it has zero slope there, so no
    # entry of H gets a gradient: why E²NAS falls back to the mixture loss on such cells (dead_cell option)
    torch.manual_seed(0)
    net = NB201Supernet(C=4, N=1)
    cell = Cell.parse("|none~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|none~2|")
    assert not cell.connected
    x, y = torch.randn(4, 3, 32, 32), torch.tensor([0, 1, 2, 3])
    g_alpha, _, H = _st_grads(net, cell, x, y)
    assert float(g_alpha.abs().sum()) == 0.0
    with torch.no_grad():
        assert torch.allclose(net.forward_st(x, cell, H), net.forward_cell(x, cell), atol=1e-6)


def test_mixture_with_onehot_weights_equals_single_path():
    torch.manual_seed(0)
    net = NB201Supernet(C=4, N=1).eval()
    _randomise_bn(net)
    x = torch.randn(2, 3, 32, 32)
    for cell in _cells(3):
        w = torch.nn.functional.one_hot(torch.tensor(cell.ops), 5).float()
        with torch.no_grad():
            assert torch.allclose(net.forward_mixture(x, w), net.forward_cell(x, cell), atol=1e-5)


def test_mixture_gradient_reaches_every_op():
    net = NB201Supernet(C=4, N=1)
    alpha = torch.zeros(6, 5, requires_grad=True)
    out = net.forward_mixture(torch.randn(2, 3, 32, 32), torch.softmax(alpha, -1))
    out.square().sum().backward()
    assert alpha.grad[:, 1:].abs().min() > 0


def test_bad_weight_shape():
    net = NB201Supernet(C=4, N=1)
    with pytest.raises(ValueError, match="shape"):
        net.forward_mixture(torch.randn(1, 3, 32, 32), torch.ones(5, 6))


def test_channels_last_gives_the_same_outputs():
    torch.manual_seed(0)
    net = NB201Supernet(C=4, N=1)
    net_cl = NB201Supernet(C=4, N=1)
    net_cl.load_state_dict(net.state_dict())
    net_cl = net_cl.to(memory_format=torch.channels_last)
    x = torch.randn(3, 3, 32, 32)
    cell = Cell.parse(2581)
    with torch.no_grad():
        a = net.forward_cell(x, cell)
        b = net_cl.forward_cell(x.contiguous(memory_format=torch.channels_last), cell)
    assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("bn", ["batch", "running"])
def test_evaluate_cells_uses_the_asked_bn_statistics_and_leaves_the_supernet_as_it_was(bn):
    from e2nas.inherited import evaluate_cells

    torch.manual_seed(0)
    net = NB201Supernet(C=4, N=1, num_classes=10)
    _randomise_bn(net)
    net.eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    cells = _cells(2)
    scores = evaluate_cells(net, cells, [(x, y)], bn=bn)
    assert not net.training  # the mode is restored
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())  # and the running statistics
    net.train(bn == "batch")  # the mode evaluate_cells must have used
    with torch.no_grad():
        expect = [torch.nn.functional.cross_entropy(net.forward_cell(x, c), y).item() for c in cells]
    assert [s[0] for s in scores] == pytest.approx(expect, rel=1e-5)


def test_evaluate_cells_refuses_running_statistics_the_supernet_does_not_keep():
    from e2nas.inherited import evaluate_cells

    net = NB201Supernet(C=4, N=1, track_running_stats=False)
    x, y = torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,))
    with pytest.raises(ValueError, match="track_running_stats"):
        evaluate_cells(net, _cells(1), [(x, y)], bn="running")
    with pytest.raises(ValueError, match="bn must be one of"):
        evaluate_cells(net, _cells(1), [(x, y)], bn="both")
