#!/usr/bin/env bash
# MIDI end to end: strata live (Xvfb) with --midi and --midi-map on a private JACK server
# (the dummy backend, no sound card), a sender client (midi_send): a CC moves its parameter,
# a note goes to the next scene, the scene's own "midi" binding works, junk bytes are
# skipped, the sender unplugged and plugged back is picked up, and strata's --stats show it.
. "$STRATA_SOURCE_DIR/tests/app/lib.sh"
SEND=$STRATA_BINARY_DIR/tests/midi/midi_send
if ! command -v jackd >/dev/null; then
    echo "SKIP: jackd not installed (tools/deps.sh --test installs jackd2)"
    exit 0
fi
export JACK_DEFAULT_SERVER=strata-test-$$ JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
jackd --no-realtime -d dummy -r 48000 -p 256 >"$TMP/jackd.log" 2>&1 &
JACKD=$!
start_xvfb
trap 'kill $XVFB_PID $JACKD ${PIDS:-} 2>/dev/null; [ -n "${MIDI_KEEP:-}" ] && cp -r "$TMP" /tmp/midi-e2e-keep; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
check 'jack_lsp >/dev/null 2>&1' "a private jackd on the dummy backend answers"

cat >"$TMP/desk.json" <<'J'
{"name": "desk", "bindings": [
  {"cc": 21, "param": "glitch", "max": 0.8},
  {"note": 36, "trigger": "scene_next"}
]}
J
printf '{"name": "one", "bank": "latent:4:4:1", "midi": {"bindings": [{"cc": 22, "param": "hue"}]}}\n' >"$TMP/one.json"
printf '{"name": "two", "bank": "latent:4:4:2"}\n' >"$TMP/two.json"
printf '{"scenes": [{"preset": "one.json", "transition": 0.1}, {"preset": "two.json", "transition": 0.1}]}\n' \
    >"$TMP/set.json"

# Send these lines to the sender until the last --stats line satisfies expr (3 tries):
# on this loaded VM the dummy backend has xruns, and a period's MIDI can be lost in one.
send_until() {
    for _ in 1 2 3; do
        printf "$1" >&5
        wait_stats "$TMP/s.jsonl" 4 "$2" && return 0
    done
    return 1
}

mkfifo "$TMP/cmd"
"$SEND" strata-e2e-desk <"$TMP/cmd" 2>"$TMP/send.err" &
SENDER=$!
exec 5>"$TMP/cmd"
PIDS="$SENDER"
PORT=$(free_port)
"$STRATA" "$TMP/set.json" --size 160x90 --no-audio --osc-port "$PORT" --midi strata-e2e \
    --midi-api jack --midi-map "$TMP/desk.json" --midi-clock-out strata-e2e-recv --stats "$TMP/s.jsonl" --quit-after 60 \
    2>"$TMP/strata.err" &
STRATA_PID=$!
PIDS="$SENDER $STRATA_PID"
check 'wait_stats "$TMP/s.jsonl" 30 "d[\"frame\"] > 0"' "strata runs"
echo "wait 10" >&5
check '(for i in $(seq 100); do grep -q "MIDI: opened \"strata-e2e-desk:out\"" "$TMP/strata.err" && exit 0; sleep 0.1; done; exit 1)' \
    "--midi strata-e2e opens the sender's port"
check 'send_until "b0 15 7f\n" "abs(d[\"params\"][\"glitch\"] - 0.8) < 0.01"' \
    "cc 21 = 127 sets glitch to the map's max 0.8"
check 'send_until "b0 16 7f\n" "abs(d[\"params\"][\"hue\"] - 0.5) < 0.01"' \
    "the scene's own \"midi\" binding: cc 22 = 127 sets hue to 0.5"
check 'send_until "12 34\nf4 01\nfd\nb0 15 00\n" "d[\"params\"][\"glitch\"] < 0.01"' \
    "junk bytes are skipped; the CC after them lands (glitch 0)"
check 'wait_stats "$TMP/s.jsonl" 3 "d[\"midi\"][\"junk\"] >= 3 and d[\"midi\"][\"ports\"] == 1"' \
    "--stats counts the junk bytes (f4 01 fd: 3 a try) and the open port"
# MIDI learn over OSC: arm drift, the next control moved (cc 30) is bound to it.
python3 - "$PORT" <<'PY'
import socket, struct, sys
def s(x):
    b = x.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)
msg = s("/strata/midi/learn") + s(",s") + s("drift")
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(msg, ("127.0.0.1", int(sys.argv[1])))
PY
check '(for i in $(seq 50); do grep -q "MIDI: learn: drift armed" "$TMP/strata.err" && exit 0; sleep 0.1; done; exit 1)' \
    "/strata/midi/learn drift arms it"
