#!/usr/bin/env bash
# Scenes and presets end to end: a setlist switch shows no blank frame and is
# repeatable, glitch 0 bypasses the chain bit-exactly, preset errors name line and
# column, and a live preset edit hot-reloads (a broken edit keeps the running scene).
. "$(dirname "$0")/lib.sh"
export SDL_VIDEODRIVER=offscreen
P=$STRATA_SOURCE_DIR/presets

cat >"$TMP/two.json" <<JSON
{"name": "two", "scenes": [
  {"preset": "$P/gallery-drift.json", "dwell": 1.0, "transition": 1.0},
  {"preset": "$P/vhs-drift.json", "dwell": 30, "transition": 1.0}]}
JSON
render_two() {
    "$STRATA" render "$TMP/two.json" --out "$TMP/$1" --frames 75 --fps 25 --size 96x54 \
        --stats "$TMP/$1.jsonl" 2>"$TMP/$1.err"
}
render_two a
rc=$?
check '[ $rc -eq 0 ] && [ "$(ls "$TMP/a" | wc -l)" -eq 75 ]' "a setlist renders"
check 'grep -q "now playing 1: vhs-drift" "$TMP/a.err"' "the setlist advanced to the second scene"
check 'python3 -c "
import json; L=[json.loads(l) for l in open(\"$TMP/a.jsonl\")]
assert L[0][\"scene\"][\"name\"] == \"gallery-drift\" and L[-1][\"scene\"][\"name\"] == \"vhs-drift\", L"' \
    "--stats follows the scene"
dark=0
for f in "$TMP"/a/*.png; do
    l=$("$IMGCMP" --luma "$f" 0 0 96 54 | cut -d. -f1)
    [ "$l" -lt 8 ] && dark=$((dark + 1))
done
check '[ $dark -eq 0 ]' "no blank frame through the switch (mean luma of every frame >= 8)"
render_two b
check 'cmp -s <(cat "$TMP"/a/*.png) <(cat "$TMP"/b/*.png)' "the switch renders identically twice"

# glitch 0: the chain is bypassed, whatever the effect amounts say.
"$STRATA" render --out "$TMP/g0" --frames 10 --fps 10 --size 96x54 2>/dev/null
"$STRATA" render --out "$TMP/g0b" --frames 10 --fps 10 --size 96x54 --set glitch=0 \
    --set fx_rgb=1 --set fx_vhs=1 --set fx_block=1 --set fx_sort=1 --set fx_crush=1 2>/dev/null
check 'cmp -s <(cat "$TMP"/g0/*.png) <(cat "$TMP"/g0b/*.png)' "glitch 0 is bit-exact"
"$STRATA" render --out "$TMP/g1" --frames 10 --fps 10 --size 96x54 --set glitch=1 2>/dev/null
check '! "$IMGCMP" "$TMP/g0/00009.png" "$TMP/g1/00009.png" --mean 3 >/dev/null' \
    "glitch 1 changes the picture"

# Preset errors: file, line and column; nothing renders.
printf '{\n  "name": "x",\n  "parms": {"glitch": 0.5}\n}\n' >"$TMP/typo.json"
"$STRATA" render "$TMP/typo.json" --out "$TMP/t" --frames 2 2>"$TMP/typo.err"
rc=$?
check '[ $rc -ne 0 ] && grep -q "typo.json:3:3:" "$TMP/typo.err"' "an unknown key names line 3, column 3"
printf '{\n  "params": {"glitch": 0.5,}\n}\n' >"$TMP/syntax.json"
"$STRATA" render "$TMP/syntax.json" --out "$TMP/t" --frames 2 2>"$TMP/syntax.err"
check 'grep -Eq "syntax.json:2:[0-9]+:" "$TMP/syntax.err"' "a JSON syntax error names its line"

# Hostile files: a FIFO as preset, as a scene of a setlist and as --audio-file is refused
# within seconds (each used to hang strata forever), a folder as preset and a setlist used
# as a scene say what is wrong with which file. `timeout` catches a hang (rc 124).
mkfifo "$TMP/pipe.json" "$TMP/pipe.wav"
hostile() { # NAME ARGS... -> rc in $rc, stderr in $TMP/NAME.err
    local name=$1
    shift
    timeout 60 "$STRATA" render "$@" --out "$TMP/h-$name" --frames 2 --size 32x18 \
        2>"$TMP/$name.err"
    rc=$?
}
hostile fifo "$TMP/pipe.json"
check '[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "pipe.json: not a regular file (a FIFO)" "$TMP/fifo.err"' \
    "a FIFO as preset is refused at once and named"
printf '{"scenes": ["%s/gallery-drift.json", "pipe.json"]}\n' "$P" >"$TMP/withpipe.json"
hostile scene "$TMP/withpipe.json"
check '[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "withpipe.json:1:.*cannot load preset: .*pipe.json: not a regular file (a FIFO)" "$TMP/scene.err"' \
    "a FIFO as a scene of a setlist is refused at once, at its position"
hostile audio --audio-file "$TMP/pipe.wav"
check '[ $rc -ne 124 ] && grep -q "pipe.wav: not a regular file (a FIFO)" "$TMP/audio.err"' \
    "a FIFO as --audio-file is refused at once and named"
hostile stats --stats "$TMP/pipe.wav"
check '[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "stats .*pipe.wav: not a regular file (a FIFO)" "$TMP/stats.err"' \
    "a FIFO as --stats is refused at once"
mkdir "$TMP/folder.json"
hostile folder "$TMP/folder.json"
check '[ $rc -ne 0 ] && grep -q "folder.json: is a directory" "$TMP/folder.err" && ! grep -q "read error" "$TMP/folder.err"' \
    "a folder as preset says it is a directory"
printf '{"scenes": ["%s/gallery-drift.json"]}\n' "$P" >"$TMP/inner.json"
printf '{"scenes": ["inner.json"]}\n' >"$TMP/outer.json"
hostile nested "$TMP/outer.json"
check '[ $rc -ne 0 ] && grep -q "inner.json:1:2: this file is a setlist.*a setlist cannot be a scene of a setlist" "$TMP/nested.err"' \
    "a setlist inside a setlist says so"
# The largest generated latent set the docs allow opens (the time is in docs/PRESETS.md,
# measured by hand: a timed assertion would be flaky).
echo '{"name": "big", "bank": "latent:65536:256:1"}' >"$TMP/big.json"
hostile big "$TMP/big.json"
check '[ $rc -eq 0 ] && grep -q "65536 keyframes" "$TMP/big.err"' "latent:65536:256:1 opens"

# Live hot reload under Xvfb.
start_xvfb
cp "$P/gallery-drift.json" "$TMP/live.json"
LPORT=$(free_port)
mkdir -p "$TMP/shots"
"$STRATA" "$TMP/live.json" --size 160x90 --no-audio --osc-port "$LPORT" \
    --screenshot-dir "$TMP/shots" --stats "$TMP/live.jsonl" --quit-after 40 2>"$TMP/live.err" &
PIDS=$!
check 'wait_stats "$TMP/live.jsonl" 20 "d[\"frame\"] > 0"' "a preset plays live"
oscsend 127.0.0.1 "$LPORT" /strata/screenshot s one.png
check '(for i in $(seq 50); do [ -s "$TMP/shots/one.png" ] && exit 0; sleep 0.1; done; exit 1)' \
    "/strata/screenshot writes the next frame as a PNG"
check 'file "$TMP/shots/one.png" | grep -q "160 x 90"' "at the render size"
oscsend 127.0.0.1 "$LPORT" /strata/screenshot s "/etc/strata-escape.png"
printf 'not a png' >"$TMP/shots/kept.png"
oscsend 127.0.0.1 "$LPORT" /strata/screenshot s kept.png
oscsend 127.0.0.1 "$LPORT" /strata/screenshot
check '(for i in $(seq 50); do ls "$TMP/shots"/strata-*.png >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1)' \
    "an unnamed screenshot goes into --screenshot-dir"
check '[ ! -e /etc/strata-escape.png ] && [ "$(cat "$TMP/shots/kept.png")" = "not a png" ]' \
    "a path is refused and an existing file is never replaced"
python3 - "$TMP/live.json" <<'PY'
import json, os, sys
p = json.load(open(sys.argv[1])); p.setdefault("params", {})["brightness"] = 0.5
tmp = sys.argv[1] + ".new"; json.dump(p, open(tmp, "w"), indent=2); os.replace(tmp, sys.argv[1])
PY
check 'wait_stats "$TMP/live.jsonl" 10 "abs(d[\"params\"][\"brightness\"] - 0.5) < 0.01"' \
    "an edit on disk reaches the running scene"
printf '{\n  "params": {"brightness": 2.0, "glitch": "lots"}\n}\n' >"$TMP/live.json.new"
mv "$TMP/live.json.new" "$TMP/live.json"
sleep 2
check 'grep -q "live.json:2:" "$TMP/live.err"' "a broken edit is reported with its line"
check 'wait_stats "$TMP/live.jsonl" 5 "abs(d[\"params\"][\"brightness\"] - 0.5) < 0.01 and d[\"fps\"] > 1"' \
    "and the running scene stays"
kill $PIDS 2>/dev/null
wait $PIDS 2>/dev/null
finish
