"""Graph replay of the loss passes (engine/graphs.py) on the CPU, with an injected capture function.

``_replaying_capture`` behaves like a CUDA graph as far as the runner can tell: static output tensors that a
replay overwrites in place from the current static inputs, and warm-up passes that touch the BN statistics. So
the runner's cache, keys, LRU, fallback and the autograd glue (gradients to the weights, to H, to alpha / z
through H, the complementation loss' sum of three cells) are checked on real supernet passes over the embedded
CIFAR-10. tests/gpu/test_graphs_cuda.py checks real CUDA graphs against eager mode.
"""

import json

import pytest
import torch
from typer.testing import CliRunner

import e2nas.engine.loop as loop
from e2nas.cli.main import app
from e2nas.engine import ConfigError, SearchEngine, make_config
from e2nas.engine.graphs import StepGraphs, graphs_wanted
from e2nas.searchers import get_searcher_class
from e2nas.spaces.nb201 import Cell


def _replaying_capture(calls: list):
    def capture(fn, inputs, pool):
        calls.append(len(calls))
        fn(*inputs)  # a warm-up pass: it updates the BN statistics, which the runner must restore
        outputs = tuple(o.detach().clone() for o in fn(*inputs))

        def replay():
            new = fn(*inputs)
            with torch.no_grad():
                for o, n in zip(outputs, new, strict=True):
                    o.copy_(n)

        return replay, outputs, pool

    return capture


def test_a_key_is_captured_on_its_second_use(engine):
    ctx, net = engine.ctx, engine.supernet
    calls = []
    ctx.graphs = StepGraphs(capture=_replaying_capture(calls), buffers=lambda: list(net.buffers()))
    batch, a, b = _batch(engine), Cell.from_index(2581), Cell.from_index(14977)
    for cell in (a, b, a, a, b):
        ctx.cell_loss(batch, cell)[0].backward()
    assert ctx.graphs.stats == {"captures": 2, "replays": 3, "eager": 2, "evictions": 0, "failures": 0}


def _failing_capture(calls: list):
    def capture(fn, inputs, pool):
        calls.append(len(calls))
        raise RuntimeError("operation not permitted when stream is capturing")

    return capture


@pytest.fixture
def engine(tmp_path):
    eng = SearchEngine(make_config("smoke", "gdas", epsilon=0.5), tmp_path, progress=False)
    eng._build()
    eng.supernet.train()
    return eng


def _batch(eng, step=0):
    return eng.train_loader.batch(0, step, eng.train_loader.order(0))


def _grads(net):
    return {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}


def test_replayed_weight_step_equals_eager(engine):
    ctx, net = engine.ctx, engine.supernet
    batch, cell = _batch(engine), Cell.from_index(2581)
    buffers = {k: v.clone() for k, v in net.named_buffers()}
    loss, logits = ctx.cell_loss(batch, cell)
    loss.backward()
    eager, eager_bufs = _grads(net), {k: v.clone() for k, v in net.named_buffers()}
    net.zero_grad(set_to_none=True)
    for k, v in net.named_buffers():
        v.copy_(buffers[k])
    calls = []
    ctx.graphs = StepGraphs(capture=_replaying_capture(calls), buffers=lambda: list(net.buffers()), min_uses=1)
    g_loss, g_logits = ctx.cell_loss(batch, cell)
    g_loss.backward()
    assert calls == [0] and ctx.graphs.stats["replays"] == 1
    torch.testing.assert_close(g_loss, loss)
    torch.testing.assert_close(g_logits, logits)
    graph = _grads(net)
    assert graph.keys() == eager.keys()  # the same weights get gradients: the cell's ops and the macro network
    for k in eager:
        torch.testing.assert_close(graph[k], eager[k])
    for k, v in net.named_buffers():  # one update of the BN statistics, as eager: the warm-up left no trace
        torch.testing.assert_close(v, eager_bufs[k])


def test_complementation_sum_and_straight_through_gradients(engine):
    from e2nas.searchers.complement import complement_loss

    ctx, net = engine.ctx, engine.supernet
    batch = _batch(engine)
    cur, prev = Cell.from_index(2581), Cell.from_index(14977)
    alpha = torch.randn(6, 5, requires_grad=True)

    def both(graphs):
        ctx.graphs = graphs
        state = {k: v.clone() for k, v in net.state_dict().items()}
        net.zero_grad(set_to_none=True)
        gen = torch.Generator().manual_seed(3)
        loss, _ = complement_loss(lambda c: ctx.cell_loss(batch, c)[0], cur, prev, 0.5, gen)
        loss.backward()
        w = _grads(net)
        p = torch.softmax(alpha, -1)
        H = torch.nn.functional.one_hot(torch.tensor(cur.ops), 5).float() - p.detach() + p
        (g_alpha,) = torch.autograd.grad(ctx.st_loss(batch, cur, H)[0], alpha)
        W = torch.softmax(alpha, -1)
        (g_mix,) = torch.autograd.grad(ctx.mixture_loss(batch, W)[0], alpha)
        net.load_state_dict(state)
        return loss.detach(), w, g_alpha, g_mix

    eager = both(None)
    calls = []
    replayed = both(StepGraphs(capture=_replaying_capture(calls), buffers=lambda: list(net.buffers()), min_uses=1))
    assert len(calls) == 5  # cur, complement, prev (weight grads), then st and mixture (arch grads)
    torch.testing.assert_close(replayed[0], eager[0])
    assert replayed[1].keys() == eager[1].keys()
    for k in eager[1]:
        torch.testing.assert_close(replayed[1][k], eager[1][k])
    torch.testing.assert_close(replayed[2], eager[2])
    torch.testing.assert_close(replayed[3], eager[3])
    assert replayed[2].abs().sum() > 0 and replayed[3].abs().sum() > 0


