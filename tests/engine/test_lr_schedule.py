"""``lr_schedule``: cosine (default), constant, and plateau replayed from the log."""

import json

import pytest

from e2nas.engine import ConfigError, SearchEngine, make_config, plateau_lr, scheduled_lr


def test_plateau_cuts_after_more_than_patience_bad_epochs():
    cfg = make_config("smoke", "random", lr=0.1, lr_min=0.03, lr_patience=2, lr_factor=0.5, lr_schedule="plateau")
    losses = [2.0, 1.9, 1.895, 1.9, 1.89, 1.2, 1.3, 1.3, 1.3, 1.3, 1.3, 1.3, 1.3]
    lrs = [plateau_lr(cfg, [{"train_loss": x} for x in losses[:i]]) for i in range(len(losses) + 1)]
    # 1.895 is not 1 % below 1.9: bad epochs at 1.895, 1.9, 1.89 -> cut; 1.2 is progress; then cuts floor at lr_min
    assert lrs == [0.1] * 5 + [0.05] * 4 + [0.03] * 5
    assert scheduled_lr(make_config("smoke", lr_schedule="constant", lr=0.07), 3.5, []) == 0.07
    cos = make_config("smoke", lr=0.1, lr_min=0.0, epochs=4)
    assert scheduled_lr(cos, 2.0, []) == pytest.approx(0.05)


def test_a_constant_run_logs_one_lr_and_bad_values_are_refused(tmp_path):
    cfg = make_config("smoke", "random", epochs=3, rank_cells=0, lr_schedule="constant", lr=0.03)
    SearchEngine(cfg, tmp_path, progress=False).run()
    assert [json.loads(x)["lr"] for x in (tmp_path / "log.jsonl").read_text().splitlines()] == [0.03] * 3
    for bad, msg in [
        ({"lr_schedule": "step"}, "lr_schedule must be one of"),
        ({"lr_factor": 1.0}, "lr_factor"),
        ({"lr_patience": 0}, "lr_patience"),
    ]:
        with pytest.raises(ConfigError, match=msg):
            make_config("smoke", **bad)
