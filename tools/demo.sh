#!/usr/bin/env bash
# Install what is missing, build strata, and start it on its embedded default.
# With no display, render a short clip of the default to a file instead.
# Extra arguments go to strata (e.g. tools/demo.sh --fullscreen).
# Environment: STRATA_BUILD_DIR (build), STRATA_DEMO_OUT (out), STRATA_DEMO_SECONDS (10).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh

build=${STRATA_BUILD_DIR:-build}
# Configure quietly but keep strata's own lines (such as "tests skipped: ...").
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo | { grep -E '^-- strata:' || true; }
cmake --build "$build" -j"$(nproc)"

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  echo "strata: starting live on the embedded default (Esc twice or Ctrl+Q quits, O: overlay)"
  exec "$build/strata" "$@"
fi

seconds=${STRATA_DEMO_SECONDS:-10}
echo "strata: no display found (DISPLAY is not set), so rendering a ${seconds} s clip instead."
out=${STRATA_DEMO_OUT:-out}
mkdir -p "$out"
if command -v ffmpeg >/dev/null 2>&1; then
  dest=$out/demo.mp4
else
  dest=$out/demo-frames
fi
SDL_VIDEODRIVER=offscreen "$build/strata" render --out "$dest" --fps 30 --duration "$seconds" \
  --size 1280x720 "$@"
echo "strata: wrote $(realpath "$dest")"
