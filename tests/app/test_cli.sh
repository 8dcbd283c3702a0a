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
"$STRATA" bench --seconds 1 --size 160x90 --json >"$TMP/bench.json" 2>"$TMP/bench.err"
check 'python3 -c "
import json; b=json.load(open(\"$TMP/bench.json\"))
assert b[\"frames\"] > 0 and b[\"fps\"] > 0
assert b[\"frame_ms\"][\"p50\"] > 0 and b[\"frame_ms\"][\"p99\"] >= b[\"frame_ms\"][\"p50\"]
assert b[\"frame_ms\"][\"max\"] >= b[\"frame_ms\"][\"p99\"]
assert \"latent\" in b[\"gpu_ms\"] and b[\"peak_rss_mb\"] > 0 and b[\"cpu_ms_per_frame\"] > 0"' \
    "bench --json prints fps, frame times, GPU ms per pass, CPU ms, peak RSS"
"$STRATA" bench --seconds 1 --size 160x90 --json --sync-passes >"$TMP/bench_sync.json" 2>/dev/null
check 'python3 -c "
import json; a=json.load(open(\"$TMP/bench.json\")); b=json.load(open(\"$TMP/bench_sync.json\"))
assert a[\"sync_passes\"] is False and b[\"sync_passes\"] is True
assert b[\"frames\"] > 0 and set(b[\"gpu_ms\"]) == set(a[\"gpu_ms\"])
assert all(v > 0 for v in b[\"gpu_ms\"].values())
assert a[\"cpu_all_threads_ms_per_frame\"] > 0 and b[\"cpu_all_threads_ms_per_frame\"] > 0"' \
    "bench --sync-passes times every pass on its own; CPU of every thread per frame"
"$STRATA" render --out "$TMP/r" --frames 1 --size 32x18 --log "$TMP/strata.log" 2>/dev/null
check 'grep -q "GL: " "$TMP/strata.log" && grep -q "RENDER: " "$TMP/strata.log"' \
    "--log FILE gets tagged log lines"
check 'grep -q "flow passes made ready at 160x90" "$TMP/bench.err" &&
    ! grep -q "made ready" "$TMP/strata.log"' \
    "live and bench compile the flow passes at start (a render does not need to)"
# ---- the command line (issue 9): one parser, every error names the argument ----
cli_err() { # cli_err RC NEEDLE DESCRIPTION -- ARGS...: exit code and a message naming it
    local want=$1 needle=$2 what=$3
    shift 4
    "$@" >/dev/null 2>"$TMP/ce"
    local rc=$?
    check '[ $rc -eq $want ] && grep -qF -- "$needle" "$TMP/ce"' \
        "$what (rc $rc: $(head -c 160 "$TMP/ce"))"
}
cli_err 2 "unknown option --nope" "render: unknown option named" -- "$STRATA" render --nope
cli_err 2 "unknown option --frobnicate" "--opt=value form of an unknown option" -- \
    "$STRATA" --frobnicate=3
cli_err 2 "--osc-port abc" "a non-number named" -- "$STRATA" --osc-port abc
cli_err 2 "--osc-port 70000" "a port out of range named" -- "$STRATA" --osc-port 70000
cli_err 2 "--frames 2.5" "integers parsed as integers" -- \
    "$STRATA" render --out "$TMP/i" --frames 2.5
cli_err 2 "--sample-rate 100: expected a whole number in 8000..384000" \
    "--sample-rate below 8000 names the range (was: out of memory)" -- "$STRATA" --sample-rate 100
cli_err 2 "--audio-channel -1: expected a whole number in 0..32" \
    "--audio-channel -1 names its own range" -- "$STRATA" --audio-channel -1
cli_err 2 "--fps nan" "a number that is not finite" -- "$STRATA" render --out "$TMP/i" --fps nan
cli_err 2 "--size 9000x100" "--size over the limit" -- "$STRATA" --size 9000x100
cli_err 2 "--fullscreen takes no value" "a flag given a value" -- "$STRATA" --fullscreen=yes
cli_err 2 "--log needs a value" "a missing value" -- "$STRATA" --log
cli_err 2 "unexpected argument b.json" "a second positional" -- "$STRATA" a.json b.json
# Live mode: malformed --osc-bind / --osc-allow are usage errors before anything starts.
cli_err 2 "--osc-bind 1.2.3" "an unparsable --osc-bind is a usage error" -- \
    "$STRATA" --osc-bind 1.2.3
cli_err 2 "--osc-allow" "an unparsable --osc-allow is a usage error" -- \
    "$STRATA" --osc-allow 10.0.0.0/40
cli_err 2 "no-such-host" "an --osc-allow entry that is not an address is named" -- \
    "$STRATA" --osc-allow 127.0.0.1,no-such-host
# More than 64 --set: an error, never a silent drop.
sets=()
for i in $(seq 65); do sets+=(--set glitch=0.1); done
cli_err 2 "more than 64" "a 65th --set is an error" -- "$STRATA" render --out "$TMP/i" --frames 1 \
    "${sets[@]}"
# --opt=value works like --opt value.
"$STRATA" render --out="$TMP/eq" --frames=2 --size=48x27 --fps=10 --set=glitch=0.2 2>/dev/null
rc=$?
check '[ $rc -eq 0 ] && [ "$(ls "$TMP/eq" | wc -l)" -eq 2 ] && \
    file "$TMP/eq/00001.png" | grep -q "48 x 27"' \
    "--opt=value: render --out=DIR --frames=2 --size=48x27"
"$STRATA" --help --bogus >/dev/null 2>&1
rc=$?
check '[ $rc -eq 0 ]' "--help answers even beside a mistake"
# strata-bank: the same parser.
BANK=$STRATA_BINARY_DIR/strata-bank
cli_err 2 "unknown option --frobnicate" "strata-bank: unknown flags are errors" -- \
    "$BANK" latent --count 4 --dim 4 --seed 1 -o "$TMP/l.strata" --frobnicate
cli_err 2 "--count 4x" "strata-bank: a bad integer is named" -- \
    "$BANK" latent --count 4x --dim 4 --seed 1 -o "$TMP/l.strata"
cli_err 2 "--seed -1" "strata-bank: a negative seed is named" -- \
    "$BANK" latent --count 4 --dim 4 --seed -1 -o "$TMP/l.strata"
cli_err 2 "--dim D is required" "strata-bank: a missing option is named" -- \
    "$BANK" latent --count 4 --seed 1 -o "$TMP/l.strata"
cli_err 2 "unknown command frob" "strata-bank: an unknown command is named" -- "$BANK" frob
cli_err 2 "unexpected argument extra" "strata-bank: a stray word is named" -- \
    "$BANK" verify "$TMP/l.strata" extra
"$BANK" latent --count=4 --dim=4 --seed=1 --out="$TMP/l.strata" >/dev/null 2>&1
rc=$?
check '[ $rc -eq 0 ]' "strata-bank latent with --opt=value"
check '"$BANK" verify "$TMP/l.strata" >/dev/null' "and the bank it wrote verifies"
# An output that is not a regular file is refused, never replaced.
mkfifo "$TMP/fifo.strata"
cli_err 1 "is a FIFO" "strata-bank: -o a FIFO is refused" -- \
    "$BANK" latent --count 4 --dim 4 --seed 1 -o "$TMP/fifo.strata"
check '[ -p "$TMP/fifo.strata" ]' "the FIFO is still a FIFO"
cli_err 1 "is a character device" "strata-bank: -o /dev/full is refused" -- \
    "$BANK" latent --count 4 --dim 4 --seed 1 -o /dev/full
check '[ -c /dev/full ]' "/dev/full is still a device"
mkdir -p "$TMP/imgs"
"$BANK" synth "$TMP/imgs" --count 2 --size 32x18 >/dev/null 2>&1
cli_err 1 "is a character device" "strata-bank build -o /dev/full is refused" -- \
    "$BANK" build "$TMP/imgs" -o /dev/full
# bench: a stop signal ends the phase early and still prints its figures.
"$STRATA" bench --seconds 600 --size 64x36 --json >"$TMP/bsig.json" 2>"$TMP/bsig.err" &
pid=$!
for _ in $(seq 100); do grep -q "SCENE:" "$TMP/bsig.err" && break; sleep 0.1; done
sleep 1
stop_and_reap $pid INT 20 "SIGINT ends bench within 20 s"
rc=$RC
check '[ $rc -eq 0 ] && python3 -c "import json; b = json.load(open(\"$TMP/bsig.json\"))
assert 0 < b[\"seconds\"] < 600 and b[\"frames\"] > 0"' "SIGINT: bench exits 0 (rc $rc) with its figures"
# A crash says where: the signal and a backtrace on stderr, then the default action.
SDL_VIDEODRIVER=offscreen "$STRATA" render --out "$TMP/crash" --frames 1000000 --size 64x36 \
    2>"$TMP/crash.err" &
pid=$!
for _ in $(seq 100); do [ "$(ls "$TMP/crash" 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.1; done
stop_and_reap $pid SEGV 20 "SIGSEGV ends strata"
check '[ $RC -eq 139 ] && grep -q "strata: crashed (SIGSEGV); backtrace:" "$TMP/crash.err" &&
    [ "$(grep -c "strata(" "$TMP/crash.err")" -ge 1 ]' \
    "a crash writes its signal and a backtrace to stderr and dies by the signal (rc $RC)"
# Stop signals end live mode and the installation loop cleanly (exit 0) under Xvfb.
if command -v Xvfb >/dev/null; then
    start_xvfb
    for mode in live install; do
        port=$(free_port)
        extra=()
        [ $mode = install ] && extra=(--install --windowed --state "$TMP/state.json")
        "$STRATA" --size 160x90 --no-audio --osc-port "$port" --stats "$TMP/$mode.jsonl" \
            "${extra[@]}" 2>"$TMP/$mode.err" &
        pid=$!
        wait_stats "$TMP/$mode.jsonl" 60 'd["frame"] > 5'
        rc=$?
        check '[ $rc -eq 0 ]' "$mode mode runs"
        stop_and_reap $pid TERM 20 "SIGTERM ends $mode mode within 20 s"
        rc=$RC
        check '[ $rc -eq 0 ] && grep -q "Terminated: stopping" "$TMP/$mode.err"' \
            "SIGTERM: $mode mode exits 0 (rc $rc)"
    done
    check 'python3 -c "import json; d = json.load(open(\"$TMP/state.json\"))
assert d[\"scene\"] == 0"' \
        "install mode saved its state on the way out"
fi
finish
