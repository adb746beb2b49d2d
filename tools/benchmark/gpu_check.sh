#!/usr/bin/env bash
# The GPU pack's device command (docs/benchmarks.md, "GPU pack"): install the wheels carried in
# the pack into a target folder, then run tools/benchmark/gpu_check.py with its output under $OUT.
# Run from the repository root, on the device machine, with .gpu_pack carried; arguments are
# passed on to gpu_check.py. Prepare the pack first: python tools/benchmark/gpu_check.py --prepare
set -uo pipefail
PACK=${PACK:-.gpu_pack}
SITE=${SITE:-/tmp/site}
OUT=${OUT:-work_dirs/gpu_check}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
if ! ls "$PACK"/wheels/*.whl >/dev/null 2>&1; then
    echo "no wheels in $PACK/wheels: run python tools/benchmark/gpu_check.py --prepare here first" >&2
    exit 2
fi
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$PACK"/wheels/*.whl || exit 1
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm \
    --format=csv > "$OUT/nvidia-smi.csv" 2>&1 || true
"$PY" tools/benchmark/gpu_check.py --pack "$PACK" --out "$OUT" "$@" 2>&1 | tee "$OUT/stdout.log"
