import json
import signal
import subprocess
import sys
import time

import pytest
import yaml
from typer.testing import CliRunner

from e2nas.cli.main import app

runner = CliRunner()


def _write(tmp_path, data):
    f = tmp_path / "sweep.yaml"
    f.write_text(yaml.safe_dump(data))
    return f


@pytest.mark.slow
def test_failing_run_does_not_stop_the_others_then_report(tmp_path, gt):
    # the cifar10 run has no --data-dir: it fails when it loads data; the embedded run must still finish
    f = _write(
        tmp_path,
        {
            "method": "gdas",
            "seed": 0,
            "preset": "smoke",
            "dataset": ["cifar10", "embedded"],
            "overrides": {"epochs": 1, "steps_per_epoch": 1, "rank_cells": 0},  # no τ is read: no ranking check
        },
    )
    out = tmp_path / "runs"
    plan = runner.invoke(app, ["sweep", str(f), "--out", str(out), "--dry-run"])
    assert plan.exit_code == 0 and plan.output.count("pending") == 2, plan.output
    res = runner.invoke(app, ["sweep", str(f), "--out", str(out), "--workers", "2", "--threads", "1"])
    assert res.exit_code == 1, res.output
    summary = json.loads((out / "sweep_summary_sweep.json").read_text())
    assert summary["counts"] == {"failed": 1, "finished": 1}
    failed = next(r for r in summary["runs"] if r["status"] == "failed")
    assert failed["dataset"] == "cifar10" and "DataMissingError" in failed["error"]
    assert "needs --data-dir" in json.loads((out / failed["name"] / "error.json").read_text())["error"]
    assert "DataMissingError" in res.output and "1 failed, 1 finished" in res.output

    rep = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "rep" / "report.md"), "--no-latent-map"])
    assert rep.exit_code == 0, rep.output
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "| gdas | 1 |" in md and "![search_curve](search_curve.png)" in md
    assert (tmp_path / "rep" / "search_curve.png").stat().st_size > 10_000
    as_json = runner.invoke(app, ["report", str(out), "--json"])
    assert json.loads(as_json.stdout)["groups"][0]["n"] == 1
    latex = runner.invoke(app, ["report", str(out), "--latex", "--published"])
    assert r"\toprule" in latex.stdout and "GDAS (NB201 paper)" in latex.stdout


def test_sweep_and_report_user_errors_are_one_line(tmp_path):
    res = runner.invoke(app, ["sweep", str(_write(tmp_path, {"method": "gdas", "sed": 1}))])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1 and "did you mean 'seed'" in res.output
    res = runner.invoke(app, ["report", str(tmp_path)])
    assert res.exit_code == 2 and "no runs" in res.output
    res = runner.invoke(app, ["report", str(tmp_path), "--json", "--latex"])
    assert res.exit_code == 2


@pytest.mark.slow
def test_ctrl_c_checkpoints_running_runs_and_exits_130(tmp_path):
    # SIGTERM reaches the same handler (engine.signals.STOP_SIGNALS; tests/engine/test_signals.py), and the
    # loop's own stop on either signal is tests/engine/test_runloop.py's
    sig = signal.SIGINT
    f = _write(
        tmp_path,
        {"method": "gdas", "seed": [0, 1], "preset": "smoke", "overrides": {"epochs": 200, "steps_per_epoch": 1}},
    )
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "e2nas.cli.main", "sweep", str(f), "--out", str(out), "--workers", "1"]
    # SIGINT may arrive ignored (a background job of a shell without job control): the sweep sets its own handler
    proc = subprocess.Popen([*cmd, "--threads", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while not list(out.glob("*/log.jsonl")) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, output
    summary = json.loads((out / "sweep_summary_sweep.json").read_text())
    assert summary["interrupted"] and summary["counts"].get("interrupted", 0) >= 1, summary["counts"]
    assert summary["counts"].get("finished", 0) == 0 and "not started" in summary["counts"]
    for e in summary["runs"]:
        if e["status"] == "interrupted":
            assert (out / e["name"] / "checkpoint.pt").exists()
    plan = runner.invoke(app, ["sweep", str(f), "--out", str(out), "--dry-run"])
    assert "interrupted" in plan.output and "pending" in plan.output
