"""E²NAS searcher: where the gradient flows in each variant, L_c per variant, smoke runs, resume."""

from __future__ import annotations

import json

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.searchers import SearcherError, create_searcher
from e2nas.spaces.nb201 import Cell

VOLATILE = {"time_s", "elapsed_s"}


def _engine(tmp_path, variant, **kw):
    kw.setdefault("rank_cells", 0)  # no final ranking: no test here reads it (its own: tests/ranking)
    cfg = make_config("smoke", "e2nas", options={"variant": variant, **kw.pop("options", {})}, **kw)
    return SearchEngine(cfg, tmp_path, progress=False)


def _built(tmp_path, variant, **kw):
    """An engine whose searcher is set up and has decoded one step's cell (no training yet)."""
    eng = _engine(tmp_path, variant, **kw)
    eng._build()
    s = eng.searcher
    s.step_cell = s.decode(sample=True, ctx=eng.ctx)
    vbatch = next(iter(eng.ctx.valid_batches(1)))
    return eng, s, vbatch


def _decoder_params(s):
    return list(s.vae.decoder.parameters())


@pytest.mark.parametrize("variant", ["paper", "reference"])
def test_valid_loss_gradient_path(tmp_path, variant):
    eng, s, vbatch = _built(tmp_path, variant)
    params = _decoder_params(s)
    for p in params:  # the D-VAE is frozen; switch grads on only to see whether it is in the graph
        p.requires_grad_(True)
    l_val, _ = s.valid_loss(vbatch, eng.ctx, s.step_cell)
    grads = torch.autograd.grad(l_val, [s.z, *params], allow_unused=True)
    g_z, g_dec = grads[0], grads[1:]
    assert g_z is not None and g_z.abs().sum() > 0  # z always gets the valid-loss gradient
    if variant == "paper":  # ... through the decoder
        assert any(g is not None and g.abs().sum() > 0 for g in g_dec)
        assert s.z.numel() == s.vae.nz
    else:  # ... through the joint softmax over 30 entries; the decoder is not in the graph
        assert all(g is None for g in g_dec)
        assert s.z.numel() == 30
        H, P = s.straight_through(s.step_cell)
        assert float(P.detach().sum()) == pytest.approx(1.0)  # one softmax over all 30, not per edge


def test_novelty_gradient_only_in_paper(tmp_path):
    for variant in ("paper", "reference"):
        eng, s, _ = _built(tmp_path / variant, variant, options={"archive_size": 12, "min_archive": 4})
        for _ in range(12):
            s.archive.add(s.decode(sample=True, ctx=eng.ctx))
        s._maybe_refit(eng.ctx)
        assert s.novelty_model.ready
        if variant == "paper":
            log_p = s.novelty_log_density(s.step_cell)
            (g,) = torch.autograd.grad(log_p, s.z)
            assert torch.isfinite(g).all() and g.abs().sum() > 0
        else:
            info = s.arch_step(None, next(iter(eng.ctx.valid_batches(1))), eng.ctx)
            assert info["grad_novelty_norm"] == 0.0 and info["novelty"] != 0.0


def test_reference_novelty_is_zero_until_archive_full(tmp_path):
    eng, s, vbatch = _built(tmp_path, "reference", options={"archive_size": 5})
    for i in range(5):
        eng.ctx.global_step = i
        s.archive.add(s.step_cell)
        info = s.arch_step(None, vbatch, eng.ctx)
        assert (info["novelty"] == 0.0) == (i < 4)


