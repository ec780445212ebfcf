"""Which code made a result: a digest of the e2nas sources that ran, and the git commit when they are a checkout.

Runs record this in results.json (``versions``), so a report can say what commit its numbers came from without
trusting notes. The digest is what identifies the code when there is no git (an installed wheel, or a copy of
the sources run with PYTHONPATH); the commit adds whether the checkout had uncommitted changes to the package.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any


def package_dir() -> Path:
    import e2nas

    return Path(e2nas.__file__).resolve().parent


def source_digest(root: Path | None = None) -> str:
    """sha256 over the package's ``.py`` files (relative path and bytes, in path order); the first 16 hex digits."""
    root = root or package_dir()
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        if "__pycache__" in f.parts:
            continue
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def git_commit(root: Path | None = None) -> dict[str, Any] | None:
    """{"commit": sha, "dirty": bool} when ``root`` lies in a git work tree with git installed, else None.
    ``dirty``: uncommitted changes under the package directory itself (not elsewhere in the repository)."""
    root = root or package_dir()
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": sha, "dirty": bool(status.strip())} if sha else None


def code_version() -> dict[str, Any]:
    """The fields results.json's ``versions`` gets besides the library versions."""
    out: dict[str, Any] = {"e2nas_source": source_digest()}
    git = git_commit()
    if git is not None:
        out["git_commit"] = git["commit"] + ("+dirty" if git["dirty"] else "")
    return out
