"""CUDA graphs, bf16 and the E²NAS device path on a real GPU (skipped without CUDA; CI has none).

Graph replays must equal eager passes to float tolerance (same weight/H/alpha gradients, same BN statistics),
a search with graphs must find the cells the eager one finds, and the E²NAS arch step must not synchronise the
device with the host (``torch.cuda.set_sync_debug_mode("error")`` turns any sync into an exception).
"""

import json

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.engine.graphs import StepGraphs
from e2nas.spaces.nb201 import Cell

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _engine(tmp_path, method="gdas", **kw):
    eng = SearchEngine(make_config("smoke", method, device="cuda", C=8, N=2, batch_size=32, **kw), tmp_path)
    eng._build()
    eng.supernet.train()
    return eng


def _grads(net):
    return {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}


def test_graph_weight_and_arch_passes_equal_eager(tmp_path):
    eng = _engine(tmp_path)
    ctx, net = eng.ctx, eng.supernet
    batch = eng.train_loader.batch(0, 0, eng.train_loader.order(0))
    cell = Cell.from_index(2581)
    alpha = torch.randn(6, 5, device="cuda", requires_grad=True)

    def passes():
        state = {k: v.clone() for k, v in net.state_dict().items()}
        net.zero_grad(set_to_none=True)
        out = []
        for _ in range(3):  # replays after the capture, not just the first call
            loss, logits = ctx.cell_loss(batch, cell)
            loss.backward()
        out += [loss.detach(), logits, _grads(net), {k: v.clone() for k, v in net.named_buffers()}]
        p = torch.softmax(alpha, -1)
        H = torch.nn.functional.one_hot(torch.tensor(cell.ops, device="cuda"), 5).float() - p.detach() + p
        out.append(torch.autograd.grad(ctx.st_loss(batch, cell, H)[0], alpha)[0])
        out.append(torch.autograd.grad(ctx.mixture_loss(batch, torch.softmax(alpha, -1))[0], alpha)[0])
        net.load_state_dict(state)
        return out

    eager = passes()
    ctx.graphs = StepGraphs(buffers=lambda: list(net.buffers()), min_uses=1)
    graph = passes()
    assert ctx.graphs.stats["failures"] == 0 and ctx.graphs.stats["captures"] == 3, ctx.graphs.stats
    assert ctx.graphs.stats["replays"] == 5
    torch.testing.assert_close(graph[0], eager[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(graph[1], eager[1], rtol=1e-4, atol=1e-4)
    assert graph[2].keys() == eager[2].keys()
    for k in eager[2]:
        torch.testing.assert_close(graph[2][k], eager[2][k], rtol=1e-3, atol=1e-5)
    for k in eager[3]:
        torch.testing.assert_close(graph[3][k].float(), eager[3][k].float(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(graph[4], eager[4], rtol=1e-3, atol=1e-6)
    torch.testing.assert_close(graph[5], eager[5], rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("method", ["gdas-a", "e2nas", "darts-v1"])
def test_search_with_graphs_finds_the_eager_cells(tmp_path, method):
    def run(out, mode):
        cfg = make_config("smoke", method, device="cuda", epochs=2, cuda_graphs=mode)
        eng = SearchEngine(cfg, tmp_path / out, progress=False)
        res = eng.run()
        return res, [json.loads(line) for line in (tmp_path / out / "log.jsonl").open()], eng.ctx.graphs

    eager, eager_log, none = run("eager", "off")
    graph, graph_log, graphs = run("graphs", "on")
    assert none is None and graphs.stats["replays"] > 0 and graphs.stats["failures"] == 0, graphs.stats
    assert graph["final"]["cell"] == eager["final"]["cell"]
    for g, e in zip(graph_log, eager_log, strict=True):
        assert g["train_loss"] == pytest.approx(e["train_loss"], rel=1e-3)


def test_bf16_search_finishes_with_finite_losses(tmp_path):
    res = SearchEngine(make_config("smoke", "gdas", device="cuda", precision="bf16"), tmp_path, progress=False).run()
    assert res["config"]["precision"] == "bf16"
    for line in (tmp_path / "log.jsonl").open():
        rec = json.loads(line)
        assert rec["train_loss"] == rec["train_loss"] and rec["arch_loss"] == rec["arch_loss"]


def test_e2nas_arch_step_does_not_sync(tmp_path):
    # novelty ready from 2 archive cells; refit every 1000 steps so the step below joins no refit
    eng = _engine(tmp_path, "e2nas", options={"min_archive": 2, "refit_every": 1000})
    ctx, s = eng.ctx, eng.searcher
    train = eng.train_loader.batch(0, 0, eng.train_loader.order(0))
    valid = eng.valid_loader.batch(0, 0, eng.valid_loader.order(0))
    for step in range(3):  # fills the archive, fits the novelty model
        ctx.global_step = step
        s.weight_loss(train, ctx)[0].backward()
        s.arch_step(train, valid, ctx)
    assert s.novelty_model.ready
    ctx.global_step = 3
    s.weight_loss(train, ctx)[0].backward()  # the cell's six indices: the one read per step
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        info = s.arch_step(train, valid, ctx)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert all(isinstance(v, torch.Tensor) and v.is_cuda for v in info.values())
    assert torch.isfinite(torch.stack([v for v in info.values()])).all()
