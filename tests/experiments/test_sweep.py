import json
import re
from dataclasses import dataclass

import pytest
import yaml

from e2nas.engine import SearchEngine
from e2nas.experiments.sweep import RunSpec, SweepError, execute_run, load_sweep, parse_sweep, run_sweep
from e2nas.searchers import register_searcher
from e2nas.searchers.gdas import GDAS, GDASOptions


@dataclass
class _MixtureOptions(GDASOptions):
    pass


class _NoEpsilon(GDAS):
    """Stands in for a mixture method (DARTS) that cannot take the complementation loss."""

    name = "test-no-epsilon"
    description = "test only"
    Options = _MixtureOptions
    supports_epsilon = False


FAST = {"epochs": 1, "steps_per_epoch": 1}
#: what the sweeps that run take: FAST without the final ranking check (scipy and ~1 s per run in a fresh worker;
#: ranking in a sweep's runs is tests/experiments/test_paper_reproduce.py's τ column)
RUN = {**FAST, "rank_cells": 0}


def test_grid_expansion_names_and_dropped_points():
    register_searcher(_NoEpsilon)  # removed again after the test (tests/conftest.py)
    sw = parse_sweep(
        {
            "name": "g",
            "method": ["gdas", "test-no-epsilon"],
            "seed": [0, 1],
            "preset": "smoke",
            "epsilon": [0, 0.5],
            "options": {"gdas": {"tau_max": [5, 10.0]}},
            "overrides": FAST,
        }
    )
    names = [r.name for r in sw.runs]
    assert len(names) == 2 * 2 * 2 + 2 == len(set(names))
    assert "gdas-tau_max=5_smoke_embedded_eps0.5_epochs=1,steps_per_epoch=1_s1" not in names  # one part per key
    assert "gdas-tau_max=5_smoke_embedded_eps0.5_epochs=1_steps_per_epoch=1_s1" in names
    assert "test-no-epsilon_smoke_embedded_eps0_epochs=1_steps_per_epoch=1_s0" in names
    assert sw.dropped and "does not support complementation" in sw.dropped[0]
    # the name comes from the effective values: 5 and 5.0 are one run, an omitted epsilon is the preset's 0
    a = parse_sweep({"method": "gdas", "preset": "smoke", "options": {"gdas": {"tau_max": 5}}}).runs[0]
    b = parse_sweep({"method": "gdas", "preset": "smoke", "epsilon": 0, "options": {"gdas": {"tau_max": 5.0}}})
    assert a.name == b.runs[0].name
    assert RunSpec.from_dict(a.to_dict()) == a
    assert len(parse_sweep({"method": "all", "preset": "smoke"}).runs) >= 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "gdas", "seeds": [0]}, "unknown key 'seeds' (did you mean 'seed'?)"),
        ({"seed": 0}, "'method' is required"),
        ({"method": "nope"}, "unknown method 'nope'"),
        ({"method": "gdas", "seed": []}, "empty list"),
        ({"method": "gdas", "seed": "0"}, "'seed': '0' is not a int"),
        ({"method": "gdas", "preset": "huge"}, "unknown preset"),
        ({"method": "gdas", "options": {"gdas": {"tau": 1}}}, "options.gdas"),
        ({"method": "gdas", "options": {"random": {"candidates": 3}}}, "not in this sweep's methods"),
        ({"method": "gdas", "overrides": {"epoch": 3}}, "unknown config field 'epoch'"),
        ({"method": "gdas", "epsilon": 2}, "epsilon"),
        ({"method": "gdas", "monitors": {"kendal": {}}}, "unknown monitor"),
        ([1, 2], "must be a YAML mapping"),
    ],
)
def test_validation_errors_are_clear(data, message):
    with pytest.raises(SweepError, match=re.escape(message)):
        parse_sweep(data)


