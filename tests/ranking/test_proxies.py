import math

import pytest
import torch
from torch import nn

from e2nas.ranking import sample_cells
from e2nas.ranking.proxies import (
    ProxyError,
    count_flops,
    finite,
    hamming_kernel,
    log_det,
    nwot,
    proxy_scores,
    synflow,
)
from e2nas.spaces import get_space


def _two_layer(bn: bool) -> nn.Module:
    first = nn.Linear(2, 2, bias=False)
    second = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, -2.0], [3.0, 0.0]]))
        second.weight.copy_(torch.tensor([[1.0, -1.0]]))
    layers = [first, nn.ReLU()]
    if bn:  # synflow removes BN: weights and statistics that would change the result
        norm = nn.BatchNorm1d(2)
        with torch.no_grad():
            norm.weight.fill_(5.0)
            norm.running_mean.fill_(7.0)
        layers.append(norm)
    return nn.Sequential(*layers, second)


@pytest.mark.parametrize("bn", [False, True])
def test_synflow_of_a_two_layer_linear_net_matches_the_hand_computation(bn):
    # |W1| = [[1, 2], [3, 0]], |W2| = [[1, 1]], x = (1, 1): h = |W1| x = (3, 3), R = |W2| h = 6.
    # dR/dW1[i, j] = |W2|[i] x[j] = 1  -> sum |W1 * grad| = 1 + 2 + 3 + 0 = 6
    # dR/dW2[i]    = h[i] = 3          -> sum |W2 * grad| = 3 + 3 = 6;  synflow = 12
    net = _two_layer(bn)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert synflow(net, (2,)) == pytest.approx(12.0)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # the caller's net is untouched


def test_nwot_log_determinant_of_a_hand_built_activation_pattern():
    codes = torch.tensor([[1, 0, 1, 1], [1, 1, 0, 1], [0, 0, 0, 1]], dtype=torch.bool)
    # agreements: each code with itself 4; every pair agrees on exactly 2 of the 4 units
    K = torch.tensor([[4.0, 2.0, 2.0], [2.0, 4.0, 2.0], [2.0, 2.0, 4.0]], dtype=torch.float64)
    assert torch.equal(hamming_kernel(codes), K)
    assert log_det(K) == pytest.approx(math.log(32.0))  # det = 4*12 - 2*4 + 2*(-4) = 32
    # end to end: an identity layer and a ReLU whose inputs have exactly these signs
    net = nn.Sequential(nn.Linear(4, 4, bias=False), nn.ReLU())
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(4))
    assert nwot(net, codes.float() * 2 - 1) == pytest.approx(math.log(32.0))
    assert log_det(torch.ones(2, 2)) == -math.inf and finite([1.0, -math.inf, 3.0]) == [1.0, 0.0, 3.0]


def test_count_flops_counts_conv_and_linear_multiply_accumulates():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 8 * 8, 10))
    assert count_flops(net, (3, 8, 8)) == 4 * 8 * 8 * 27 + 256 * 10


@pytest.mark.parametrize("name", ["synflow", "nwot"])
def test_proxies_are_seeded_and_leave_the_global_rng_alone(name):
    space = get_space("nb201")
    cells = sample_cells(3, seed=0)
    images = torch.randn(16, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    build = lambda a: space.network(a, 4, 1, 10)  # noqa: E731
    state = torch.random.get_rng_state()
    a, per = proxy_scores(name, cells, build, images, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())
    b, _ = proxy_scores(name, cells, build, images, seed=1)
    c, _ = proxy_scores(name, cells, build, images, seed=2)
    assert a == b and a != c and per >= 0 and all(math.isfinite(s) for s in a)


def test_proxies_score_darts_networks_too():
    space = get_space("darts")
    gen = torch.Generator().manual_seed(0)
    archs = [space.random_arch(gen) for _ in range(2)]
    images = torch.randn(8, 3, 16, 16, generator=gen)
    build = lambda a: space.network(a, C=4, N=1, num_classes=10, auxiliary=False)  # noqa: E731
    for name in ("synflow", "nwot"):
        scores, _ = proxy_scores(name, archs, build, images, seed=0)
        assert len(scores) == 2 and all(math.isfinite(s) for s in scores) and scores[0] != scores[1]


def test_unknown_proxy_and_too_small_batch_are_user_errors():
    with pytest.raises(ProxyError, match="unknown proxy 'snip'"):
        proxy_scores("snip", [], lambda a: a, torch.zeros(4, 3, 8, 8))
    with pytest.raises(ProxyError, match="at least 2 images"):
        proxy_scores("nwot", [], lambda a: a, torch.zeros(1, 3, 8, 8))
