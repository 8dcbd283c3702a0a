#!/usr/bin/env bash
# OSCQuery against the real binary live under Xvfb: curl reads HOST_INFO, the namespace
# and ?VALUE after an OSC set; a WebSocket client (python3-websockets) LISTENs and gets
# the change as a binary OSC packet; bad paths, huge headers and unknown paths are
# refused; --osc-allow keeps other senders out of HTTP too; --no-oscquery is off; no
# Avahi daemon is said once and the show goes on.
. "$(dirname "$0")/../app/lib.sh"
start_xvfb
OSC=$(free_port)
Q=$(free_tcp_port)
# An ISF generator whose inputs become registry parameters (and so OSCQuery nodes).
isf() {
    cat <<EOF
/*{"ISFVSN": "2.0", "INPUTS": [
  {"NAME": "depth", "TYPE": "float", "MIN": 0.0, "MAX": 2.0, "DEFAULT": 0.5},
  {"NAME": "sides", "TYPE": "long", "VALUES": [3, 4, 5], "LABELS": ["3", "4", "5"], "DEFAULT": 4}$1
]}*/
void main() { gl_FragColor = vec4(isf_FragNormCoord.x * depth, float(sides) / 5.0, 0.0, 1.0); }
EOF
}
isf "" >"$TMP/wave.fs"
"$STRATA" "$STRATA_SOURCE_DIR/presets/vhs-drift.json" --isf "$TMP/wave.fs" --size 160x90 --no-audio \
    --osc-port "$OSC" --oscquery "$Q" --stats "$TMP/s.jsonl" --quit-after 40 2>"$TMP/s.err" &
PIDS=$!
check 'wait_stats "$TMP/s.jsonl" 20 "d[\"frame\"] > 0"' "strata runs"
URL="http://127.0.0.1:$Q"
for _ in $(seq 50); do curl -s -o /dev/null "$URL/" && break; sleep 0.1; done
curl -s "$URL/?HOST_INFO" >"$TMP/host.json"
check "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d[\"OSC_PORT\"] == $OSC and d[\"OSC_TRANSPORT\"] == \"UDP\" and d[\"NAME\"] == \"strata\" else 1)' $TMP/host.json" \
    "HOST_INFO names the OSC port and transport"
curl -s "$URL/" >"$TMP/ns.json"
check "python3 - $TMP/ns.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d['CONTENTS']['strata']['CONTENTS']
g = s['glitch']
ok = g['FULL_PATH'] == '/strata/glitch' and g['TYPE'] == 'f' and g['RANGE'] == [{'MIN': 0.0, 'MAX': 1.0}]
ok &= s['tempo']['CONTENTS']['bpm']['ACCESS'] == 3 and 'next' in s['scene']['CONTENTS']
sys.exit(0 if ok else 1)
PY" "GET / is the namespace (glitch, tempo/bpm, scene/next)"
# The preset's alias /band/fader1 -> glitch 0.2..0.9, glitch 0.45: 0.357 through its range.
check '[ "$(curl -s "$URL/band/fader1?VALUE")" = "{\"VALUE\":[0.3571428]}" ]' \
    "the preset's OSC alias is in the namespace, its value through its range"
python3 - "$OSC" 0.625 <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"/strata/glitch\0\0,f\0\0" + struct.pack(">f", float(sys.argv[2])), ("127.0.0.1", int(sys.argv[1])))
PY
check '(for i in $(seq 50); do [ "$(curl -s "$URL/strata/glitch?VALUE")" = "{\"VALUE\":[0.625]}" ] && exit 0; sleep 0.1; done; exit 1)' \
    "?VALUE follows an OSC set (0.625)"
check '[ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/strata/nothing")" = 404 ]' "unknown path: 404"
check '[ "$(curl -s --path-as-is -o /dev/null -w "%{http_code}" "$URL/strata/../../etc/passwd")" = 400 ]' \
    "a path with .. : 400, nothing read from disk"
check '[ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/strata/glitch?FOO")" = 400 ]' "unknown attribute: 400"
big=$(head -c 40000 /dev/zero | tr '\0' a)
check '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "X-Big: $big" "$URL/")" = 431 ]' "a 40 KB header: 431"
cat >"$TMP/ws.py" <<'PY'
import asyncio, socket, struct, sys
import websockets
q, osc = int(sys.argv[1]), int(sys.argv[2])
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{q}/") as ws:
        await ws.send('{"COMMAND":"LISTEN","DATA":"/strata/glitch"}')
        await asyncio.wait_for(ws.recv(), 5)  # the value now
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"/strata/glitch\0\0,f\0\0" + struct.pack(">f", 0.25), ("127.0.0.1", osc))
        for _ in range(20):
            m = await asyncio.wait_for(ws.recv(), 5)
            if isinstance(m, bytes) and m[:20] == b"/strata/glitch\0\0,f\0\0":
                if abs(struct.unpack(">f", m[20:24])[0] - 0.25) < 1e-6:
                    return 0
    return 1