def test_load_sweep_yaml_errors(tmp_path):
    with pytest.raises(SweepError, match="not found"):
        load_sweep(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: [gdas\n")
    with pytest.raises(SweepError, match="not valid YAML"):
        load_sweep(bad)


def test_execute_run_resumes_an_interrupted_run_and_records_failures(tmp_path):
    spec = parse_sweep({"method": "gdas", "preset": "smoke", "overrides": {"epochs": 2, "steps_per_epoch": 1}})
    run = spec.runs[0]
    d = tmp_path / run.name
    assert SearchEngine(run.config(), d, progress=False).run(stop_after_epochs=1) is None  # "killed" after epoch 1
    entry = execute_run(run.to_dict(), str(d), threads=1)
    assert entry["status"] == "finished" and entry["resumed"] is True
    assert execute_run(run.to_dict(), str(d), threads=1)["status"] == "skipped"

    bad = parse_sweep({"method": "gdas", "preset": "smoke", "dataset": "cifar10"}).runs[0]
    entry = execute_run(bad.to_dict(), str(tmp_path / bad.name), threads=1)
    assert entry["status"] == "failed" and "DataMissingError" in entry["error"]
    err = json.loads((tmp_path / bad.name / "error.json").read_text())
    assert "needs --data-dir" in err["error"] and "Traceback" in err["traceback"]


def _sweep_2x2(tmp_path, methods=("gdas", "gdas-a")):
    f = tmp_path / "s.yaml"
    f.write_text(
        yaml.safe_dump({"name": "s", "method": list(methods), "seed": [0, 1], "preset": "smoke", "overrides": RUN})
    )
    return load_sweep(f)


@pytest.mark.slow
def test_local_sweep_2x2_then_rerun_skips(tmp_path, gt):
    sw = _sweep_2x2(tmp_path)
    summary = run_sweep(sw, tmp_path / "out", workers=2, threads=1)
    assert summary["counts"] == {"finished": 4}, summary
    on_disk = json.loads((tmp_path / "out" / "sweep_summary_s.json").read_text())
    assert on_disk["counts"] == {"finished": 4} and len(on_disk["runs"]) == 4
    for e in on_disk["runs"]:
        res = json.loads((tmp_path / "out" / e["name"] / "results.json").read_text())
        assert res["seed"] == e["seed"] and res["method"] == e["method"] and res["config"]["threads"] == 1
        assert e["final_cifar10_valid"] == gt.value(res["final"]["index"], "cifar10_valid")
    again = run_sweep(sw, tmp_path / "out", workers=2, threads=1)
    assert again["counts"] == {"skipped": 4}


@pytest.mark.slow
def test_ray_sweep_1x2(tmp_path, monkeypatch):
    # one Ray worker process: it imports torch once and runs the 2 runs in turn; ray.init takes ~8 s here (the
    # grid, skipping and the summary are the local sweep's test; this one checks the Ray engine runs and records)
    pytest.importorskip("ray")
    # without --address the sweep starts its own instance, whatever instance the environment names
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:9")
    summary = run_sweep(_sweep_2x2(tmp_path, ["gdas"]), tmp_path / "out", workers=1, threads=1, engine="ray")
    assert summary["counts"] == {"finished": 2}, summary
    assert summary["engine"] == "ray"
    assert all((tmp_path / "out" / e["name"] / "results.json").exists() for e in summary["runs"])


def test_shipped_sweep_files_are_valid_and_cover_every_method():
    from pathlib import Path

    files = sorted((Path(__file__).parents[2] / "sweeps").glob("*.yaml"))
    assert files
    sweeps = {f.stem: load_sweep(f) for f in files}  # each parses and validates against the registry
    shared = sweeps["cpu-small-all"].runs + sweeps["cpu-small-darts"].runs
    assert sweeps["cpu-small-all"].out == sweeps["cpu-small-darts"].out  # one report covers both
    builtin = {"random", "gdas", "gdas-a", "darts-v1", "darts-v2", "setn", "enas", "nao", "e2nas"}
    assert {r.method for r in shared} == builtin
    assert all(r.config().epochs == 5 for r in sweeps["cpu-small-darts"].runs)


def test_the_ranking_study_sweep_files_are_valid_and_build_their_configs():
    from pathlib import Path

    files = sorted((Path(__file__).parents[2] / "sweeps" / "ranking").glob("*.yaml"))
    assert len(files) >= 10
    for f in files:
        sweep = load_sweep(f)
        assert sweep.runs and all(r.method == "random" for r in sweep.runs), f
        for r in sweep.runs:
            r.config()  # every override is a config field with a valid value
    knobs = load_sweep(files[[f.stem for f in files].index("preset-knobs")])
    configs = [r.config() for r in knobs.runs]
    steps = sorted((c.train_size, c.epochs * (c.steps_per_epoch or c.train_size // c.batch_size)) for c in configs)
    # 2k images at the preset's own 2,496 steps, and at 16 epochs of 31 steps
    assert steps.count((2000, 16 * 156)) == 3 and steps.count((2000, 16 * 31)) == 3


def test_the_yardstick_picks_sweep_holds_one_row_per_score():
    from pathlib import Path

    from e2nas.searchers import create_searcher
    from e2nas.searchers.random_nas import SCORES

    sweep = load_sweep(Path(__file__).parents[2] / "sweeps" / "ranking" / "yardstick_picks.yaml")
    scores = sorted(r.config().options["score"] for r in sweep.runs)
    assert scores == sorted(SCORES * 3)  # seeds 0, 1, 2
    for r in sweep.runs:
        create_searcher("random", r.config().options)
