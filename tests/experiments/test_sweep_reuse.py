"""Reuse of finished runs across sweeps: identical settings (options resolved to their defaults, monitors
included) are copied, not rerun; everything else runs. Real smoke-preset searches on the embedded sample."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.experiments.reuse import REUSED, finished_key, index_finished, run_key, spec_key
from e2nas.experiments.sweep import SweepError, load_sweep, parse_sweep, run_sweep

FAST = {"epochs": 1, "steps_per_epoch": 2, "rank_cells": 0}


def _write(path, data):
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A finished sweep: GDAS with its default options, seeds 0 and 1."""
    root = tmp_path_factory.mktemp("reuse")
    f = _write(
        root / "a.yaml",
        {"name": "a", "out": str(root / "a"), "method": "gdas", "seed": [0, 1], "preset": "smoke", "overrides": FAST},
    )
    summary = run_sweep(load_sweep(f), workers=1, threads=1)
    assert summary["counts"] == {"finished": 2}, summary
    return root


def test_identical_runs_are_copied_and_the_rest_runs(first, tmp_path):
    # tau_max=10 is GDAS' default: the same search as the first sweep's, under another name; tau_max=5 is not
    spec = {
        "name": "b",
        "out": str(tmp_path / "b"),
        "reuse": [str(first / "a")],
        "method": "gdas",
        "seed": 0,
        "preset": "smoke",
        "overrides": FAST,
        "options": {"gdas": {"tau_max": [10, 5]}},
    }
    sw = load_sweep(_write(tmp_path / "b.yaml", spec))
    summary = run_sweep(sw, workers=1, threads=1)
    assert summary["counts"] == {"reused": 1, "finished": 1}, summary
    by_status = {e["status"]: e for e in summary["runs"]}
    reused, ran = by_status["reused"], by_status["finished"]
    assert "tau_max=10" in reused["name"] and "tau_max=5" in ran["name"]
    src = first / "a" / "gdas_smoke_embedded_eps0_epochs=1_rank_cells=0_steps_per_epoch=2_s0"
    assert reused["reused_from"] == str(src)
    dst = tmp_path / "b" / reused["name"]
    assert (dst / "results.json").read_bytes() == (src / "results.json").read_bytes()
    assert (dst / "checkpoint.pt").read_bytes() == (src / "checkpoint.pt").read_bytes()  # `e2nas rank` works on it
    assert json.loads((dst / REUSED).read_text())["from"] == str(src)
    assert json.loads((dst / "sweep_run.json").read_text())["options"] == {"tau_max": 10}  # this sweep's spec
    assert reused["final_index"] == json.loads((src / "results.json").read_text())["final"]["index"]
    again = run_sweep(sw, workers=1, threads=1)
    assert again["counts"] == {"skipped": 2}


def test_a_reused_run_equals_the_run_it_replaces(first, tmp_path):
    # the claim behind reuse: the same key means the same search, so training it again gives the same result
    spec = {"method": "gdas", "seed": 1, "preset": "smoke", "overrides": FAST, "options": {"gdas": {"tau_max": 10}}}
    fresh = run_sweep(parse_sweep(spec), tmp_path / "fresh", workers=1, threads=1)
    assert fresh["counts"] == {"finished": 1}
    mine = json.loads((tmp_path / "fresh" / fresh["runs"][0]["name"] / "results.json").read_text())
    theirs = json.loads(
        (
            first / "a" / "gdas_smoke_embedded_eps0_epochs=1_rank_cells=0_steps_per_epoch=2_s1" / "results.json"
        ).read_text()
    )
    assert mine["final"] == theirs["final"] and mine["searcher_options"] == theirs["searcher_options"]
    assert finished_key(tmp_path / "fresh" / fresh["runs"][0]["name"]) == finished_key(
        first / "a" / "gdas_smoke_embedded_eps0_epochs=1_rank_cells=0_steps_per_epoch=2_s1"
    )


def test_an_interrupted_attempt_is_replaced_not_mixed(first, tmp_path):
    sw = parse_sweep({"method": "gdas", "seed": 0, "preset": "smoke", "overrides": FAST})
    sw.reuse = [str(first / "a")]
    stale = tmp_path / "out" / sw.runs[0].name
    stale.mkdir(parents=True)
    (stale / "checkpoint.pt").write_bytes(b"half a run")
    (stale / "log.jsonl").write_text('{"epoch": 0}\n')
    (stale / "error.json").write_text("{}")
    summary = run_sweep(sw, tmp_path / "out", workers=1, threads=1)
    assert summary["counts"] == {"reused": 1}
    src = first / "a" / sw.runs[0].name
    assert (stale / "log.jsonl").read_text() == (src / "log.jsonl").read_text()
    assert (stale / "checkpoint.pt").read_bytes() == (src / "checkpoint.pt").read_bytes()
    assert not (stale / "error.json").exists() and not list(stale.glob(".*reuse-tmp"))


