"""Zero-cost proxies: scores of an untrained network that rank architectures without training any of them.

They are yardsticks, not methods: a supernet that ranks cells no better than a proxy computed in a second at
random initialisation has not earned its training (issue 21, docs/ranking.md). Two are implemented:

- **synflow** (Tanaka et al., NeurIPS 2020, "Pruning neural networks without any data by iteratively
  conserving synaptic flow"; used as an architecture score by Abdelfattah et al., ICLR 2021, "Zero-Cost Proxies
  for Lightweight NAS"): every weight replaced by its absolute value, BatchNorm removed (replaced by the
  identity, as Abdelfattah et al.'s ``synflow``; their ``synflow_bn`` keeps it), an all-ones input of one image
  in float64 (the product of |w| over 20+ layers leaves float32's range), R = sum of the outputs, score =
  sum over the weights of every Conv and Linear layer of |θ ⊙ ∂R/∂θ|. No data, no labels.
- **nwot** (Mellor et al., ICML 2021, "Neural Architecture Search without Training"): one batch of real
  images through the network in training mode (BN with the batch's statistics); every ReLU's input gives each
  image a binary code (unit active or not); K[i, j] = the number of units on which images i and j agree
  (N_A minus their Hamming distance); score = log |det K|. Networks whose units separate the images score high.

Both are seeded: the network is initialised under ``torch.manual_seed(seed)`` inside a forked RNG, so the same
seed gives the same score and the caller's random streams are untouched.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

#: proxy name -> one-line description (what ``e2nas rank --yardsticks`` and RandomNAS ``score=`` accept)
PROXIES: dict[str, str] = {
    "synflow": "synaptic flow at random init (Tanaka et al. 2020; Abdelfattah et al. 2021): |w|, no BN, ones input",
    "nwot": "log|K_H| of ReLU activation codes on one batch at random init (Mellor et al. 2021)",
}
#: images in the batch NWOT scores on (Mellor et al. use 128)
NWOT_BATCH = 128


class ProxyError(ValueError):
    """A proxy asked of something it cannot score (a user error)."""


def _strip_batchnorm(net: nn.Module) -> None:
    """Replace every BatchNorm module of ``net`` by the identity (in place)."""
    for module in list(net.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.modules.batchnorm._BatchNorm):
                setattr(module, child_name, nn.Identity())


def synflow(net: nn.Module, input_shape: Sequence[int]) -> float:
    """Synflow score of ``net`` for inputs of ``input_shape`` (without the batch dimension, e.g. (3, 32, 32)).
    Works on a copy: ``net`` is left as it was."""
    work = copy.deepcopy(net)
    _strip_batchnorm(work)
    work = work.double().eval()  # eval: no dropout / drop-path; BN is gone anyway
    with torch.no_grad():
        for p in work.parameters():
            p.abs_()
    work.zero_grad(set_to_none=True)
    device = next(work.parameters()).device
    out = work(torch.ones(1, *input_shape, dtype=torch.float64, device=device))
    if isinstance(out, tuple):  # (logits, auxiliary logits)
        out = out[0]
    out.sum().backward()
    total = torch.zeros((), dtype=torch.float64, device=device)
    with torch.no_grad():
        for m in work.modules():
            if isinstance(m, nn.Conv2d | nn.Linear) and m.weight.grad is not None:
                total += (m.weight * m.weight.grad).abs().sum()
    return float(total)


def hamming_kernel(codes: torch.Tensor) -> torch.Tensor:
    """K[i, j] = units on which binary codes i and j agree, c cᵀ + (1 − c)(1 − c)ᵀ for (B, U) codes in {0, 1},
    in float64. Computed as U − n_i − n_j + 2 (c cᵀ)[i, j] (n_i: ones in code i): one matmul instead of two, in
    float32, which holds these integer counts exactly up to 2^24 units."""
    c = codes.to(torch.float32)
    if c.shape[1] >= 2**24:
        c = c.to(torch.float64)
    n = c.sum(1, dtype=torch.float64)
    return c.shape[1] - n[:, None] - n[None, :] + 2 * (c @ c.T).to(torch.float64)


def log_det(K: torch.Tensor) -> float:
    """log |det K| (−inf for a singular K)."""
    return float(torch.linalg.slogdet(K.to(torch.float64)).logabsdet)


def nwot(net: nn.Module, images: torch.Tensor) -> float:
    """NWOT score of ``net`` on the batch ``images`` (B, 3, H, W): log |det K| of the Hamming-agreement kernel of
    every ReLU's binary activation pattern. Runs ``net`` in training mode (batch statistics) on a copy, no grad."""
    work = copy.deepcopy(net).train()
    B = len(images)
    K = torch.zeros(B, B, dtype=torch.float64, device=images.device)

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        # the output's sign pattern is the input's (relu(x) > 0 iff x > 0), so in-place ReLUs are fine too
        nonlocal K
        K = K + hamming_kernel(output.detach().reshape(B, -1) > 0)

    handles = [m.register_forward_hook(hook) for m in work.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            work(images)
    finally:
        for h in handles:
            h.remove()
    return log_det(K)


def count_flops(net: nn.Module, input_shape: Sequence[int]) -> float:
    """Multiply-accumulates of the Conv2d and Linear layers of ``net`` for one input of ``input_shape`` (what
    NB201's FLOPs column counts, up to the ops without weights)."""
    total = 0

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total += output[0].numel() * k
        else:
            total += module.in_features * module.out_features

    work = copy.deepcopy(net).eval()
    handles = [m.register_forward_hook(hook) for m in work.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    try:
        with torch.no_grad():
            work(torch.zeros(1, *input_shape, device=next(work.parameters()).device))
    finally:
        for h in handles:
            h.remove()
    return float(total)


def count_params(net: nn.Module) -> float:
    return float(sum(p.numel() for p in net.parameters()))


def seeded_network(build: Callable[[], nn.Module], seed: int) -> nn.Module:
    """``build()`` under ``torch.manual_seed(seed)`` without disturbing the caller's RNG state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def proxy_scores(
    name: str,
    archs: Sequence[Any],
    build: Callable[[Any], nn.Module],
    images: torch.Tensor,
    seed: int = 0,
) -> tuple[list[float], float]:
    """Scores of proxy ``name`` for every architecture (``build(arch)`` makes its untrained network; the same
    ``seed`` initialises each one) and the mean seconds per architecture (network construction included).
    ``images``: the NWOT batch; synflow reads only its shape."""
    if name not in PROXIES:
        raise ProxyError(f"unknown proxy {name!r}; choose from {', '.join(PROXIES)}")
    if name == "nwot" and len(images) < 2:
        raise ProxyError(f"nwot needs a batch of at least 2 images, got {len(images)}")
    scores = []
    t0 = time.perf_counter()
    for arch in archs:
        net = seeded_network(lambda a=arch: build(a), seed).to(images.device)
        s = synflow(net, tuple(images.shape[1:])) if name == "synflow" else nwot(net, images)
        scores.append(s)
    per = (time.perf_counter() - t0) / max(len(archs), 1)
    return scores, per


def finite(scores: Sequence[float]) -> list[float]:
    """Scores with −inf (a singular NWOT kernel, a synflow underflow) moved just below the lowest finite one, so
    they rank last instead of breaking the statistics; NaN becomes the same floor."""
    ok = [s for s in scores if math.isfinite(s)]
    floor = (min(ok) - 1.0) if ok else 0.0
    return [s if math.isfinite(s) else floor for s in scores]
