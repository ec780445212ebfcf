#!/usr/bin/env bash
# The τ-vs-budget study of docs/results/ranking, in order of what it tells per CPU-minute; re-running skips
# finished runs and resumes interrupted ones. Then the report:
#   python scripts/ranking_report.py runs/ranking docs/results/ranking  (published: results/ranking/runs)
set -uo pipefail
cd "$(dirname "$0")/.."
for f in preset base lr candidate candidate10k epochs20 wd fair data resolution cn budget steps batch; do
  e2nas sweep "sweeps/ranking/$f.yaml" --workers "${WORKERS:-2}" --threads 1 || echo "sweep $f had failures" >&2
done