def test_what_changes_a_result_changes_the_key(first):
    run = parse_sweep({"method": "gdas", "seed": 0, "preset": "smoke", "overrides": FAST}).runs[0]
    cfg = run.config().to_dict()
    opts = json.loads((first / "a" / run.name / "results.json").read_text())["searcher_options"]
    base = run_key(cfg, opts, {})
    assert spec_key(run) == base == finished_key(first / "a" / run.name)
    # not part of the result: threads; YAML's 0 and 0.0 are one number; the raw option spelling is resolved
    assert run_key({**cfg, "threads": 7, "options": {"tau_max": 10}}, opts, {}) == base
    assert run_key({**cfg, "epsilon": 0}, opts, {}) == run_key({**cfg, "epsilon": 0.0}, opts, {})
    for changed in ({"seed": 1}, {"rank_cells": 100}, {"lr": 0.05}, {"device": "cuda"}, {"eval_bn": "running"}):
        assert run_key({**cfg, **changed}, opts, {}) != base, changed
    assert run_key(cfg, {**opts, "tau_max": 5.0}, {}) != base
    # a run written before eval_bn existed scored with batch statistics, as the smoke preset does
    assert run_key({k: v for k, v in cfg.items() if k != "eval_bn"}, opts, {}) == base
    assert run_key(cfg, opts, {"forgetting": {"cells": 5}}) != base  # a monitor's evaluations are logged results


def test_only_finished_sweep_runs_are_candidates(first, tmp_path):
    found = index_finished([first / "a", tmp_path / "missing"])
    assert sorted(p.name for p in found.values()) == sorted(p.name for p in (first / "a").iterdir() if p.is_dir())
    half = tmp_path / "half"
    half.mkdir()
    (half / "sweep_run.json").write_text("{}")  # no results.json: not finished
    assert finished_key(half) is None
    (half / "results.json").write_text("not json")
    assert finished_key(half) is None


def test_reuse_in_a_sweep_file(tmp_path):
    base = {"method": "gdas", "seed": 0, "preset": "smoke"}
    sw = parse_sweep({**base, "out": "runs/{preset}/x", "reuse": ["runs/{preset}/y", "elsewhere"]})
    assert sw.out == "runs/smoke/x" and sw.reuse == ["runs/smoke/y", "elsewhere"]
    assert parse_sweep({**base, "reuse": "runs/z"}).reuse == ["runs/z"]
    for bad in ([1], {"a": 1}, [""]):
        with pytest.raises(SweepError, match="'reuse' must be a list of run directories"):
            parse_sweep({**base, "reuse": bad})
    with pytest.raises(SweepError, match="'reuse' uses"):
        parse_sweep({**base, "preset": ["smoke", "cpu"], "reuse": ["runs/{preset}/y"]})


def test_dry_run_says_which_runs_would_be_copied(first, tmp_path):
    f = _write(
        tmp_path / "c.yaml",
        {
            "name": "c",
            "out": str(tmp_path / "c"),
            "method": "gdas",
            "seed": [0, 2],
            "preset": "smoke",
            "overrides": FAST,
        },
    )
    res = CliRunner().invoke(app, ["sweep", str(f), "--dry-run", "--reuse", str(first / "a")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert any(line.strip().startswith("reusable") and "_s0" in line and str(first / "a") in line for line in lines)
    assert any(line.strip().startswith("pending") and "_s2" in line for line in lines)


def test_the_paper_sweeps_reuse_each_other():
    from pathlib import Path

    from e2nas.experiments.paper.reproduce import EXPERIMENTS, plan

    sweeps = Path(__file__).parents[2] / "sweeps" / "paper"
    for e in plan(sweeps, preset="cpu"):
        assert sorted(e.sweep.reuse) == sorted(f"runs/cpu/{x}" for x in EXPERIMENTS), e.name
    for e in plan(sweeps, preset="cpu", runs_root="elsewhere"):  # --runs: the experiments live there
        assert sorted(e.sweep.reuse) == sorted(str(Path("elsewhere") / x) for x in EXPERIMENTS), e.name
