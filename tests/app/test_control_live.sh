#!/usr/bin/env bash
# The live app's controls under Xvfb: a --route moves its parameter, --bpm sets the
# clock, the T key taps a tempo, and --shader-dir hot reload keeps the running program
# when an edit breaks it (the log names file and line) and takes the mended one.
. "$(dirname "$0")/lib.sh"
start_xvfb
cp -r "$STRATA_SOURCE_DIR/shaders" "$TMP/sd"
"$STRATA" --size 320x180 --no-audio --osc-port "$(free_port)" --shader-dir "$TMP/sd" \
    --route 'sine@0.5hz>hue*0.4,bipolar' --bpm 97 --stats "$TMP/m.jsonl" --quit-after 30 \
    2>"$TMP/m.err" &
PIDS=$!
check 'wait_stats "$TMP/m.jsonl" 20 "d[\"frame\"] > 0 and d[\"tempo\"][\"bpm\"] == 97"' "--bpm 97 sets the clock"
check 'python3 - "$TMP/m.jsonl" <<PY
import json, sys, time
seen = set()
end = time.time() + 6
while time.time() < end and len(seen) < 2:
    L = [json.loads(l) for l in open(sys.argv[1])]
    seen |= {round(d["params"]["hue"], 1) for d in L}
    time.sleep(0.5)
sys.exit(0 if any(h > 0.2 for h in seen) and any(h < -0.2 for h in seen) else 1)
PY' "--route sine@0.5hz>hue*0.4,bipolar swings hue both ways"
win=$(xdotool search --name '^strata$' 2>/dev/null | head -1)
for i in 1 2 3 4 5; do xdotool key --window "$win" t; sleep 0.5; done
check 'wait_stats "$TMP/m.jsonl" 5 "d[\"tempo\"][\"source\"] == \"tap\" and 90 < d[\"tempo\"][\"bpm\"] < 150 and d[\"tempo\"][\"reason\"].startswith(\"tap\")"' \
    "the T key taps a tempo"
good=$(cat "$TMP/sd/output.frag")
printf 'broken(\n' >>"$TMP/sd/output.frag"
check '(for i in $(seq 50); do grep -q "SHADER: output.frag:[0-9]*:" "$TMP/m.err" && exit 0; sleep 0.1; done; exit 1)' \
    "a broken shader edit is logged with file and line"
f1=$(tail -1 "$TMP/m.jsonl" | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['frame'])")
sleep 2.5
f2=$(tail -1 "$TMP/m.jsonl" | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['frame'])")
check '[ "$f2" -gt "$f1" ]' "and the old program keeps the show going (frame $f1 -> $f2)"
printf '%s\n' "$good" >"$TMP/sd/output.frag.new" && mv "$TMP/sd/output.frag.new" "$TMP/sd/output.frag"
check '(for i in $(seq 50); do grep -q "SHADER: output.frag: reloaded" "$TMP/m.err" && exit 0; sleep 0.1; done; exit 1)' \
    "the mended shader is taken"
kill $PIDS 2>/dev/null
wait $PIDS 2>/dev/null

# A busy OSC port does not stop the show: strata plays without OSC and says so.
BUSY=$(free_port)
python3 -c "
import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', $BUSY)); time.sleep(15)" &
HOLDER=$!
PIDS=$HOLDER
sleep 0.5
"$STRATA" --size 96x54 --no-audio --osc-port "$BUSY" --quit-after 3 2>"$TMP/busy.err"
rc=$?
kill $HOLDER 2>/dev/null
check '[ $rc -eq 0 ] && grep -q "running without OSC control" "$TMP/busy.err"' \
    "a busy OSC port: strata plays without OSC and says so"
finish
