#!/usr/bin/env bash
# --help, --version, --list-params, bench --json.
. "$(dirname "$0")/lib.sh"
export SDL_VIDEODRIVER=offscreen
"$STRATA" --help >"$TMP/help"
rc=$?
check '[ $rc -eq 0 ]' "--help exits 0"
for w in render bench --size --render-size --fullscreen --display --shader-dir --stats --log \
         --set --list-params --out --fps --frames --duration --seconds --json; do
    check 'grep -q -- "$w" "$TMP/help"' "--help mentions $w"
done
check '"$STRATA" --version | grep -Eq "^strata [0-9]+\.[0-9]+\.[0-9]+"' "--version"
check '"$STRATA" --list-params | grep -q "^glitch"' "--list-params lists glitch"
check '"$STRATA" --list-params --json | python3 -c "
import json,sys; p=json.load(sys.stdin); n={x[\"name\"] for x in p}
assert {\"glitch\",\"drift\",\"speed\",\"brightness\",\"hue\",\"zoom\",\"feedback\"} <= n, n
assert all(x[\"osc\"]==\"/strata/\"+x[\"name\"] and x[\"uniform\"]==\"u_\"+x[\"name\"] for x in p)"' \
    "--list-params --json is the registry"
"$STRATA" --bogus 2>"$TMP/e"
rc=$?
check '[ $rc -eq 2 ] && grep -q "unknown option --bogus" "$TMP/e"' "unknown option rejected"
"$STRATA" bench --seconds 1 --size 160x90 --json >"$TMP/bench.json" 2>/dev/null
check 'python3 -c "
import json; b=json.load(open(\"$TMP/bench.json\"))
assert b[\"frames\"] > 0 and b[\"fps\"] > 0
assert b[\"frame_ms\"][\"p50\"] > 0 and b[\"frame_ms\"][\"p99\"] >= b[\"frame_ms\"][\"p50\"]
assert \"morph\" in b[\"gpu_ms\"] and b[\"peak_rss_mb\"] > 0 and b[\"cpu_ms_per_frame\"] > 0"' \
    "bench --json prints fps, frame times, GPU ms per pass, CPU ms, peak RSS"
"$STRATA" render --out "$TMP/r" --frames 1 --size 32x18 --log "$TMP/strata.log" 2>/dev/null
check 'grep -q "GL: " "$TMP/strata.log" && grep -q "RENDER: " "$TMP/strata.log"' \
    "--log FILE gets tagged log lines"
finish
