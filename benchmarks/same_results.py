"""Check that this checkout finds exactly what a baseline checkout finds on CPU: same cells, same losses.

Runs every registered searcher on the ``smoke`` preset (and E²NAS on a short ``cpu-small``, where its archive
fills, the novelty model is refitted and the dead-cell fallback can trigger) once with the baseline's source
and once with this one, each in a fresh single-threaded process, and compares the log lines (wall-clock fields
dropped) and the results' final/best cells. Exit 1 on any difference.

    git archive main src | tar -x -C /tmp/base            # a clean baseline (never an edited work tree)
    python benchmarks/same_results.py --baseline /tmp/base/src [--seeds 0 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

VOLATILE = {"time_s", "elapsed_s", "wall_time_s", "peak_memory_mb", "kendall_time_s", "forgetting_time_s"}
RUN = """
import json, sys, torch
torch.set_num_threads(1)
from e2nas.engine import SearchEngine, make_config
preset, method, seed, out, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
SearchEngine(make_config(preset, method, seed=seed, threads=1, **extra), out, progress=False).run()
"""


def _methods(src: str) -> list[str]:
    code = "import json; from e2nas.searchers import list_searchers; print(json.dumps(sorted(list_searchers())))"
    env = {**os.environ, "PYTHONPATH": src}
    return json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True).stdout)


def _run(src: str, preset: str, method: str, seed: int, extra: dict, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": src, "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-c", RUN, preset, method, str(seed), str(out), json.dumps(extra)]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no output)"]
        return {"error": f"{preset} {method} s{seed} failed with {src}: {tail[0]}"}
    log = [{k: v for k, v in json.loads(line).items() if k not in VOLATILE} for line in (out / "log.jsonl").open()]
    res = json.loads((out / "results.json").read_text())
    return {"log": log, "final": res["final"], "best": res["best"], "final_extra": res["final_extra"]}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", required=True, help="the baseline's src directory")
    p.add_argument("--current", default=str(Path(__file__).resolve().parents[1] / "src"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--methods", nargs="*", help="default: every searcher of the current checkout")
    p.add_argument("--e2nas-epochs", type=int, default=3, help="epochs of the cpu-small E²NAS check (0: skip)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    cases = [("smoke", m, s, {}) for m in (a.methods or _methods(a.current)) for s in a.seeds]
    if a.e2nas_epochs:
        cases += [("cpu-small", "e2nas", s, {"epochs": a.e2nas_epochs}) for s in a.seeds]
    rows, ok = [], True
    with tempfile.TemporaryDirectory() as tmp:
        for i, (preset, method, seed, extra) in enumerate(cases):
            base = _run(a.baseline, preset, method, seed, extra, Path(tmp) / f"b{i}")
            cur = _run(a.current, preset, method, seed, extra, Path(tmp) / f"c{i}")
            same = base == cur and "error" not in cur
            ok &= same
            errors = [r["error"] for r in (base, cur) if "error" in r]
            final = cur["final"]["index"] if "final" in cur else None
            row = {"preset": preset, "method": method, "seed": seed, **extra, "identical": same, "final": final}
            rows.append({**row, "errors": errors} if errors else row)
            if not a.json:
                word = "same" if same else "DIFFERENT"
                print(f"{word:>9}  {preset:9} {method:9} s{seed}  final #{final}  {' '.join(errors)}")
    if a.json:
        print(json.dumps({"identical": ok, "cases": rows}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
