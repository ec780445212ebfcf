"""Parameters and FLOPs of a network, counted by PyTorch's own ``FlopCounterMode``.

The network is built and run on the ``meta`` device: only shapes flow, so counting a 20-cell DARTS network
takes about a second and allocates nothing. ``FlopCounterMode`` counts 2 FLOPs per multiply-add of
convolutions and matrix products and nothing for normalisation, activations, pooling or additions; ``macs``
is half of it, the "FLOPs" most NAS papers (DARTS, NB201) quote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_module(module: nn.Module, input_shape: Sequence[int]) -> dict[str, Any]:
    """Count ``module`` (already on the meta device, or any device) on one input of ``input_shape`` (no batch).

    Returns ``params`` (all parameters), ``flops`` (FlopCounterMode's total) and ``macs`` (flops / 2) for a
    batch of one image, with the FLOPs of every submodule in ``by_module`` (FlopCounterMode's hierarchy).
    """
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    was_training = module.training
    module.eval()
    x = torch.zeros((1, *input_shape), device=device)
    counter = FlopCounterMode(display=False)
    try:
        with torch.no_grad(), counter:
            module(x)
    finally:
        module.train(was_training)
    flops = int(counter.get_total_flops())
    by_module = {name: int(sum(ops.values())) for name, ops in counter.get_flop_counts().items()}
    return {
        "params": sum(p.numel() for p in module.parameters()),
        "flops": flops,
        "macs": flops // 2,
        "by_module": by_module,
    }


def count_parameters(module: nn.Module) -> int:
    """Every parameter of ``module`` (trainable or not)."""
    return sum(p.numel() for p in module.parameters())


def count_network(build: Callable[[], nn.Module], input_shape: Sequence[int]) -> dict[str, Any]:
    """Build a network with ``build()`` on the meta device and count it (see :func:`count_module`)."""
    with torch.device("meta"):
        net = build()
        return count_module(net, input_shape)
