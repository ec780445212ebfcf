"""Failed writes keep the previous file, leave no temp file and say in one line what to do."""

import errno
import os

import pytest

from e2nas.safeio import FileAccessError, atomic_write_bytes, atomic_write_json, ensure_dir, writable_dir
from e2nas.safeio import atomic as atomic_mod
from e2nas.safeio import errors as errors_mod


class _FullDisk:
    """A file object that writes a few bytes and then fails like a full disk."""

    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, data):
        self.fh.write(data[:10])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self.fh, name)


def test_disk_full_keeps_previous_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    atomic_write_json(target, {"epoch": 1})
    monkeypatch.setattr(atomic_mod, "open", lambda p, mode: _FullDisk(open(p, mode)), raising=False)  # noqa: SIM115
    with pytest.raises(FileAccessError) as err:
        atomic_write_json(target, {"epoch": 2}, hint="then resume")
    msg = str(err.value)
    assert "\n" not in msg and str(target) in msg and "no space left" in msg and "free disk space" in msg
    assert "previous version is intact" in msg and msg.endswith("then resume")
    assert target.read_text() == '{\n  "epoch": 1\n}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_read_only_directory_is_one_line(tmp_path, monkeypatch):
    d = tmp_path / "ro"
    d.mkdir()
    if os.geteuid() != 0:  # a real read-only directory where chmod binds
        d.chmod(0o500)
    else:  # root ignores permission bits: fail the way a read-only mount does

        def refuse(p, mode):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(p))

        monkeypatch.setattr(atomic_mod, "open", refuse, raising=False)
    try:
        with pytest.raises(FileAccessError) as err:
            atomic_write_bytes(d / "results.json", b"{}")
        msg = str(err.value)
        assert "\n" not in msg and str(d / "results.json") in msg and "choose" in msg
        assert not list(d.iterdir())
    finally:
        d.chmod(0o700)


def test_vanished_directory_is_one_line(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    d.rmdir()  # deleted under a running search
    with pytest.raises(FileAccessError) as err:
        atomic_write_json(d / "checkpoint.pt", {})
    assert "does not exist (moved or deleted?)" in str(err.value) and str(d / "checkpoint.pt") in str(err.value)


def test_out_that_is_a_file_and_unwritable_dir(tmp_path, monkeypatch):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(FileAccessError, match="is a file, not a directory"):
        ensure_dir(f)
    with pytest.raises(FileAccessError, match="a file is in the way"):
        ensure_dir(f / "sub")
    assert writable_dir(tmp_path / "new" / "dir").is_dir()

    def denied(self, data):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))

    monkeypatch.setattr(errors_mod.Path, "write_bytes", denied)
    with pytest.raises(FileAccessError) as err:
        writable_dir(tmp_path)
    assert "permission denied" in str(err.value) and str(tmp_path) in str(err.value)
