#!/usr/bin/env bash
# Real capture end to end: a private PulseAudio whose default source is a null sink's
# monitor, a 120 BPM track played into it with paplay, and strata (live, under Xvfb,
# capturing through PortAudio) reports 120 +/- 1 in its --stats line. Then two strata
# processes join an Ableton Link session on loopback and agree on a tempo change.
. "$(dirname "$0")/lib.sh"
start_xvfb
PULSE="$STRATA_SOURCE_DIR/tools/pulse_env.sh"
eval "$("$PULSE" start "$TMP/pulse")"
trap 'kill $XVFB_PID ${PIDS:-} 2>/dev/null; "$PULSE" stop "$TMP/pulse" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
"$STRATA_BINARY_DIR/strata-synth-track" "$TMP/track.wav" 120 40 >/dev/null 2>&1
check '[ -s "$TMP/track.wav" ]' "a 120 BPM track is synthesised"
paplay "$TMP/track.wav" &
PLAY=$!
"$STRATA" --size 160x90 --osc-port "$(free_port)" --stats "$TMP/a.jsonl" --quit-after 60 \
    2>"$TMP/a.err" &
PID=$!
PIDS="$PLAY $PID"
check 'wait_stats "$TMP/a.jsonl" 25 "d[\"audio\"][\"live\"] and abs(d[\"audio\"][\"bpm\"] - 120) <= 1 and d[\"time\"] > 8"' \
    "strata capturing through PortAudio reports 120 +/- 1 BPM"
check 'wait_stats "$TMP/a.jsonl" 5 "d[\"tempo\"][\"source\"] == \"audio\" and d[\"tempo\"][\"reason\"].startswith(\"audio\") and abs(d[\"tempo\"][\"audio_bpm\"] - 120) <= 1"' \
    "the tempo clock follows the audio beat tracker, and --stats says why"
# The audio server dies mid-show: strata keeps rendering on its internal clock, then
# captures again once the server is back.
"$PULSE" stop "$TMP/pulse" -9 >/dev/null 2>&1
check 'wait_stats "$TMP/a.jsonl" 8 "not d[\"audio\"][\"live\"]"' "a dead audio server: audio is no longer live"
check 'wait_stats "$TMP/a.jsonl" 8 "d[\"tempo\"][\"source\"] == \"audio-hold\" and abs(d[\"tempo\"][\"bpm\"] - 120) <= 1 and \"holding\" in d[\"tempo\"][\"reason\"]"' \
    "and the clock holds the last good tempo, saying so"
f1=$(python3 -c "import json; print(json.loads(open('$TMP/a.jsonl').read().splitlines()[-1])['frame'])")
sleep 2
f2=$(python3 -c "import json; print(json.loads(open('$TMP/a.jsonl').read().splitlines()[-1])['frame'])")
check '[ "$f2" -gt "$f1" ]' "and the picture keeps moving (frame $f1 -> $f2)"
eval "$("$PULSE" start "$TMP/pulse")"
paplay "$TMP/track.wav" &
PLAY=$!
PIDS="$PLAY $PID"
check 'wait_stats "$TMP/a.jsonl" 12 "d[\"audio\"][\"live\"]"' "capture comes back when the server does"
kill $PID $PLAY 2>/dev/null
wait $PID 2>/dev/null

# Two strata processes on one Link session.
P1=$(free_port); P2=$(free_port)
"$STRATA" --size 96x54 --no-audio --link --osc-port "$P1" --stats "$TMP/l1.jsonl" \
    --quit-after 25 2>"$TMP/l1.err" &
L1=$!
"$STRATA" --size 96x54 --no-audio --link --osc-port "$P2" --stats "$TMP/l2.jsonl" \
    --quit-after 25 2>"$TMP/l2.err" &
L2=$!
PIDS="$L1 $L2"
check 'wait_stats "$TMP/l2.jsonl" 15 "d[\"tempo\"][\"link_peers\"] >= 1"' "two strata find each other on Link"
oscsend 127.0.0.1 "$P1" /strata/tempo/bpm f 133
took=$(osc_wait_value "$P2" tempo/bpm "abs(v - 133) < 0.01" 5)
check '[ -n "$took" ] && python3 -c "import sys; sys.exit(0 if $took < 1.0 else 1)"' \
    "a tempo set on one reaches the other within a second (took ${took:-never} s)"
kill $L1 $L2 2>/dev/null
wait $L1 $L2 2>/dev/null
finish
