"""Ranking is space-generic: any space with ground truth and a ranking pool is sampled and ranked through the
SearchSpace hooks (the test-only toy space with a made-up benchmark); a space without ground truth is refused."""

from __future__ import annotations

import pytest
import torch

from e2nas.ranking import RankError, conv_count, rank_scores, rank_supernet, sample_cells
from e2nas.spaces import SearchSpace, get_space, register_space
from spaces.toy_space import RankedToySpace, ToyGroundTruth, ToySpace


@pytest.fixture
def toy() -> RankedToySpace:
    return RankedToySpace()


def test_the_sample_is_stratified_over_the_space_s_own_pool(toy):
    gt = ToyGroundTruth()
    pool = toy.ranking_pool()
    assert len(pool) == 5
    # k = the whole pool: one per stratum is every architecture, lowest ground truth first
    assert sample_cells(5, 0, "toy_acc", space=toy) == sorted(pool, key=lambda a: gt.value(a, "toy_acc"))
    two = sample_cells(2, 3, "toy_acc", space=toy)
    assert two == sample_cells(2, 3, "toy_acc", space=toy) and set(two) <= set(pool)
    assert gt.value(two[0], "toy_acc") < gt.value(two[1], "toy_acc")  # one from each half
    with pytest.raises(RankError, match=r"between 2 and 5 \(connected toy architectures\), got 6"):
        sample_cells(6, 0, "toy_acc", space=toy)


def test_rank_scores_reads_the_space_s_ground_truth_format_and_conv_count(toy):
    cells = sample_cells(5, 0, "toy_acc", space=toy)
    gt = ToyGroundTruth()
    scores = [(0.0, gt.value(c, "toy_acc")) for c in cells]
    r = rank_scores(cells, scores, images=1, seed=0, metric="toy_acc", bootstrap=20, space=toy)
    assert r.kendall_tau == pytest.approx(1.0) and r.top1_gt == 85.0 and r.metric == "toy_acc"
    assert r.per_cell[-1] == {
        "cell": "conv_3x3-conv_3x3-conv_3x3",  # toy archs have no index: describe() adds nothing
        "inherited_acc": 85.0,
        "inherited_loss": 0.0,
        "ground_truth": 85.0,
        "conv_ops": 3,
    }
    assert [c["conv_ops"] for c in r.per_cell] == [conv_count(c, toy) for c in cells]


def test_rank_supernet_ranks_a_toy_supernet_by_space_name(toy):
    register_space(RankedToySpace)  # as "toy"; removed again after the test (tests/conftest.py)

    class Loader:  # the part of a DeviceLoader rank_supernet reads
        y = torch.zeros(8, dtype=torch.long)

        def images(self, n: int):
            yield torch.randn(n, 3, 8, 8, generator=torch.Generator().manual_seed(0)), self.y[:n]

    net = toy.supernet(C=4, N=1, num_classes=10)
    r = rank_supernet(net, Loader(), cells=3, seed=1, metric="toy_acc", bootstrap=10, space="toy")
    assert r.cells == 3 and r.images == 8
    assert [c["cell"] for c in r.per_cell] == [toy.format(a) for a in sample_cells(3, 1, "toy_acc", space=toy)]


@pytest.mark.parametrize("space", ["darts", ToySpace()])
def test_a_space_without_ground_truth_is_refused_not_ranked_against_nb201(space):
    name = space if isinstance(space, str) else space.name
    with pytest.raises(RankError, match=f"the {name} space has no ground truth"):
        sample_cells(10, 0, space=space)
    with pytest.raises(RankError, match="no ground truth"):
        rank_scores([], [], images=1, seed=0, space=space)


def test_a_space_with_ground_truth_but_no_pool_says_which_hook_is_missing():
    class Unpooled(ToySpace):
        def ground_truth(self) -> ToyGroundTruth:
            return ToyGroundTruth()

    with pytest.raises(RankError, match="no ranking pool"):
        sample_cells(2, 0, "toy_acc", space=Unpooled())


def test_the_default_conv_count_counts_conv_named_ops():
    nb201 = get_space("nb201")
    pool = nb201.ranking_pool()
    assert all(nb201.conv_count(c) == sum(o in (2, 3) for o in c.ops) for c in pool)  # nor_conv_1x1, nor_conv_3x3
    assert SearchSpace.conv_count is type(nb201).conv_count  # no space overrides it
    darts = get_space("darts")
    arch = darts.random_arch(torch.Generator().manual_seed(0))
    assert darts.conv_count(arch) == sum("conv" in darts.ops[o] for o in arch.ops)


def test_a_search_on_a_space_with_ground_truth_ranks_its_supernet_against_that_space_s_judge(tmp_path):
    """The engine's final ranking on the toy space: against ``toy_acc`` (its judge metric, not NB201's), with only
    the table yardsticks the space has (none), in results.json and ranking.json."""
    from e2nas.engine import SearchEngine, make_config
    from e2nas.ranking import read_ranking
    from e2nas.ranking.yardsticks import yardstick_scores

    register_space(RankedToySpace)
    cfg = make_config("smoke", "gdas", "toy", epochs=1, steps_per_epoch=2, batch_size=4, rank_cells=4, rank_images=8)
    res = SearchEngine(cfg, tmp_path, progress=False).run()
    assert res["final"]["ground_truth"] == {
        "toy_acc": ToyGroundTruth().value(get_space("toy").parse(res["final"]["cell"]), "toy_acc")
    }
    assert res["ranking"]["metric"] == "toy_acc" and res["ranking"]["cells"] == 4
    assert res["ranking"]["yardsticks"] == {} and res["ranking"]["params_tau"] is None
    per_cell = read_ranking(tmp_path / "ranking.json").per_cell
    assert [c["ground_truth"] for c in per_cell] == [
        ToyGroundTruth().value(get_space("toy").parse(c["cell"]), "toy_acc") for c in per_cell
    ]
    with pytest.raises(RankError, match="'params' is not in the toy space's benchmark table"):
        yardstick_scores(("params",), [get_space("toy").parse(per_cell[0]["cell"])], space_name="toy")
