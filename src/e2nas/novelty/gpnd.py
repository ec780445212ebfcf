"""GPND probabilistic novelty (Pidhorskyi et al. 2018) of a latent point z, as E²NAS uses it
(docs/reference/method.md#probabilistic-novelty).

A decoder D: R^n -> R^m maps latent codes onto a manifold in R^m (here m = 30, the 6 x 5 per-edge op
probabilities). A point x in R^m is split into a part along the manifold (tangent space = column space of
J = dD/dz at z) and a part w_perp orthogonal to it. With J = U S V^T and k = m - n:

    log p(x) ~= -sum_i log s_i + log p_Z(z) + log p_perp(||w_perp||) - (k - 1) log ||w_perp|| + C_k

    C_k = lgamma(k/2) - log 2 - (k/2) log pi      (minus the log surface area of the unit sphere S^(k-1))

The last three terms are the density of w_perp in R^k under the assumption that it is isotropic, written
through the density p_perp of its norm. C_k is included, so for a linear decoder D(z) = W z + b with
x = D(z) + noise orthogonal to range(W), and the true p_Z and p_perp, this is *exactly* log p(x)
(tests/novelty/test_gpnd.py checks it to 1e-9).

Numerical choices (all differentiable in z; documented in docs/novelty.md):
  * J comes from ``torch.func.jacrev``; z may require grad and J stays in the autograd graph.
  * log s_i is evaluated as 0.5 * log(s_i^2 + sv_floor^2) from ``torch.linalg.svdvals``: finite for a
    rank-deficient J (a softmax decoder has rank <= 24 of its 30 outputs), and the backward of svdvals uses
    only U diag(g) V^T, so repeated singular values give no 1/(s_i - s_j) blow-up.
  * ||w_perp|| = ||U_perp^T r|| (r = x - D(z)) is computed as the least-squares residual
    ||r - J (J^T J + sv_floor^2 I)^(-1) J^T r||, the same number for a full-rank J but without
    differentiating singular *vectors* (whose gradient is undefined for repeated singular values). Only the
    norm of w_perp enters the density, so its coordinates are never needed.
  * ||w_perp|| is smoothed to sqrt(||w||^2 + r_floor^2) so x == D(z) gives a finite value and gradient.
  * k <= 0 (n >= m): there is no orthogonal complement; the three w_perp terms and C_k are dropped.
  * On a GPU, ``svdvals`` and ``solve`` would synchronise the device with the host (they check LAPACK error
    codes there). So off the CPU the log-determinant is -log det(J^T J + sv_floor^2 I) / 2, the same number
    (sum of log(s_i^2 + sv_floor^2) over the n singular values), from ``cholesky_ex`` of the Gram matrix in
    float64 (squaring the condition number costs ~8 of float64's 16 digits, so singular values down to ~1e-8
    of the largest stay resolved), and the least squares use ``solve_ex``. Neither checks errors on the host;
    the Gram matrix is positive definite by construction. On the CPU the SVD path is kept (same numbers as
    before).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch.func import jacrev, vmap

from e2nas.novelty.gennorm import GeneralizedGaussian, fit_gennorm
from e2nas.novelty.kde import ReflectedKDE

#: a decoder on ONE latent point: (n,) -> (m,)
Decoder = Callable[[torch.Tensor], torch.Tensor]
LogProb = Callable[[torch.Tensor], torch.Tensor]


def decoder_jacobian(decoder: Decoder, z: torch.Tensor) -> torch.Tensor:
    """J = dD/dz at z, shape (m, n); differentiable in z when z requires grad."""
    return jacrev(decoder)(z)


def sphere_log_const(k: int) -> float:
    """C_k = -log(surface area of the unit sphere in R^k) = lgamma(k/2) - log 2 - (k/2) log pi."""
    return math.lgamma(k / 2) - math.log(2.0) - (k / 2) * math.log(math.pi) if k > 0 else 0.0


def perp_norm(J: torch.Tensor, residual: torch.Tensor, sv_floor: float, r_floor: float) -> torch.Tensor:
    """||U_perp^T residual|| via the ridge least-squares residual; J (..., m, n), residual (..., m).

    In float64: the ridge sv_floor² = 1e-12 is below float32's resolution of JᵀJ (entries ~10), so a decoder
    Jacobian with singular values down to 1e-10 (met in an E²NAS run at the cpu preset) made the float32 system
    singular and the solve returned NaN (tests/novelty/ill_conditioned_jacobian.json)."""
    n = J.shape[-1]
    J64, r64 = J.double(), residual.double()
    Jt = J64.transpose(-1, -2)
    gram = Jt @ J64 + (sv_floor**2) * torch.eye(n, dtype=J64.dtype, device=J.device)
    # solve_ex: the same factorisation as solve, without the host-side error check (a device sync on GPUs)
    coef = torch.linalg.solve_ex(gram, (Jt @ r64.unsqueeze(-1)))[0].squeeze(-1)
    w = r64 - (J64 @ coef.unsqueeze(-1)).squeeze(-1)
    return torch.sqrt((w * w).sum(-1) + r_floor**2).to(J.dtype)


@dataclass
class GPNDTerms:
    """The pieces of log p_A(z); ``total`` is their sum (a scalar tensor, differentiable in z)."""

    log_det: torch.Tensor  # -sum log s_i
    log_pz: torch.Tensor  # log p_Z(z)
    log_pperp: torch.Tensor  # log p_perp(||w_perp||)
    log_radial: torch.Tensor  # -(k - 1) log ||w_perp||
    const: float  # C_k
    perp_norm: torch.Tensor
    jacobian: torch.Tensor = field(repr=False)

    @property
    def singular_values(self) -> torch.Tensor:
        """The singular values of J (diagnostics; computed on demand)."""
        return torch.linalg.svdvals(self.jacobian.detach())

    @property
    def total(self) -> torch.Tensor:
        return self.log_det + self.log_pz + self.log_pperp + self.log_radial + self.const


def gpnd_terms(
    z: torch.Tensor,
    x: torch.Tensor,
    decoder: Decoder,
    latent_log_prob: LogProb,
    norm_log_prob: LogProb,
    *,
    sv_floor: float = 1e-6,
    r_floor: float = 1e-6,
) -> GPNDTerms:
    """All GPND terms at latent z (n,) for the point x (m,), given log p_Z and log p_perp(||w||)."""
    if z.dim() != 1 or x.dim() != 1:
        raise ValueError(f"gpnd expects one latent z (n,) and one point x (m,), got {tuple(z.shape)}, {tuple(x.shape)}")
    x = x.to(z)
    J = decoder_jacobian(decoder, z)
    m, n = J.shape
    if x.numel() != m:
        raise ValueError(f"x has {x.numel()} entries but the decoder outputs {m}")
    log_det = _log_det_term(J, sv_floor)
    log_pz = latent_log_prob(z)
    k = m - n
    r = perp_norm(J, x - decoder(z), sv_floor, r_floor)
    if k > 0:
        log_pperp = norm_log_prob(r)
        log_radial = -(k - 1) * torch.log(r)
    else:
        log_pperp = log_radial = torch.zeros((), dtype=z.dtype, device=z.device)
    return GPNDTerms(log_det, log_pz, log_pperp, log_radial, sphere_log_const(k), r, J)


def _log_det_term(J: torch.Tensor, sv_floor: float) -> torch.Tensor:
    """-sum_i 0.5 log(s_i^2 + sv_floor^2): by SVD on the CPU, by a float64 Cholesky elsewhere (no host sync)."""
    return log_det_svd(J, sv_floor) if J.device.type == "cpu" else log_det_gram(J, sv_floor)


def log_det_svd(J: torch.Tensor, sv_floor: float) -> torch.Tensor:
    s = torch.linalg.svdvals(J)
    return -0.5 * torch.log(s**2 + sv_floor**2).sum(-1)


def log_det_gram(J: torch.Tensor, sv_floor: float) -> torch.Tensor:
    """The same number as :func:`log_det_svd`, as -log det(J^T J + sv_floor^2 I) / 2 from ``cholesky_ex``."""
    J64 = J.double()
    gram = J64.transpose(-1, -2) @ J64 + (sv_floor**2) * torch.eye(J.shape[-1], dtype=J64.dtype, device=J.device)
    L = torch.linalg.cholesky_ex(gram)[0]
    return -torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1).to(J.dtype)


@dataclass(frozen=True)
class NoveltyConfig:
    """Knobs of the fitted novelty model (defaults are what the e2nas searcher uses)."""

    min_points: int = 10  # below this many archive cells the model is not fitted and novelty is 0
    beta_bounds: tuple[float, float] = (1.0, 8.0)  # generalised-Gaussian shape clamp
    min_scale: float = 1e-2  # floor on the p_Z scale per latent dimension
    bandwidth: str = "scott"  # KDE bandwidth rule for p_perp: "scott" or "silverman"
    kde_min_bandwidth: float = 1e-2  # floor on the KDE bandwidth (units of ||w_perp||, i.e. probabilities)
    sv_floor: float = 1e-6  # log s_i -> 0.5 log(s_i^2 + sv_floor^2)
    r_floor: float = 1e-3  # ||w_perp|| -> sqrt(||w_perp||^2 + r_floor^2)


def archive_perp_norms(
    latents: torch.Tensor, onehots: torch.Tensor, decoder: Decoder, sv_floor: float, r_floor: float
) -> torch.Tensor:
    """||w_perp|| of every archive point (N,), each with the Jacobian at its own latent code (no grad)."""
    with torch.no_grad(), warnings.catch_warnings():
        # functorch warns that some ops (e.g. GRUCell) fall back to a per-sample loop under vmap: still correct
        warnings.filterwarnings("ignore", message=".*batching rule.*")
        try:  # batched when the decoder is vmap-compatible
            J = vmap(jacrev(decoder))(latents)
            D = vmap(decoder)(latents)
        except Exception:  # noqa: BLE001 - any functorch limitation: fall back to a loop
            J = torch.stack([decoder_jacobian(decoder, zi) for zi in latents])
            D = torch.stack([decoder(zi) for zi in latents])
        return perp_norm(J, onehots.to(D) - D, sv_floor, r_floor)


class NoveltyModel:
    """Fitted GPND density of the archive; ``log_density(z, x)`` is log p_A(z), novelty N = -log p_A(z).

    Usage (once per step or epoch, then as often as needed)::

        model = NoveltyModel()
        model.fit(archive.latents(), archive.onehots(), decoder)
        loss = (1 - g) * l_val + g * model.log_density(z, onehot(cell))  # minimising it maximises novelty

    Until the archive holds ``config.min_points`` cells the model is not ready and ``log_density`` returns 0
    (a zero that still depends on z, so ``backward`` works and gives a zero gradient).
    """

    def __init__(self, config: NoveltyConfig | None = None) -> None:
        self.config = config or NoveltyConfig()
        self.latent: GeneralizedGaussian | None = None
        self.norm_kde: ReflectedKDE | None = None
        self.decoder: Decoder | None = None
        self.num_points = 0

    @property
    def ready(self) -> bool:
        return self.latent is not None

    def fit(self, latents: torch.Tensor, onehots: torch.Tensor, decoder: Decoder) -> NoveltyModel:
        """Fit p_Z to the archive's encoder means and p_perp to the archive's ||w_perp||."""
        latents = torch.as_tensor(latents).detach()
        onehots = torch.as_tensor(onehots).detach()
        if latents.shape[0] != onehots.shape[0]:
            raise ValueError(f"{latents.shape[0]} latents but {onehots.shape[0]} one-hot cells")
        self.decoder = decoder
        self.num_points = int(latents.shape[0])
        if self.num_points < max(2, self.config.min_points):
            self.latent = self.norm_kde = None
            return self
        c = self.config
        lat = fit_gennorm(latents, c.beta_bounds, c.min_scale)  # on the host (numpy)
        dev = latents.device  # back to where z lives, so log_prob never copies from the host
        self.latent = GeneralizedGaussian(beta=lat.beta.to(dev), loc=lat.loc.to(dev), scale=lat.scale.to(dev))
        norms = archive_perp_norms(latents, onehots, decoder, c.sv_floor, c.r_floor)
        self.norm_kde = ReflectedKDE.fit(norms, c.bandwidth, c.kde_min_bandwidth)
        return self

    def terms(self, z: torch.Tensor, x: torch.Tensor) -> GPNDTerms | None:
        if not self.ready:
            return None
        assert self.decoder is not None and self.latent is not None and self.norm_kde is not None
        c = self.config
        return gpnd_terms(
            z, x, self.decoder, self.latent.log_prob, self.norm_kde.log_prob, sv_floor=c.sv_floor, r_floor=c.r_floor
        )

    def log_density(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p_A(z) (scalar, differentiable in z); 0 until the model is fitted on enough cells."""
        t = self.terms(z, x)
        return (z * 0).sum() if t is None else t.total

    def novelty(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return -self.log_density(z, x)

    # -- checkpointing: the fitted densities (the decoder is the caller's and is passed again) ----------
    def state_dict(self) -> dict:
        if not self.ready:
            return {"num_points": self.num_points, "fitted": None}
        assert self.latent is not None and self.norm_kde is not None
        lat = self.latent
        fitted = {"beta": lat.beta.clone(), "loc": lat.loc.clone(), "scale": lat.scale.clone()}
        fitted.update({"norms": self.norm_kde.samples.clone(), "h": self.norm_kde.h})
        return {"num_points": self.num_points, "fitted": fitted}

    def load_state_dict(self, state: dict, decoder: Decoder | None = None) -> None:
        """Restore fitted densities saved by ``state_dict``; ``decoder`` replaces the stored one if given."""
        self.num_points = int(state["num_points"])
        if decoder is not None:
            self.decoder = decoder
        f = state["fitted"]
        if f is None:
            self.latent = self.norm_kde = None
            return
        self.latent = GeneralizedGaussian(beta=f["beta"].clone(), loc=f["loc"].clone(), scale=f["scale"].clone())
        self.norm_kde = ReflectedKDE(samples=f["norms"].clone(), h=float(f["h"]))
