#!/usr/bin/env bash
# Install what is missing, build strata, and run every test (ctest), in three stages:
#   1. the whole suite on a RelWithDebInfo build (build/);
#   2. the unit, osc and fuzz labels again on a Debug build with AddressSanitizer and
#      UBSan, built by clang with the libFuzzer targets (build-asan/);
#   3. tools/check-demo.sh: the README's demo command on a configure that cannot see the
#      test-only packages (build-demo/).
# Prints the output of any failing test. Extra arguments go to the stage-1 ctest
# (e.g. -L unit); STRATA_TEST_STAGES=1 runs stage 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh --test

build=${STRATA_BUILD_DIR:-build}
stages=${STRATA_TEST_STAGES:-123}

if [[ $stages == *1* ]]; then
  echo "== stage 1: the whole suite ($build)"
  cmake -S . -B "$build" -DSTRATA_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)"
  (cd "$build" && ctest --output-on-failure --timeout 600 -j"$(nproc)" "$@")
fi

if [[ $stages == *2* ]]; then
  echo "== stage 2: unit, osc and fuzz under ASan + UBSan (build-asan)"
  CC=clang CXX=clang++ cmake -S . -B build-asan -DSTRATA_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
    -DSTRATA_FUZZ=ON >/dev/null
  cmake --build build-asan -j"$(nproc)"
  # Mesa and PortAudio keep allocations until exit: leaks are not what this stage checks.
  (cd build-asan &&
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      ctest --output-on-failure --timeout 600 -j"$(nproc)" -L 'unit|osc|fuzz' -LE 'e2e|soak')
fi

if [[ $stages == *3* ]]; then
  echo "== stage 3: the demo command without the test packages (build-demo)"
  tools/check-demo.sh
fi
