#!/usr/bin/env bash
# docs/results/cpu from the paper sweeps' runs under runs/cpu (sweeps/paper/, `e2nas reproduce --preset cpu`):
#   1. the run records (no checkpoints) into docs/results/cpu/runs/<experiment>/ (scripts/publish_runs.py);
#   2. the four paper layouts, their figures and the index, from those records (`e2nas reproduce --no-run`);
#   3. the default report of each experiment (Table 1 + final/best + inside the latent search, and the search
#      curves, τ and latent-map figures) in docs/results/cpu/full/.
# Reports only read the committed records, so they regenerate from a checkout:
#   scripts/paper_cpu_report.sh            # all three steps (needs runs/cpu)
#   scripts/paper_cpu_report.sh --no-copy  # steps 2-3 from docs/results/cpu/runs alone
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/results/cpu
if [ "${1:-}" != "--no-copy" ]; then
  python scripts/publish_runs.py runs/cpu "$out/runs"
fi
e2nas reproduce --preset cpu --no-run --runs "$out/runs" --out "$out"
mkdir -p "$out/full"
dirs=()
for x in table1 table2 fig1a fig1b; do
  [ -d "$out/runs/$x" ] && dirs+=("$out/runs/$x")
done
# --per-dir: a run another experiment reused is in two directories; each experiment's groups stay its own
e2nas report "${dirs[@]}" --per-dir --published --out "$out/full/report.md"