@pytest.mark.parametrize("variant", ["paper", "reference"])
def test_complementation_loss_per_variant(tmp_path, variant):
    eng, s, _ = _built(tmp_path, variant, epsilon=0.5)
    ctx = eng.ctx
    batch = next(iter(ctx.valid_batches(1)))
    weights = list(eng.supernet.weights())
    eng.supernet.eval()  # BN on running stats: the same path gives the same loss twice
    s.prev_cell = Cell((3, 3, 3, 3, 3, 3))
    gen_state = ctx.generator.get_state()
    loss, _ = s.weight_loss(batch, ctx)
    cur = s.step_cell
    # recompute the terms with the same draws
    ctx.generator.set_state(gen_state)
    s.decode(sample=True, ctx=ctx)
    from e2nas.searchers.complement import complement

    comp = complement(Cell((3, 3, 3, 3, 3, 3)), cur, ctx.generator)
    ce = {c: ctx.cell_loss(batch, c)[0] for c in (cur, comp, Cell((3, 3, 3, 3, 3, 3)))}
    extra = ce[comp] + ce[Cell((3, 3, 3, 3, 3, 3))]
    # paper: ε on the extra terms, real gradients through all three paths; reference: ε/2 on them ...
    want = 0.5 * ce[cur] + (0.5 if variant == "paper" else 0.25) * extra
    assert float(loss.detach()) == pytest.approx(float(want.detach()), rel=1e-5)
    g_got = torch.autograd.grad(loss, weights, allow_unused=True)
    g_want = torch.autograd.grad(want if variant == "paper" else ce[cur], weights, allow_unused=True)
    for a, b in zip(g_got, g_want, strict=True):  # ... and in reference the gradient is CE(cur)'s alone
        if a is None or b is None:
            assert a is None and b is None
        else:
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_bad_options_are_searcher_errors():
    with pytest.raises(SearcherError, match="variant"):
        create_searcher("e2nas", {"variant": "nope"})
    with pytest.raises(SearcherError, match="gamma"):
        create_searcher("e2nas", {"gamma": "sig:x"})
    with pytest.raises(SearcherError, match="gamma"):
        create_searcher("e2nas", {"gamma": "1.5"})


def test_default_epsilon_is_half():
    assert make_config("smoke", "e2nas").epsilon == 0.5
    assert make_config("smoke", "gdas").epsilon == 0.0


@pytest.mark.parametrize("variant", ["paper", "reference"])
def test_smoke_run_results_and_log(tmp_path, gt, variant):
    res = _engine(tmp_path, variant, options={"archive_size": 4, "min_archive": 3}).run()
    final = Cell.parse(res["final"]["cell"])
    assert res["final"]["index"] == final.index
    assert res["final"]["ground_truth"] == gt.summary(final)
    assert res["searcher_options"]["variant"] == variant and res["epsilon"] == 0.5
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2]
    for key in ("gamma", "novelty", "grad_val_norm", "grad_novelty_norm", "archive_size", "decoded_cell"):
        assert key in lines[-1], key
    assert Cell.parse(lines[-1]["decoded_cell"]) == Cell.parse(lines[-1]["cell"])
    assert lines[-1]["archive_size"] == 4
    assert lines[0]["gamma"] == pytest.approx(1 - 1 / (1 + 2.718281828459045**10))  # sig:10 at t=0


def _log(path):
    return [
        {k: v for k, v in json.loads(line).items() if k not in VOLATILE}
        for line in (path / "log.jsonl").read_text().splitlines()
    ]


def test_reference_variant_resumes_after_an_epoch_and_mid_epoch(tmp_path):
    """The reference variant's own state (the paper variant: tests/searchers/test_state_roundtrip.py)."""
    variant = "reference"

    def cfg():
        opts = {"variant": variant, "archive_size": 4, "min_archive": 3, "refit_every": 2}
        return make_config("smoke", "e2nas", epochs=3, steps_per_epoch=3, options=opts, rank_cells=0)

    full = SearchEngine(cfg(), tmp_path / "full", progress=False).run()
    part = tmp_path / "part"
    assert SearchEngine(cfg(), part, progress=False).run(stop_after_epochs=1) is None
    assert SearchEngine(cfg(), part, resume=True, progress=False).run(stop_at_step=7) is None  # mid-epoch
    res = SearchEngine(cfg(), part, resume=True, progress=False).run()
    assert res["resumed"] is True
    assert res["final"] == full["final"] and res["best"] == full["best"]
    assert _log(part) == _log(tmp_path / "full")


