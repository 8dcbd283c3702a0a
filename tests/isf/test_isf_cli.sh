#!/usr/bin/env bash
# strata --isf / --isf-dir end to end: a generator makes the picture, a filter runs on it,
# INPUTS are parameters --set reaches, a folder's shaders start off until enabled; a
# broken file, a header that lies and a 10 MB file are clear errors (exit 1, FILE:LINE).
. "$STRATA_SOURCE_DIR/tests/app/lib.sh"
export SDL_VIDEODRIVER=offscreen
PX="python3 $STRATA_SOURCE_DIR/tests/isf/png_px.py"
mkdir -p "$TMP/dir"
cat >"$TMP/dir/gen.fs" <<'ISF'
/*{
  "DESCRIPTION": "x ramp in red, level in green",
  "INPUTS": [{"NAME": "level", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0, "MAX": 1}]
}*/
void main() { gl_FragColor = vec4(isf_FragNormCoord.x, level, 0.0, 1.0); }
ISF
cat >"$TMP/dir/inv.fs" <<'ISF'
/*{"INPUTS": [{"NAME": "inputImage", "TYPE": "image"}]}*/
void main() { gl_FragColor = vec4(1.0 - IMG_THIS_PIXEL(inputImage).rgb, 1.0); }
ISF
R="render --frames 1 --fps 10 --size 64x36"
# Pixel (48, 18): x = 48.5 / 64 -> red 193; level 0.25 -> green 64 (+-1 for rounding).
near() { # near "R G B A" R G B: each within 1
    python3 -c "import sys; a=list(map(int,sys.argv[1].split())); b=list(map(int,sys.argv[2:]));
sys.exit(0 if all(abs(x-y)<=1 for x,y in zip(a,b)) else 1)" "$@"
}
"$STRATA" $R --isf "$TMP/dir/gen.fs" --set isf/gen/level=0.25 --out "$TMP/a" 2>"$TMP/ea"
rc=$?
check '[ $rc -eq 0 ] && near "$($PX "$TMP/a/00000.png" 48 18)" 193 64 0' \
    "--isf generator is the picture, --set isf/gen/level reaches its input"
"$STRATA" $R --isf "$TMP/dir/gen.fs" --isf "$TMP/dir/inv.fs" --set isf/gen/level=0.25 \
    --out "$TMP/b" 2>/dev/null
