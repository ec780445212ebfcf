"""Per-dimension generalised Gaussian density p_Z over latent codes, fitted with scipy, evaluated in torch.

GPND's latent term log p_Z(z) needs a density that is differentiable in z, so the parameters are fitted once
(``scipy.stats.gennorm.fit``, maximum likelihood) and the log-density is written out in torch:

    log p(x; beta, mu, alpha) = log beta - log 2 - log alpha - lgamma(1/beta) - (|x - mu| / alpha)^beta

Guards, all documented in docs/novelty.md:
  * beta is clamped to ``beta_bounds`` (default [1, 8]): with ~50 points an unconstrained fit can run to
    beta -> 1e7 (a uniform) or below 1 (infinite gradient at the mode); a clamped beta is refitted with the
    shape held fixed, so loc/scale stay maximum-likelihood for that shape;
  * alpha is floored at ``min_scale``: an archive that has revisited one cell has zero spread in every
    dimension, and the density must stay finite;
  * |x - mu| is smoothed as sqrt((x-mu)^2 + tiny^2) so the gradient is defined at the mode for any beta.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class GeneralizedGaussian:
    """Independent generalised Gaussians, one per latent dimension; parameters are (n,) float64 tensors."""

    beta: torch.Tensor
    loc: torch.Tensor
    scale: torch.Tensor

    @property
    def dim(self) -> int:
        return int(self.beta.numel())

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """Sum over dimensions of the log-density; z (..., n) -> (...). Differentiable in z."""
        beta = self.beta.to(z)
        loc = self.loc.to(z)
        scale = self.scale.to(z)
        tiny = 1e-12 * scale
        absdev = torch.sqrt((z - loc) ** 2 + tiny**2)
        log_norm = torch.log(beta) - math.log(2.0) - torch.log(scale) - torch.lgamma(1.0 / beta)
        return (log_norm - (absdev / scale) ** beta).sum(dim=-1)

    @classmethod
    def gaussian(cls, mean: torch.Tensor, std: torch.Tensor) -> GeneralizedGaussian:
        """The Gaussian N(mean, std^2) as a generalised Gaussian (beta = 2, alpha = sqrt(2) * std)."""
        mean = torch.as_tensor(mean, dtype=torch.float64)
        std = torch.as_tensor(std, dtype=torch.float64)
        return cls(beta=torch.full_like(mean, 2.0), loc=mean, scale=math.sqrt(2.0) * std)


def fit_gennorm(
    samples: np.ndarray | torch.Tensor,
    beta_bounds: tuple[float, float] = (1.0, 8.0),
    min_scale: float = 1e-2,
) -> GeneralizedGaussian:
    """Maximum-likelihood fit per column of ``samples`` (N, n); see the module docstring for the guards."""
    from scipy.stats import gennorm

    x = samples.detach().cpu().double().numpy() if isinstance(samples, torch.Tensor) else np.asarray(samples, float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need a (N >= 2, n) array of latent codes to fit p_Z, got shape {x.shape}")
    lo, hi = beta_bounds
    betas, locs, scales = [], [], []
    for col in x.T:
        spread = float(col.std())
        if spread < min_scale:  # degenerate column: nothing to fit, use the floor around the mean
            b, loc, s = 2.0, float(col.mean()), min_scale
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                b, loc, s = gennorm.fit(col)
                if not (np.isfinite(b) and lo <= b <= hi and np.isfinite(loc) and np.isfinite(s)):
                    b = float(np.clip(b if np.isfinite(b) else 2.0, lo, hi))
                    _, loc, s = gennorm.fit(col, f0=b, loc=float(col.mean()), scale=spread)
            if not (np.isfinite(loc) and np.isfinite(s)):
                b, loc, s = 2.0, float(col.mean()), math.sqrt(2.0) * spread
        betas.append(float(b))
        locs.append(float(loc))
        scales.append(max(float(s), min_scale))
    as_t = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    return GeneralizedGaussian(beta=as_t(betas), loc=as_t(locs), scale=as_t(scales))
