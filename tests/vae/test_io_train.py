"""Checkpoints (validation, clear errors), reproducible training, and the shipped weights."""

from __future__ import annotations

import pytest
import torch

from e2nas.vae import DVAE, DVAEConfig, VAECheckpointError, load_checkpoint, load_pretrained, save_checkpoint
from e2nas.vae.data import all_ops, make_split
from e2nas.vae.train import TrainConfig, train_dvae

TINY = TrainConfig(model=DVAEConfig(hidden=8, nz=4), epochs=2, batch_size=64, max_train=256, seed=3)


def test_split_is_deterministic_80_10_10():
    a, b = make_split(), make_split()
    assert (a.train == b.train).all() and (a.test == b.test).all()
    assert (len(a.train), len(a.valid), len(a.test)) == (12500, 1562, 1563)
    allidx = set(a.train) | set(a.valid) | set(a.test)
    assert len(allidx) == 15625


def test_same_seed_same_weights_tiny_config():
    torch.set_num_threads(1)
    m1, r1 = train_dvae(TINY)
    m2, r2 = train_dvae(TINY)
    for (k, v1), v2 in zip(m1.state_dict().items(), m2.state_dict().values(), strict=True):
        assert torch.equal(v1, v2), k
    assert r1["history"][-1]["loss"] == r2["history"][-1]["loss"]
    m3, _ = train_dvae(TrainConfig(**{**TINY.__dict__, "seed": 4}))
    assert not torch.equal(m1.encoder.fc_mu.weight, m3.encoder.fc_mu.weight)


def test_checkpoint_roundtrip(tmp_path):
    torch.manual_seed(0)
    m = DVAE(DVAEConfig(hidden=8, nz=4))
    p = save_checkpoint(m, tmp_path / "m.pt", {"seed": 1})
    m2, rec = load_checkpoint(p)
    assert rec == {"seed": 1} and m2.config == m.config
    ops = all_ops()[:20]
    assert torch.equal(m.encode(ops)[0], m2.encode(ops)[0])


def test_bad_checkpoints_give_clear_errors(tmp_path):
    with pytest.raises(VAECheckpointError, match="not found.*e2nas vae train"):
        load_checkpoint(tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x80\x04garbage" * 10)
    with pytest.raises(VAECheckpointError, match="not a readable D-VAE checkpoint.*e2nas vae train"):
        load_checkpoint(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(VAECheckpointError, match="not an e2nas D-VAE checkpoint"):
        load_checkpoint(foreign)
    # a truncated real checkpoint
    good = save_checkpoint(DVAE(DVAEConfig(hidden=8, nz=4)), tmp_path / "good.pt")
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(good.read_bytes()[:500])
    with pytest.raises(VAECheckpointError, match="not a readable"):
        load_checkpoint(trunc)
    # config says nz=4 but weights are nz=5: shape mismatch names the weight
    payload = torch.load(good, weights_only=True)
    payload["config"]["nz"] = 5
    mism = tmp_path / "mismatch.pt"
    torch.save(payload, mism)
    with pytest.raises(VAECheckpointError, match="has shape .* needs"):
        load_checkpoint(mism)
    payload["config"] = {"hidden": 8, "nz": 4, "layers": 3}
    torch.save(payload, mism)
    with pytest.raises(VAECheckpointError, match="does not fit"):
        load_checkpoint(mism)


def test_shipped_weights_roundtrip_on_held_out_sample():
    model = load_pretrained()
    assert model.nz < 30
    test_ops = all_ops()[torch.from_numpy(make_split().test[:400])]
    mu, _ = model.encode_cells(test_ops)
    assert torch.equal(model.decode_argmax(mu), test_ops)


def test_encoder_radius_is_the_largest_mean_norm_and_follows_the_file(tmp_path):
    from e2nas.vae import encoder_radius

    shipped = load_pretrained()
    with torch.no_grad():
        want = float(shipped.encode_cells(all_ops().numpy())[0].norm(dim=1).max())
    assert encoder_radius() == want and encoder_radius(None) == want  # memoised: the same number again
    path = tmp_path / "m.pt"
    model = DVAE(DVAEConfig(nz=4, hidden=8))
    save_checkpoint(model, path)
    first = encoder_radius(path)
    torch.manual_seed(1)
    save_checkpoint(DVAE(DVAEConfig(nz=4, hidden=8)), path)  # rewritten in place: a new file version
    assert encoder_radius(path) != first
    with pytest.raises(VAECheckpointError):
        encoder_radius(tmp_path / "missing.pt")
