import json

import torch
from typer.testing import CliRunner

from e2nas.cli.main import app

runner = CliRunner()


def test_vae_eval_json_on_shipped_model():
    res = runner.invoke(app, ["vae", "eval", "--json", "--subset", "1500", "--prior-samples", "200"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    for key in (
        "recon_acc_test",
        "recon_acc_all",
        "injective",
        "distinct_means",
        "prior_validity",
        "prior_uniqueness",
        "nz",
        "params",
        "train_seconds",
        "quality",
    ):
        assert key in info, key
    assert info["recon_acc_test"] == 1.0 and info["recon_acc_all"] == 1.0
    assert info["injective"] is True and info["distinct_means"] == 1500
    assert info["prior_validity"] == 1.0 and 0 < info["prior_uniqueness"] <= 1
    assert info["nz"] < 30 and info["params"] > 0 and info["train_seconds"] > 0
    q = info["quality"]
    assert -1 <= q["spearman_latent_dist_vs_acc_diff"] <= 1
    assert q["knn_acc_spread"] > 0 and q["random_acc_spread"] > 0


def test_vae_eval_human_output():
    res = runner.invoke(app, ["vae", "eval", "--subset", "300", "--prior-samples", "50"])
    assert res.exit_code == 0, res.output
    assert "recon_acc_test" in res.stdout and "injective" in res.stdout


def test_vae_eval_bad_model_file_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.pt"
    torch.save({"not": "a vae"}, bad)
    res = runner.invoke(app, ["vae", "eval", "--model", str(bad), "--json"])
    assert res.exit_code == 2
    assert "not an e2nas D-VAE checkpoint" in res.stderr and "e2nas vae train" in res.stderr
    assert "Traceback" not in res.output


def test_vae_train_tiny_then_eval(tmp_path):
    out = tmp_path / "tiny.pt"
    res = runner.invoke(
        app, ["vae", "train", "--out", str(out), "--epochs", "1", "--hidden", "8", "--nz", "4", "--json"]
    )
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout.strip().splitlines()[-1])
    assert rec["epochs_run"] == 1 and rec["train_config"]["model"] == {"hidden": 8, "nz": 4}
    res = runner.invoke(app, ["vae", "eval", "--model", str(out), "--json", "--subset", "200", "--prior-samples", "20"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["nz"] == 4
