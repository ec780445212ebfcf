"""DARTS-V1/V2, SETN, ENAS and NAO in the engine: registry, smoke preset via the CLI, resume after a kill."""

import json

import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import SearchEngine, make_config
from e2nas.searchers import list_searchers

METHODS = ["darts-v1", "darts-v2", "setn", "enas", "nao"]
SMALL = {
    "setn": {"candidates": "6"},
    "enas": {"candidates": "6"},
    "nao": {"pool_init": "6", "update_every": "1", "train_steps": "5", "new_per_update": "3", "seeds": "3"},
}
VOLATILE = {"time_s", "elapsed_s"}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_registry_lists_all_baselines():
    assert {"random", "gdas", "gdas-a", *METHODS} <= set(list_searchers())
    out = CliRunner().invoke(app, ["methods"])
    assert out.exit_code == 0
    for m in METHODS:
        assert m in out.output


@pytest.mark.parametrize("method", METHODS)
def test_smoke_preset_runs_from_the_cli(tmp_path, gt, method):
    args = ["search", "--method", method, "--preset", "smoke", "--out", str(tmp_path), "-q", "--json", "--no-plots"]
    for k, v in SMALL.get(method, {}).items():
        args += ["--opt", f"{k}={v}"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["method"] == method
    assert res["final"]["ground_truth"] == gt.summary(res["final"]["cell"])
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2]
    assert all(torch.isfinite(torch.tensor(r["train_loss"])) for r in lines)


def _log(path):
    return [
        {k: v for k, v in json.loads(line).items() if k not in VOLATILE}
        for line in (path / "log.jsonl").read_text().splitlines()
    ]


def _cfg(method):
    eps = 0.0 if method.startswith("darts") else 0.5
    return make_config("smoke", method, epochs=2, steps_per_epoch=2, epsilon=eps, options=SMALL.get(method))


@pytest.mark.parametrize("method", METHODS)
def test_resume_after_kill_matches_uninterrupted(tmp_path, method):
    full = SearchEngine(_cfg(method), tmp_path / "full", progress=False).run()

    # killed mid-epoch 2 (step 3 of 4), then resumed: the searcher's state round-trips through the checkpoint. The
    # engine's own resume paths (after an epoch, mid-epoch, twice in a row) are tests/engine/test_resume.py's
    part = tmp_path / "part"
    assert SearchEngine(_cfg(method), part, progress=False).run(stop_at_step=3) is None
    res = SearchEngine(_cfg(method), part, resume=True, progress=False).run()

    assert res["resumed"] is True
    assert res["final"] == full["final"]
    assert res["best"] == full["best"]
    assert res["final_extra"] == full["final_extra"]
    assert _log(part) == _log(tmp_path / "full")
