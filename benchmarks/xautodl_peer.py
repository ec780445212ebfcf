"""AutoDL-Projects' NB201 GDAS search supernet (``xautodl``, docs/reference/peers.md), the peer the speed
benchmarks run beside e2nas, with its optimizers as AutoDL-Projects configures them. Imported by the benchmark
scripts next to it."""

from __future__ import annotations

from typing import Any

import torch

#: NB201's op names in xautodl's order (the same as e2nas')
OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def gdas_supernet(C: int, N: int, device: torch.device) -> tuple[Any, torch.optim.SGD, torch.optim.Adam] | None:
    """(GDAS supernet at tau 10, its weight SGD, its arch Adam), or None when xautodl is not installed."""
    try:
        from xautodl.config_utils import dict2config
        from xautodl.models import get_cell_based_tiny_net
    except Exception:  # noqa: BLE001 - not installed (optional peer)
        return None
    torch.manual_seed(0)
    spec = {"name": "GDAS", "C": C, "N": N, "max_nodes": 4, "num_classes": 10, "space": OPS}
    net = get_cell_based_tiny_net(dict2config({**spec, "affine": False, "track_running_stats": False}, None))
    net = net.to(device)
    net.set_tau(10.0)
    w_opt = torch.optim.SGD(net.get_weights(), lr=0.025, momentum=0.9, nesterov=True, weight_decay=5e-4)
    a_opt = torch.optim.Adam(net.get_alphas(), lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    return net, w_opt, a_opt
