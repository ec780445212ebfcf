"""Fig. 1(b) on DARTS: the space-generic ``arch-forgetting`` monitor scores the first distinct architectures from
the epoch they were first reported on and leaves the search unchanged; the experiment is the sweep
sweeps/paper/fig1b-darts.yaml, whose numbers are those of the runner it replaced."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

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


def test_arch_forgetting_scores_the_first_distinct_architectures_from_their_first_epoch():
    # the cap and the bookkeeping without a search: the runs below have fewer distinct cells than the default cap
    evaluated = []

    def evaluate(archs, batches):
        evaluated.append((archs, batches))
        return [(0.0, 10.0 * (k + 1)) for k in range(len(archs))]

    ctx = SimpleNamespace(space=SimpleNamespace(parse=str.upper), evaluate=evaluate)
    history = [{"epoch": 1, "cell": "a"}, {"epoch": 2, "cell": "a"}, {"epoch": 3, "cell": "b"}]
    out = ArchForgettingMonitor(archs=2)(ctx, {"epoch": 4, "cell": "c"}, history)
    assert out == {"fg_first_epoch": [1, 3], "fg_acc": [10.0, 20.0], "fg_mean_acc": 15.0}
    assert evaluated == [(["A", "B"], None)]
    out = ArchForgettingMonitor(archs=6, batches=3)(ctx, {"epoch": 4, "cell": "c"}, history)
    assert out["fg_first_epoch"] == [1, 3, 4] and evaluated[-1] == (["A", "B", "C"], 3)
    assert ArchForgettingMonitor().archs == 6  # the old runner's monitor is the sweep file's (archs: 6)


@pytest.fixture(scope="module")
def gdas_ac(tmp_path_factory):
    """GDAS-AC seed 0 on DARTS at the smoke preset, 3 epochs of 1 step, each search once for the tests below:
    ``plain`` without a monitor, ``old`` as the old runner made it (e2nas.experiments.darts_forgetting.run before
    the sweep: the engine with ``ArchForgettingMonitor()``), and ``new`` from the sweep file."""
    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("fig1b-darts")
    cfg = make_config("smoke", "gdas", "darts", seed=0, epsilon=0.5, epochs=3, steps_per_epoch=1)
    plain = SearchEngine(cfg, tmp / "plain", progress=False).run()
    old = tmp / "old" / "gdas-ac-s0"
    monitored = SearchEngine(cfg, old, resume=True, progress=False, epoch_hooks=[ArchForgettingMonitor()]).run()
    data = {**read_sweep_file(REPO / SWEEP_FILE), "preset": "smoke", "seed": [0]}
    data["overrides"] = {**data["overrides"], "epochs": 3, "steps_per_epoch": 1}
    sweep = parse_sweep(data, "fig1b-darts")
    sweep.runs = [r for r in sweep.runs if r.method == "gdas" and r.epsilon == 0.5]
    summary = run_sweep(sweep, tmp / "new", workers=1, threads=1)
    return {"root": tmp, "plain": plain, "monitored": monitored, "old": old, "summary": summary}


@pytest.mark.slow
def test_monitor_tracks_first_architectures_without_changing_the_search(gdas_ac, tmp_path):
    assert gdas_ac["monitored"]["final"]["cell"] == gdas_ac["plain"]["final"]["cell"]
    log = _log(gdas_ac["old"])
    assert log[0]["fg_first_epoch"] == [1] and len(log[0]["fg_acc"]) == 1
    assert all(1 <= len(r["fg_acc"]) <= r["epoch"] and 0 <= r["fg_mean_acc"] <= 100 for r in log)
    # epoch 1's architecture stays first, scored again at every epoch; each new cell joins at its first epoch
    assert all(r["fg_first_epoch"][0] == 1 for r in log)
    first: dict[str, int] = {}
    for r in log:
        first.setdefault(r["cell"], r["epoch"])
        assert r["fg_first_epoch"] == list(first.values()) and len(r["fg_acc"]) == len(first)
    c = curves(gdas_ac["old"].parent)["gdas-ac"]
    assert c["seeds"] == 1 and c["epochs"] == [1, 2, 3] and c["first_arch_acc"][0] == log[0]["fg_acc"][0]
    png, table = write_report(gdas_ac["old"].parent, tmp_path)
    assert png.parent == tmp_path and png.stat().st_size > 1000 and "gdas-ac" in table.read_text()


@pytest.mark.slow
def test_the_sweep_gives_the_old_runners_numbers(gdas_ac):
    # the old runner (e2nas.experiments.darts_forgetting.run before the sweep) and the same run from the sweep file
    summary, old = gdas_ac["summary"], gdas_ac["old"]
    assert summary["counts"] == {"finished": 1}, summary["runs"]
    new = Path(summary["runs"][0]["dir"])
    assert [{k: r[k] for k in FG} for r in _log(new)] == [{k: r[k] for k in FG} for r in _log(old)]
    assert (
        json.loads((new / "results.json").read_text())["final"]
        == json.loads((old / "results.json").read_text())["final"]
    )
    assert curves(gdas_ac["root"] / "new") == curves(gdas_ac["root"] / "old")
