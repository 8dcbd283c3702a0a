#!/usr/bin/env bash
# The neural decoder's cost on this machine's GPU: builds bench_neural (Release, in
# build-gpubench/), runs it at latents of 32x32, 64x64 and 128x128 (pictures of 256, 512
# and 1024 pixels a side) and prints the table: ms per stage (GL timer queries), ms in
# all (wall, after glFinish), GFLOP/s, and the CPU reference at 32x32 beside it.
# usage: tools/gpu-bench.sh [--model DECODER.safetensors] [any bench_neural option]
#   Without --model: ../shared/models/taef2/taef2_decoder.safetensors when it is there,
#   else weights made from a seed with taef2's shapes (the cost does not depend on them).
#   STRATA_BENCH_BUILD=DIR builds elsewhere; later options win (--sizes 16,32 --runs 3).
# Without a display it uses SDL's offscreen driver (EGL). The goal (issue 10): a 64x64
# latent in under 10 ms on a desktop GPU.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${STRATA_BENCH_BUILD:-$root/build-gpubench}

if ! pkg-config --exists cmocka 2>/dev/null; then
  echo "gpu-bench: the bench is built with the tests, which need cmocka:" \
    "tools/deps.sh --test (or apt-get install libcmocka-dev)" >&2
  exit 1
fi
"$root/tools/deps.sh"
mkdir -p "$build"
log=$build/gpu-bench-build.log
if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release &&
  cmake --build "$build" --target bench_neural -j"$(nproc)"; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "gpu-bench: the build failed; the whole log is $log" >&2
  exit 1
fi

args=()
model=$root/../shared/models/taef2/taef2_decoder.safetensors
if [ -r "$model" ]; then
  args+=(--model "$model")
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
fi
echo "gpu-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n)"
exec "$build/tests/neural/bench_neural" "${args[@]}" --sizes 32,64,128 --runs 5 --cpu-max 32 "$@"
