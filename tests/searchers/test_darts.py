"""DARTS-V1/V2: the second-order arch gradient against finite differences of the unrolled objective."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from e2nas.engine import make_config
from e2nas.searchers import SearchContext, SearcherError, create_searcher
from e2nas.spaces import get_space
from e2nas.spaces.nb201 import NUM_EDGES, NUM_OPS, NB201Supernet


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _smooth(net: nn.Module) -> nn.Module:
    """ReLU -> Softplus. ReLU kinks make the loss only piecewise smooth in w: a step of DARTS' size
    (eps_fd·||v|| = 0.01) crosses some of them, so the Hessian term would match no derivative exactly.
    With a smooth activation the finite-difference Hessian-vector product must converge to the true one."""
    for module in list(net.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(module, name, nn.Softplus())
    return net


def _problem(nesterov: bool):
    """A float64 supernet (C=2, N=1, 8x8 images), its SGD with a momentum buffer, two batches, a context."""
    torch.manual_seed(0)
    net = _smooth(NB201Supernet(C=2, N=1, num_classes=3)).double()
    cfg = make_config("smoke", "darts-v2")
    opt = torch.optim.SGD(net.weights(), lr=0.5, momentum=0.9, nesterov=nesterov, weight_decay=5e-4)
    g = torch.Generator().manual_seed(1)
    train = (torch.randn(6, 3, 8, 8, generator=g, dtype=torch.float64), torch.randint(0, 3, (6,), generator=g))
    valid = (torch.randn(6, 3, 8, 8, generator=g, dtype=torch.float64), torch.randint(0, 3, (6,), generator=g))
    ctx = SearchContext(
        supernet=net,
        config=cfg,
        space=get_space("nb201"),
        device=torch.device("cpu"),
        w_optimizer=opt,
        criterion=nn.CrossEntropyLoss(),
        generator=torch.Generator().manual_seed(2),
        valid_batches=lambda n: iter([valid]),
        epochs=1,
        steps_per_epoch=1,
    )
    # one real step so that the optimizer holds momentum buffers, as in a running search
    w = torch.softmax(torch.randn(NUM_EDGES, NUM_OPS, generator=g, dtype=torch.float64), -1)
    F.cross_entropy(net.forward_mixture(train[0], w), train[1]).backward()
    opt.step()
    opt.zero_grad()
    return net, opt, ctx, train, valid


def _unrolled_objective(net, opt, train, valid, alpha):
    """L_val(w'(α), α) with w' from a real (unclipped) step of a copy of the weight optimizer."""
    net2 = copy.deepcopy(net)
    opt2 = torch.optim.SGD(net2.weights(), **{k: v for k, v in opt.defaults.items() if k != "params"})
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))  # SGD updates its buffers in place
    F.cross_entropy(net2.forward_mixture(train[0], torch.softmax(alpha, -1)), train[1]).backward()
    opt2.step()
    with torch.no_grad():
        return float(F.cross_entropy(net2.forward_mixture(valid[0], torch.softmax(alpha, -1)), valid[1]))


@pytest.mark.parametrize("nesterov", [True, False])
def test_darts_v2_gradient_matches_finite_differences_of_the_unrolled_loss(nesterov):
    net, opt, ctx, train, valid = _problem(nesterov)
    v2 = create_searcher("darts-v2")
    v2.setup(ctx)
    with torch.no_grad():
        v2.alpha.copy_(torch.randn(NUM_EDGES, NUM_OPS, generator=torch.Generator().manual_seed(3)))
    alpha = v2.alpha.detach().double().clone()
    v2.alpha = alpha.clone().requires_grad_(True)
    before = {k: v.clone() for k, v in net.state_dict().items()}

    grad, info = v2.arch_gradient(train, valid, ctx)

    # the virtual step and the finite differences leave weights and BN buffers exactly as they were
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert info["xi"] == 0.5

    # central differences of the unrolled objective along a few random directions of alpha
    h, dirs = 1e-5, torch.randn(6, NUM_EDGES, NUM_OPS, generator=torch.Generator().manual_seed(4), dtype=alpha.dtype)
    fd = torch.tensor(
        [
            (
                _unrolled_objective(net, opt, train, valid, alpha + h * d)
                - _unrolled_objective(net, opt, train, valid, alpha - h * d)
            )
            / (2 * h)
            for d in dirs
        ]
    )
    v1 = create_searcher("darts-v1")
    v1.alpha = alpha.clone().requires_grad_(True)
    first_order, _ = v1.arch_gradient(train, valid, ctx)

    def err(g):
        return float(((dirs * g).sum((1, 2)) - fd).norm() / fd.norm())

    err2, err1 = err(grad), err(first_order)
    assert err2 < 2e-3, (err2, err1)
    assert err1 > 0.3 and err1 > 100 * err2  # the Hessian term matters here, so the check is not vacuous


def test_darts_rejects_epsilon_and_has_paper_epochs():
    with pytest.raises(SearcherError, match="epsilon must be 0"):
        create_searcher("darts-v1", epsilon=0.5)
    assert make_config("paper", "darts-v2").epochs == 50
    assert make_config("paper", "darts-v1").epochs == 50