def test_gradient_mixing():
    g_val, g_nov = torch.tensor([3.0, 4.0]), torch.tensor([0.0, 1000.0])
    spec = create_searcher("e2nas", {"grad_balance": "none"})
    torch.testing.assert_close(spec.mix(g_val, g_nov, 0.25), 0.75 * g_val + 0.25 * g_nov)
    unit = create_searcher("e2nas")  # the default
    torch.testing.assert_close(unit.mix(g_val, g_nov, 0.25), 0.75 * g_val / 5 + 0.25 * torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(unit.mix(g_val, torch.zeros(2), 0.25), 0.75 * g_val / 5)  # no novelty yet
    with pytest.raises(SearcherError, match="grad_balance"):
        create_searcher("e2nas", {"grad_balance": "max"})


def test_z_lr_scales_with_the_step_budget():
    from e2nas.searchers.e2nas import MAX_DEFAULT_Z_LR, PAPER_Z_STEPS, z_lr_for

    assert z_lr_for(3e-4, PAPER_Z_STEPS) == pytest.approx(3e-4)  # the paper protocol keeps its lr
    assert z_lr_for(3e-4, 10 * PAPER_Z_STEPS) == pytest.approx(3e-4)  # never below the base
    assert z_lr_for(3e-4, 25 * 31) == pytest.approx(3e-4 * PAPER_Z_STEPS / 775)  # cpu-small: ~0.038
    assert z_lr_for(3e-4, 6) == MAX_DEFAULT_Z_LR


def test_z_stays_in_the_ball_of_cell_encodings(tmp_path):
    from e2nas.engine import SearchEngine, make_config

    # large steps to hit the bound
    cfg = make_config("smoke", "e2nas", epochs=3, options={"arch_lr": "3.0"}, rank_cells=0)
    SearchEngine(cfg, tmp_path, progress=False).run()
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    radius = lines[0]["z_radius"]
    assert 2.0 < radius < 20.0  # the largest encoder-mean norm of the shipped D-VAE
    assert all(r["z_norm"] <= radius * (1 + 1e-5) for r in lines)
    assert max(r["z_norm"] for r in lines) == pytest.approx(radius, rel=1e-4)  # it did hit the bound
    with pytest.raises(SearcherError, match="z_radius"):
        create_searcher("e2nas", {"z_radius": "-1"})


DEAD = Cell.parse("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|skip_connect~1|none~2|")  # ended a real run


def test_disconnected_cell_still_steers_z(tmp_path):
    assert not DEAD.connected
    eng, s, vbatch = _built(tmp_path / "mix", "paper")
    l_val, _ = s.valid_loss(vbatch, eng.ctx, DEAD)
    (g,) = torch.autograd.grad(l_val, s.z)
    assert float(g.norm()) > 0 and s.dead_steps == 1  # the mixture fallback gives z a direction out

    eng, s, vbatch = _built(tmp_path / "skip", "paper", options={"dead_cell": "skip"})
    l_val, _ = s.valid_loss(vbatch, eng.ctx, DEAD)
    (g,) = torch.autograd.grad(l_val, s.z, allow_unused=True)
    assert g is None or float(g.abs().sum()) == 0.0  # straight-through through a cut-off cell: nothing to learn
    s.step_cell = DEAD
    stats = s.arch_step(vbatch, vbatch, eng.ctx)  # no crash, no valid-loss gradient
    assert stats["grad_val_norm"] == 0.0 and torch.isfinite(s.z).all()
    with pytest.raises(SearcherError, match="dead_cell"):
        create_searcher("e2nas", {"dead_cell": "ignore"})


def test_background_refit_changes_no_number(tmp_path):
    # refits every 2 steps from 2 archive cells: the background thread does many of them in 9 steps
    def log(out, async_refit):
        opts = {"min_archive": 2, "refit_every": 2, "async_refit": async_refit}
        SearchEngine(
            make_config("smoke", "e2nas", epochs=3, options=opts, rank_cells=0), tmp_path / out, progress=False
        ).run()
        return [
            {k: v for k, v in json.loads(line).items() if k not in VOLATILE}
            for line in open(tmp_path / out / "log.jsonl")
        ]

    inline, background = log("inline", False), log("background", True)
    assert background == inline
    assert inline[-1]["novelty_ready"] and inline[-1]["novelty"] != 0


def test_kept_decoding_probabilities_are_the_teacher_forced_ones(tmp_path):
    # the training step's decoding pass stands in for a second, teacher-forced decoder pass in the arch step
    eng = _engine(tmp_path, "paper")
    eng._build()
    s = eng.searcher
    with torch.no_grad():
        s.z.copy_(torch.randn(s.z.shape, generator=torch.Generator().manual_seed(3)))  # off the start cell
    cell = s.decode(sample=True, ctx=eng.ctx, keep_probs=True)
    kept = s._probs[2]
    fresh = s.vae.edge_probs(s.z, ops=torch.tensor(cell.ops))
    assert torch.equal(kept, fresh)
    (g_kept,) = torch.autograd.grad(kept[torch.arange(6), torch.tensor(cell.ops)].log().sum(), s.z)
    (g_fresh,) = torch.autograd.grad(fresh[torch.arange(6), torch.tensor(cell.ops)].log().sum(), s.z)
    assert torch.equal(g_kept, g_fresh) and g_kept.abs().sum() > 0
    H, p = s.straight_through(cell)
    assert p is kept and s._probs is None  # used once
    with torch.no_grad():
        s.z.add_(0.1)  # z moved: the kept pass is stale and is not used
    s._probs = (cell, s.z._version - 1, kept)
    assert s.straight_through(cell)[1] is not kept