check 'near "$($PX "$TMP/b/00000.png" 48 18)" 62 191 255' "a filter after the generator inverts it"
"$STRATA" $R --isf-dir "$TMP/dir" --out "$TMP/c" 2>"$TMP/ec"
check '! near "$($PX "$TMP/c/00000.png" 48 18)" 193 128 0' "--isf-dir: shaders start off"
check 'grep -q "2 of 2 shaders loaded" "$TMP/ec"' "--isf-dir says what it loaded"
"$STRATA" $R --isf-dir "$TMP/dir" --set isf/gen/enabled=1 --out "$TMP/d" 2>/dev/null
check 'near "$($PX "$TMP/d/00000.png" 48 18)" 193 128 0' "--set isf/gen/enabled=1 turns one on"
# --list-params reads the headers: the inputs and the switch, with their OSC addresses.
"$STRATA" --list-params --json --isf "$TMP/dir/gen.fs" >"$TMP/params.json" 2>/dev/null
check 'python3 -c "
import json, sys
L = {p[\"name\"]: p for p in json.load(open(sys.argv[1]))}
p = L[\"isf/gen/level\"]
assert p[\"osc\"] == \"/strata/isf/gen/level\" and p[\"default\"] == 0.5 and p[\"max\"] == 1
assert L[\"isf/gen/enabled\"][\"default\"] == 1
" "$TMP/params.json"' "--list-params --json lists an ISF file's inputs and switch"
# Bad input: clear errors, no crash.
printf '/*{"INPUTS": []}*/\nvoid main() {\n    gl_FragColor = vec4(nope);\n}\n' >"$TMP/broken.fs"
"$STRATA" $R --isf "$TMP/broken.fs" --out "$TMP/e" 2>"$TMP/e1"
rc=$?
check '[ $rc -eq 1 ] && grep -q "broken.fs:3: .*nope" "$TMP/e1"' \
    "a broken shader: exit 1, FILE:LINE of the file"
printf '/*{"INPUTS": [{"NAME": "a", "TYPE": "float",\n "MIN": 2, "MAX": 1}]}*/\n' >"$TMP/lies.fs"
"$STRATA" $R --isf "$TMP/lies.fs" --out "$TMP/e" 2>"$TMP/e2"
rc=$?
check '[ $rc -eq 1 ] && grep -q "lies.fs:2:[0-9]*: input \"a\": MIN 2 is above MAX 1" "$TMP/e2"' \
    "a header that lies: exit 1, FILE:LINE:COLUMN"
head -c 10485760 /dev/zero | tr '\0' ' ' >"$TMP/big.fs"
"$STRATA" $R --isf "$TMP/big.fs" --out "$TMP/e" 2>"$TMP/e3"
rc=$?
check '[ $rc -eq 1 ] && grep -q "big.fs: larger than" "$TMP/e3"' "a 10 MB file is refused"
"$STRATA" $R --isf "$TMP/dir/gen.fs" --set isf/gen/nope=1 --out "$TMP/e" 2>"$TMP/e4"
rc=$?
check '[ $rc -ne 0 ] && grep -q "isf/gen/nope" "$TMP/e4"' "--set of an input that is not there"
cp "$TMP/broken.fs" "$TMP/dir/zz_broken.fs"
"$STRATA" $R --isf-dir "$TMP/dir" --out "$TMP/f" 2>"$TMP/e5"
rc=$?
check '[ $rc -eq 0 ] && grep -q "zz_broken.fs:3:" "$TMP/e5"' \
    "a broken file in --isf-dir is logged and skipped"
# A preset's "isf": its shaders run while its scene is on screen. Two scenes: the first
# names the generator and the filter (0.5 s), the second none.
cp "$TMP/dir/gen.fs" "$TMP/dir/inv.fs" "$TMP/"
printf '{"name": "withisf", "isf": ["gen.fs", "inv.fs"], "params": {"isf/gen/level": 0.25}}\n' \
    >"$TMP/withisf.json"
printf '{"name": "plain"}\n' >"$TMP/plain.json"
printf '{"name": "s", "loop": false, "scenes": [{"preset": "withisf.json", "dwell": 0.5,
  "transition": 0.1}, {"preset": "plain.json", "dwell": 10, "transition": 0.1}]}\n' \
    >"$TMP/set.json"
"$STRATA" render "$TMP/set.json" --frames 12 --fps 10 --size 64x36 --out "$TMP/g" 2>"$TMP/e6"
rc=$?
check '[ $rc -eq 0 ] && near "$($PX "$TMP/g/00000.png" 48 18)" 62 191 255' \
    "a preset's isf shaders run in its scene, its \"params\" set their inputs"
check '! near "$($PX "$TMP/g/00011.png" 48 18)" 62 191 255' "and stop in the next scene"
# Generator scenes: a preset naming an ISF generator draws it instead of a bank (its
# "bank" is never opened: this one does not exist), inside the scene's own draw, so a
# transition mixes it like any scene, both ways. green: a bank scene whose filter paints
# it solid green (a preset's filter runs in its scene's draw); red and blue: generators.
mkdir -p "$TMP/gs"
printf '/*{"DESCRIPTION": "solid red"}*/\nvoid main() { gl_FragColor = vec4(1.0, 0.0, 0.0, 1.0); }\n' \
    >"$TMP/gs/red.fs"
printf '/*{}*/\nvoid main() { gl_FragColor = vec4(0.0, 0.0, 1.0, 1.0); }\n' >"$TMP/gs/blue.fs"
printf '/*{"INPUTS": [{"NAME": "inputImage", "TYPE": "image"}]}*/
void main() { gl_FragColor = vec4(0.0, 1.0, 0.0, 1.0) + 0.0 * IMG_THIS_PIXEL(inputImage); }\n' \
    >"$TMP/gs/green.fs"
printf '{"name": "red", "isf": "red.fs", "bank": "no/such/folder"}\n' >"$TMP/gs/red.json"
printf '{"name": "blue", "isf": "blue.fs"}\n' >"$TMP/gs/blue.json"
printf '{"name": "blueflow", "isf": "blue.fs", "transition_kind": "flow"}\n' >"$TMP/gs/bf.json"
printf '{"name": "green", "isf": "green.fs"}\n' >"$TMP/gs/green.json"
printf '{"name": "s", "loop": false, "scenes": [{"preset": "green.json", "dwell": 1},
  {"preset": "red.json", "dwell": 1, "transition": 1},
  {"preset": "blue.json", "dwell": 1, "transition": 1},
  {"preset": "green.json", "dwell": 10, "transition": 1}]}\n' >"$TMP/gs/set.json"
