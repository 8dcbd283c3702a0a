#!/usr/bin/env bash
# Adaptive resolution (issue 12, item 4): live mode drops the whole chain's render size to
# hold its target frame rate, never below the floor, says so in --stats, and the window
# still shows the whole picture (upscaled); --no-adapt, bench and render keep the size.
. "$(dirname "$0")/lib.sh"
start_xvfb

# A target no machine can hold: the controller must go to its floor and stay there.
"$STRATA" --size 640x360 --no-audio --no-vsync --target-fps 1000 --min-scale 0.5 \
    --set glitch=0.4 --stats "$TMP/a.jsonl" --quit-after 7 2>"$TMP/a.err" &
pid=$!
sleep 5.5
import -window root "$TMP/shot.png" 2>/dev/null
wait $pid
rc=$?
check '[ $rc -eq 0 ]' "live with adaptive resolution runs and quits cleanly"
check 'python3 -c "
import json; L=[json.loads(l)[\"render\"] for l in open(\"$TMP/a.jsonl\")]
assert L[0][\"adaptive\"] and L[0][\"target_fps\"] == 1000 and L[0][\"floor\"] == 0.5, L[0]
last = L[-1]
assert last[\"size\"] == \"320x180\" and abs(last[\"scale\"] - 0.5) < 1e-6, last
assert 1 <= last[\"changes\"] <= 3, last
assert all(r[\"scale\"] >= 0.5 for r in L), L"' "--stats: down to the floor x0.5 (320x180), never below"
check 'grep -q "render 640x360 -> 320x180" "$TMP/a.err"' "the log names the change"
# The window (640x360 at the top-left of the screen or centred) shows the picture in every
# quadrant: the smaller render is scaled up, not drawn in a corner.
check 'python3 -c "
import subprocess, sys
def luma(x, y, w, h):
    out = subprocess.run([\"$IMGCMP\", \"--luma\", \"$TMP/shot.png\", str(x), str(y), str(x + w), str(y + h)],
                         capture_output=True, text=True).stdout
    return float(out.split()[0])
# find the window: the brightest 640x360 box on the 800x600 screen, on a 20 px grid
best = max(((luma(x, y, 640, 360), x, y) for x in range(0, 161, 20) for y in range(0, 241, 20)))
_, x, y = best
q = [luma(x + dx, y + dy, 320, 180) for dx in (0, 320) for dy in (0, 180)]
assert min(q) > 8, q"' "the window shows the picture in all four quadrants"

# --no-adapt: the same impossible target, the size stays.
"$STRATA" --size 640x360 --no-audio --no-vsync --target-fps 1000 --no-adapt \
    --stats "$TMP/b.jsonl" --quit-after 4 2>"$TMP/b.err"
check 'python3 -c "
import json; L=[json.loads(l)[\"render\"] for l in open(\"$TMP/b.jsonl\")]
assert all(r[\"size\"] == \"640x360\" and not r[\"adaptive\"] and r[\"changes\"] == 0 for r in L), L"' \
    "--no-adapt keeps 640x360"

# bench and render never adapt (a bench measures a size; a render is frame-exact).
export SDL_VIDEODRIVER=offscreen
"$STRATA" bench --size 640x360 --seconds 2 --target-fps 1000 --json >"$TMP/bench.json" 2>/dev/null
check 'python3 -c "
import json; d=json.load(open(\"$TMP/bench.json\"))
s=json.dumps(d); assert \"640x360\" in s or (d.get(\"render_w\"), d.get(\"render_h\")) == (640, 360), s[:300]"' \
    "bench keeps its size"
"$STRATA" render --size 160x90 --frames 3 --target-fps 1000 --out "$TMP/r" 2>/dev/null
check 'python3 -c "
import struct; d=open(\"$TMP/r/00002.png\",\"rb\").read(24); assert struct.unpack(\">II\", d[16:24]) == (160, 90)"' \
    "render keeps its size"
# A floor out of range is refused by name.
"$STRATA" --min-scale 0.1 --quit-after 1 2>"$TMP/c.err"
rc=$?
check '[ $rc -eq 2 ] && grep -q -- "--min-scale" "$TMP/c.err"' "--min-scale 0.1 is refused, naming the option"
finish
