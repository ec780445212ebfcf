"""``eval_bn``: which BN statistics score cells with inherited weights (searchers, monitors, the final ranking)."""

import json

import pytest
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import CheckpointError, ConfigError, SearchEngine, make_config
from e2nas.engine.checkpoint import read_checkpoint, save_checkpoint


def _smoke(**kw):
    return make_config("smoke", "random", epochs=2, steps_per_epoch=3, rank_cells=8, rank_images=64, **kw)


def test_the_cpu_preset_scores_with_running_statistics_and_bad_values_are_refused():
    assert make_config("cpu", "random").eval_bn == "running"
    assert make_config("smoke", "random").eval_bn == "batch"
    with pytest.raises(ConfigError, match="eval_bn must be one of batch, running"):
        make_config("smoke", eval_bn="mean")
    with pytest.raises(ConfigError, match="needs BN running statistics"):
        make_config("smoke", eval_bn="running", track_running_stats=False)


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
    out = CliRunner().invoke(app, ["rank", str(tmp_path / "running"), "--json"])
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
