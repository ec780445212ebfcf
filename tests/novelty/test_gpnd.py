"""GPND novelty: exactness on a linear decoder, gradients vs finite differences, degenerate cases."""

from __future__ import annotations

import math

import pytest
import torch

from e2nas.novelty import GeneralizedGaussian, NoveltyConfig, NoveltyModel, fit_gennorm, gpnd_terms, sphere_log_const
from e2nas.novelty.kde import ReflectedKDE, bandwidth

DT = torch.float64
M, N_LAT, TAU = 30, 4, 0.3  # ambient dim, latent dim, std of the off-manifold noise


class LinearModel:
    """z ~ N(mu, diag sd^2), x = W z + b + U_perp xi, xi ~ N(0, tau^2 I_k): the density of x is known exactly."""

    def __init__(self, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.W = torch.randn(M, N_LAT, dtype=DT, generator=g)
        self.b = torch.randn(M, dtype=DT, generator=g)
        q, _ = torch.linalg.qr(torch.cat([self.W, torch.randn(M, M - N_LAT, dtype=DT, generator=g)], 1))
        self.U_perp = q[:, N_LAT:]
        self.mu = torch.randn(N_LAT, dtype=DT, generator=g)
        self.sd = 0.5 + torch.rand(N_LAT, dtype=DT, generator=g)
        self.g = g

    def decoder(self, z: torch.Tensor) -> torch.Tensor:
        return self.W.to(z) @ z + self.b.to(z)

    def sample(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.mu + self.sd * torch.randn(n, N_LAT, dtype=DT, generator=self.g)
        xi = TAU * torch.randn(n, M - N_LAT, dtype=DT, generator=self.g)
        return z, z @ self.W.T + self.b + xi @ self.U_perp.T

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The exact inverse on the manifold (what a perfect encoder would return)."""
        return (x - self.b) @ torch.linalg.pinv(self.W).T

    def true_log_density(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encode(x)
        xi = (x - self.b) @ self.U_perp
        k = M - N_LAT
        log_jac = -torch.log(torch.linalg.svdvals(self.W)).sum()
        log_z = (-0.5 * ((z - self.mu) / self.sd) ** 2 - torch.log(self.sd) - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_xi = -0.5 * (xi**2).sum(-1) / TAU**2 - k * math.log(TAU) - 0.5 * k * math.log(2 * math.pi)
        return log_jac + log_z + log_xi

    def chi_log_pdf(self, r: torch.Tensor) -> torch.Tensor:
        """Density of ||xi||: a chi distribution with k = m - n degrees of freedom, scaled by tau."""
        k = M - N_LAT
        return (
            (k - 1) * torch.log(r)
            - r**2 / (2 * TAU**2)
            - (k / 2 - 1) * math.log(2)
            - math.lgamma(k / 2)
            - k * math.log(TAU)
        )


def test_exact_on_linear_decoder_with_true_components():
    lm = LinearModel(0)
    _, x = lm.sample(20)
    z = lm.encode(x)
    p_z = GeneralizedGaussian.gaussian(lm.mu, lm.sd)
    got = torch.stack([gpnd_terms(z[i], x[i], lm.decoder, p_z.log_prob, lm.chi_log_pdf).total for i in range(20)])
    torch.testing.assert_close(got, lm.true_log_density(x), rtol=0, atol=1e-9)


def test_fitted_model_matches_linear_generative_density():
    """Fitted p_Z (generalised Gaussian) and p_perp (reflected KDE) reproduce the analytic log-density."""
    lm = LinearModel(1)
    z_arch, x_arch = lm.sample(1000)
    model = NoveltyModel(NoveltyConfig(min_points=10)).fit(z_arch, x_arch, lm.decoder)
    assert model.ready
    assert torch.all((model.latent.beta > 1.5) & (model.latent.beta < 2.7))  # ~ Gaussian
    _, x = lm.sample(60)
    z = lm.encode(x)
    got = torch.stack([model.log_density(z[i], x[i]) for i in range(60)])
    want = lm.true_log_density(x)
    diff = got - want
    # constants included exactly: no offset beyond estimation error of the two fitted densities
    assert abs(float(diff.mean())) < 0.1
    assert float(diff.std()) < 0.3 < 3 < float(want.std())  # true log-densities spread by several nats
    # differences log p(x1) - log p(x2) agree too
    dd_got, dd_want = got[:30] - got[30:], want[:30] - want[30:]
    assert float((dd_got - dd_want).abs().median()) < 0.3
    assert torch.corrcoef(torch.stack([got, want]))[0, 1] > 0.99


def _softmax_decoder(seed: int = 0, n: int = N_LAT):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(16, n, dtype=DT, generator=g)
    B = torch.randn(M, 16, dtype=DT, generator=g)

    def decoder(z: torch.Tensor) -> torch.Tensor:
        return torch.softmax((B.to(z) @ torch.tanh(A.to(z) @ z)).reshape(6, 5), dim=-1).flatten()

    return decoder


def _onehot_argmax(p: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.one_hot(p.reshape(6, 5).argmax(-1), 5).to(p).flatten()


def test_gradient_matches_finite_differences():
    dec = _softmax_decoder(0)
    g = torch.Generator().manual_seed(3)
    lat = torch.randn(40, N_LAT, dtype=DT, generator=g)
    onehots = torch.stack([_onehot_argmax(dec(z)) for z in lat])
    model = NoveltyModel().fit(lat, onehots, dec)
    assert model.ready
    for _i in range(3):
        z = torch.randn(N_LAT, dtype=DT, generator=g).requires_grad_(True)
        x = _onehot_argmax(dec(z.detach()))
        assert torch.autograd.gradcheck(lambda zz, x=x: model.log_density(zz, x), (z,), eps=1e-6, atol=1e-5)
        (grad,) = torch.autograd.grad(model.novelty(z, x), z)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_repeated_singular_values_and_zero_residual_are_finite():
    # W with orthonormal columns scaled by 2: all singular values equal
    q, _ = torch.linalg.qr(torch.randn(M, N_LAT, dtype=DT, generator=torch.Generator().manual_seed(0)))
    W = 2.0 * q

    def dec(z):
        return W.to(z) @ z

    p_z = GeneralizedGaussian.gaussian(torch.zeros(N_LAT), torch.ones(N_LAT))
    kde = ReflectedKDE.fit(torch.linspace(0.1, 1.0, 20, dtype=DT))
    z = torch.randn(N_LAT, dtype=DT).requires_grad_(True)
    for x in (dec(z.detach()) + 0.1 * torch.randn(M, dtype=DT), dec(z.detach())):  # second: ||w_perp|| = 0
        t = gpnd_terms(z, x, dec, p_z.log_prob, kde.log_prob)
        torch.testing.assert_close(t.singular_values, torch.full((N_LAT,), 2.0, dtype=DT))
        (grad,) = torch.autograd.grad(t.total, z)
        assert torch.isfinite(t.total) and torch.isfinite(grad).all()


def test_small_archive_gives_zero_novelty_with_zero_gradient():
    dec = _softmax_decoder(1)
    lat = torch.randn(5, N_LAT, dtype=DT)
    model = NoveltyModel(NoveltyConfig(min_points=10)).fit(lat, torch.stack([_onehot_argmax(dec(z)) for z in lat]), dec)
    assert not model.ready and model.terms(lat[0], dec(lat[0])) is None
    z = torch.randn(N_LAT, dtype=DT, requires_grad=True)
    val = model.novelty(z, _onehot_argmax(dec(z.detach())))
    val.backward()
    assert float(val.detach()) == 0.0 and torch.all(z.grad == 0)


def test_no_orthogonal_complement_when_latent_dim_not_smaller():
    dec = _softmax_decoder(2, n=M)  # n == m: the w_perp terms vanish (and J is rank-deficient: softmax rows)
    lat = torch.randn(20, M, dtype=DT)
    model = NoveltyModel().fit(lat, torch.stack([_onehot_argmax(dec(z)) for z in lat]), dec)
    z = torch.randn(M, dtype=DT, requires_grad=True)
    t = model.terms(z, _onehot_argmax(dec(z.detach())))
    assert float(t.log_pperp) == 0.0 and float(t.log_radial) == 0.0 and t.const == 0.0
    (grad,) = torch.autograd.grad(t.total, z)
    assert torch.isfinite(t.total) and torch.isfinite(grad).all()


def test_gennorm_fit_guards():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1000, 2, dtype=DT, generator=g)
    x[:, 1] = torch.rand(1000, dtype=DT, generator=g) * 2 - 1  # uniform: unconstrained beta would run away
    f = fit_gennorm(x, beta_bounds=(1.0, 8.0))
    assert 1.7 < float(f.beta[0]) < 2.3 and float(f.beta[1]) == pytest.approx(8.0)
    same = fit_gennorm(torch.ones(30, 3))  # one cell revisited: zero spread -> floored scale, finite density
    assert torch.all(same.scale >= 1e-2) and torch.isfinite(same.log_prob(torch.ones(3)))
    with pytest.raises(ValueError, match="N >= 2"):
        fit_gennorm(torch.ones(1, 3))
    with pytest.raises(ValueError, match="fit method"):
        fit_gennorm(x, method="moments")


def test_grid_fit_matches_scipy_mle():
    g = torch.Generator().manual_seed(1)
    x = torch.stack([1.5 * torch.randn(200, generator=g) + 0.3, torch.rand(200, generator=g) * 2 - 1], 1).double()
    grid, sp = fit_gennorm(x, (1.0, 8.0), method="grid"), fit_gennorm(x, (1.0, 8.0), method="scipy")
    # same maximum of the likelihood (the grid has step 0.05 in beta)
    assert float(grid.log_prob(x).sum()) == pytest.approx(float(sp.log_prob(x).sum()), abs=0.05)
    torch.testing.assert_close(grid.loc, sp.loc, atol=0.02, rtol=0)


def test_reflected_kde_integrates_to_one_and_bandwidth_rules():
    s = torch.tensor([0.05, 0.2, 0.3, 0.7, 1.1, 1.2], dtype=DT)
    kde = ReflectedKDE.fit(s)
    r = torch.linspace(0, 8, 40001, dtype=DT)
    assert float(torch.trapezoid(kde.log_prob(r).exp(), r)) == pytest.approx(1.0, abs=1e-4)
    assert bandwidth(s, "scott") == pytest.approx(float(s.std()) * 6 ** (-0.2))
    assert bandwidth(s, "silverman") < bandwidth(s, "scott")
    with pytest.raises(ValueError, match="unknown bandwidth rule"):
        bandwidth(s, "nope")
    assert math.isfinite(ReflectedKDE.fit(torch.full((10,), 0.5)).log_prob(torch.tensor(0.5)).item())
    # a confident decoder: all norms ~1e-6; the absolute floor keeps a point at 0.5 at a moderate log-density
    tiny = torch.full((20,), 1e-6, dtype=DT) + 1e-8 * torch.arange(20, dtype=DT)
    assert ReflectedKDE.fit(tiny, min_h=0.1).h == 0.1
    assert float(ReflectedKDE.fit(tiny, min_h=0.1).log_prob(torch.tensor(0.5, dtype=DT))) > -20


def test_sphere_constant():
    # k = 2: circumference 2 pi; k = 3: area 4 pi
    assert sphere_log_const(2) == pytest.approx(-math.log(2 * math.pi))
    assert sphere_log_const(3) == pytest.approx(-math.log(4 * math.pi))


def test_state_dict_round_trip():
    dec = _softmax_decoder(4)
    lat = torch.randn(30, N_LAT, dtype=DT, generator=torch.Generator().manual_seed(5))
    model = NoveltyModel().fit(lat, torch.stack([_onehot_argmax(dec(z)) for z in lat]), dec)
    other = NoveltyModel()
    other.load_state_dict(model.state_dict(), decoder=dec)
    z, x = lat[0] + 0.1, _onehot_argmax(dec(lat[0]))
    assert other.ready and float(other.log_density(z, x)) == float(model.log_density(z, x))
    empty = NoveltyModel()
    empty.load_state_dict(NoveltyModel().state_dict())
    assert not empty.ready


def test_gram_log_det_equals_the_svd_form_with_its_gradient():
    # the GPU path (no host sync): -log det(J^T J + f^2 I) / 2 instead of -sum log(s^2 + f^2) / 2
    from e2nas.novelty.gpnd import log_det_gram, log_det_svd

    g = torch.Generator().manual_seed(4)
    for scale in (1.0, 1e-3, 1e-5):  # singular values spread over 4 decades, down to 1e-9
        A = (torch.randn(30, 12, generator=g) * torch.logspace(0, -4, 12) * scale).requires_grad_(True)
        svd, gram = log_det_svd(A, 1e-6), log_det_gram(A, 1e-6)
        torch.testing.assert_close(gram, svd, rtol=1e-6, atol=1e-5)
        (g_svd,) = torch.autograd.grad(svd, A)
        (g_gram,) = torch.autograd.grad(gram, A)
        torch.testing.assert_close(g_gram, g_svd, rtol=1e-3, atol=1e-3 * float(g_svd.abs().max()))


def test_perp_norm_of_an_ill_conditioned_float32_jacobian_is_finite():
    # the real Jacobian of an E²NAS run whose float32 ridge solve gave NaN (singular values 6.3 ... 5.9e-11)
    import json
    from pathlib import Path

    from e2nas.novelty.gpnd import perp_norm

    d = json.loads((Path(__file__).with_name("ill_conditioned_jacobian.json")).read_text())
    J = torch.tensor(d["J"], dtype=torch.float32, requires_grad=True)
    r = torch.tensor(d["residual"], dtype=torch.float32)
    assert torch.linalg.svdvals(J.detach()).min() < 1e-9
    got = perp_norm(J, r, 1e-6, 1e-3)
    assert got.dtype == torch.float32 and torch.isfinite(got)
    want = perp_norm(J.detach().double(), r.double(), 1e-6, 1e-3)
    assert float(got) == pytest.approx(float(want), rel=1e-6)
    # the residual lies in J's column space: only the floor is left
    assert float(got) == pytest.approx(1e-3, rel=1e-2)
    got.backward()
    assert torch.isfinite(J.grad).all()
