#!/usr/bin/env bash
# The installation loop under Xvfb: kiosk keys, scene by OSC, state saved and resumed
# after a kill, the watchdog, and OSC aliases of a preset.
. "$(dirname "$0")/lib.sh"
start_xvfb
SETLIST=$STRATA_SOURCE_DIR/presets/setlists/concert.json
PORT=$(free_port)
run_install() { # stats-file
    "$STRATA" --install "$SETLIST" --windowed --size 320x180 --no-audio --osc-port "$PORT" \
        --state "$TMP/state.json" --stats "$1" 2>>"$TMP/err" &
    PID=$!
    PIDS="$PID"
}

run_install "$TMP/s1.jsonl"
check 'wait_stats "$TMP/s1.jsonl" 20 "d[\"frame\"] > 5"' "the installation runs"
win=$(xdotool search --name '^strata$' 2>/dev/null | head -1)
xdotool key --window "$win" Escape; sleep 0.2; xdotool key --window "$win" Escape
xdotool key --window "$win" ctrl+q
sleep 1
check 'kill -0 $PID 2>/dev/null' "Esc Esc and Ctrl+Q do not end an installation"
oscsend 127.0.0.1 "$PORT" /strata/scene s stop-motion
check 'wait_stats "$TMP/s1.jsonl" 20 "d[\"scene\"][\"name\"] == \"stop-motion\" and not d[\"scene\"][\"switching\"]"' \
    "/strata/scene by name switches the scene"
check '(for i in $(seq 80); do grep -q stop-motion "$TMP/state.json" 2>/dev/null && exit 0; sleep 0.1; done; exit 1)' \
    "the state file names the scene within a few seconds"
kill -9 $PID
wait $PID 2>/dev/null
check 'python3 -c "import json; json.load(open(\"$TMP/state.json\"))"' \
    "the state file is whole after a kill -9 (written atomically)"
run_install "$TMP/s2.jsonl"
check 'wait_stats "$TMP/s2.jsonl" 20 "d[\"frame\"] > 0"' "the installation starts again"
check '[ -n "$(osc_wait_value "$PORT" scene "v == 2" 5)" ]' "/strata/get scene answers 2"
for i in 1 3 5 4; do oscsend 127.0.0.1 "$PORT" /strata/scene i $i; done
check 'wait_stats "$TMP/s2.jsonl" 25 "d[\"scene\"][\"index\"] == 4 and not d[\"scene\"][\"switching\"]"' \
    "scene requests in a burst land on the last one"
check 'python3 -c "
import json; d = json.loads(open(\"$TMP/s2.jsonl\").readline())
assert d[\"scene\"][\"name\"] == \"stop-motion\", d[\"scene\"]"' "it resumes the same scene"
check 'grep -q "resuming scene 2 (stop-motion)" "$TMP/err"' "and says so in the log"
win=$(xdotool search --name '^strata$' 2>/dev/null | head -1)
xdotool key --window "$win" ctrl+alt+shift+q
for _ in $(seq 50); do kill -0 $PID 2>/dev/null || break; sleep 0.1; done
check '! kill -0 $PID 2>/dev/null' "Ctrl+Alt+Shift+Q ends it"
wait $PID
rc=$?
check '[ $rc -eq 0 ]' "and it exits 0"

# The watchdog: a stalled frame loop ends the process with code 3.
STRATA_FAULT_STALL_AT=20 "$STRATA" --install --windowed --size 160x90 --no-audio \
    --osc-port "$(free_port)" --state "$TMP/st2.json" 2>"$TMP/wd.err" &
PID=$!
PIDS="$PID"
start=$(date +%s)
wait $PID
rc=$?
check '[ $rc -eq 3 ] && grep -q "WATCHDOG: frame loop stalled" "$TMP/wd.err"' \
    "the watchdog ends a stalled loop with code 3"
check '[ $(( $(date +%s) - start )) -lt 9 ]' "well before the stall would have ended"

# A preset's OSC alias drives its parameter.
cat >"$TMP/alias.json" <<JSON
{"name": "alias", "osc": {"/band/fader1": {"param": "glitch", "min": 0, "max": 0.5}}}
JSON
PORT2=$(free_port)
"$STRATA" "$TMP/alias.json" --size 160x90 --no-audio --osc-port "$PORT2" \
    --stats "$TMP/a.jsonl" --quit-after 12 2>"$TMP/alias.err" &
PID=$!
PIDS="$PID"
wait_stats "$TMP/a.jsonl" 15 'd["frame"] > 0' >/dev/null
oscsend 127.0.0.1 "$PORT2" /band/fader1 f 1.0
check 'wait_stats "$TMP/a.jsonl" 8 "abs(d[\"params\"][\"glitch\"] - 0.5) < 0.01"' \
    "/band/fader1 1.0 sets glitch to the alias maximum 0.5"
kill $PID 2>/dev/null
wait $PID 2>/dev/null
finish