sys.exit(asyncio.run(main()))
PY
# Debian's python3-websockets is for Debian's python3 (a pyenv one may come first).
WSPY=python3
python3 -c "import websockets" 2>/dev/null || WSPY=/usr/bin/python3
check '"$WSPY" "$TMP/ws.py" "$Q" "$OSC"' "WebSocket LISTEN receives the OSC set as a binary OSC packet"
check '[ "$(curl -s "$URL/strata/isf/wave/sides")" = "{\"FULL_PATH\":\"/strata/isf/wave/sides\",\"TYPE\":\"i\",\"ACCESS\":3,\"RANGE\":[{\"MIN\":3,\"MAX\":5}],\"CLIPMODE\":[\"both\"],\"VALUE\":[4],\"DESCRIPTION\":\"ISF wave input sides\"}" ]' \
    "an ISF input is a node: /strata/isf/wave/sides, i, 3..5, 4"
# The ISF file gains an input (hot reload): a listener hears PATH_CHANGED, the node is there.
cat >"$TMP/path.py" <<'PY'
import asyncio, subprocess, sys, urllib.request
import websockets
q, fs, newtext = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read()
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{q}/") as ws:
        await ws.send('{"COMMAND":"LISTEN","DATA":"/strata/isf/wave/depth"}')
        await asyncio.wait_for(ws.recv(), 5)
        open(fs + ".new", "w").write(newtext)
        subprocess.run(["mv", fs + ".new", fs], check=True)
        for _ in range(200):
            m = await asyncio.wait_for(ws.recv(), 10)
            if isinstance(m, str) and '"PATH_CHANGED"' in m:
                break
        else:
            return 1
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{q}/strata/isf/wave/extra").read()
            return 0
        except Exception:
            await asyncio.sleep(0.1)
    return 1
sys.exit(asyncio.run(main()))
PY
isf ', {"NAME": "extra", "TYPE": "bool", "DEFAULT": true}' >"$TMP/wave2.fs"
check '"$WSPY" "$TMP/path.py" "$Q" "$TMP/wave.fs" "$TMP/wave2.fs"' \
    "an ISF input added by hot reload: PATH_CHANGED on the WebSocket, /strata/isf/wave/extra served"
# mDNS: with an Avahi daemon the service is browsable on our port; without one strata
# said so in one line and went on (both are checked, whichever this machine has).
if command -v avahi-browse >/dev/null && timeout 5 avahi-browse -rtp _oscjson._tcp >"$TMP/mdns" 2>&1 &&
    ! grep -q "Failed to create client" "$TMP/mdns"; then
    check 'grep -q "^=;.*;_oscjson._tcp;.*;$Q;" "$TMP/mdns"' "mDNS: _oscjson._tcp advertised on port $Q"
else
    check '[ "$(grep -c "mDNS" "$TMP/s.err")" -eq 1 ] && grep -q "mDNS: not advertised" "$TMP/s.err"' \
        "no Avahi daemon: one log line, strata runs on"
fi
stop_and_reap $PIDS TERM 10 "strata stops with OSCQuery running"

# --osc-allow applies to HTTP: loopback outside the list is refused at accept.
OSC=$(free_port)
Q=$(free_tcp_port)
"$STRATA" --size 96x54 --no-audio --osc-port "$OSC" --oscquery "$Q" --osc-allow 10.0.0.0/8 \
    --quit-after 20 2>"$TMP/a.err" &
PIDS=$!
# Up to 30 s: under a loaded ctest -j2 the start took longer than the 10 s this waited.
for _ in $(seq 300); do grep -q "OSCQuery on" "$TMP/a.err" && break; sleep 0.1; done
code=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$Q/")
check '[ "$code" = 000 ] && grep -q "OSCQuery on" "$TMP/a.err"' "--osc-allow 10.0.0.0/8: loopback gets no answer ($code)"
grep -q "OSCQuery on" "$TMP/a.err" || tail -n 20 "$TMP/a.err"
curl -s -o /dev/null "http://127.0.0.1:$Q/"
check '[ "$(grep -c "refused 127.0.0.1 (outside --osc-allow)" "$TMP/a.err")" = 1 ]' "the refusal is logged once"
stop_and_reap $PIDS TERM 10 "strata stops"

# --no-oscquery: nothing listens.
OSC=$(free_port)
Q=$((OSC + 1))
"$STRATA" --size 96x54 --no-audio --osc-port "$OSC" --no-oscquery --stats "$TMP/n.jsonl" \
    --quit-after 20 2>"$TMP/n.err" &
PIDS=$!
check 'wait_stats "$TMP/n.jsonl" 20 "d[\"frame\"] > 0"' "strata runs with --no-oscquery"
check '[ "$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$Q/")" = 000 ] && ! grep -q "OSCQuery on" "$TMP/n.err"' \
    "--no-oscquery: no server on the OSC port + 1"
stop_and_reap $PIDS TERM 10 "strata stops"
finish
