"""Copy the records of finished runs (no checkpoints or snapshots) from a runs tree into docs/results, so reports
regenerate from committed files and a sweep pointed at the copy skips them.

    python scripts/publish_runs.py runs/ranking results/ranking/runs
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

#: what a finished run's directory holds that a report reads (checkpoint.pt and snapshots/ are left out)
RECORDS = ("config.json", "log.jsonl", "ranking.json", "results.json", "sweep_run.json", "reused.json")


def publish(src: Path, dst: Path) -> int:
    n = 0
    for results in sorted(src.rglob("results.json")):
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dst", type=Path)
    a = ap.parse_args()
    print(f"{publish(a.src, a.dst)} finished runs copied to {a.dst}")


if __name__ == "__main__":
    main()
