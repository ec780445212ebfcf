"""One process per run directory: a search (or training) holds an advisory lock on ``<run dir>/.e2nas.lock``
while it writes there, so a second sweep, ``e2nas reproduce`` in another terminal, or an ``e2nas search
--resume`` of the same directory is refused instead of appending to the same log and overwriting the same
checkpoint. The lock is ``flock``: the kernel drops it when its process exits, however it exits, so a killed run
never leaves a stale lock. ``flock`` is per machine (on NFS it may not reach other nodes): Ray runs on several
nodes sharing a directory are kept apart by the sweep giving each run to one task. Where ``fcntl`` does not exist
(Windows) the lock is a no-op.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from e2nas.rundir import LOCK

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: the lock file, inside the run directory (not a run record: reports and copies leave it out)
LOCK_NAME = LOCK


class RunDirBusyError(RuntimeError):
    """Another live process holds the run directory."""

    def __init__(self, run_dir: Path, holder: str) -> None:
        self.run_dir = run_dir
        self.holder = holder
        super().__init__(
            f"{run_dir} is in use by another e2nas process ({holder}); wait for it to finish or stop it, "
            "or use another output directory"
        )


@contextlib.contextmanager
def hold_run_dir(run_dir: str | Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block; raises :class:`RunDirBusyError` at once if another process holds it.
    The directory must exist. Re-entrant within one process only through distinct open files: do not nest."""
    path = Path(run_dir) / LOCK_NAME
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "pid unknown"
            raise RunDirBusyError(Path(run_dir), holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {os.uname().nodename}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def held_by_other(run_dir: str | Path) -> str | None:
    """Who holds ``run_dir``'s lock ("pid N on HOST"), or None when nobody does (also when it does not exist).
    For status listings only: the answer may be stale a moment later; :func:`hold_run_dir` is the real test."""
    path = Path(run_dir) / LOCK_NAME
    if fcntl is None or not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode(errors="replace").strip() or "pid unknown"
        return None
    finally:
        os.close(fd)
