#!/usr/bin/env bash
# Live mode under Xvfb: a real window shows moving frames, survives one Esc, and quits
# on Esc Esc within a second.
. "$(dirname "$0")/lib.sh"
unset SDL_VIDEODRIVER

Xvfb -displayfd 3 -screen 0 800x600x24 -nolisten tcp 3>"$TMP/display" 2>"$TMP/xvfb.log" &
xvfb=$!
for _ in $(seq 50); do [ -s "$TMP/display" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$TMP/display")"
trap 'kill $xvfb $pid 2>/dev/null; rm -rf "$TMP"' EXIT

"$STRATA" --size 640x360 --stats "$TMP/stats.jsonl" --quit-after 60 2>"$TMP/err" &
pid=$!
win=""
for _ in $(seq 100); do
    win=$(xdotool search --name '^strata$' 2>/dev/null | head -1)
    [ -n "$win" ] && break
    sleep 0.1
done
check '[ -n "$win" ]' "a window named strata appears"
sleep 2
import -window root "$TMP/shot1.png" 2>/dev/null
sleep 1
import -window root "$TMP/shot2.png" 2>/dev/null
check '[ -s "$TMP/shot1.png" ] && [ -s "$TMP/shot2.png" ]' "screenshots taken"
check '! "$IMGCMP" "$TMP/shot1.png" "$TMP/shot2.png" --mean 0.5' "frames move"
check '[ "$("$IMGCMP" --luma "$TMP/shot2.png" 0 0 640 360 | cut -d. -f1)" -gt 12 ]' "the window is not black"
xdotool windowfocus --sync "$win" 2>/dev/null; xdotool key --window "$win" Escape
sleep 1.5
check 'kill -0 $pid 2>/dev/null' "one Esc does not quit"
check 'grep -q "Esc again" "$TMP/err"' "one Esc says how to quit"
xdotool key --window "$win" Escape; sleep 0.2; xdotool key --window "$win" Escape
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
check '! kill -0 $pid 2>/dev/null' "Esc Esc within a second quits"
wait $pid
rc=$?
check '[ $rc -eq 0 ]' "quit exits 0"
check 'python3 -c "
import json; L=[json.loads(l) for l in open(\"$TMP/stats.jsonl\")]
assert len(L) >= 2 and L[-1][\"fps\"] > 5, L"' "live --stats lines report fps"
finish
