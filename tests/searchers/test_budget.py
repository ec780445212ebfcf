"""Search under a parameter / FLOPs budget: every method's smoke search ends within it, the engine replaces an
answer over it, results.json records the budget and NB201's yardstick, and bad budgets are one line, exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import SearchEngine, make_config
from e2nas.searchers import get_searcher_class, list_searchers
from e2nas.searchers.budget import Budget, BudgetError
from e2nas.spaces import SearchSpace, get_space
from e2nas.spaces.nb201 import Cell

runner = CliRunner()
#: the shipped methods (test modules register toy searchers of their own)
METHODS = sorted(n for n in list_searchers() if get_searcher_class(n).__module__.startswith("e2nas."))


@pytest.mark.parametrize("method", METHODS)
def test_every_method_ends_within_the_budget(tmp_path, method, gt):
    # one step per epoch: what is checked is the answer, its cost and the log's cost field, not the search's progress
    cfg = make_config("smoke", method, max_flops=50.0, rank_cells=0, steps_per_epoch=1)
    res = SearchEngine(cfg, tmp_path / method, progress=False).run()
    b = res["budget"]
    final = get_space("nb201").parse(res["final"]["cell"])
    assert gt.value(final, "flops_M") <= 50.0 and b["final_within"]
    assert b["max_flops_M"] == 50.0 and b["max_params_M"] is None
    assert res["final"]["cost"] == b["final_cost"] and b["final_cost"]["flops_M"] <= 50.0
    y = b["ground_truth_under_budget"]
    flops, valid = gt.table.column("flops_M"), gt.table.column("cifar10_valid")
    ok = flops <= 50.0
    assert y["cells_within"] == int(ok.sum())
    assert y["best"]["ground_truth"]["cifar10_valid"] == pytest.approx(valid[ok].max())
    assert y["largest"]["cost"]["flops_M"] == pytest.approx(flops[ok].max())
    if res["best"] is not None:  # the oracle's best seen is the best seen within the budget
        assert res["best"]["ground_truth"]["flops_M"] <= 50.0
    log = [json.loads(line) for line in (tmp_path / method / "log.jsonl").read_text().splitlines()]
    assert all("cell_cost" in r for r in log)


def test_an_answer_over_the_budget_is_replaced(tmp_path, gt):
    """GDAS without its penalty (weight 0) under a budget only cells of none/skip edges meet."""
    cfg = make_config("smoke", "gdas", max_flops=8.0, budget_weight=0.0, rank_cells=0)
    res = SearchEngine(cfg, tmp_path / "g", progress=False).run()
    b = res["budget"]
    assert not b["searcher_pick_within"] and b["searcher_pick"]["cost"]["flops_M"] > 8.0
    assert b["replaced_by"]["how"].startswith("best-scored of") and b["final_within"]
    assert gt.value(Cell.parse(res["final"]["cell"]), "flops_M") <= 8.0


def test_penalty_is_a_hinge_on_the_expected_cost():
    space = get_space("nb201")
    budget = Budget(space, max_flops=50.0)
    ec = space.edge_costs()
    conv3 = torch.zeros(6, 5)
    conv3[:, 3] = 1.0  # all nor_conv_3x3: 222.86 M FLOPs
    expected = float(ec.expected("flops", conv3))
    assert expected == pytest.approx(222.860992)
    assert float(budget.penalty(conv3)) == pytest.approx(expected / 50.0 - 1.0)
    assert float(budget.penalty(torch.nn.functional.one_hot(torch.zeros(6, dtype=torch.long), 5).float())) == 0.0
    logits = torch.zeros(6, 5, requires_grad=True)
    budget.penalty(torch.softmax(logits, -1)).backward()
    g = logits.grad
    assert (g[:, 3] > 0).all() and (g[:, 0] < 0).all()  # pushes away from 3x3 convs, towards none


def test_darts_budget_penalty_and_smallest():
    space = get_space("darts")
    arch, cost = space.smallest_cost()
    counted = space.count_cost(arch)  # the edge model equals a full count (also tests/spaces/test_cost.py)
    assert cost.flops_M == pytest.approx(counted["macs"] / 1e6)
    assert cost.params_M == pytest.approx(counted["params"] / 1e6, abs=1e-9)
    g = torch.Generator().manual_seed(0)
    assert all(space.cost(space.random_arch(g)).flops_M >= cost.flops_M for _ in range(20))
    budget = Budget(space, max_flops=400.0)
    probs = torch.softmax(torch.zeros(28, 8), -1)
    assert float(budget.penalty(probs)) >= 0.0
    with pytest.raises(BudgetError, match="no darts architecture meets"):
        Budget(space, max_flops=cost.flops_M - 1.0)


def test_space_without_network_and_bad_values():
    class NoNetwork(SearchSpace):
        name = "toy"

    with pytest.raises(BudgetError, match="no evaluation network"):
        Budget(NoNetwork(), max_flops=10.0)
    for bad in (-1.0, 0.0, float("nan")):
        with pytest.raises(BudgetError, match="positive number"):
            Budget(get_space("nb201"), max_params=bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-flops", "5"], "no nb201 architecture meets FLOPs <= 5 M: the smallest, |skip_connect~0|+|none~0|"),
        (["--max-params", "0.05"], "has 0.073306 M params and 7.943872 M FLOPs"),
        (["--max-flops", "-3"], "--max-flops must be a positive number of millions"),
        (["--max-params", "abc"], "--max-params expects a number of millions"),
    ],
)
def test_bad_budgets_are_one_line(tmp_path, args, message):
    res = runner.invoke(app, ["search", "-m", "random", "-p", "smoke", "--out", str(tmp_path / "r"), "-q", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output and len(res.output.strip().splitlines()) == 1


def test_nb201_smallest_cell_is_named(gt):
    cell, cost = get_space("nb201").smallest_cost()
    assert cost.flops_M == pytest.approx(gt.table.column("flops_M").min())
    assert cost.params_M == pytest.approx(gt.table.column("params_M").min())
    assert np.isclose(gt.value(cell, "flops_M"), cost.flops_M)


def test_darts_space_search_ends_within_a_params_budget(tmp_path):
    cfg = make_config("smoke", "gdas", "darts", max_params=3.0, epochs=1, steps_per_epoch=1, rank_cells=0)
    res = SearchEngine(cfg, tmp_path / "d", progress=False).run()
    space = get_space("darts")
    final = space.parse(res["final"]["cell"])
    assert space.count_cost(final)["params"] <= 3.0e6 and res["budget"]["final_within"]
    assert "ground_truth_under_budget" not in res["budget"]  # no benchmark on the DARTS space


def test_a_resumed_budgeted_run_ends_like_an_uninterrupted_one(tmp_path):
    def cfg():
        return make_config("smoke", "gdas", max_flops=8.0, budget_weight=0.0, epochs=2, rank_cells=0)

    full = SearchEngine(cfg(), tmp_path / "full", progress=False).run()
    assert SearchEngine(cfg(), tmp_path / "part", progress=False).run(stop_after_epochs=1) is None
    res = SearchEngine(cfg(), tmp_path / "part", resume=True, progress=False).run()
    assert res["resumed"] and res["final"] == full["final"] and res["budget"] == full["budget"]
