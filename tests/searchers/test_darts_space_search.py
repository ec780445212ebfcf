"""Searchers on the DARTS space: GDAS (with and without the complementation loss), GDAS-A, DARTS-V1/V2 and
RandomNAS run through the engine and return genotypes; NB201-only methods refuse in one line."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import ConfigError, SearchConfig, SearchEngine, make_config
from e2nas.spaces.darts import Genotype

runner = CliRunner()


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


#: the CLI run below, as a library config (GDAS with the complementation loss)
CLI_ARGS = ["search", "--space", "darts", "-m", "gdas", "-p", "smoke", "--epsilon", "0.5", "-q", "--json", "--no-plots"]


@pytest.fixture(scope="module")
def gdas_cli_run(tmp_path_factory):
    """One GDAS smoke search on the DARTS space from the CLI: its run directory and printed results. The CLI test
    reads it, and the resume test takes it as the uninterrupted run."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("darts-gdas") / "run"
    res = runner.invoke(app, [*CLI_ARGS, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


def test_gdas_smoke_on_darts_from_the_cli(gdas_cli_run):
    out, results = gdas_cli_run
    assert results["space"] == "darts" and results["best"] is None and results["epsilon"] == 0.5
    final = Genotype.parse(results["final"]["cell"])  # a genotype, in the DARTS format
    assert results["final"]["ground_truth"] is None and "index" not in results["final"]
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert len(log) == 2 and all(r["tau"] > 0 for r in log)
    assert Genotype.parse(log[-1]["cell"]) == final
    assert results["config"]["weight_decay"] == 3e-4 and results["config"]["nesterov"] is False


@pytest.mark.parametrize(
    ("method", "epsilon"), [("gdas", 0.5), ("gdas-a", 0.0), ("darts-v1", 0.0), ("darts-v2", 0.0), ("random", 0.0)]
)
def test_searchers_find_genotypes_on_darts(tmp_path, method, epsilon):
    opts = {"candidates": "3"} if method == "random" else None
    # 8x8 images: the genotype is what is checked, and DARTS-V2's five supernet passes per step cost half as much
    cfg = make_config(
        "smoke", method, "darts", epochs=1, steps_per_epoch=1, epsilon=epsilon, options=opts, image_size=8
    )
    res = SearchEngine(cfg, tmp_path, progress=False).run()
    g = Genotype.parse(res["final"]["cell"])
    assert all(op != "none" for op, _ in g.normal + g.reduce)
    assert res["epsilon"] == epsilon


@pytest.mark.slow
def test_darts_space_search_resumes_to_the_same_genotype(gdas_cli_run, tmp_path):
    _, full = gdas_cli_run  # uninterrupted
    cfg = make_config("smoke", "gdas", "darts", epsilon=0.5)
    assert SearchConfig.from_dict(full["config"]).fingerprint() == cfg.fingerprint()  # the same run
    assert SearchEngine(cfg, tmp_path / "b", progress=False).run(stop_at_step=3) is None  # mid-epoch 2
    resumed = SearchEngine(cfg, tmp_path / "b", resume=True, progress=False).run()
    assert resumed["final"]["cell"] == full["final"]["cell"]


def test_paper_preset_on_darts_uses_darts_hyperparameters():
    cfg = make_config("paper", "gdas", "darts")
    assert (cfg.C, cfg.N, cfg.epochs, cfg.batch_size) == (16, 2, 50, 64)
    assert (cfg.lr, cfg.lr_min, cfg.momentum, cfg.nesterov, cfg.weight_decay) == (0.025, 0.001, 0.9, False, 3e-4)
    assert (cfg.arch_lr, cfg.arch_betas, cfg.arch_weight_decay, cfg.grad_clip) == (3e-4, (0.5, 0.999), 1e-3, 5.0)
    # NB201's own settings are untouched
    nb = make_config("paper", "gdas")
    assert (nb.space, nb.N, nb.epochs, nb.nesterov, nb.weight_decay) == ("nb201", 5, 250, True, 5e-4)


@pytest.mark.parametrize("method", ["e2nas", "setn", "enas", "nao"])
def test_nb201_only_methods_refuse_the_darts_space(tmp_path, method):
    with pytest.raises(ConfigError, match=f"method '{method}' works on the nb201 search space only"):
        make_config("smoke", method, "darts")
    res = runner.invoke(app, ["search", "--space", "darts", "-m", method, "-p", "smoke", "--out", str(tmp_path)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert "works on the nb201 search space only" in res.output


def test_unknown_space_and_a_space_switch_on_resume_are_one_line(gdas_cli_run, tmp_path):
    res = runner.invoke(app, ["search", "--space", "nasnet", "-p", "smoke", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "unknown search space 'nasnet'" in res.output
    out = tmp_path / "r"
    shutil.copytree(gdas_cli_run[0], out)  # a finished DARTS-space run
    res = runner.invoke(app, ["search", "--resume", "--out", str(out), "--space", "nb201", "-q"])
    assert res.exit_code == 2 and "--space nb201 does not match the run being resumed" in res.output
