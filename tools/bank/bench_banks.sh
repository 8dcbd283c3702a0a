#!/usr/bin/env bash
# Reproduce the "## Banks" figures in docs/BENCHMARKS.md: synthetic 256x144 PNG banks
# and latent sets of 100, 1,000 and 15,000 keyframes, then `strata-bank bench` on each.
# usage: tools/bank/bench_banks.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
B="${1:-build}/strata-bank"
W="${2:-/tmp/strata-bank-bench}"
mkdir -p "$W"
for n in 100 1000 15000; do
  [ -f "$W/s$n.strata" ] || {
    "$B" synth "$W/s$n" --count "$n" --size 256x144 >/dev/null
    "$B" build "$W/s$n" -o "$W/s$n.strata"
  }
  [ -f "$W/l$n.strata" ] || "$B" latent --count "$n" --dim 32 --seed 1 -o "$W/l$n.strata"
done
for f in s100.strata s1000.strata s15000.strata s15000 l100.strata l1000.strata l15000.strata; do
  "$B" bench "$W/$f" --size 1280x720 --play 100
  echo
done