def test_cache_keys_and_lru(engine):
    ctx, net = engine.ctx, engine.supernet
    calls = []
    ctx.graphs = StepGraphs(
        capture=_replaying_capture(calls), cache_size=2, buffers=lambda: list(net.buffers()), min_uses=1
    )
    a, b, c = (Cell.from_index(i) for i in (2581, 14977, 5504))
    batch = _batch(engine)
    for cell in (a, a, b, a, c, b, a):
        ctx.cell_loss(batch, cell)[0].backward()
    # a, b captured; a hit; c evicts b (a was used more recently); b recaptured evicting a; a recaptured
    assert ctx.graphs.stats == {"captures": 5, "replays": 7, "eager": 0, "evictions": 3, "failures": 0}
    assert len(ctx.graphs.cache) == 2
    net.eval()  # BN mode is part of the key
    ctx.cell_loss(batch, a)
    with torch.no_grad():  # no gradient wanted: plain eager, nothing captured
        ctx.cell_loss(batch, a)
    assert ctx.graphs.stats["captures"] == 6 and ctx.graphs.stats["replays"] == 8  # the no_grad call: eager
    x, y = batch
    ctx.cell_loss((x[:8], y[:8]), a)  # another batch shape is another graph
    assert ctx.graphs.stats["captures"] == 7


def test_capture_failure_falls_back_to_eager_with_one_warning(engine):
    ctx = engine.ctx
    batch, cells = _batch(engine), [Cell.from_index(i) for i in (2581, 14977)]
    eager = [float(ctx.cell_loss(batch, c)[0].detach()) for c in cells]
    calls, warnings = [], []
    ctx.graphs = StepGraphs(capture=_failing_capture(calls), warn=warnings.append, min_uses=1)
    out = [float(ctx.cell_loss(batch, c)[0].detach()) for c in cells + cells]
    assert out == eager + eager
    assert len(calls) == 2  # each key tried once, never again
    assert len(warnings) == 1 and "capture failed (RuntimeError: operation not permitted" in warnings[0]
    assert ctx.graphs.stats["eager"] == 4 and ctx.graphs.stats["failures"] == 2


@pytest.mark.parametrize(("method", "epsilon", "steps"), [("gdas", 0.5, 2), ("e2nas", 0.5, 2), ("darts-v2", 0.0, 1)])
def test_search_with_replayed_steps_finds_the_same_cells(tmp_path, monkeypatch, method, epsilon, steps):
    """DARTS-V2 runs one step per epoch: its mixture passes repeat their keys within a step already (the two
    Hessian-term passes) and the second epoch replays the first's graphs."""
    used = []

    def run(out, graphs):
        if graphs:

            def knobs(cfg, device, searcher, supernet):
                capture = _replaying_capture([])
                used.append(StepGraphs(capture=capture, buffers=lambda: list(supernet.buffers()), min_uses=1))
                return used[-1], lambda: _null()

            monkeypatch.setattr(loop, "speed_knobs", knobs)
        # the log is compared; the final ranking (not a loss pass) is skipped
        cfg = make_config("smoke", method, epochs=2, steps_per_epoch=steps, epsilon=epsilon, rank_cells=0)
        SearchEngine(cfg, tmp_path / out, progress=False).run()
        monkeypatch.undo()
        return [json.loads(line) for line in (tmp_path / out / "log.jsonl").open()]

    eager, replayed = run("eager", False), run("graphs", True)
    (graphs,) = used
    # graphs were captured and reused (a capture counts as its first replay)
    assert graphs.stats["replays"] > graphs.stats["captures"] > 0 and graphs.stats["failures"] == 0
    assert [r["cell"] for r in replayed] == [r["cell"] for r in eager]
    for r, e in zip(replayed, eager, strict=True):
        assert r["train_loss"] == pytest.approx(e["train_loss"], rel=1e-5)
        assert r["arch_loss"] == pytest.approx(e["arch_loss"], rel=1e-5, abs=1e-6)


def _null():
    import contextlib

    return contextlib.nullcontext()


def test_when_graphs_are_used():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert not graphs_wanted("on", cpu, True)  # CPU: never
    assert graphs_wanted("on", cuda, False) and graphs_wanted("auto", cuda, True)
    assert not graphs_wanted("auto", cuda, get_searcher_class("random").cells_repeat)
    assert all(get_searcher_class(m).cells_repeat for m in ("gdas", "gdas-a", "e2nas", "darts-v1", "darts-v2"))
    assert not graphs_wanted("off", cuda, True)
    with pytest.raises(ValueError, match="unknown cuda_graphs mode"):
        graphs_wanted("maybe", cuda, True)
    with pytest.raises(ConfigError, match="cuda_graphs must be one of"):
        make_config("smoke", "gdas", cuda_graphs="maybe")
    with pytest.raises(ConfigError, match="precision must be one of"):
        make_config("smoke", "gdas", precision="fp8")


def test_cli_rejects_bad_speed_knobs_in_one_line(tmp_path):
    res = CliRunner().invoke(app, ["search", "-p", "smoke", "--precision", "fp16", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and res.output.strip().splitlines() == [
        "error: precision must be one of ('fp32', 'bf16'), got 'fp16'"
    ]
