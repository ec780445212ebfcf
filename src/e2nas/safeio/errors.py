"""OS errors on a path the user gave or e2nas writes, as one line that names the path and the fix."""

from __future__ import annotations

import errno
import os
from pathlib import Path

#: errno -> (what happened, what to do)
_FIXES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device", "free disk space or choose a path on a disk with room"),
    errno.EDQUOT: ("disk quota exceeded", "free space in your quota or choose a path on another disk"),
    errno.EACCES: ("permission denied", "make it accessible to you (chmod/chown) or choose another path"),
    errno.EPERM: ("operation not permitted", "make it accessible to you (chmod/chown) or choose another path"),
    errno.EROFS: ("the file system is read-only", "choose a path on a writable file system"),
    errno.EEXIST: ("a file is in the way of a directory", "remove or rename that file, or choose another path"),
    errno.ENOTDIR: ("a file is in the way of a directory", "remove or rename that file, or choose another path"),
    errno.EISDIR: ("it is a directory, not a file", "remove or rename that directory, or choose another path"),
    errno.ENOENT: ("it does not exist (moved or deleted?)", "recreate it or choose another path"),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path"),
    errno.EIO: ("an input/output error (failing disk or network file system)", "check the disk or choose another path"),
}


class FileAccessError(ValueError):
    """A path e2nas cannot read or write (permission, disk full, read-only, a file where a directory belongs,
    vanished). A user error: the CLI prints the message as one line and exits 2."""


def describe_os_error(err: OSError, action: str, path: str | Path | None = None, hint: str = "") -> str:
    """``cannot <action> <path>: <what happened>; <fix>[; <hint>]`` for ``err`` (``path`` defaults to the
    error's own filename, which may be a temp file rather than the path the user knows)."""
    where = path if path is not None else (err.filename if err.filename is not None else "(unknown path)")
    what, fix = _FIXES.get(err.errno or -1, (err.strerror or type(err).__name__, "check the path"))
    text = f"cannot {action} {where}: {what} [errno {err.errno}]; {fix}"
    return f"{text}; {hint}" if hint else text


def ensure_dir(path: str | Path, what: str = "output directory") -> Path:
    """``mkdir -p path`` with a one-line :class:`FileAccessError` when it cannot be made (a file in the way, no
    permission, read-only file system)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise FileAccessError(
            f"{what} {p} is a file, not a directory; remove or rename it, or choose another path (--out)"
        )
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FileAccessError(describe_os_error(err, f"create {what}", p)) from None
    return p


def writable_dir(path: str | Path, what: str = "output directory") -> Path:
    """:func:`ensure_dir` plus a probe file created and removed, so a long job fails before it starts, not
    when it writes its result (permission bits alone do not tell: root, ACLs, read-only mounts)."""
    p = ensure_dir(path, what)
    probe = p / f".e2nas-write-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise FileAccessError(describe_os_error(err, f"write in {what}", p)) from None
    return p
