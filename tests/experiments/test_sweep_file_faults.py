"""A run whose files cannot be written fails alone (error.json, one line naming the path); the sweep goes on."""

import errno
import json
import os

import pytest
import yaml
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.experiments.sweep import execute_run, load_sweep, parse_sweep, run_sweep
from e2nas.safeio import FileAccessError
from e2nas.safeio import atomic as atomic_mod

# one step, no final ranking check (scipy and ~1 s a run; nothing here reads a τ)
FAST = {"epochs": 1, "steps_per_epoch": 1, "rank_cells": 0}
runner = CliRunner()


def test_unwritable_file_fails_only_its_run(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"name": "s", "method": "gdas", "seed": [0, 1], "preset": "smoke", "overrides": FAST}))
    sw = load_sweep(f)
    out = tmp_path / "out"
    blocked = out / sw.runs[0].name
    (blocked / "log.jsonl").mkdir(parents=True)  # a directory where the run writes its log
    summary = run_sweep(sw, out, workers=2, threads=1)
    assert summary["counts"] == {"failed": 1, "finished": 1}, summary
    failed = next(r for r in summary["runs"] if r["status"] == "failed")
    assert failed["name"] == blocked.name and str(blocked / "log.jsonl") in failed["error"]
    err = json.loads((blocked / "error.json").read_text())["error"]
    assert "is a directory" in err and "\n" not in err
    assert (out / sw.runs[1].name / "results.json").is_file()


def test_disk_full_in_a_run_is_its_error_then_it_reruns(tmp_path, monkeypatch):
    run = parse_sweep({"method": "gdas", "preset": "smoke", "overrides": FAST}).runs[0]
    d = tmp_path / run.name

    def full(path, mode):
        if str(path).endswith("checkpoint.pt.tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return open(path, mode)

    monkeypatch.setattr(atomic_mod, "open", full, raising=False)
    entry = execute_run(run.to_dict(), str(d), threads=1)
    assert entry["status"] == "failed" and "no space left" in entry["error"]
    assert str(d / "checkpoint.pt") in entry["error"]
    assert "no space left" in json.loads((d / "error.json").read_text())["error"]
    assert not (d / "checkpoint.pt.tmp").exists()
    monkeypatch.undo()
    assert execute_run(run.to_dict(), str(d), threads=1)["status"] == "finished"
    assert not (d / "error.json").exists()


def test_sweep_out_that_is_a_file(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"method": "gdas", "preset": "smoke", "overrides": FAST}))
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    with pytest.raises(FileAccessError, match="is a file, not a directory"):
        run_sweep(load_sweep(f), blocker)
    res = runner.invoke(app, ["sweep", str(f), "--out", str(blocker)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1 and str(blocker) in res.output
