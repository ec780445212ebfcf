import json

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.searchers import SearcherError, create_searcher, list_searchers
from e2nas.searchers.gdas import GDASOptions
from e2nas.spaces.nb201 import Cell


def test_registry_lists_the_builtin_methods():
    reg = list_searchers()
    assert {"random", "gdas", "gdas-a"} <= set(reg)
    assert all(isinstance(d, str) and d and "\n" not in d for d in reg.values())


def test_unknown_method_names_the_known_ones():
    with pytest.raises(SearcherError, match=r"unknown method 'nope'; choose one of .*gdas"):
        create_searcher("nope")


def test_options_from_cli_strings():
    s = create_searcher("gdas", {"tau_max": "5", "tau_min": "0.5"}, epsilon=0.5)
    assert s.options == GDASOptions(tau_max=5.0, tau_min=0.5)
    assert s.epsilon == 0.5
    with pytest.raises(SearcherError, match="unknown option 'taumax'.*tau_max"):
        create_searcher("gdas", {"taumax": "5"})
    with pytest.raises(SearcherError, match="expected a value of type float"):
        create_searcher("gdas", {"tau_max": "hot"})
    with pytest.raises(SearcherError, match="epsilon"):
        create_searcher("gdas", epsilon=1.5)


@pytest.mark.parametrize(("method", "eps"), [("random", 0.0), ("gdas", 0.0), ("gdas-a", 0.0), ("gdas", 0.5)])
def test_each_searcher_runs_the_smoke_preset(tmp_path, gt, method, eps):
    opts = {"candidates": "5"} if method == "random" else None
    cfg = make_config("smoke", method, epsilon=eps, options=opts, rank_cells=0)  # the final ranking: tests/ranking
    res = SearchEngine(cfg, tmp_path, progress=False).run()
    final = Cell.parse(res["final"]["cell"])
    assert res["final"]["index"] == final.index
    assert res["final"]["ground_truth"] == gt.summary(final)
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2]
    assert all(torch.isfinite(torch.tensor(r["train_loss"])) for r in lines)
    if method.startswith("gdas"):
        assert "arch_loss" in lines[0] and "tau" in lines[0]


