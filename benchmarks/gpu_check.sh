#!/usr/bin/env bash
# Every GPU check in one call of under 10 minutes, for a lent GPU machine.
#
#   bash benchmarks/gpu_check.sh [MNIST_DIR]
#
# On the device machine (CuPy, scikit-learn, SciPy and numba there; no package
# registry): copy the MNIST IDX files into data/mnist/ of the checkout first (a
# git-ignored folder; name it in the device tool's `carry`). Runs:
#   1. pytest -m gpu: CuPy fits against NumPy (same random_state, same model
#      to float rounding), predictions without CuPy, pickling;
#   2. benchmarks/bench_gpu.py: seconds per epoch on that machine's CPU and on
#      the GPU, batches 128 and 1024, 20,000 images.
# Here, without CuPy or a GPU, step 1 reports its tests skipped and step 2
# measures the CPU column only and says why the GPU one is missing.
# Everything is also written to $OUT/gpu_check.txt when OUT is set (a temporary
# folder otherwise), and bench_gpu.py's table to bench_gpu.md beside it.
set -uo pipefail
cd "$(dirname "$0")/.."
data="${1:-data/mnist}"
log="${OUT:-$(mktemp -d)}/gpu_check.txt"
status=0
exec > >(tee "$log") 2>&1
python -m pip install --quiet --no-deps --no-build-isolation -e . ||
    python -m pip install --quiet --no-deps -e .
python - <<'PY'
try:
    import cupy
    print("CuPy", cupy.__version__, "GPUs:", cupy.cuda.runtime.getDeviceCount())
    print(cupy.cuda.runtime.getDeviceProperties(0)["name"].decode())
except Exception as exc:  # no CuPy, no driver, no GPU
    print("no CuPy GPU:", type(exc).__name__, exc)
PY
echo "== pytest -m gpu"
python -m pytest -q -p no:cacheprovider -m gpu tests/test_gpu.py || status=1
echo "== bench_gpu.py"
if [ -d "$data" ]; then
    python benchmarks/bench_gpu.py --data "$data" --epochs 1 --n-train 20000 \
        --out "$(dirname "$log")/bench_gpu.md" || status=1
else
    echo "no MNIST at $data: bench_gpu.py skipped"
fi
exit "$status"
