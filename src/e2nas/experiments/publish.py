"""Publish finished runs: copy their records (no checkpoints or snapshots) from a runs tree into the committed
results tree, so reports regenerate from committed files and a sweep pointed at the copy skips them.

    python scripts/publish_runs.py runs/ranking results/ranking/runs   (a thin entry to :func:`main`)
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

from e2nas.rundir import CONFIG, LOG, RANKING, RESULTS, REUSED, SWEEP_RUN

#: what a finished run's directory holds that a report reads (checkpoint.pt and snapshots/ are left out)
RECORDS = (CONFIG, LOG, RANKING, RESULTS, SWEEP_RUN, REUSED)


def publish(src: Path, dst: Path) -> int:
    """Copy the records of every finished run under ``src`` (a directory with ``results.json``) and every sweep
    summary to the same place under ``dst``; the number of runs copied."""
    n = 0
    for results in sorted(src.rglob(RESULTS)):
        run = results.parent
        out = dst / run.relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for name in RECORDS:
            if (run / name).is_file():
                shutil.copy2(run / name, out / name)
        n += 1
    for summary in src.rglob("sweep_summary_*.json"):
        (dst / summary.parent.relative_to(src)).mkdir(parents=True, exist_ok=True)
        shutil.copy2(summary, dst / summary.relative_to(src))
    return n


def main(argv: Sequence[str] | None = None) -> None:
    """The command line of ``scripts/publish_runs.py``."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    a = ap.parse_args(argv)
    print(f"{publish(a.src, a.dst)} finished runs copied to {a.dst}")