check 'send_until "b0 1e 7f\n" "abs(d[\"params\"][\"drift\"] - 1.0) < 0.01"' \
    "the next control moved (cc 30 = 127) is bound: drift 1"
check 'grep -q "MIDI: learned drift <- cc 30 ch 1" "$TMP/strata.err"' "and the binding is logged"
# MIDI learn from the keyboard: Z moves zoom (the last parameter moved by its key), L arms
# it, cc 31 = 127 is bound to it: zoom at its max 4.
win=$(xdotool search --name '^strata$' 2>/dev/null | head -1)
xdotool key --window "$win" z
sleep 0.3
xdotool key --window "$win" l
check '(for i in $(seq 50); do grep -q "MIDI: learn: zoom armed" "$TMP/strata.err" && exit 0; sleep 0.1; done; exit 1)' \
    "Z then L (live keys) arms MIDI learn for zoom"
check 'send_until "b0 1f 7f\n" "abs(d[\"params\"][\"zoom\"] - 4.0) < 0.01"' \
    "cc 31 = 127 is bound to zoom: zoom 4"
# MIDI clock leads the tempo: 174 BPM from a Start.
printf 'fa\nclock 174\n' >&5
check 'wait_stats "$TMP/s.jsonl" 10 "d[\"tempo\"][\"source\"] == \"midi\" and abs(d[\"tempo\"][\"bpm\"] - 174) < 0.5 and d[\"midi\"][\"clock\"][\"running\"]"' \
    "MIDI clock at 174 BPM leads the tempo (within 0.5 BPM)"
printf 'clock 120\n' >&5
check 'wait_stats "$TMP/s.jsonl" 10 "d[\"tempo\"][\"source\"] == \"midi\" and abs(d[\"tempo\"][\"bpm\"] - 120) < 0.5"' \
    "and follows it to 120 BPM"
printf 'clock 0\n' >&5
check 'wait_stats "$TMP/s.jsonl" 10 "d[\"tempo\"][\"source\"] != \"midi\" and abs(d[\"tempo\"][\"bpm\"] - 120) < 0.5"' \
    "the clock stopped: its tempo holds"
echo "90 24 64" >&5
check 'wait_stats "$TMP/s.jsonl" 10 "d[\"scene\"][\"name\"] == \"two\""' "note 36 goes to the next scene"
# Unplugged: the sender dies at once, as a controller whose cable is pulled. (A JACK
# sender that closes its client cleanly here waits in jack_client_close: docs/MIDI.md,
# known problems; MIDI_CLEAN_UNPLUG=1 tries that.)
if [ -n "${MIDI_CLEAN_UNPLUG:-}" ]; then
    exec 5>&-
    wait $SENDER
else
    kill -9 $SENDER
    wait $SENDER 2>/dev/null
    exec 5>&-
fi
check '(for i in $(seq 50); do grep -q "MIDI: \"strata-e2e-desk:out\" unplugged" "$TMP/strata.err" && exit 0; sleep 0.1; done; exit 1)' \
    "the sender unplugged is logged"
"$SEND" strata-e2e-desk <"$TMP/cmd" 2>"$TMP/send2.err" &
SENDER=$!
exec 5>"$TMP/cmd"
PIDS="$SENDER $STRATA_PID"
echo "wait 10" >&5
check 'send_until "b0 15 40\n" "abs(d[\"params\"][\"glitch\"] - 0.8 * 64 / 127) < 0.01"' \
    "plugged back in: reopened, cc 21 = 64 sets glitch to 0.40"
check 'grep -q "MIDI: reopened \"strata-e2e-desk:out\"" "$TMP/strata.err"' "and the reopening is logged"
# Clock out: strata's tempo (120, held from the clock in above) to a receiver.
"$SEND" --recv strata-e2e-recv 6 >"$TMP/recv.txt" 2>"$TMP/recv.err"
check 'python3 -c "
import sys; w = open(sys.argv[1]).read().split(); d = dict(zip(w[::2], map(float, w[1::2])))
sys.exit(0 if d[\"start\"] >= 1 and d[\"ticks\"] > 100 and abs(d[\"bpm\"] - 120) < 0.5 else 1)" "$TMP/recv.txt"' \
    "--midi-clock-out sends Start and ticks at strata's 120 BPM ($(cat "$TMP/recv.txt"))"
exec 5>&-
kill -9 $SENDER
wait $SENDER 2>/dev/null
kill $STRATA_PID 2>/dev/null
wait $STRATA_PID 2>/dev/null
finish
