"""Atomic writes: a temp file next to the target, fsync, then ``os.replace``. A failed write (disk full,
permission, read-only) leaves the previous file untouched, removes the temp file and raises one
:class:`~e2nas.safeio.errors.FileAccessError` line."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from e2nas.safeio.errors import FileAccessError, describe_os_error


def atomic_write_bytes(path: str | Path, data: bytes, hint: str = "") -> None:
    """Replace ``path`` by ``data`` all at once; ``hint`` is added to the error line (e.g. how to resume)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        keep = "the previous version is intact" if path.is_file() else ""
        raise FileAccessError(describe_os_error(err, "write", path, "; ".join(h for h in (keep, hint) if h))) from None


def atomic_write_text(path: str | Path, text: str, hint: str = "") -> None:
    atomic_write_bytes(path, text.encode(), hint)


def atomic_write_json(path: str | Path, obj: Any, hint: str = "") -> None:
    atomic_write_text(path, json.dumps(obj, indent=2) + "\n", hint)
