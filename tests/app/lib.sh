# Shared helpers for strata's shell end-to-end tests.
# Each test sources this, uses `check COND MESSAGE`, and ends with `finish`.
set -u
STRATA=${STRATA_BINARY_DIR:?}/strata
IMGCMP=${STRATA_BINARY_DIR}/tests/support/imgcmp
TMP=$(mktemp -d /tmp/strata-e2e-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

check() {
    checks=$((checks + 1))
    if eval "$1"; then
        echo "ok: $2"
    else
        echo "FAIL: $2   ($1)"
        failures=$((failures + 1))
    fi
}

finish() {
    echo "$checks checks, $failures failed"
    [ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
    exit $?
}

# stop_and_reap PID SIG SECONDS MESSAGE: send SIG (none when SIG is "-"), check that the
# process ends within SECONDS, kill what is left, reap it: its exit status lands in $RC.
stop_and_reap() {
    local pid=$1 sig=$2 secs=$3
    [ "$sig" = - ] || kill -"$sig" "$pid"
    for _ in $(seq $((secs * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    check "! kill -0 $pid 2>/dev/null" "$4"
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
    RC=$?
}

# Start a private Xvfb and export DISPLAY; it is stopped on exit.
start_xvfb() {
    Xvfb -displayfd 3 -screen 0 800x600x24 -nolisten tcp 3>"$TMP/display" 2>"$TMP/xvfb.log" &
    XVFB_PID=$!
    for _ in $(seq 50); do [ -s "$TMP/display" ] && break; sleep 0.1; done
    export DISPLAY=":$(cat "$TMP/display")"
    unset SDL_VIDEODRIVER
    trap 'kill $XVFB_PID ${PIDS:-} 2>/dev/null; rm -rf "$TMP"' EXIT
}

# A free UDP port on loopback.
free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# A TCP port free now (an HTTP server's: a free UDP port may be a taken TCP one).
free_tcp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until the last --stats line satisfies a python expression on `d` (the line's
# JSON), for at most $2 seconds.
wait_stats() {
    local file=$1 secs=$2 expr=$3
    python3 - "$file" "$secs" "$expr" <<'PY'
import json, sys, time
path, secs, expr = sys.argv[1], float(sys.argv[2]), sys.argv[3]
end = time.time() + secs
while time.time() < end:
    try:
        lines = open(path).read().strip().splitlines()
        if lines:
            d = json.loads(lines[-1])
            if eval(expr):
                sys.exit(0)
    except (OSError, ValueError):
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}

# Ask strata on PORT for /strata/get NAME until the float answer satisfies the python
# expression on `v`, for at most SECS; prints the seconds it took. Fails on timeout.
osc_wait_value() {
    python3 - "$1" "$2" "$3" "$4" <<'PY'
import socket, struct, sys, time
port, name, expr, secs = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
def pad(b): return b + b"\0" * (4 - len(b) % 4)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.05)
t0 = time.time()
while time.time() - t0 < secs:
    s.sendto(pad(b"/strata/get") + pad(b",s") + pad(name.encode()), ("127.0.0.1", port))
    try:
        d, _ = s.recvfrom(1024)
    except socket.timeout:
        continue
    if d.startswith(b"/strata/value") and b",sf" in d:
        v = struct.unpack(">f", d[-4:])[0]
        if eval(expr):
            print(f"{time.time() - t0:.3f}")
            sys.exit(0)
sys.exit(1)
PY
}
