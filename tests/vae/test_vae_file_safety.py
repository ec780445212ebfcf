"""D-VAE weight files: a hostile one runs nothing (library, `vae eval`, `search --opt vae=`), a failed save
keeps the previous file, and `vae train` refuses an unwritable --out before it trains."""

import errno
import os
import pickle

import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.safeio import FileAccessError
from e2nas.safeio import atomic as atomic_mod
from e2nas.vae import DVAE, DVAEConfig, VAECheckpointError, load_checkpoint, save_checkpoint

runner = CliRunner()


class _Touch:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("as_pickle", [True, False])
def test_hostile_dvae_file_runs_nothing(tmp_path, as_pickle):
    marker, f = tmp_path / "ran", tmp_path / "dvae.pt"
    payload = {"format": "e2nas-dvae-nb201", "version": 1, "config": {}, "state_dict": {}, "x": _Touch(marker)}
    if as_pickle:
        f.write_bytes(pickle.dumps(payload))
    else:
        torch.save(payload, f)
    with pytest.raises(VAECheckpointError, match="unsafe content.*io.open"):
        load_checkpoint(f)
    res = runner.invoke(app, ["vae", "eval", "--model", str(f), "--subset", "8", "--prior-samples", "4"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1 and "unsafe content" in res.output
    args = ["search", "-m", "e2nas", "-p", "smoke", "--opt", f"vae={f}", "--out", str(tmp_path / "r"), "-q"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert len(res.output.strip().splitlines()) == 1 and "unsafe content" in res.output and str(f) in res.output
    assert not marker.exists()


def test_failed_save_keeps_previous_weights(tmp_path, monkeypatch):
    f = tmp_path / "dvae.pt"
    first = DVAE(DVAEConfig(hidden=8, nz=4))
    save_checkpoint(first, f, {"run": 1})

    def full(path, mode):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(atomic_mod, "open", full, raising=False)
    with pytest.raises(FileAccessError, match="no space left.*previous version is intact"):
        save_checkpoint(DVAE(DVAEConfig(hidden=8, nz=4)), f, {"run": 2})
    monkeypatch.undo()
    model, record = load_checkpoint(f)
    assert record == {"run": 1} and sorted(p.name for p in tmp_path.iterdir()) == ["dvae.pt"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), first.state_dict().values(), strict=True))


def test_vae_train_refuses_unwritable_out_before_training(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["vae", "train", "--out", str(blocker / "dvae.pt"), "--epochs", "1"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert f"{blocker} is a file, not a directory" in res.output
