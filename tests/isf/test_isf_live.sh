#!/usr/bin/env bash
# ISF in the live app under Xvfb: an input is a parameter OSC reaches (/strata/isf/...,
# seen in --stats), and editing the file hot-reloads it: a broken edit is logged with
# FILE:LINE and the show goes on with the last good program, a mended one is taken.
. "$STRATA_SOURCE_DIR/tests/app/lib.sh"
start_xvfb
cat >"$TMP/glow.fs" <<'ISF'
/*{
  "INPUTS": [{"NAME": "level", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0, "MAX": 1},
             {"NAME": "tint", "TYPE": "color", "DEFAULT": [1, 0, 0, 1]}]
}*/
void main() { gl_FragColor = vec4(tint.rgb * level, 1.0); }
ISF
good=$(cat "$TMP/glow.fs")
PORT=$(free_port)
QPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$STRATA" --size 160x90 --no-audio --osc-port "$PORT" --oscquery "$QPORT" --isf "$TMP/glow.fs" \
    --stats "$TMP/m.jsonl" --quit-after 40 2>"$TMP/m.err" &
PIDS=$!
check 'wait_stats "$TMP/m.jsonl" 20 "d[\"frame\"] > 0 and d[\"params\"][\"isf/glow/level\"] == 0.5"' \
    "the input is a parameter at its DEFAULT"
check 'wait_stats "$TMP/m.jsonl" 5 "d[\"params\"][\"isf/glow/tint/r\"] == 1 and d[\"params\"][\"isf/glow/enabled\"] == 1"' \
    "a color input is four parameters; the shader's enabled switch is on"
if command -v curl >/dev/null; then
    check 'curl -s "http://127.0.0.1:$QPORT/strata/isf/glow/level" | python3 -c "
import json, sys
n = json.load(sys.stdin)
assert n[\"FULL_PATH\"] == \"/strata/isf/glow/level\" and n[\"RANGE\"][0][\"MAX\"] == 1, n
assert n[\"VALUE\"] == [0.5], n
"' "OSCQuery serves the input: path, range, value"
fi
oscsend localhost "$PORT" /strata/isf/glow/level f 0.25
check 'wait_stats "$TMP/m.jsonl" 5 "abs(d[\"params\"][\"isf/glow/level\"] - 0.25) < 1e-6"' \
    "OSC /strata/isf/glow/level sets it"
# A good edit of the body: reloaded, and the input keeps the value OSC gave it.
printf '%s\n' "$good" | sed 's/tint.rgb \* level/tint.rgb * level * 1.0/' >"$TMP/glow.fs.new"
mv "$TMP/glow.fs.new" "$TMP/glow.fs"
check '(for i in $(seq 50); do grep -q "ISF: .*glow.fs: reloaded" "$TMP/m.err" && exit 0; sleep 0.1; done; exit 1)' \
    "an edit of the body is reloaded"
sleep 1.5
check 'wait_stats "$TMP/m.jsonl" 5 "abs(d[\"params\"][\"isf/glow/level\"] - 0.25) < 1e-6"' \
    "and the input keeps the value OSC set"
printf '/*{"INPUTS": []}*/\nvoid main() {\n  gl_FragColor = nope;\n}\n' >"$TMP/glow.fs.new"
mv "$TMP/glow.fs.new" "$TMP/glow.fs"
check '(for i in $(seq 50); do grep -q "ISF: .*glow.fs:3: " "$TMP/m.err" && exit 0; sleep 0.1; done; exit 1)' \
    "a broken edit is logged with the file's line"
check 'grep -q "reload failed, keeping the running program" "$TMP/m.err"' "the last good program keeps running"
f1=$(tail -1 "$TMP/m.jsonl" | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['frame'])")
sleep 2.5
f2=$(tail -1 "$TMP/m.jsonl" | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['frame'])")
check '[ "$f2" -gt "$f1" ]' "and the show goes on (frame $f1 -> $f2)"
check 'wait_stats "$TMP/m.jsonl" 3 "\"isf/glow/level\" in d[\"params\"]"' "its parameters stay"
printf '%s\n' "$good" | sed 's/"level"/"gain"/; s/\* level/* gain/' >"$TMP/glow.fs.new"
mv "$TMP/glow.fs.new" "$TMP/glow.fs"
check '(for i in $(seq 50); do [ "$(grep -c "ISF: .*glow.fs: reloaded" "$TMP/m.err")" -ge 2 ] && exit 0; sleep 0.1; done; exit 1)' \
    "the mended file is taken"
check 'wait_stats "$TMP/m.jsonl" 5 "\"isf/glow/gain\" in d[\"params\"] and \"isf/glow/level\" not in d[\"params\"]"' \
    "with its new INPUTS as parameters"
kill $PIDS 2>/dev/null
wait $PIDS 2>/dev/null
finish
