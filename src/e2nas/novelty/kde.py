"""A 1-D Gaussian kernel density on r >= 0 (the norms ||w_perp||), in torch so it is differentiable.

The samples are norms, so the plain Gaussian KDE would put mass below zero and under-estimate the density
near r = 0. We reflect at zero: p(r) = 1/N sum_i [N(r; r_i, h^2) + N(r; -r_i, h^2)] for r >= 0, which
integrates to one on [0, inf).

Bandwidth h (rule of thumb for a Gaussian reference density, 1-D):
  * ``"scott"``:     h = sigma_hat * N^(-1/5)
  * ``"silverman"``: h = 0.9 * min(sigma_hat, IQR / 1.34) * N^(-1/5)
with sigma_hat the sample standard deviation (ddof=1). h is floored at ``1e-3 * mean(r) + 1e-8`` and at the
caller's ``min_h``: an archive whose norms are (nearly) all equal, e.g. one cell visited over and over by a
confident decoder (norms ~1e-6), would otherwise give h ~1e-6 and log-densities of -1e13 a little way off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

BANDWIDTH_RULES = ("scott", "silverman")


def bandwidth(samples: torch.Tensor, rule: str = "scott", min_h: float = 0.0) -> float:
    """Rule-of-thumb bandwidth for 1-D ``samples`` (see the module docstring)."""
    r = samples.detach().double().flatten()
    n = r.numel()
    if n < 2:
        raise ValueError(f"a KDE bandwidth needs at least 2 samples, got {n}")
    sigma = float(r.std(unbiased=True))
    if rule == "scott":
        h = sigma * n ** (-0.2)
    elif rule == "silverman":
        q75, q25 = (float(v) for v in torch.quantile(r, torch.tensor([0.75, 0.25], dtype=r.dtype)))
        spread = min(sigma, (q75 - q25) / 1.34) if q75 > q25 else sigma
        h = 0.9 * spread * n ** (-0.2)
    else:
        raise ValueError(f"unknown bandwidth rule {rule!r}; use one of {', '.join(BANDWIDTH_RULES)}")
    return max(h, 1e-3 * float(r.abs().mean()) + 1e-8, min_h)


@dataclass(frozen=True)
class ReflectedKDE:
    """Gaussian KDE on [0, inf), reflected at 0; ``samples`` (N,) float64, ``h`` the bandwidth."""

    samples: torch.Tensor
    h: float

    @classmethod
    def fit(cls, samples: torch.Tensor, rule: str = "scott", min_h: float = 0.0) -> ReflectedKDE:
        s = samples.detach().double().flatten().abs()
        return cls(samples=s, h=bandwidth(s, rule, min_h))

    def log_prob(self, r: torch.Tensor) -> torch.Tensor:
        """log p(r) for r >= 0 (any shape), via logsumexp so far tails stay finite."""
        s = self.samples.to(r)
        d = r.unsqueeze(-1)
        logk = torch.cat([-0.5 * ((d - s) / self.h) ** 2, -0.5 * ((d + s) / self.h) ** 2], dim=-1)
        log_norm = -math.log(self.h) - 0.5 * math.log(2 * math.pi) - math.log(s.numel())
        return torch.logsumexp(logk, dim=-1) + log_norm
