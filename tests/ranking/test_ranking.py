import math

import numpy as np
import pytest

from e2nas.ranking import RankError, rank_scores, sample_cells, top_precision
from e2nas.ranking.core import conv_count, point_metrics
from e2nas.spaces.nb201 import GroundTruth, iso_key


def test_point_metrics_match_a_hand_computation():
    # 4 cells: the supernet swaps the middle two. Pairs: (0,1)+ (0,2)+ (0,3)+ (1,2)- (1,3)+ (2,3)+ -> tau = 4/6
    acc = np.array([10.0, 30.0, 20.0, 40.0])
    gt = np.array([50.0, 60.0, 70.0, 80.0])
    loss = np.zeros(4)
    convs = np.array([0.0, 1.0, 2.0, 3.0])
    m = point_metrics(acc, loss, gt, convs)
    assert m["kendall_tau"] == pytest.approx(4 / 6)
    # Spearman: rank differences d = (0, 1, -1, 0) -> 1 - 6*2/(4*15) = 0.8
    assert m["spearman"] == pytest.approx(0.8)
    assert m["top1_gt"] == 80.0  # the supernet's best cell (acc 40) has ground truth 80
    assert m["top5_gt"] == pytest.approx(65.0)  # all four cells
    assert m["top10_precision"] == 1.0  # ceil(0.4) = 1 cell: the same on both sides


def test_top_precision_counts_the_overlap_of_the_top_tenth():
    gt = np.arange(20, dtype=float)  # top 2 by ground truth: indices 19, 18
    acc = gt.copy()
    acc[18] = -1.0  # the supernet misses one of them
    assert top_precision(acc, np.zeros(20), gt) == 0.5
    # ties in accuracy go to the lower loss
    acc2 = np.zeros(20)
    loss = np.ones(20)
    loss[19] = 0.0
    assert top_precision(acc2, loss, gt, frac=0.05) == 1.0


def test_rank_scores_on_ground_truth_itself_is_perfect_and_intervals_hold_the_point():
    cells = sample_cells(40, seed=3)
    gt = GroundTruth()
    scores = [(0.0, gt.value(c, "cifar10_valid")) for c in cells]
    r = rank_scores(cells, scores, images=2000, seed=3, bootstrap=100)
    assert r.kendall_tau == pytest.approx(1.0) and r.spearman == pytest.approx(1.0)
    assert r.top10_precision == 1.0 and not r.backwards
    assert r.top1_gt == max(s[1] for s in scores)
    lo, hi = r.intervals["kendall_tau"]
    assert lo <= r.kendall_tau <= hi
    # backwards supernet
    rev = rank_scores(cells, [(0.0, -a) for _, a in scores], images=2000, seed=3, bootstrap=50)
    assert rev.kendall_tau == pytest.approx(-1.0) and rev.backwards
    assert rev.to_dict()["ranks_backwards"] is True
    assert [c["index"] for c in r.per_cell] == [c.index for c in cells]
    assert r.tau_conv_ops == pytest.approx(
        rank_scores(cells, scores, images=1, seed=3, bootstrap=1).tau_conv_ops
    )  # a property of the sample and the scores only


def test_sample_is_stratified_connected_distinct_and_seeded():
    gt = GroundTruth()
    a = sample_cells(100, seed=0)
    assert a == sample_cells(100, seed=0) and a != sample_cells(100, seed=1)
    assert all(c.connected for c in a)
    assert len({iso_key(c) for c in a}) == 100
    acc = sorted(gt.value(c, "cifar10_valid") for c in a)
    # one cell per quantile stratum: the sample spans the whole range (bottom and top percent included)
    assert acc[0] < 65 and acc[-1] > 90 and np.median(acc) > 80
    assert {conv_count(c) for c in a} >= {0, 3, 6}
    with pytest.raises(RankError, match="--cells"):
        sample_cells(1)


def test_bootstrap_interval_is_wider_for_fewer_cells():
    rng = np.random.default_rng(0)
    gt = GroundTruth()

    def width(k):
        cells = sample_cells(k, seed=0)
        scores = [(0.0, gt.value(c, "cifar10_valid") + rng.normal(0, 5)) for c in cells]
        lo, hi = rank_scores(cells, scores, images=1, seed=0, bootstrap=200).intervals["kendall_tau"]
        return hi - lo

    assert width(20) > width(200) > 0
    assert not math.isnan(width(10))


def test_batched_metrics_equal_scipy_and_the_point_metrics_on_resamples():
    from scipy.stats import kendalltau, spearmanr

    from e2nas.ranking.core import batch_metrics

    rng = np.random.default_rng(1)
    n = 30
    acc = np.round(rng.normal(50, 5, n))  # rounded: ties, as accuracies on 2,000 images have
    gt = rng.normal(85, 3, n)
    loss = rng.normal(1.5, 0.1, n)
    convs = rng.integers(0, 7, n).astype(float)
    idx = rng.integers(0, n, (20, n))
    b = batch_metrics(acc[idx], loss[idx], gt[idx], convs[idx])
    for r in range(20):
        i = idx[r]
        p = point_metrics(acc[i], loss[i], gt[i], convs[i])
        assert b["kendall_tau"][r] == pytest.approx(kendalltau(acc[i], gt[i]).statistic)
        assert b["spearman"][r] == pytest.approx(spearmanr(acc[i], gt[i]).statistic)
        for k in ("kendall_tau", "spearman", "top1_gt", "top5_gt", "tau_conv_ops", "kendall_tau_loss"):
            assert b[k][r] == pytest.approx(p[k]), k
    constant = batch_metrics(np.ones((2, 5)), np.zeros((2, 5)), np.arange(10.0).reshape(2, 5), np.ones((2, 5)))
    assert constant["kendall_tau"].tolist() == [0.0, 0.0] and constant["spearman"].tolist() == [0.0, 0.0]
