"""Wall time of the README's test command and where it goes, per test file.

Runs ``python -m pytest -q --durations=0`` (the suite as the README runs it: one process per core) ``--runs``
times and writes the wall times (median), pytest's own figure, the summed test time, and the per-file and per-test
totals of the median run as JSON. Run it on an idle machine: the suite's wall time is what the 5-minute target is
about, and a busy core stretches it.

    python benchmarks/suite_durations.py --runs 1 --out benchmarks/results/suite_durations_cpu.json
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_LINE = re.compile(r"^\s*([\d.]+)s (call|setup|teardown)\s+(\S+?)::(\S+)")
_TAIL = re.compile(r"(\d+) passed.* in ([\d.]+)s")


def parse(output: str) -> dict:
    """Per-file and per-test seconds from pytest's ``--durations=0`` report."""
    files: collections.Counter[str] = collections.Counter()
    tests: collections.Counter[str] = collections.Counter()
    for line in output.splitlines():
        m = _LINE.match(line)
        if m:
            files[m.group(3)] += float(m.group(1))
            tests[f"{m.group(3)}::{m.group(4)}"] += float(m.group(1))
    tail = _TAIL.search(output)
    return {
        "passed": int(tail.group(1)) if tail else None,
        "pytest_s": float(tail.group(2)) if tail else None,
        "summed_test_s": round(sum(files.values()), 1),
        "files": {k: round(v, 2) for k, v in files.most_common()},
        "slowest_tests": {k: round(v, 2) for k, v in tests.most_common(25)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="JSON file to write (default: print only)")
    a = ap.parse_args()
    runs = []
    for i in range(a.runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "--durations=0", "-p", "no:cacheprovider"],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            sys.exit(f"run {i}: pytest exited {done.returncode}\n{done.stdout[-3000:]}")
        runs.append({"wall_s": round(wall, 1), **parse(done.stdout)})
        print(f"run {i}: {wall:.1f} s wall, pytest {runs[-1]['pytest_s']} s, tests {runs[-1]['summed_test_s']} s")
    walls = [r["wall_s"] for r in runs]
    median = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    out = {
        "command": "python -m pytest -q (README), timed with --durations=0",
        "commit": commit.stdout.strip(),
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "wall_s": walls,
        "median_wall_s": statistics.median(walls),
        "median_run": median,
    }
    print(f"median wall {out['median_wall_s']:.1f} s over {len(walls)} run(s); slowest files:")
    for name, s in list(median["files"].items())[:10]:
        print(f"  {s:6.1f} s  {name}")
    if a.out:
        a.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
