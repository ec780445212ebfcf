#!/usr/bin/env bash
# One prepared GPU session: CUDA correctness tests, a cpu-small search on CUDA, and the supernet benchmark on
# CUDA (with AutoDL-Projects' xautodl when its wheel is in .whl/). Results go to $OUT (default /tmp/gpu-out).
#   bash benchmarks/gpu_check.sh            (METHODS="gdas e2nas" and SKIP_BENCH=1 select the parts)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())"
echo "== CUDA tests"
timeout 240 python3 -m pytest -q -p no:cacheprovider tests/gpu 2>&1 | tee "$OUT/pytest_gpu.log" | tail -15
for m in ${METHODS:-gdas e2nas}; do
  echo "== cpu-small $m search on CUDA"
  /usr/bin/time -f "wall %e s, max RSS %M KB" timeout 240 python3 -m e2nas.cli.main search -m "$m" -p cpu-small \
    --device cuda --seed 0 --out "$OUT/$m-cpu-small" -q
  cp "$OUT/$m-cpu-small/results.json" "$OUT/${m}_cpu_small_results.json" 2>/dev/null
  rm -rf "${OUT:?}/$m-cpu-small"
done
if [ -z "${SKIP_BENCH:-}" ]; then
  echo "== supernet benchmark on CUDA"
  timeout 240 python3 benchmarks/supernet_speed.py --json --device cuda "$@" | tee "$OUT/supernet_speed_cuda.json"
fi
