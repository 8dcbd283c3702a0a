#!/usr/bin/env bash
# Prove the README's first command on a machine without the test packages: the test-only
# pkg-config modules (cmocka) are made invisible, then tools/demo.sh configures, builds and,
# with no display, renders its clip. Run by tools/test.sh after the suite.
# usage: tools/check-demo.sh   (build in build-demo/, clip in out/check-demo/)
set -euo pipefail
cd "$(dirname "$0")/.."

test_only_pc=(cmocka) # pkg-config modules only the tests need

hidden=$(mktemp -d)
trap 'rm -rf "$hidden"' EXIT
# A pkg-config search path holding every module this machine has, less the test-only ones.
dirs=$(pkg-config --variable pc_path pkg-config)
IFS=: read -r -a pc_dirs <<<"$dirs"
for d in "${pc_dirs[@]}"; do
  [ -d "$d" ] || continue
  for pc in "$d"/*.pc; do
    [ -e "$pc" ] || continue
    name=$(basename "$pc" .pc)
    skip=0
    for t in "${test_only_pc[@]}"; do [ "$name" = "$t" ] && skip=1; done
    [ $skip = 1 ] || [ -e "$hidden/$name.pc" ] || ln -s "$pc" "$hidden/$name.pc"
  done
done
export PKG_CONFIG_LIBDIR=$hidden
unset PKG_CONFIG_PATH
if pkg-config --exists cmocka; then
  echo "check-demo: cmocka is still visible" >&2
  exit 1
fi

out=out/check-demo
rm -rf build-demo "$out"
log=$(mktemp)
# No display: demo.sh must say so and render its clip (2 s here, to keep CI short).
if ! env -u DISPLAY -u WAYLAND_DISPLAY STRATA_BUILD_DIR=build-demo STRATA_DEMO_OUT=$out \
  STRATA_DEMO_SECONDS=2 tools/demo.sh >"$log" 2>&1; then
  cat "$log"
  echo "check-demo: FAILED: tools/demo.sh without the test packages" >&2
  exit 1
fi
grep -q "strata: tests skipped: cmocka not found" "$log" || {
  cat "$log"
  echo "check-demo: FAILED: configure did not say the tests were skipped" >&2
  exit 1
}
clip=$out/demo.mp4
[ -e "$clip" ] || clip=$out/demo-frames/00000.png
if [ ! -s "$clip" ]; then
  cat "$log"
  echo "check-demo: FAILED: no clip in $out" >&2
  exit 1
fi
echo "check-demo: passed: built without the test packages and rendered $clip"
