"""``eval_bn``: which BN statistics score cells with inherited weights (searchers, monitors, the final ranking)."""

import json

import pytest
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import CheckpointError, ConfigError, SearchEngine, make_config
from e2nas.engine.checkpoint import read_checkpoint, save_checkpoint


def _smoke(**kw):
    # RandomNAS picks its answer from 4 candidates, not 100: the answer is not what these tests check
    opts = {"candidates": "4"}
    return make_config("smoke", "random", epochs=2, steps_per_epoch=3, rank_cells=8, rank_images=64, options=opts, **kw)


def test_the_cpu_preset_scores_with_running_statistics_and_bad_values_are_refused():
    assert make_config("cpu", "random").eval_bn == "running"
    assert make_config("smoke", "random").eval_bn == "batch"
    with pytest.raises(ConfigError, match="eval_bn must be one of batch, running"):
        make_config("smoke", eval_bn="mean")
    with pytest.raises(ConfigError, match="needs BN running statistics"):
        make_config("smoke", eval_bn="running", track_running_stats=False)


@pytest.mark.slow
def test_final_ranking_uses_eval_bn_and_rank_reproduces_it(tmp_path):
    res = {bn: SearchEngine(_smoke(eval_bn=bn), tmp_path / bn, progress=False).run() for bn in ("batch", "running")}
    # the same training (eval_bn only changes how cells are scored), other numbers for the same cells
    logs = {bn: (tmp_path / bn / "log.jsonl").read_text().splitlines() for bn in res}
    train = {bn: [json.loads(line)["train_loss"] for line in lines] for bn, lines in logs.items()}
    assert train["batch"] == train["running"]
    per = {bn: json.loads((tmp_path / bn / "ranking.json").read_text())["per_cell"] for bn in res}
    assert [c["index"] for c in per["batch"]] == [c["index"] for c in per["running"]]
    assert [c["inherited_loss"] for c in per["batch"]] != [c["inherited_loss"] for c in per["running"]]
    assert res["running"]["ranking"]["bn"] == "running" and res["batch"]["ranking"]["bn"] == "batch"
    # the supernet's τ only: the yardsticks (the proxies cost seconds) are tests/cli/test_rank_cli.py's
    out = CliRunner().invoke(app, ["rank", str(tmp_path / "running"), "--json", "--yardsticks", "none"])
    assert out.exit_code == 0, out.output
    d = json.loads(out.stdout)
    assert d["bn"] == "running" and d["kendall_tau"] == pytest.approx(res["running"]["ranking"]["kendall_tau"])


def test_checkpoints_from_before_eval_bn_resume_at_batch_and_a_changed_eval_bn_is_refused(tmp_path):
    SearchEngine(_smoke(), tmp_path / "b", progress=False).run(stop_after_epochs=1)
    # a checkpoint written before the field existed: its fingerprint has no eval_bn
    ckpt = tmp_path / "b" / "checkpoint.pt"
    state = read_checkpoint(ckpt)
    del state["fingerprint"]["eval_bn"]
    save_checkpoint(ckpt, state)
    assert SearchEngine(_smoke(), tmp_path / "b", resume=True, progress=False).run()["ranking"]["bn"] == "batch"
    SearchEngine(_smoke(eval_bn="running"), tmp_path / "r", progress=False).run(stop_after_epochs=1)
    with pytest.raises(CheckpointError, match="eval_bn: checkpoint 'running' vs now 'batch'"):
        SearchEngine(_smoke(), tmp_path / "r", resume=True, progress=False).run()


def test_search_cli_refuses_an_unknown_eval_bn(tmp_path):
    out = CliRunner().invoke(app, ["search", "-m", "random", "-p", "smoke", "--eval-bn", "mean", "-o", str(tmp_path)])
    assert out.exit_code == 2 and "eval_bn must be one of batch, running" in out.output
    assert "Traceback" not in out.output


def test_recal_reestimates_bn_on_the_cells_path_and_leaves_no_trace():
    """``bn="recal"``: every BN layer's statistics are re-estimated from the calibration batches through the
    scored cell (cumulative average: the stem BN's running mean is the mean of its inputs over those batches),
    the supernet's own buffers and mode are restored afterwards, and without calibration batches it refuses."""
    import torch

    from e2nas.data import DeviceLoader, search_split
    from e2nas.inherited import _recalibrate, evaluate_cells
    from e2nas.spaces import get_space
    from e2nas.spaces.nb201 import Cell

    torch.manual_seed(0)
    net = get_space("nb201").supernet(4, 1, 10)
    train, valid = search_split("embedded", None, None, 256, 64)
    calib = list(DeviceLoader(train, 64, "cpu", 0, stream=0).images(128))
    batches = list(DeviceLoader(valid, 64, "cpu", 0, stream=1).images(64))
    cell = Cell.from_index(1462)
    before = {k: v.clone() for k, v in net.named_buffers()}
    scores = evaluate_cells(net, [cell], batches, bn="recal", calib=calib)
    assert all(torch.equal(before[k], v) for k, v in net.named_buffers()) and net.training
    # the same cell scored with running statistics (never trained: mean 0, var 1) scores otherwise
    assert scores != evaluate_cells(net, [cell], batches, bn="running")
    bn = next(m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
    seen = []
    hook = bn.register_forward_hook(lambda m, inp, out: seen.append(inp[0].detach()))
    _recalibrate(net, cell, calib)
    hook.remove()
    expected = torch.cat(seen).mean((0, 2, 3))
    assert torch.allclose(bn.running_mean, expected, atol=1e-5)
    assert int(bn.num_batches_tracked) == len(calib) and bn.momentum == 0.1 and not net.training
    with pytest.raises(ValueError, match="calibration batches"):
        evaluate_cells(net, [cell], batches, bn="recal")


@pytest.mark.slow
def test_rank_cli_recal_and_its_bad_input(tmp_path):
    SearchEngine(_smoke(eval_bn="recal", bn_calib_images=32), tmp_path / "r", progress=False).run()
    res = json.loads((tmp_path / "r" / "results.json").read_text())
    assert res["ranking"]["bn"] == "recal"
    out = CliRunner().invoke(app, ["rank", str(tmp_path / "r"), "--json", "--yardsticks", "none"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["kendall_tau"] == pytest.approx(res["ranking"]["kendall_tau"])
    out = CliRunner().invoke(app, ["rank", str(tmp_path / "r"), "--calib-images", "0"])
    assert out.exit_code == 2 and "--calib-images must be >= 1" in out.output
    with pytest.raises(ConfigError, match="bn_calib_images must be >= 1"):
        make_config("smoke", eval_bn="recal", bn_calib_images=0)
