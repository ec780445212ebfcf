"""The DARTS evaluation network: parameter counts equal the reference implementation's for published
genotypes, the auxiliary head and drop-path behave as in DARTS' training."""

from __future__ import annotations

import pytest
import torch

from e2nas.spaces.darts import DartsNetwork, Genotype, drop_path

# Published genotypes (as AutoDL-Projects ships them, written in DARTS' flat format) and the parameter counts
# of their CIFAR-10 evaluation network (C=36, 20 cells) in xautodl 1.0.0's NetworkCIFAR: (with aux, without).
# DARTS' own training log reports "param size = 3.349342MB" for DARTS-V2 (without the auxiliary head).
PUBLISHED = {
    "DARTS_V1": (
        "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), "
        "('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], "
        "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
        "('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], "
        "reduce_concat=[2, 3, 4, 5])",
        3645840,
        3169414,
    ),
    "DARTS_V2": (
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
        "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
        "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
        "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], "
        "reduce_concat=[2, 3, 4, 5])",
        3825768,
        3349342,
    ),
    "GDAS_V1": (
        "Genotype(normal=[('skip_connect', 0), ('skip_connect', 1), ('skip_connect', 0), ('sep_conv_5x5', 2), "
        "('sep_conv_3x3', 3), ('skip_connect', 0), ('sep_conv_5x5', 4), ('sep_conv_3x3', 3)], "
        "normal_concat=[2, 3, 4, 5], reduce=[('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('sep_conv_5x5', 2), "
        "('sep_conv_5x5', 1), ('dil_conv_5x5', 2), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_5x5', 1)], "
        "reduce_concat=[2, 3, 4, 5])",
        3845208,
        3368782,
    ),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_counts_equal_the_reference_implementation(name):
    text, with_aux, without_aux = PUBLISHED[name]
    net = DartsNetwork(Genotype.parse(text), C=36, N=6, num_classes=10, auxiliary=True)
    assert len(net.cells) == 20
    assert net.num_parameters(auxiliary=True) == with_aux
    assert net.num_parameters(auxiliary=False) == without_aux
    assert DartsNetwork(Genotype.parse(text), auxiliary=False).num_parameters() == without_aux


def test_auxiliary_logits_only_in_training_and_drop_path_only_in_training():
    torch.manual_seed(0)
    net = DartsNetwork(Genotype.parse(PUBLISHED["DARTS_V2"][0]), C=4, N=1, num_classes=10, auxiliary=True)
    x = torch.randn(2, 3, 32, 32)
    net.train()
    logits, aux = net(x)
    assert logits.shape == aux.shape == (2, 10)
    (logits.sum() + 0.4 * aux.sum()).backward()
    assert net.auxiliary.classifier.weight.grad is not None
    net.eval()
    net.drop_path_prob = 0.9
    out1, out2 = net(x), net(x)
    assert isinstance(out1, torch.Tensor) and torch.equal(out1, out2)  # eval: no aux, no drop-path


def test_drop_path_zeroes_whole_samples_and_keeps_the_mean():
    torch.manual_seed(0)
    x = torch.ones(4000, 2, 3, 3)
    y = drop_path(x, 0.2)
    per_sample = y.flatten(1)
    assert set(per_sample.min(1).values.tolist()) <= {0.0, 1.25}
    assert (per_sample.max(1).values == per_sample.min(1).values).all()
    assert abs(float(y.mean()) - 1.0) < 0.05
