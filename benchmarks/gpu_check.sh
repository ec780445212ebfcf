#!/usr/bin/env bash
# The one script to run when a GPU is at hand (issue 15). Inside ~8 minutes on one GPU it runs:
#   1. the CUDA tests (tests/gpu: graphs == eager, bf16, E²NAS arch step without host syncs, every searcher);
#   2. benchmarks/paper_protocol.py on CUDA: per-method bilevel step at C16 N5 bs64 in eager / graphs / bf16,
#      xautodl's GDAS in the same run (when its wheel is in .whl/), projected 250-epoch times, E²NAS overhead;
#   3. short real searches (E²NAS and GDAS, C16 N5, a few epochs), eager and with --cuda-graphs auto, on the
#      embedded CIFAR-10 sample, or on CIFAR-10 when E2NAS_CIFAR10_DIR points at its python-pickle files;
#   4. bf16 vs fp32 on ranking and accuracy: two cpu-small GDAS searches with the Kendall-tau monitor.
# Everything goes under $OUT (default /tmp/gpu-out); summary.txt lists every part with its status and time.
# A failing or timed-out part does not stop the others. Before a run without internet:
#   pip download --no-deps -d .whl xautodl        (the peer for the speed ratio; optional)
# Knobs: PARTS="tests bench search bf16" (subset), BUDGET_S=480, SEARCH_EPOCHS=3, BENCH_METHODS=..., BENCH_STEPS=20
set -u -o pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
PARTS=${PARTS:-tests bench search bf16}
BUDGET_S=${BUDGET_S:-480}
SEARCH_EPOCHS=${SEARCH_EPOCHS:-3}
BENCH_METHODS=${BENCH_METHODS:-gdas,gdas-a,e2nas,random,darts-v1}
BENCH_STEPS=${BENCH_STEPS:-20}
PY=${PYTHON:-python3}
START=$(date +%s)
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

if ls .whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/gpu-site .whl/*.whl \
    >"$OUT/pip.log" 2>&1 && export PYTHONPATH=/tmp/gpu-site
fi
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1

left() { echo $((BUDGET_S - ($(date +%s) - START))); }

# part NAME SECONDS CMD...: run CMD with a timeout (never past the overall budget), log to $OUT/NAME.log
part() {
  local name=$1 want=$2
  shift 2
  local t0 rc limit
  limit=$(left)
  [ "$want" -lt "$limit" ] && limit=$want
  if [ "$limit" -le 5 ]; then
    echo "$name: skipped (budget spent)" | tee -a "$SUMMARY"
    return
  fi
  echo "== $name (limit ${limit}s)"
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
  rc=$?
  local status=ok
  [ $rc -ne 0 ] && status="FAILED rc=$rc"
  [ $rc -eq 124 ] && status="TIMED OUT after ${limit}s"
  echo "$name: $status ($(($(date +%s) - t0)) s)" | tee -a "$SUMMARY"
  tail -3 "$OUT/$name.log"
}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"
  "$PY" -c "import xautodl; print('xautodl', xautodl.__file__)" 2>&1 | tail -1
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

DATA=(--dataset embedded)
if [ -n "${E2NAS_CIFAR10_DIR:-}" ] && [ -f "$E2NAS_CIFAR10_DIR/data_batch_1" ]; then
  DATA=(--dataset cifar10 --data-dir "$E2NAS_CIFAR10_DIR" --steps-per-epoch 100)
fi

for p in $PARTS; do
  case $p in
    tests)
      part cuda_tests 150 "$PY" -m pytest -q -p no:cacheprovider tests/gpu
      grep -q " passed" "$OUT/cuda_tests.log" || echo "cuda_tests: NOTHING RAN (no CUDA device seen?)" | tee -a "$SUMMARY"
      ;;
    bench)
      part paper_protocol 170 "$PY" benchmarks/paper_protocol.py --device cuda --methods "$BENCH_METHODS" \
        --steps "$BENCH_STEPS" --repeats 3 --overhead cpu-small,paper --overhead-steps 10 \
        --out "$OUT/paper_protocol_cuda.json"
      ;;
    search)
      for m in e2nas gdas; do
        for g in off auto; do
          part "search_${m}_graphs_$g" 45 "$PY" -m e2nas.cli.main search -m "$m" -p paper "${DATA[@]}" \
            --epochs "$SEARCH_EPOCHS" --device cuda --cuda-graphs "$g" --seed 0 -q --no-plots --json \
            --out "$OUT/search-$m-$g"
        done
      done
      ;;
    bf16)
      cat >"$OUT/bf16.yaml" <<'YAML'
name: bf16
method: gdas
seed: 0
preset: cpu-small
overrides: {device: cuda, cuda_graphs: auto, precision: [fp32, bf16]}
monitors:
  kendall: {every: 25, sample: 50}
YAML
      part bf16_tau 90 "$PY" -m e2nas.cli.main sweep "$OUT/bf16.yaml" --out "$OUT/bf16" --workers 2 --threads 1
      ;;
    *) echo "unknown part $p" | tee -a "$SUMMARY" ;;
  esac
done

# the numbers that decide the issue, from the JSON files written above
"$PY" - "$OUT" <<'PYEOF' >>"$SUMMARY" 2>&1
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
bench = out / "paper_protocol_cuda.json"
if bench.exists():
    r = json.loads(bench.read_text())
    for m in r["methods"]:
        print(f"  {m['method']:14s} {m['mode']:6s} {m['step_s'] * 1e3:7.1f} ms/step {m['images_per_s']:7.0f} img/s"
              f"  {m['paper_epochs']} epochs ~ {m['projected_search_min']:.1f} min")
    for k, v in (r.get("speedup_vs_xautodl_gdas") or {}).items():
        print(f"  vs xautodl GDAS {k}: {v:.2f}x")
    for k, v in (r.get("e2nas_vs_gdas_per_step") or {}).items():
        print(f"  E2NAS / GDAS per step ({k}): {v:.2f}")
    for o in r.get("e2nas_overhead", []):
        print(f"  E2NAS overhead {o['preset']}: {100 * o['overhead']:.1f} % wall, {100 * o['overhead_thread_cpu']:.1f} % CPU")
for f in sorted(out.glob("bf16/*/log.jsonl")):
    lines = [json.loads(x) for x in f.read_text().splitlines()]
    taus = [r["kendall_tau"] for r in lines if r.get("kendall_tau") is not None]
    last = lines[-1]
    print(f"  {f.parent.name}: kendall tau {taus}  final cell C10 valid {last['ground_truth']['cifar10_valid']:.2f}"
          f"  train loss {last['train_loss']:.3f}")
for f in sorted(out.glob("search-*/results.json")):
    res = json.loads(f.read_text())
    fin = res["final"]
    print(f"  {f.parent.name}: final #{fin['index']} C10 valid {fin['ground_truth']['cifar10_valid']:.2f}"
          f"  wall {res['wall_time_s']:.1f} s  peak {res['peak_memory_mb']:.0f} MB")
PYEOF
echo "total $(($(date +%s) - START)) s" >>"$SUMMARY"
echo "== summary ($SUMMARY)"
cat "$SUMMARY"
