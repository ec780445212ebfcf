"""D-VAE building blocks: aggregation, shapes, masking, differentiability of p(z)."""

from __future__ import annotations

import torch

from e2nas.spaces.nb201 import DAG_NUM_TYPES, Cell, all_cells, cells_to_dag_types, dag_to_cell
from e2nas.vae import DVAE, DVAEConfig, cells_to_ops, ops_to_cells
from e2nas.vae.layers import GatedSum


def _small_model(seed: int = 0) -> DVAE:
    torch.manual_seed(seed)
    return DVAE(DVAEConfig(hidden=16, nz=6)).double()


def test_gated_sum_is_invariant_to_predecessor_order():
    torch.manual_seed(0)
    agg = GatedSum(8)
    x = torch.randn(5, 3, 8 + 12)
    ref = agg(x)
    for perm in ([2, 0, 1], [1, 2, 0], [2, 1, 0]):
        assert torch.allclose(agg(x[:, perm]), ref, atol=1e-6)
    # and not a trivial map: different multisets give different sums
    assert not torch.allclose(agg(x[:, :2]), ref)


def test_encoder_is_invariant_to_predecessor_listing_order(monkeypatch):
    model = _small_model()
    ops = cells_to_ops(list(all_cells())[:50])
    mu_ref, _ = model.encode(ops)
    import e2nas.vae.encoder as enc_mod

    reordered = tuple(tuple(reversed(p)) for p in enc_mod.DAG_PREDECESSORS)
    monkeypatch.setattr(enc_mod, "DAG_PREDECESSORS", reordered)
    model.encoder._succ = tuple(tuple(reversed(s)) for s in model.encoder._succ)
    mu, _ = model.encode(ops)
    assert torch.allclose(mu, mu_ref, atol=1e-10)


def test_shapes_and_single_z():
    model = _small_model()
    ops = cells_to_ops([Cell.from_index(i) for i in range(7)])
    mu, logvar = model.encode_cells(ops)
    assert mu.shape == logvar.shape == (7, 6)
    assert model.edge_probs(mu).shape == (7, 6, 5)
    assert model.edge_probs(mu[0]).shape == (6, 5)
    assert model.decode_argmax(mu).shape == (7, 6)
    assert model.decode_argmax(mu[0]).shape == (6,)
    p = model.edge_probs(mu)
    assert torch.allclose(p.sum(-1), torch.ones(7, 6, dtype=p.dtype))
    # argmax decode equals the argmax of the probabilities along the argmax path
    assert torch.equal(p.argmax(-1), model.decode_argmax(mu))


def test_masked_types_never_appear():
    model = _small_model()
    z = 3.0 * torch.randn(500, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    logp = model.type_log_probs(z)
    assert logp.shape == (500, 6, DAG_NUM_TYPES)
    assert torch.all(logp[..., 5:] == float("-inf"))  # START / ADD / END get probability exactly 0
    for ops in (model.decode_argmax(z), model.decode_sample(z, torch.Generator().manual_seed(2))):
        assert int(ops.min()) >= 0 and int(ops.max()) <= 4
        for row in cells_to_dag_types(ops.numpy()):
            dag_to_cell(row)  # raises if a fixed vertex or op vertex has a wrong type
    assert len(ops_to_cells(ops)) == 500


def test_sampling_is_seeded():
    model = _small_model()
    z = torch.randn(64, 6, dtype=torch.float64)
    a = model.decode_sample(z, torch.Generator().manual_seed(5))
    b = model.decode_sample(z, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_inverse_cdf_sampling_follows_the_decoder_distribution():
    # the GPU path of E²NAS: uniforms instead of multinomial; same distribution, exact inverse CDF
    model = _small_model()
    z = torch.randn(6, generator=torch.Generator().manual_seed(7), dtype=torch.float64).expand(20000, 6)
    u = torch.rand(20000, 6, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    by_cdf = model.decode_sample(z, uniforms=u)
    by_multinomial = model.decode_sample(z, torch.Generator().manual_seed(9))
    p0 = model.edge_probs(z[:1])[0, 0]  # edge 0 depends on z alone
    expected = torch.searchsorted(torch.cumsum(p0, 0), u[:, 0].contiguous(), right=True).clamp(max=4)
    assert torch.equal(by_cdf[:, 0], expected)
    for e in range(6):  # every edge (conditioned on the earlier draws): marginals agree with multinomial's
        f_cdf = torch.bincount(by_cdf[:, e], minlength=5) / 20000.0
        f_mult = torch.bincount(by_multinomial[:, e], minlength=5) / 20000.0
        assert torch.allclose(f_cdf, f_mult, atol=0.02), (e, f_cdf, f_mult)
    assert len({tuple(r) for r in by_cdf.tolist()}) > 20  # an untrained decoder: far from deterministic
    single = model.decode_sample(z[0], uniforms=u[0])
    assert torch.equal(single, by_cdf[0])


def test_edge_probs_differentiable_finite_difference_and_jacrev():
    model = _small_model()
    z = torch.randn(6, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    J = torch.func.jacrev(model.edge_probs)(z)
    assert J.shape == (6, 5, 6)
    Jf = torch.func.jacfwd(model.edge_probs)(z)
    assert torch.allclose(J, Jf, atol=1e-10)
    eps = 1e-6
    for k in range(6):
        dz = torch.zeros(6, dtype=torch.float64)
        dz[k] = eps
        fd = (model.edge_probs(z + dz) - model.edge_probs(z - dz)) / (2 * eps)
        assert torch.allclose(fd, J[..., k], atol=1e-6), k
    assert J.abs().sum() > 0
    # teacher-forced path too (probabilities along a given cell)
    ops = torch.tensor([3, 2, 3, 1, 3, 3])
    Jt = torch.func.jacrev(lambda zz: model.edge_probs(zz, ops))(z)
    assert Jt.shape == (6, 5, 6) and torch.isfinite(Jt).all()
    # autograd through a loss on p(z) reaches z
    zz = z.clone().requires_grad_(True)
    model.edge_probs(zz)[:, 3].sum().backward()
    assert zz.grad is not None and torch.isfinite(zz.grad).all()


def test_temperature_softens_probs_without_changing_the_argmax_path():
    model = _small_model()
    z = torch.randn(20, 6, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    p1, p3 = model.edge_probs(z), model.edge_probs(z, temperature=3.0)
    assert torch.equal(p1.argmax(-1), p3.argmax(-1))
    assert (p3.max(-1).values <= p1.max(-1).values + 1e-12).all()
