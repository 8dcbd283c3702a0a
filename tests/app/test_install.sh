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

# The watchdog never waits on the logger: with stderr a pipe nobody reads (a stalled
# journal), the frame loop blocks in a log line and the watchdog still ends it, code 3.
mkfifo "$TMP/err.fifo"
python3 - "$TMP/err.fifo" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ: one page, then never read
time.sleep(120)
PY
HOLDER=$!
WPORT=$(free_port)
"$STRATA" --install "$SETLIST" --windowed --size 96x54 --no-audio --osc-port "$WPORT" \
    --watchdog 2 --state "$TMP/wd3.state" 2>"$TMP/err.fifo" &
PID=$!
PIDS="$PID $HOLDER"
for i in $(seq 300); do
    kill -0 $PID 2>/dev/null || break
    oscsend 127.0.0.1 "$WPORT" /strata/scene i $((i % 4)) 2>/dev/null
    sleep 0.1
done
kill -0 $PID 2>/dev/null && kill -9 $PID
wait $PID
rc=$?
kill $HOLDER 2>/dev/null
check '[ $rc -eq 3 ]' "the watchdog ends a loop stalled in the logger with code 3 (rc $rc)"

# Opening hours: open now, then closed and dimmed to 0.3, then closed and black.
hours() { # OPEN_OFFSET_H CLOSE_OFFSET_H OUTSIDE -> a setlist with those hours around now
    python3 - "$1" "$2" "$3" "$STRATA_SOURCE_DIR/presets/gallery-drift.json" <<'PY'
import datetime, json, sys
now = datetime.datetime.now()
f = lambda h: (now + datetime.timedelta(hours=float(h))).strftime("%H:%M")
print(json.dumps({"name": "hours", "scenes": [sys.argv[4]],
                  "hours": {"open": f(sys.argv[1]), "close": f(sys.argv[2]),
                            "outside": sys.argv[3], "dim": 0.3}}))
PY
}
shot_luma() { # SETLIST-FILE -> mean luma of the window after a few seconds
    "$STRATA" --install "$1" --windowed --size 320x180 --no-audio --osc-port "$(free_port)" \
        --state "$TMP/h.state" --quit-after 6 2>>"$TMP/hours.err" &
    local p=$!
    PIDS=$p
    sleep 4.5
    import -window root "$TMP/h.png" 2>/dev/null
    wait $p 2>/dev/null
    local win_x=$(( (800 - 320) / 2 )) win_y=$(( (600 - 180) / 2 ))
    "$IMGCMP" --luma "$TMP/h.png" $win_x $win_y $((win_x + 320)) $((win_y + 180))
}
hours -1 1 dim >"$TMP/open.json"
hours 1 2 dim >"$TMP/dim.json"
hours 1 2 black >"$TMP/black.json"
lo=$(shot_luma "$TMP/open.json"); ld=$(shot_luma "$TMP/dim.json"); lb=$(shot_luma "$TMP/black.json")
check 'python3 -c "import sys; o, d, b = $lo, $ld, $lb; sys.exit(0 if o > 20 and 0.18 < d / o < 0.42 and b < 2 else 1)"' \
    "opening hours: open $lo, dimmed $ld (0.3 asked), black $lb"
check 'grep -q "closed: output at 30%" "$TMP/hours.err"' "the log says when it closes"

# An installation whose bank is gone shows the built-in latent set instead of dying.
printf '{"name": "gone", "bank": "%s/no-such-folder"}\n' "$TMP" >"$TMP/gone.json"
"$STRATA" --install "$TMP/gone.json" --windowed --size 96x54 --no-audio \
    --osc-port "$(free_port)" --state "$TMP/gone.state" --quit-after 3 2>"$TMP/gone.err"
rc=$?
check '[ $rc -eq 0 ] && grep -q "showing the built-in latent set" "$TMP/gone.err"' \
    "a missing bank in an installation falls back to the built-in latent set"

# The state file is JSON written and read by jansson: a setlist path and a scene name
# with a quote and a backslash survive a kill -9 and are resumed (printf-written JSON
# lost them silently).
python3 - "$TMP" <<'PY'
import json, os, sys
d = os.path.join(sys.argv[1], 'we"ird\\dir')
os.makedirs(d)
json.dump({"name": "one"}, open(os.path.join(d, "one.json"), "w"))
json.dump({"name": 'tw"o\\x', "dwell": 600}, open(os.path.join(d, "two.json"), "w"))
json.dump({"scenes": ["one.json", "two.json"]}, open(os.path.join(d, "set.json"), "w"))
PY
QSET="$TMP/we\"ird\\dir/set.json"
QPORT=$(free_port)
"$STRATA" --install "$QSET" --windowed --size 96x54 --no-audio --osc-port "$QPORT" \
    --state "$TMP/q.state" --stats "$TMP/q.jsonl" 2>"$TMP/q.err" &
PID=$!
PIDS="$PID"
wait_stats "$TMP/q.jsonl" 20 'd["frame"] > 0' >/dev/null
oscsend 127.0.0.1 "$QPORT" /strata/scene i 1
check 'python3 - "$TMP/q.state" "$QSET" <<PY
import json, sys, time
for _ in range(150):
    try:
        d = json.load(open(sys.argv[1]))
        if d["scene_name"] == "tw\"o\\\\x" and d["setlist"] == sys.argv[2]:
            sys.exit(0)
    except (OSError, ValueError):
        pass
    time.sleep(0.1)
sys.exit(1)
PY' 'the state file holds a path and a scene name with " and \ as valid JSON'
kill -9 $PID
wait $PID 2>/dev/null
"$STRATA" --install "$QSET" --windowed --size 96x54 --no-audio --osc-port "$(free_port)" \
    --state "$TMP/q.state" --quit-after 3 2>"$TMP/q2.err"
check 'grep -qF "resuming scene 1 (tw\"o\\x)" "$TMP/q2.err"' "and that scene is resumed after a kill -9"

# A state file strata cannot use is said, not silently dropped; a FIFO there (which hung
# the start before the watchdog was armed) is refused at once.
state_ignored() { # NAME -> runs an installation on $TMP/NAME.state, stderr in $TMP/NAME.err
    timeout 60 "$STRATA" --install "$QSET" --windowed --size 96x54 --no-audio \
        --osc-port "$(free_port)" --state "$TMP/$1.state" --quit-after 2 2>"$TMP/$1.err"
    rc=$?
}
printf '{"version":1,"setlist":' >"$TMP/cut.state"
state_ignored cut
check '[ $rc -eq 0 ] && grep -q "STATE: state ignored: $TMP/cut.state: line 1" "$TMP/cut.err"' \
    "a corrupt state file is logged as ignored"
printf '{"version": 7, "scene": 1}\n' >"$TMP/foreign.state"
state_ignored foreign
check 'grep -q "state ignored: $TMP/foreign.state: not a strata state file of version 1" "$TMP/foreign.err"' \
    "a foreign state file is logged as ignored"
mkfifo "$TMP/fifo.state"
state_ignored fifo
check '[ $rc -eq 0 ] && grep -q "state ignored: $TMP/fifo.state: not a regular file (a FIFO)" "$TMP/fifo.err"' \
    "a FIFO as state file is refused within seconds"

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
