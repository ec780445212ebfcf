import json

import pytest

from e2nas.engine import SearchEngine, make_config
from e2nas.experiments.monitors import ForgettingMonitor, KendallMonitor, MonitorError, build_monitors


class FakeCtx:
    """Scores cells by their ground truth (a perfect supernet), or by its negation."""

    def __init__(self, gt, sign=1.0, epochs=10):
        self.gt, self.sign, self.epochs, self.asked = gt, sign, epochs, []

    def evaluate_images(self, cells, images=None):
        self.asked.append([c.index for c in cells])
        return [(0.0, self.sign * self.gt.value(c, "cifar10_valid")) for c in cells], images or 2000


def test_kendall_is_one_for_a_perfect_supernet_and_follows_the_schedule(gt):
    mon = KendallMonitor(every=3, sample=30, seed=5)
    ctx = FakeCtx(gt)
    assert mon(ctx, {"epoch": 2}, []) is None  # not due
    out = mon(ctx, {"epoch": 3}, [])
    assert out["kendall_tau"] == pytest.approx(1.0) and out["kendall_n"] == 30
    assert out["kendall_spearman"] == pytest.approx(1.0) and out["kendall_top10"] == 1.0
    assert out["kendall_images"] == 2000 and out["kendall_ci"][1] == pytest.approx(1.0)
    assert mon(FakeCtx(gt, -1.0), {"epoch": 10}, [])["kendall_tau"] == pytest.approx(-1.0)  # last epoch is due
    assert KendallMonitor(sample=30, seed=5).cells == mon.cells  # the sample depends on the seed only
    assert len({c.index for c in mon.cells}) == 30 and all(c.connected for c in mon.cells)


def test_forgetting_tracks_the_first_distinct_visited_cells(gt):
    mon = ForgettingMonitor(cells=2)
    ctx = FakeCtx(gt)
    hist = [{"epoch": 1, "cell_index": 7}, {"epoch": 2, "cell_index": 7}]
    out = mon(ctx, {"epoch": 3, "cell_index": 9}, hist)
    assert out["forget_cells"] == [7, 9]
    assert out["forget_acc"] == pytest.approx([gt.value(7, "cifar10_valid"), gt.value(9, "cifar10_valid")])
    out = mon(ctx, {"epoch": 4, "cell_index": 11}, [*hist, {"epoch": 3, "cell_index": 9}])
    assert out["forget_cells"] == [7, 9]  # frozen once full
    rnd = ForgettingMonitor(cells=3, source="random")
    assert rnd.tracked({"cell_index": 1}, []) == rnd.tracked({"cell_index": 2}, [])


def test_build_monitors_errors():
    assert [type(m).__name__ for m in build_monitors({"kendall": None, "forgetting": {"cells": 2}})] == [
        "KendallMonitor",
        "ForgettingMonitor",
    ]
    with pytest.raises(MonitorError, match="unknown monitor 'kendal'"):
        build_monitors({"kendal": {}})
    with pytest.raises(MonitorError, match="no setting 'evry'"):
        build_monitors({"kendall": {"evry": 2}})
    with pytest.raises(MonitorError, match="sample"):
        build_monitors({"kendall": {"sample": 1}})


def test_monitors_log_and_leave_the_search_unchanged(tmp_path):
    cfg = make_config("smoke", "random", epochs=2, steps_per_epoch=2, options={"candidates": 3})
    hooks = build_monitors(
        {"kendall": {"every": 1, "sample": 8, "images": 64}, "forgetting": {"cells": 2, "images": 64}}
    )
    with_m = SearchEngine(cfg, tmp_path / "m", progress=False, epoch_hooks=hooks).run()
    cfg2 = make_config("smoke", "random", epochs=2, steps_per_epoch=2, options={"candidates": 3})
    without = SearchEngine(cfg2, tmp_path / "plain", progress=False).run()
    assert with_m["final"] == without["final"] and with_m["best"] == without["best"]
    log = [json.loads(x) for x in (tmp_path / "m" / "log.jsonl").read_text().splitlines()]
    plain = [json.loads(x) for x in (tmp_path / "plain" / "log.jsonl").read_text().splitlines()]
    assert [r["cell_index"] for r in log] == [r["cell_index"] for r in plain]
    assert [r["train_loss"] for r in log] == [r["train_loss"] for r in plain]
    for r in log:
        assert -1.0 <= r["kendall_tau"] <= 1.0 and r["kendall_n"] == 8 and r["kendall_images"] == 64
        assert 1 <= len(r["forget_cells"]) <= 2 and len(r["forget_acc"]) == len(r["forget_cells"])
    assert log[0]["forget_cells"] == [log[0]["cell_index"]]


def test_hook_fields_survive_resume(tmp_path):
    cfg = make_config("smoke", "gdas", epochs=2, steps_per_epoch=1)
    hooks = [lambda ctx, rec, hist: {"seen_before": len(hist)}]
    assert SearchEngine(cfg, tmp_path, progress=False, epoch_hooks=hooks).run(stop_after_epochs=1) is None
    SearchEngine(cfg, tmp_path, resume=True, progress=False, epoch_hooks=hooks).run()
    log = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["seen_before"] for r in log] == [0, 1]
