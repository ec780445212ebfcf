"""DARTS-V1/V2, SETN, ENAS and NAO in the engine: the registry lists them, a smoke search with options runs from
the CLI (each method's resume: tests/searchers/test_state_roundtrip.py)."""

import json

import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.searchers import list_searchers

METHODS = ["darts-v1", "darts-v2", "setn", "enas", "nao"]
SMALL = {
    "setn": {"candidates": "6"},
    "enas": {"candidates": "6"},
    "nao": {"pool_init": "6", "update_every": "1", "train_steps": "5", "new_per_update": "3", "seeds": "3"},
}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_registry_lists_all_baselines():
    assert {"random", "gdas", "gdas-a", *METHODS} <= set(list_searchers())
    out = CliRunner().invoke(app, ["methods"])
    assert out.exit_code == 0
    for m in METHODS:
        assert m in out.output


def test_smoke_preset_runs_from_the_cli_with_options(tmp_path, gt):
    """One CLI smoke with --opt (every method's smoke run through the engine is a golden run,
    tests/searchers/test_golden_smoke.py)."""
    method = "nao"
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
