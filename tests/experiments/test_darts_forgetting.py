"""Fig. 1(b) on DARTS: the space-generic ``arch-forgetting`` monitor scores the first distinct architectures from
the epoch they were first reported on and leaves the search unchanged; the experiment is the sweep
sweeps/paper/fig1b-darts.yaml, whose numbers are those of the runner it replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from e2nas.engine import SearchEngine, make_config
from e2nas.experiments.darts_forgetting import SWEEP_FILE, curves, write_report
from e2nas.experiments.monitors import ArchForgettingMonitor, MonitorError, build_monitors, get_monitor_class
from e2nas.experiments.paper.reproduce import plan
from e2nas.experiments.sweep import SweepError, parse_sweep, read_sweep_file, run_sweep

REPO = Path(__file__).parents[2]
FG = ("fg_first_epoch", "fg_acc", "fg_mean_acc")


def _log(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]


def test_monitors_declare_their_spaces():
    assert get_monitor_class("arch-forgetting").supports("darts")
    assert get_monitor_class("arch-forgetting").supports("nb201")
    assert not get_monitor_class("forgetting").supports("darts")
    with pytest.raises(MonitorError, match="works on the nb201 search space only, not 'darts'"):
        build_monitors({"kendall": {}}, "darts")
    with pytest.raises(SweepError, match="monitor 'forgetting' works on the nb201"):
        parse_sweep(
            {"method": "gdas", "preset": "smoke", "overrides": {"space": "darts"}, "monitors": {"forgetting": {}}}
        )
    with pytest.raises(MonitorError, match="archs must be >= 1"):
        build_monitors({"arch-forgetting": {"archs": 0}})


def test_the_sweep_file_is_the_old_runners_grid():
    runs = parse_sweep(read_sweep_file(REPO / SWEEP_FILE), str(SWEEP_FILE)).runs
    got = sorted((r.method, r.epsilon, r.seed) for r in runs)
    assert got == sorted(
        (m, e, s) for m, e in [("darts-v1", 0), ("darts-v2", 0), ("gdas", 0), ("gdas", 0.5)] for s in (0, 1)
    )
    assert all(r.config().space == "darts" and r.monitor_dict() == {"arch-forgetting": {"archs": 6}} for r in runs)
    exps = plan(REPO / "sweeps" / "paper", "smoke", ["fig1b-darts"], [0])
    assert [e.name for e in exps] == ["fig1b-darts"] and len(exps[0].sweep.runs) == 4


@pytest.mark.slow
def test_monitor_tracks_first_architectures_without_changing_the_search(tmp_path):
    torch.set_num_threads(1)
    cfg = make_config("smoke", "gdas", "darts", epochs=3, steps_per_epoch=1, epsilon=0.5)
    plain = SearchEngine(cfg, tmp_path / "plain", progress=False).run()
    out = tmp_path / "gdas-ac-s0"
    monitored = SearchEngine(cfg, out, progress=False, epoch_hooks=[ArchForgettingMonitor(archs=2)]).run()
    assert monitored["final"]["cell"] == plain["final"]["cell"]
    log = _log(out)
    assert log[0]["fg_first_epoch"] == [1] and len(log[0]["fg_acc"]) == 1
    assert all(1 <= len(r["fg_acc"]) <= 2 and 0 <= r["fg_mean_acc"] <= 100 for r in log)
    # epoch 1's architecture stays first, scored again at every epoch
    assert all(r["fg_first_epoch"][0] == 1 for r in log)
    c = curves(tmp_path)["gdas-ac"]
    assert c["seeds"] == 1 and c["epochs"] == [1, 2, 3] and c["first_arch_acc"][0] == log[0]["fg_acc"][0]
    png, table = write_report(tmp_path)
    assert png.stat().st_size > 1000 and "gdas-ac" in table.read_text()


@pytest.mark.slow
def test_the_sweep_gives_the_old_runners_numbers(tmp_path):
    torch.set_num_threads(1)
    # the old runner (e2nas.experiments.darts_forgetting.run before the sweep), for GDAS-AC seed 0
    old = tmp_path / "old" / "gdas-ac-s0"
    cfg = make_config("smoke", "gdas", "darts", seed=0, epsilon=0.5, epochs=3, steps_per_epoch=1)
    SearchEngine(cfg, old, resume=True, progress=False, epoch_hooks=[ArchForgettingMonitor()]).run()
    # the same run from the sweep file
    data = {**read_sweep_file(REPO / SWEEP_FILE), "preset": "smoke", "seed": [0]}
    data["overrides"] = {**data["overrides"], "epochs": 3, "steps_per_epoch": 1}
    sweep = parse_sweep(data, "fig1b-darts")
    sweep.runs = [r for r in sweep.runs if r.method == "gdas" and r.epsilon == 0.5]
    summary = run_sweep(sweep, tmp_path / "new", workers=1, threads=1)
    assert summary["counts"] == {"finished": 1}, summary["runs"]
    new = Path(summary["runs"][0]["dir"])
    assert [{k: r[k] for k in FG} for r in _log(new)] == [{k: r[k] for k in FG} for r in _log(old)]
    assert (
        json.loads((new / "results.json").read_text())["final"]
        == json.loads((old / "results.json").read_text())["final"]
    )
    assert curves(tmp_path / "new") == curves(tmp_path / "old")
