"""One writer per run directory: a second process (another sweep, another `e2nas search`) is refused before it
writes anything, a killed holder leaves no stale lock, and a sweep lists such a run as busy, not failed."""

import json
import os
import signal
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import SearchEngine, make_config
from e2nas.experiments.reuse import adopt
from e2nas.experiments.sweep import load_sweep, run_status, run_sweep
from e2nas.safeio import LOCK_NAME, RunDirBusyError, held_by_other, hold_run_dir

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock locks: POSIX only")

HOLD = (
    "import sys, time; from e2nas.safeio import hold_run_dir; h = hold_run_dir(sys.argv[1]); h.__enter__(); "
    "print('held', flush=True); time.sleep(120)"
)


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of a run directory; yields (dir, process)."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        yield run_dir, p
    finally:
        p.kill()
        p.wait()


def test_a_held_directory_is_refused_and_freed_when_its_holder_dies(holder):
    run_dir, p = holder
    with pytest.raises(RunDirBusyError, match=rf"in use by another e2nas process \(pid {p.pid} on "):
        hold_run_dir(run_dir).__enter__()
    assert held_by_other(run_dir) == f"pid {p.pid} on {os.uname().nodename}"
    os.kill(p.pid, signal.SIGKILL)  # no clean-up runs: the kernel drops the lock
    p.wait()
    assert held_by_other(run_dir) is None
    with hold_run_dir(run_dir):  # free again, and held by this process now
        assert (run_dir / LOCK_NAME).read_text().startswith(f"pid {os.getpid()} ")


def test_a_search_into_a_held_directory_writes_nothing(holder):
    run_dir, _ = holder
    cfg = make_config("smoke", "gdas", epochs=1, steps_per_epoch=1, rank_cells=0)
    with pytest.raises(RunDirBusyError):
        SearchEngine(cfg, run_dir, progress=False).run()
    assert sorted(p.name for p in run_dir.iterdir()) == [LOCK_NAME]
    res = CliRunner().invoke(app, ["search", "-p", "smoke", "-m", "gdas", "--epochs", "1", "--out", str(run_dir)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "in use by another e2nas process" in lines[0]


def test_a_sweep_skips_a_run_another_process_holds(tmp_path):
    f = tmp_path / "s.yaml"
    fast = {"epochs": 1, "steps_per_epoch": 1, "rank_cells": 0}
    f.write_text(yaml.safe_dump({"name": "s", "method": "gdas", "seed": [0, 1], "preset": "smoke", "overrides": fast}))
    sw = load_sweep(f)
    busy_dir = tmp_path / "out" / sw.runs[0].name
    busy_dir.mkdir(parents=True)
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(busy_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        assert run_status(busy_dir) == "running"
        summary = run_sweep(sw, tmp_path / "out", workers=2, threads=1)
        assert summary["counts"] == {"busy": 1, "finished": 1}, summary
        busy = next(e for e in summary["runs"] if e["status"] == "busy")
        assert busy["name"] == sw.runs[0].name and f"pid {p.pid}" in busy["error"]
        assert sorted(q.name for q in busy_dir.iterdir()) == [LOCK_NAME]  # no error.json, no spec, no placement
        # a finished run reused into a held directory is left to its holder too
        done = tmp_path / "out" / sw.runs[1].name
        with pytest.raises(RunDirBusyError):
            adopt(done, busy_dir, sw.runs[0].to_dict())
        res = CliRunner().invoke(app, ["sweep", str(f), "--out", str(tmp_path / "out"), "--dry-run"])
        assert "    running  " + sw.runs[0].name in res.output
    finally:
        p.kill()
        p.wait()
    again = run_sweep(sw, tmp_path / "out", workers=1, threads=1)  # the holder is gone: the run is done now
    assert again["counts"] == {"finished": 1, "skipped": 1}
    assert json.loads((busy_dir / "results.json").read_text())["seed"] == sw.runs[0].seed
