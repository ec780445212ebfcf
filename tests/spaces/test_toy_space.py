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


def test_e2nas_arch_shows_a_toy_architecture_without_a_cli_edit(toy):
    """``e2nas arch`` and ``e2nas space stats`` ask the space (SearchSpace.show_arch/show_space): the base
    class's defaults show a space that defines neither."""
    import json

    from typer.testing import CliRunner

    from e2nas.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["arch", "--space", "toy", "conv_3x3-none-conv_3x3", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {
        "space": "toy",
        "arch": "conv_3x3-none-conv_3x3",
        "ops": ["conv_3x3", "none", "conv_3x3"],
    }
    res = runner.invoke(app, ["arch", "--space", "toy", "none-none-conv_3x3"])
    assert res.exit_code == 0 and res.stdout.splitlines() == [
        "space: toy",
        "arch: none-none-conv_3x3",
        "ops: none, none, conv_3x3",
    ]
    bad = runner.invoke(app, ["arch", "--space", "toy", "2581"])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [
        "error: invalid toy architecture '2581': not a toy architecture: '2581' (expected 3 of none, conv_3x3)"
    ]
    stats = json.loads(runner.invoke(app, ["space", "stats", "--space", "toy", "--json"]).stdout)
    assert stats == {
        "space": "toy",
        "description": ToySpace.description,
        "edges": 3,
        "ops": ["none", "conv_3x3"],
        "num_ops": 2,
    }


def test_the_default_show_arch_adds_cost_and_ground_truth_when_the_space_has_them(toy):
    """A space with a benchmark and an evaluation network gets both in ``e2nas arch`` from the defaults."""

    class Judge:
        def summary(self, arch: ToyArch) -> dict[str, float]:
            return {"acc": float(sum(arch.ops))}

        def value(self, arch: ToyArch, metric: str) -> float:
            return self.summary(arch)[metric]

    class JudgedToy(ToySpace):
        def ground_truth(self) -> Judge:
            return Judge()

        def eval_network(self, arch, num_classes=None):
            return self.supernet(C=4, N=1, num_classes=num_classes or 10).discrete_network(arch)

    space = JudgedToy()
    assert space.has_ground_truth and space.has_eval_network and not toy.has_ground_truth
    shown = space.show_arch("conv_3x3-conv_3x3-none")
    assert shown.data["ground_truth"] == {"acc": 2.0}
    assert shown.data["cost"]["counted"]["params"] == sum(
        p.numel() for p in space.eval_network(space.parse("conv_3x3-conv_3x3-none")).parameters()
    )
    assert "ground_truth: {'acc': 2.0}" in shown.text.splitlines()
