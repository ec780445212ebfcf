"""A new space is one module and a class: the test-only toy space (tests/spaces/toy_space.py), registered in a
fixture, is listed by the registry and searched end to end through the public engine API."""

from __future__ import annotations

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.spaces import get_space, list_spaces, register_space
from spaces.toy_space import ToyArch, ToySpace


@pytest.fixture
def toy() -> ToySpace:
    register_space(ToySpace)  # removed again after the test (tests/conftest.py)
    return get_space("toy")


def test_the_toy_space_is_listed_only_while_registered(toy):
    assert list_spaces()["toy"] == ToySpace.description
    assert {"nb201", "darts"} <= set(list_spaces())


def test_the_toy_space_round_trips(toy):
    arch = toy.random_arch(torch.Generator().manual_seed(0))
    assert toy.parse(toy.format(arch)) == arch and toy.arch(arch.ops) == arch
    net = toy.supernet(C=4, N=1, num_classes=3)
    x = torch.zeros(2, 3, 8, 8)
    assert net.forward_cell(x, arch).shape == (2, 3)
    assert net.forward_mixture(x, torch.full((3, 2), 0.5)).shape == (2, 3)


@pytest.mark.parametrize("method", ["random", "gdas", "darts-v1"])
def test_a_search_runs_on_the_toy_space(toy, tmp_path, method):
    opts = {"candidates": "3"} if method == "random" else None
    cfg = make_config("smoke", method, "toy", epochs=1, steps_per_epoch=2, batch_size=4, options=opts)
    res = SearchEngine(cfg, tmp_path, progress=False).run()
    assert res["space"] == "toy" and res["best"] is None
    assert isinstance(toy.parse(res["final"]["cell"]), ToyArch)
    assert res["final"]["ground_truth"] is None


def test_a_toy_search_resumes_to_the_same_architecture(toy, tmp_path):
    cfg = make_config("smoke", "gdas", "toy", epochs=2, steps_per_epoch=2, batch_size=4)
    full = SearchEngine(cfg, tmp_path / "a", progress=False).run()
    assert SearchEngine(cfg, tmp_path / "b", progress=False).run(stop_at_step=3) is None
    resumed = SearchEngine(cfg, tmp_path / "b", resume=True, progress=False).run()
    assert resumed["final"]["cell"] == full["final"]["cell"]


def test_the_cli_searches_the_toy_space_and_lists_it(toy, tmp_path):
    import json

    from typer.testing import CliRunner

    from e2nas.cli.main import app

    runner = CliRunner()
    out = tmp_path / "run"
    args = ["search", "--space", "toy", "-m", "gdas", "-p", "smoke", "--out", str(out), "-q", "--json"]
    res = runner.invoke(app, [*args, "--epochs", "1"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["space"] == "toy"
    methods = json.loads(runner.invoke(app, ["methods", "--json"]).stdout)
    assert "toy" in methods["gdas"]["spaces"] and "toy" in methods["random"]["spaces"]
    assert methods["e2nas"]["spaces"] == ["nb201"] and methods["setn"]["spaces"] == ["nb201"]
