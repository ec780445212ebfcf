"""Checkpoints hold plain types only: they load with the weights-only unpickler, a hostile or old one is
refused in one line, and a failed write keeps the previous checkpoint so the run resumes to the same end."""

import errno
import json
import os
import pickle
from collections import OrderedDict

import pytest
import torch
from typer.testing import CliRunner

from e2nas.cli.main import app
from e2nas.engine import CheckpointError
from e2nas.engine.checkpoint import FORMAT, VERSION, load_checkpoint
from e2nas.engine.state_codec import decode_state, encode_state
from e2nas.safeio import atomic as atomic_mod
from e2nas.spaces.nb201 import Cell

runner = CliRunner()


class _Touch:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_state_codec_roundtrip_and_refusal():
    sd = OrderedDict(w=torch.ones(2))
    sd._metadata = {"": {"version": 2}}
    state = {"cell": Cell((1, 2, 3, 4, 0, 1)), "pool": [Cell((0,) * 6)], "t": (1, 2.5, None), "sd": sd}
    back = decode_state(encode_state(state))
    assert back["cell"] == state["cell"] and back["pool"] == state["pool"] and back["t"] == (1, 2.5, None)
    assert back["sd"]._metadata == {"": {"version": 2}} and torch.equal(back["sd"]["w"], sd["w"])
    with pytest.raises(TypeError, match=r"searcher\.opt is a builtins\.set"):
        encode_state({"searcher": {"opt": {1, 2}}})


def test_format_1_and_foreign_checkpoints_are_refused_without_running_code(tmp_path):
    ckpt = tmp_path / "checkpoint.pt"
    # what format 1 wrote: a Cell object pickled as a Python object next to the tensors
    torch.save({"format": FORMAT, "version": 1, "searcher": {"prev_cell": Cell((1,) * 6)}}, ckpt)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(ckpt, {})
    msg = str(err.value)
    assert "format version 1" in msg and "start the search again" in msg and "\n" not in msg
    marker = tmp_path / "ran"
    torch.save({"format": FORMAT, "version": VERSION, "x": _Touch(marker)}, ckpt)
    with pytest.raises(CheckpointError, match="not an e2nas checkpoint / unsafe content.*io.open"):
        load_checkpoint(ckpt, {})
    assert not marker.exists()


def _cli(out, *extra):
    args = ["search", "-m", "gdas", "-p", "smoke", "--epochs", "3", "--steps-per-epoch", "2", "--seed", "1"]
    return runner.invoke(app, [*args, "--out", str(out), "-q", "--no-plots", "--json", *extra])


@pytest.mark.parametrize("as_pickle", [True, False])
def test_hostile_checkpoint_on_resume_runs_nothing(tmp_path, as_pickle):
    out, marker = tmp_path / "run", tmp_path / "ran"
    out.mkdir()
    payload = {"format": FORMAT, "version": VERSION, "x": _Touch(marker)}
    if as_pickle:
        (out / "checkpoint.pt").write_bytes(pickle.dumps(payload))
    else:
        torch.save(payload, out / "checkpoint.pt")
    res = _cli(out, "--resume")
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "not an e2nas checkpoint / unsafe content" in lines[0] and "io.open" in lines[0]
    assert not marker.exists()


class _FailingCheckpoint:
    """``open`` for the atomic writer that fails like a full disk on the ``n``-th checkpoint write."""

    def __init__(self, n):
        self.n, self.seen = n, 0

    def __call__(self, path, mode):
        if str(path).endswith("checkpoint.pt.tmp"):
            self.seen += 1
            if self.seen == self.n:
                with open(path, mode) as fh:
                    fh.write(b"partial")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return open(path, mode)


def test_disk_full_while_checkpointing_then_resume_matches(tmp_path, monkeypatch):
    whole = _cli(tmp_path / "whole")
    assert whole.exit_code == 0, whole.output
    out = tmp_path / "part"
    monkeypatch.setattr(atomic_mod, "open", _FailingCheckpoint(2), raising=False)
    res = _cli(out)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and str(out / "checkpoint.pt") in lines[0] and "no space left" in lines[0]
    assert "previous version is intact" in lines[0] and f"--resume --out {out}" in lines[0]
    assert not (out / "checkpoint.pt.tmp").exists() and not (out / "results.json").exists()
    kept = torch.load(out / "checkpoint.pt", weights_only=True)
    assert kept["epoch"] == 1 and kept["step"] == 0  # epoch 1's checkpoint, intact
    monkeypatch.undo()
    resumed = _cli(out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    a, b = json.loads(whole.stdout), json.loads(resumed.stdout)
    assert b["resumed"] is True and a["final"] == b["final"] and a["best"] == b["best"]
    strip = {"time_s", "elapsed_s"}
    logs = [
        [{k: v for k, v in json.loads(line).items() if k not in strip} for line in (d / "log.jsonl").open()]
        for d in (tmp_path / "whole", out)
    ]
    assert logs[0] == logs[1] and len(logs[0]) == 3


def test_unwritable_out_and_out_that_is_a_file(tmp_path, monkeypatch):
    f = tmp_path / "file"
    f.write_text("not a directory")
    res = _cli(f)
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    assert f"{f} is a file, not a directory" in res.output
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o500)
    else:  # root writes through permission bits: refuse like a directory the user may not write

        def denied(path, mode):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

        monkeypatch.setattr(atomic_mod, "open", denied, raising=False)
    try:
        res = _cli(ro)
    finally:
        ro.chmod(0o700)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and str(ro) in lines[0] and "permission denied" in lines[0]
    assert not any(p.name.endswith(".tmp") for p in ro.iterdir())
