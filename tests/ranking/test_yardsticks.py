import json

import numpy as np
import pytest
import torch
from scipy.stats import kendalltau, spearmanr

from e2nas.ranking import TABLE_YARDSTICKS, RankError, beats_params_line, rank_scores, read_ranking, sample_cells
from e2nas.ranking.yardsticks import agreement_with_supernet, parse_yardsticks, yardstick_scores
from e2nas.spaces import SearchSpace, get_space


def test_table_yardsticks_equal_a_scipy_computation_on_the_shipped_table(gt):
    columns = get_space("nb201").table_yardsticks
    assert columns == {"params": "params_cifar10_M", "flops": "flops_cifar10_M", "acc12": "acc12_cifar10_valid"}
    assert tuple(columns) == TABLE_YARDSTICKS  # the order results.json and `e2nas rank` print them in
    cells = sample_cells(60, seed=1)
    truth = np.array([gt.value(c, "cifar10_valid") for c in cells])
    ys = yardstick_scores(("params", "flops", "acc12"), cells)
    scores = [(0.0, float(v)) for v in np.linspace(0, 1, len(cells))]  # some supernet ranking
    r = rank_scores(cells, scores, images=1, seed=0, bootstrap=200, yardsticks=ys)
    for name, column in columns.items():
        col = gt.table.column(column)[[c.index for c in cells]]
        assert r.yardsticks[name]["kendall_tau"] == pytest.approx(kendalltau(col, truth).statistic)
        assert r.yardsticks[name]["spearman"] == pytest.approx(spearmanr(col, truth).statistic)
        lo, hi = r.yardsticks[name]["intervals"]["kendall_tau"]
        assert lo <= r.yardsticks[name]["kendall_tau"] <= hi
    assert r.params_tau == r.yardsticks["params"]["kendall_tau"] > 0.3
    v = r.vs_params
    assert v["difference"] == pytest.approx(r.kendall_tau - r.params_tau)
    assert v["interval"][0] <= v["difference"] <= v["interval"][1] and v["beats"] is (v["interval"][0] > 0)


def test_a_supernet_that_ranks_by_ground_truth_beats_counting_parameters(gt):
    cells = sample_cells(40, seed=0)
    scores = [(0.0, gt.value(c, "cifar10_valid")) for c in cells]
    r = rank_scores(cells, scores, images=1, seed=0, bootstrap=200, yardsticks=yardstick_scores(("params",), cells))
    assert r.vs_params["beats"] and beats_params_line(r).endswith(": beats counting parameters")
    worse = rank_scores(
        cells, [(0.0, -a) for _, a in scores], images=1, seed=0, bootstrap=200,
        yardsticks=yardstick_scores(("params",), cells),
    )  # fmt: skip
    assert "does not beat counting parameters" in beats_params_line(worse)
    assert beats_params_line(rank_scores(cells, scores, images=1, seed=0, bootstrap=10)) is None


def test_rankings_round_trip_and_old_files_without_yardsticks_still_read(gt, tmp_path):
    cells = sample_cells(12, seed=0)
    scores = [(float(i), float(i)) for i in range(12)]
    r = rank_scores(cells, scores, images=1, seed=0, bootstrap=20, yardsticks=yardstick_scores(("params",), cells))
    d = r.to_dict()
    assert d["params_tau"] == r.params_tau and "params" in d["per_cell"][0]["yardsticks"]
    (tmp_path / "new.json").write_text(json.dumps(d))
    back = read_ranking(tmp_path / "new.json")
    assert back.params_tau == r.params_tau and back.vs_params == json.loads(json.dumps(r.vs_params))
    old = rank_scores(cells, scores, images=1, seed=0, bootstrap=20).to_dict()
    for key in ("yardsticks", "vs_params", "params_tau"):  # what ranking.json files held before issue 21
        old.pop(key)
    (tmp_path / "old.json").write_text(json.dumps(old))
    legacy = read_ranking(tmp_path / "old.json")
    assert legacy.yardsticks == {} and legacy.params_tau is None and legacy.vs_params is None


def test_yardstick_names_and_spaces_without_a_network_are_user_errors():
    assert parse_yardsticks("params, nwot") == ("params", "nwot")
    assert parse_yardsticks("none") == () and len(parse_yardsticks("all")) == 5
    with pytest.raises(RankError, match="unknown yardstick 'jacob_cov'"):
        parse_yardsticks("params,jacob_cov")

    class NoNetwork(SearchSpace):
        name = "toy"

    cells = sample_cells(3, seed=0)
    with pytest.raises(RankError, match="the toy space has no discrete network"):
        yardstick_scores(("synflow",), cells, network=lambda c: NoNetwork().network(c, 8, 1, 10),
                         images=torch.zeros(4, 3, 8, 8), space_name="toy")  # fmt: skip
    with pytest.raises(RankError, match="read from a benchmark table; the darts space has none"):
        yardstick_scores(("params",), cells, space_name="darts")


def test_agreement_without_ground_truth_is_kendall_tau_between_supernet_and_yardstick():
    acc = np.array([1.0, 2.0, 3.0, 4.0])
    out = agreement_with_supernet(acc, {"params": ([1.0, 2.0, 4.0, 3.0], 0.0, "table")}, seed=0, bootstrap=50)
    assert out["params"]["tau_vs_supernet"] == pytest.approx(4 / 6)