"$STRATA" render "$TMP/gs/set.json" --frames 75 --fps 10 --size 64x36 --out "$TMP/gs/o" \
    2>"$TMP/gs/err"
rc=$?
XF="python3 $STRATA_SOURCE_DIR/tests/isf/xfade_check.py"
check '[ $rc -eq 0 ] && $XF "$TMP/gs/o" 75 32 18 0,255,0 255,0,0 0,0,255 0,255,0' \
    "blend transitions bank->generator->generator->bank: mixes, 8..11 frames, middle 0.5+-0.1"
check 'grep -q "red: an ISF generator scene (.*red.fs): no bank" "$TMP/gs/err" &&
    [ "$(grep -c "keyframes (" "$TMP/gs/err")" -eq 2 ]' \
    "a generator scene opens no bank (its missing \"bank\" is never read)"
printf '{"name": "f", "loop": false, "scenes": [{"preset": "red.json", "dwell": 1},
  {"preset": "bf.json", "dwell": 10, "transition": 1}]}\n' >"$TMP/gs/flow.json"
"$STRATA" render "$TMP/gs/flow.json" --frames 25 --fps 10 --size 64x36 --out "$TMP/gs/f" \
    2>/dev/null
rc=$?
check '[ $rc -eq 0 ] && $XF "$TMP/gs/f" 25 32 18 255,0,0 0,0,255' \
    "a flow transition between two generator scenes"
# --list-params with a setlist: the inputs of the shaders its presets name.
"$STRATA" --list-params --json "$TMP/set.json" >"$TMP/gs/params.json" 2>/dev/null
check 'python3 -c "
import json, sys
L = {p[\"name\"]: p for p in json.load(open(sys.argv[1]))}
p = L[\"isf/gen/level\"]
assert p[\"osc\"] == \"/strata/isf/gen/level\" and p[\"default\"] == 0.5
assert L[\"isf/inv/enabled\"][\"default\"] == 1
" "$TMP/gs/params.json"' "--list-params --json SETLIST lists the inputs its presets' shaders have"
"$STRATA" --list-params "$TMP/set.json" >"$TMP/gs/params.txt" 2>/dev/null
check 'grep -q "^isf/gen/level" "$TMP/gs/params.txt"' "--list-params SETLIST (the table) too"
printf '{"name": "bad", "isf": ["missing.fs"]}\n' >"$TMP/bad.json"
"$STRATA" render "$TMP/bad.json" --frames 1 --fps 10 --size 64x36 --out "$TMP/h" 2>"$TMP/e7"
rc=$?
check '[ $rc -ne 0 ] && grep -q "missing.fs" "$TMP/e7"' "a preset naming a missing shader fails"
finish
