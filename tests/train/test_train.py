"""``e2nas train``: the spaces' recipes, a DARTS genotype retrained from a search run (smoke), resume to the
same result, weights-only checkpoints, cutout, and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import SearchEngine, make_config
from e2nas.safeio import load_torch_file
from e2nas.spaces.darts import DartsNetwork, Genotype, random_cell
from e2nas.train import Trainer, make_train_config
from e2nas.train.augment import cutout

runner = CliRunner()
SEED0 = "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_paper_presets_are_the_published_recipes():
    nb = make_train_config(SEED0, "nb201", "paper")
    assert (nb.C, nb.N, nb.epochs, nb.batch_size, nb.lr, nb.lr_min) == (16, 5, 200, 256, 0.1, 0.0)
    assert (nb.nesterov, nb.weight_decay, nb.auxiliary_weight, nb.cutout, nb.dataset) == (True, 5e-4, 0.0, 0, "cifar10")
    g = random_cell(torch.Generator().manual_seed(1)).genotype()
    d = make_train_config(str(g), "darts", "paper")
    assert (d.C, d.N, d.epochs, d.batch_size, d.lr, d.weight_decay, d.grad_clip) == (36, 6, 600, 96, 0.025, 3e-4, 5.0)
    assert (d.auxiliary_weight, d.drop_path, d.cutout, d.nesterov) == (0.4, 0.2, 16, False)
    assert d.arch == str(g)


def test_darts_genotype_from_a_search_run_trains_from_the_cli(tmp_path):
    search = tmp_path / "search"
    SearchEngine(make_config("smoke", "gdas", "darts", epochs=1, steps_per_epoch=1), search, progress=False).run()
    found = json.loads((search / "results.json").read_text())["final"]["cell"]
    out = tmp_path / "train"
    res = runner.invoke(app, ["train", "--from", str(search), "-p", "smoke", "--out", str(out), "-q", "--json"])
    assert res.exit_code == 0, res.output
    results = json.loads(res.stdout)
    assert results["space"] == "darts" and results["arch"] == found and results["ground_truth"] is None
    net = DartsNetwork(Genotype.parse(found), C=4, N=1, num_classes=10, auxiliary=True)
    assert (results["params"], results["params_without_aux"]) == (net.num_parameters(), net.num_parameters(False))
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2] and log[1]["drop_path"] == pytest.approx(0.1)
    assert 0.0 <= results["final"]["test_acc"] <= 100.0 and results["test_images"] == 200
    state = load_torch_file(out / "checkpoint.pt", "checkpoint")  # weights-only loadable
    assert state["format"] == "e2nas-train-checkpoint" and state["finished"] is True


def test_resumed_training_ends_where_an_uninterrupted_one_does(tmp_path):
    cfg = make_train_config(SEED0, "nb201", "smoke")
    full = Trainer(cfg, tmp_path / "a", progress=False).run()
    assert Trainer(cfg, tmp_path / "b", progress=False).run(stop_at_step=4) is None  # mid-epoch 2
    resumed = Trainer(cfg, tmp_path / "b", resume=True, progress=False).run()
    assert resumed["resumed"] and resumed["final"] == full["final"]
    strip = [
        {k: v for k, v in json.loads(line).items() if k not in ("time_s", "elapsed_s")}
        for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()
    ]
    again = [
        {k: v for k, v in json.loads(line).items() if k not in ("time_s", "elapsed_s")}
        for line in (tmp_path / "b" / "log.jsonl").read_text().splitlines()
    ]
    assert strip == again
    assert full["ground_truth"]["cifar10_valid"] == pytest.approx(91.5333, abs=1e-3)  # NB201's own number


def test_cutout_zeroes_one_clipped_square_per_image():
    x = torch.ones(64, 3, 32, 32)
    y = cutout(x, 16, torch.Generator().manual_seed(0))
    zeros = (y[:, 0] == 0).flatten(1).sum(1)
    assert (zeros > 0).all() and (zeros <= 256).all() and (zeros == 256).any()
    assert torch.equal((y == 0).all(1), (y[:, :1] == 0).squeeze(1))  # all channels alike
    assert torch.equal(cutout(x, 0, torch.Generator()), x)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "darts", "Genotype(normal=[('conv', 0)])"], "invalid darts architecture"),
        (["|conv~0|"], "invalid nb201 architecture"),
        ([], "give the architecture to train, or --from RUN_DIR"),
        ([SEED0, "--from", "somewhere"], "give the architecture to train, or --from RUN_DIR"),
        (["--from", "/nonexistent/run"], "no results.json there"),
        ([SEED0, "--preset", "huge"], "unknown train preset 'huge'"),
        ([SEED0, "--space", "nasnet"], "unknown search space 'nasnet'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    res = runner.invoke(app, ["train", *args, "--out", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 2, res.output
    assert message in res.output and len(res.output.strip().splitlines()) == 1


def test_darts_network_refuses_16px_datasets(tmp_path):
    arch = random_cell(torch.Generator().manual_seed(0)).to_string()
    res = runner.invoke(app, ["train", "--space", "darts", arch, "--dataset", "imagenet16-120", "--out", str(tmp_path)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "the darts network cannot train on 'imagenet16-120'" in res.output
