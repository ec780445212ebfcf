"""``e2nas pretrain`` and warm starts: reproducible weights, the record, ``--init-supernet`` checks, warm-up."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import CheckpointError, ConfigError, SearchEngine, make_config
from e2nas.engine.checkpoint import read_checkpoint
from e2nas.engine.load import read_snapshot
from e2nas.pretrain.recipe import PretrainRecipe, pretrain, shipping_recipe, study_rankings, summarise_rankings
from e2nas.pretrain.study import read_records

RANKINGS = Path(__file__).parents[2] / "docs" / "results" / "pretrain" / "rankings.jsonl"


def _recipe(**kw):
    return PretrainRecipe(preset="smoke", epochs=2, train_size=None, **kw)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    out = tmp_path_factory.mktemp("pt") / "a"
    # threads=1: a module fixture runs before conftest's one-thread fixture, and thread counts change float sums
    record = pretrain(_recipe(), out, progress=False, samples=(0, 1), cells=10, images=64, threads=1)
    return out, record


def test_pretrain_writes_weights_and_a_record_and_is_reproducible(pretrained, tmp_path):
    out, record = pretrained
    for key in ("space", "C", "N", "num_classes", "recipe", "config", "kendall_tau", "params_tau", "steps"):
        assert key in record
    assert record["C"] == 4 and record["N"] == 1 and record["num_classes"] == 10 and record["steps"] == 6
    assert [s["sample_seed"] for s in record["ranking"]["samples"]] == [0, 1]
    assert json.loads((out / "supernet.json").read_text())["kendall_tau"] == record["kendall_tau"]
    # same seed, same weights (CPU); the file holds tensors only
    again = pretrain(_recipe(), tmp_path / "b", progress=False, samples=(0,), cells=10, images=64, threads=1)
    a, b = read_snapshot(out / "supernet.pt"), read_snapshot(tmp_path / "b" / "supernet.pt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert again["recipe"] == record["recipe"]


def test_a_search_starts_from_the_pretrained_weights(pretrained, tmp_path):
    out, _ = pretrained
    init = read_snapshot(out / "supernet.pt")
    # one step at a negligible lr: the weights the search trained are the pretrained ones
    cfg = make_config(
        "smoke", "gdas", init_supernet=str(out), epochs=1, steps_per_epoch=1, lr=1e-12, lr_min=0.0, rank_cells=0
    )
    res = SearchEngine(cfg, tmp_path / "s", progress=False).run()
    got = read_checkpoint(tmp_path / "s" / "checkpoint.pt")["supernet"]
    params = [k for k in init if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    assert all(torch.allclose(got[k], init[k], atol=1e-8) for k in params)
    assert res["init_supernet"]["source"] == str(out) and "kendall_tau" in res["init_supernet"]
    fresh = SearchEngine(
        make_config("smoke", "gdas", epochs=1, steps_per_epoch=1, lr=1e-12, lr_min=0.0, rank_cells=0),
        tmp_path / "f",
        progress=False,
    )
    fresh.run()
    fw = read_checkpoint(tmp_path / "f" / "checkpoint.pt")["supernet"]
    assert not torch.allclose(fw["classifier.weight"], init["classifier.weight"])


def test_init_supernet_refuses_what_does_not_fit(pretrained, tmp_path):
    out, _ = pretrained
    with pytest.raises(CheckpointError, match="trained as C=4 \\(this search: 8\\)"):
        SearchEngine(make_config("smoke", "random", init_supernet=str(out), C=8), tmp_path / "x", progress=False).run()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(CheckpointError, match="corrupt, unsafe or not an e2nas snapshot"):
        SearchEngine(make_config("smoke", "random", init_supernet=str(bad)), tmp_path / "y", progress=False).run()
    with pytest.raises(CheckpointError, match="no such file or run directory"):
        SearchEngine(
            make_config("smoke", "random", init_supernet=str(tmp_path / "nope")), tmp_path / "z", progress=False
        ).run()
    r = CliRunner().invoke(
        app,
        ["search", "-m", "random", "-p", "smoke", "--init-supernet", str(bad), "-q", "--out", str(tmp_path / "cli")],
    )
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "Traceback" not in r.output


def test_warmup_epochs_train_weights_only(tmp_path):
    cfg = make_config("smoke", "gdas", epochs=2, warmup_epochs=1, rank_cells=0)
    SearchEngine(cfg, tmp_path / "w", progress=False).run()
    log = [json.loads(x) for x in (tmp_path / "w" / "log.jsonl").read_text().splitlines()]
    # no architecture step during the warm-up epoch: no arch loss logged, the same cell at both ends of it
    assert "arch_loss" not in log[0] and "arch_loss" in log[1]
    assert "train_loss" in log[0]
    with pytest.raises(ConfigError, match="warmup_epochs must be in"):
        make_config("smoke", "gdas", epochs=2, warmup_epochs=2)


def test_resume_with_another_init_or_recipe_is_refused(pretrained, tmp_path):
    out, _ = pretrained
    SearchEngine(make_config("smoke", "random", epochs=1, rank_cells=0), tmp_path / "r", progress=False).run()
    r = CliRunner().invoke(app, ["search", "--resume", "--out", str(tmp_path / "r"), "--init-supernet", str(out)])
    assert r.exit_code == 2 and "does not match the run being resumed (it started from fresh weights)" in r.output
    r = CliRunner().invoke(app, ["pretrain", "--resume", "--out", str(out), "--epochs", "5"])
    assert r.exit_code == 2 and "--epochs 5 does not match the pretraining being resumed (2)" in r.output


def test_rank_takes_a_pretrained_supernet_file(pretrained):
    out, record = pretrained
    args = ["rank", str(out / "supernet.pt"), "--cells", "10", "--images", "64", "--bn", "batch", "--seed", "0"]
    r = CliRunner().invoke(app, [*args, "--yardsticks", "params", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["kendall_tau"] == pytest.approx(record["ranking"]["samples"][0]["kendall_tau"])
    assert d["params_tau"] == pytest.approx(record["ranking"]["samples"][0]["params_tau"])
    r = CliRunner().invoke(app, [*args, "--epoch", "1"])
    assert r.exit_code == 2 and "drop --epoch" in r.output


def test_the_default_preset_starts_from_the_shipped_supernet_which_ranks_and_fits():
    """`e2nas search` with no arguments: cpu-pretrained, from the shipped supernet; the file is weights only, its
    record fits the preset's supernet, and it ranks as its record says (sample 0, 100 cells, 2,000 images)."""
    from e2nas.engine import DEFAULT_PRESET
    from e2nas.engine.init_weights import resolve, shipped_path

    cfg = make_config()
    assert DEFAULT_PRESET == "cpu-pretrained" and cfg.init_supernet == "shipped" and cfg.eval_bn == "batch"
    assert shipped_path().stat().st_size < 2_000_000
    weights, info, _ = resolve("shipped")
    assert (info["space"], info["C"], info["N"], info["num_classes"]) == ("nb201", cfg.C, cfg.N, 10)
    assert info["kendall_tau"] == pytest.approx(np.mean([s["kendall_tau"] for s in info["ranking"]["samples"]]))
    assert len(info["ranking"]["samples"]) == 3 and info["ranking"]["bn"] == "batch"
    assert make_config("cpu").init_supernet is None  # the from-scratch protocol keeps its name


def test_the_shipped_record_is_what_the_ship_command_builds_from_the_committed_rankings():
    """scripts/ship_pretrained.py's recipe and ranking, rebuilt from the committed study records and the run
    config the shipped record keeps, are the shipped record's."""
    from e2nas.engine.init_weights import record_path, shipped_path

    info = json.loads(record_path(shipped_path()).read_text())
    src = info["recipe"]["from"]
    assert (
        shipping_recipe(src["run"], src["epoch"], info["config"], src["sweep"], src["trained_at_commit"])
        == info["recipe"]
    )
    records = read_records(RANKINGS)
    rankings = study_rankings(records, f"{src['run']}@{src['epoch']}", info["ranking"]["bn"])
    assert [r["sample_seed"] for r in rankings] == [0, 1, 2]
    assert summarise_rankings(rankings) == info["ranking"]
    assert study_rankings(records, f"{src['run']}@{src['epoch']}", "running") is None  # not ranked: rank again
