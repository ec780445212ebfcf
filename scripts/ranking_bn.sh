#!/usr/bin/env bash
# The BN knob of the τ study (docs/results/ranking): the finished supernets of the study re-ranked with BN running
# statistics (eval mode) instead of batch statistics; no training. One JSON per run in runs/ranking-bn/, read by
#   python scripts/ranking_report.py runs/ranking docs/results/ranking
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs/ranking-bn
for run in runs/ranking/*/; do
  run="${run%/}"
  out="runs/ranking-bn/$(basename "$run").json"
  [ -s "$out" ] || [ ! -f "$run/checkpoint.pt" ] || [ ! -f "$run/results.json" ] && continue
  e2nas rank "$run" --bn running --threads "${THREADS:-1}" --json > "$out.tmp" && mv "$out.tmp" "$out"
  echo "$run: $(python -c "import json,sys; print(json.load(open(sys.argv[1]))['kendall_tau'])" "$out")"
done
