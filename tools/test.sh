#!/usr/bin/env bash
# Install what is missing, build strata, and run every test (ctest).
# Prints the output of any failing test. Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh --test

build=${STRATA_BUILD_DIR:-build}
cmake -S . -B "$build" -DSTRATA_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"

cd "$build"
ctest --output-on-failure --timeout 600 -j"$(nproc)" "$@"