def test_gdas_tau_schedule_is_linear(tmp_path):
    cfg = make_config("smoke", "gdas", epochs=3, steps_per_epoch=1, rank_cells=0)
    SearchEngine(cfg, tmp_path, progress=False).run()
    taus = [json.loads(x)["tau"] for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert taus == pytest.approx([10.0, 5.05, 0.1])


def test_gdas_a_trains_the_argmax_cell(tmp_path):
    cfg = make_config("smoke", "gdas-a", epochs=1, steps_per_epoch=2, rank_cells=0)
    eng = SearchEngine(cfg, tmp_path, progress=False)
    eng.run()
    s = eng.searcher
    cell, H = s.hard_weights(eng.ctx)
    assert cell == s.current_cell()
    assert torch.allclose(H.detach().sum(-1), torch.ones(6))
    # the straight-through gradient reached the arch parameters and Adam stepped them
    assert s.alpha.grad is not None and s.alpha.grad.abs().sum() > 0
    assert int(s.arch_optimizer.state[s.alpha]["step"]) == 2


def test_random_final_is_best_candidate_on_valid(tmp_path):
    cfg = make_config("smoke", "random", options={"candidates": 6}, rank_cells=0)
    eng = SearchEngine(cfg, tmp_path, progress=False)
    res = eng.run()
    assert res["final_extra"]["candidates"] == 6
    final = Cell.parse(res["final"]["cell"])
    ((loss, acc),) = eng.ctx.evaluate([final])
    assert acc == pytest.approx(res["final_extra"]["valid_acc"])


def test_random_fair_sampling_trains_every_op_once_per_block_of_five():
    import torch

    from e2nas.searchers import create_searcher
    from e2nas.spaces import get_space

    s = create_searcher("random", {"fair": "true"})

    class Ctx:
        generator = torch.Generator().manual_seed(0)
        space = get_space("nb201")

    NUM_EDGES, NUM_OPS = Ctx.space.num_edges, Ctx.space.num_ops

    s.setup(Ctx)
    cells = [s.train_cell(Ctx) for _ in range(3 * NUM_OPS)]
    for block in range(3):
        ops = [c.ops for c in cells[block * NUM_OPS : (block + 1) * NUM_OPS]]
        for e in range(NUM_EDGES):
            assert sorted(o[e] for o in ops) == list(range(NUM_OPS))
    assert cells[:NUM_OPS] != cells[NUM_OPS : 2 * NUM_OPS]  # a fresh permutation per block
    state = s.state_dict()
    s.train_cell(Ctx)
    s.load_state_dict(state)
    assert len(s.fair_block) == 0  # 15 cells drawn: the third block is used up


def test_random_sampler_pools_and_their_errors(tmp_path):
    """RandomNAS ``sampler=iso`` trains only the lowest-index member of each connected isomorphism class (the
    cells `e2nas rank` samples); ``connected`` only connected cells; a space without pools, an unknown pool and
    fair sampling with a pool are refused."""
    import json

    from e2nas.engine import SearchEngine, make_config
    from e2nas.ranking import sample_cells
    from e2nas.spaces import SpaceError, get_space
    from e2nas.spaces.nb201 import Cell

    nb = get_space("nb201")
    iso = nb.arch_pool("iso")
    connected = nb.arch_pool("connected")
    assert all(c.connected for c in connected) and len(set(iso)) == len(iso) < len(connected) < 15_625
    assert set(sample_cells(100, seed=3)) <= set(iso)
    cfg = make_config("smoke", "random", epochs=2, rank_cells=0, options={"sampler": "iso", "candidates": 0})
    SearchEngine(cfg, tmp_path / "iso", progress=False).run()
    trained = [Cell.parse(json.loads(x)["cell"]) for x in (tmp_path / "iso" / "log.jsonl").read_text().splitlines()]
    assert set(trained) <= set(iso)
    with pytest.raises(SpaceError, match="no sampling pool 'iso'; choose one of uniform"):
        get_space("darts").arch_pool("iso")
    with pytest.raises(SpaceError, match="choose one of uniform, connected, iso"):
        nb.arch_pool("bogus")


@pytest.fixture(scope="module")
def random_run(tmp_path_factory):
    cfg = make_config("smoke", "random", options={"candidates": 8, "score": "params"}, rank_cells=0)
    eng = SearchEngine(cfg, tmp_path_factory.mktemp("random-params"), progress=False)
    return eng, eng.run()


def _candidates_and_pick(eng, score):
    """The candidates final_cell draws next and the one it picks with ``score`` (same generator state)."""
    ctx, s = eng.ctx, eng.searcher
    state = ctx.generator.get_state()
    cells = [ctx.space.random_arch(ctx.generator) for _ in range(s.options.candidates)]
    ctx.generator.set_state(state)
    s.options.score = score
    return cells, s.final_cell(ctx)


def test_random_score_params_picks_the_largest_candidate(random_run, gt):
    eng, res = random_run
    assert res["final_extra"]["score"] == "params" and "valid_acc" not in res["final_extra"]
    cells, pick = _candidates_and_pick(eng, "params")
    params = [gt.value(c, "params_cifar10_M") for c in cells]
    assert gt.value(pick, "params_cifar10_M") == max(params)
    assert pick == cells[params.index(max(params))]  # the first of equally large candidates
    cells, pick = _candidates_and_pick(eng, "flops")
    flops = [gt.value(c, "flops_cifar10_M") for c in cells]
    assert gt.value(pick, "flops_cifar10_M") == max(flops)


def test_random_score_synflow_picks_the_best_proxy_score(random_run):
    from e2nas.ranking.proxies import proxy_scores

    eng, _ = random_run
    cells, pick = _candidates_and_pick(eng, "synflow")
    net = eng.supernet
    images = next(iter(eng.ctx.valid_images(128)))[0]
    scores, _ = proxy_scores("synflow", cells, lambda c: eng.ctx.space.network(c, net.C, net.N, 10), images, 0)
    assert pick == cells[scores.index(max(scores))]
    assert eng.searcher.final_info["score_value"] == pytest.approx(max(scores))


def test_random_unknown_score_is_a_user_error():
    with pytest.raises(SearcherError, match="unknown score 'jacob_cov'; choose one of supernet, params"):
        create_searcher("random", {"score": "jacob_cov"})
