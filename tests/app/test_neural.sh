#!/usr/bin/env bash
# Neural banks played by strata: --model, --neural-size, the latent glitch, presets with
# "model" and "neural_size", bench --json, and the failures (a missing model, a file that
# is not a model, an encoder). The real TAEF2 weights from ../shared/models/taef2; skipped,
# saying why, when they are absent. llvmpipe decodes a 4x4 latent in about 0.4 s: the
# renders are short and small.
. "$(dirname "$0")/lib.sh"
export SDL_VIDEODRIVER=offscreen

MODELS="$STRATA_SOURCE_DIR/../shared/models/taef2"
DEC="$MODELS/taef2_decoder.safetensors"
ENC="$MODELS/taef2_encoder.safetensors"
if [ ! -f "$DEC" ] || [ ! -f "$ENC" ]; then
    echo "SKIP: the TAEF2 weights are not in $MODELS (taef2_decoder.safetensors and"
    echo "      taef2_encoder.safetensors; see ../shared/models/README.md)"
    exit 0
fi

# Mean luma (0..255) of frame $1's centre, where the letterboxed picture is.
luma() { "$IMGCMP" --luma "$1" 40 8 88 64; }
# Whether every frame in folder $1 has a picture: a centre brighter than 10/255.
all_lit() {
    local f
    for f in "$1"/*.png; do
        awk -v l="$(luma "$f")" 'BEGIN { exit !(l > 10) }' || return 1
    done
}

# A bank of 4 keyframes the way a user makes one: strata-bank encode (the CPU reference:
# llvmpipe's compute encoder is slower) of 4 synthetic stills into 4x4 TAEF2 latents.
"$STRATA_BINARY_DIR/strata-bank" synth "$TMP/stills" --count 4 --size 64x64 >/dev/null 2>&1
"$STRATA_BINARY_DIR/strata-bank" encode "$TMP/stills" --model "$ENC" --decoder "$DEC" \
    --size 32x32 --cpu -o "$TMP/bank.strata" >"$TMP/make.log" 2>&1
check '[ -s "$TMP/bank.strata" ]' "strata-bank encode makes a neural bank ($(tail -1 "$TMP/make.log"))"

# A 240 bpm tempo: transitions (4 beats) take 1 s; fx amounts 0 so that only the latent
# glitch can change the picture.
COMMON=(--bank "$TMP/bank.strata" --fps 8 --size 128x72 --set drift=1 --bpm 240
    --set fx_rgb=0 --set fx_block=0 --set fx_tear=0 --set fx_vhs=0 --set fx_crush=0)
"$STRATA" render "${COMMON[@]}" --model "$DEC" --frames 10 --out "$TMP/a" \
    --stats "$TMP/a.jsonl" 2>"$TMP/a.log"
rc=$?
check '[ $rc -eq 0 ] && [ "$(ls "$TMP/a" | grep -c "\.png$")" -eq 10 ]' "render of a neural bank: 10 frames"
check 'grep -q "morph neural (decoding 4x4 latents" "$TMP/a.log"' \
    "a neural bank plays --morph neural by default and decodes its 4x4 latents"
check 'all_lit "$TMP/a"' "every decoded frame has a picture (centre luma above 10/255)"
check '"$IMGCMP" "$TMP/a/00000.png" "$TMP/a/00009.png" --mean 2 >/dev/null; [ $? -eq 1 ]' \
    "the picture changes over time (first and last frames differ by more than 2/255)"
check 'python3 - "$TMP/a.jsonl" <<PY
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
n = L[-1]["scene"]["neural"]
assert n["decoding"] and n["latent"] == "4x4" and n["passes"] > 0, n
assert all(n["glitch"][k] == 0 for k in ("noise", "shift", "swap", "quant")), n
p = L[-1]["passes"]
assert all(p["neural_%dx" % s]["gpu_ms"] > 0 for s in (1, 2, 4, 8)), p
PY' "--stats: scene.neural (decoding, latent 4x4, passes, glitch 0) and the neural_1x..8x stage timers"
"$STRATA" render "${COMMON[@]}" --model "$DEC" --frames 10 --out "$TMP/b" 2>/dev/null
check 'cmp -s <(cat "$TMP"/a/*.png) <(cat "$TMP"/b/*.png)' "two neural renders are byte-identical"

# Glitch 0: the latent glitch parameters change nothing, to the bit.
"$STRATA" render "${COMMON[@]}" --model "$DEC" --frames 3 --out "$TMP/z" --set glitch=0 \
    --set lat_noise=1 --set lat_shift=1 --set lat_swap=1 --set lat_quant=1 2>/dev/null
check 'cmp -s <(cat "$TMP"/a/0000[012].png) <(cat "$TMP"/z/*.png)' \
    "at glitch 0 the latent glitch parameters leave the frames bit-exact"
# Glitch 0.8 (the fx chain's amounts 0): the latent glitch alone changes every frame.
"$STRATA" render "${COMMON[@]}" --model "$DEC" --frames 10 --out "$TMP/g" --set glitch=0.8 \
    --stats "$TMP/g.jsonl" 2>/dev/null
check 'all_lit "$TMP/g"' "glitched frames have a picture"
check 'for i in 00000 00005 00009; do "$IMGCMP" "$TMP/a/$i.png" "$TMP/g/$i.png" --mean 1 \
    >/dev/null; [ $? -eq 1 ] || exit 1; done' \
    "glitch 0.8 differs from glitch 0 (frames 0, 5, 9: more than 1/255 on average)"
check 'python3 -c "
import json
n = [json.loads(l) for l in open(\"$TMP/g.jsonl\")][-1][\"scene\"][\"neural\"][\"glitch\"]
assert n[\"noise\"] > 0.3 and n[\"shift\"] > 0.3 and n[\"swap\"] > 0 and n[\"quant\"] > 0, n
"' "--stats shows the latent glitch amounts at glitch 0.8"
# The pattern follows time, not frames: the same moment at 8 and 16 fps is the same picture
# (drift 0 holds keyframe 0; t = 0.5 s is frame 4 and frame 8).
HOLD=(--bank "$TMP/bank.strata" --model "$DEC" --size 128x72 --set drift=0 --set glitch=0.8
    --set fx_rgb=0 --set fx_block=0 --set fx_tear=0 --set fx_vhs=0 --set fx_crush=0)
"$STRATA" render "${HOLD[@]}" --fps 8 --frames 5 --out "$TMP/f8" 2>/dev/null
"$STRATA" render "${HOLD[@]}" --fps 16 --frames 9 --out "$TMP/f16" 2>/dev/null
check 'cmp -s "$TMP/f8/00004.png" "$TMP/f16/00008.png"' \
    "the latent glitch at t = 0.5 s is the same at 8 and 16 fps"
check '! cmp -s "$TMP/f8/00000.png" "$TMP/f8/00004.png"' "and it changes with time"

# A missing model: the previews play (not black) and the log names the file.
"$STRATA" render "${COMMON[@]}" --model "$TMP/nowhere/missing_decoder.safetensors" --frames 4 \
    --out "$TMP/m" 2>"$TMP/m.log"
rc=$?
check '[ $rc -eq 0 ] && all_lit "$TMP/m"' "without its model a neural bank still renders pictures"
check 'grep -q "model .*/missing_decoder.safetensors: No such file" "$TMP/m.log" \
    && grep -q "morph blend (the previews)" "$TMP/m.log" \
    && grep -q "neural: the decoder did not load: .*missing_decoder" "$TMP/m.log"' \
    "the log names the missing model file, and the morph says why the previews play"
# A file that is not a model, and an encoder: one clear error each, naming the file.
printf 'this is not a safetensors file' >"$TMP/notes.safetensors"
"$STRATA" render "${COMMON[@]}" --model "$TMP/notes.safetensors" --frames 2 --out "$TMP/n" \
    2>"$TMP/n.log"
rc=$?
check '[ $rc -eq 0 ] && [ "$(grep "notes.safetensors" "$TMP/n.log" | grep -c "^SCENE:")" -eq 1 ] \
    && grep -q "^MORPH: neural: the decoder did not load: .*notes.safetensors" "$TMP/n.log" \
    && all_lit "$TMP/n"' \
    "--model on a file that is not a model: one error naming it, the morph says why, the previews play"
"$STRATA" render "${COMMON[@]}" --model "$ENC" --frames 2 --out "$TMP/e" 2>"$TMP/e.log"
check 'grep -q "taef2_encoder.safetensors: this is a taef2 encoder, not a decoder" "$TMP/e.log"' \
    "--model on an encoder says it is not a decoder"
check '! grep -qi "sanitizer\|segmentation" "$TMP"/[mne].log' "no crash on a bad model"

# A preset with "model" (relative to the preset, like "bank") and "neural_size".
mkdir -p "$TMP/show/models"
ln -s "$DEC" "$TMP/show/models/decoder.safetensors"
ln -s "$TMP/bank.strata" "$TMP/show/stills.strata"
cat >"$TMP/show/scene.json" <<'EOF'
{"name": "stills", "bank": "stills.strata", "model": "models/decoder.safetensors",
 "neural_size": "2x2", "morph": "neural", "params": {"drift": 1, "speed": 4}}
EOF
(cd / && "$STRATA" render "$TMP/show/scene.json" --frames 4 --fps 8 --size 128x72 \
    --out "$TMP/p" 2>"$TMP/p.log")
check 'grep -q "stills: 4 keyframes (neural latents), morph neural (decoding 2x2 latents" "$TMP/p.log" && all_lit "$TMP/p"' \
    "a preset's \"model\" and \"neural_size\" (2x2) are used, paths relative to the preset"
check 'grep -q "decoding 3x2 latents" <("$STRATA" render "$TMP/show/scene.json" --frames 1 \
    --size 128x72 --neural-size 3x2 --out "$TMP/q" 2>&1)' "--neural-size overrides the preset"

# Live, a setlist switched over OSC: the neural scene's bank and model open on the scene
# loader thread, it decodes, and switching away closes them there again.
cat >"$TMP/show/plain.json" <<'EOF'
{"name": "plain"}
EOF
cat >"$TMP/show/set.json" <<'EOF'
{"name": "set", "scenes": [{"preset": "plain.json", "transition": 0.5},
                           {"preset": "scene.json", "transition": 0.5}]}
EOF
scene() {
    python3 - "$1" "$2" <<'PY'
import socket, struct, sys
pad = lambda b: b + b"\0" * (4 - len(b) % 4)
msg = pad(b"/strata/scene") + pad(b",i") + struct.pack(">i", int(sys.argv[2]))
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(msg, ("127.0.0.1", int(sys.argv[1])))
PY
}
PORT=$(free_port)
"$STRATA" "$TMP/show/set.json" --osc-port "$PORT" --size 128x72 --no-audio --quit-after 40 \
    --stats "$TMP/live.jsonl" 2>"$TMP/live.log" &
LIVE=$!
wait_stats "$TMP/live.jsonl" 15 'd["scene"]["name"] == "plain"'
scene "$PORT" 1
check 'wait_stats "$TMP/live.jsonl" 20 \
    "d[\"scene\"][\"name\"] == \"stills\" and d[\"scene\"][\"neural\"][\"decoding\"] \
     and d[\"scene\"][\"neural\"][\"latent\"] == \"2x2\""' \
    "live: a setlist switch to the neural scene loads its model off the render thread and decodes"
scene "$PORT" 0
check 'wait_stats "$TMP/live.jsonl" 15 \
    "d[\"scene\"][\"name\"] == \"plain\" and \"neural\" not in d[\"scene\"]"' \
    "live: and back to the plain scene (the neural one closed)"
stop_and_reap "$LIVE" INT 10 "live mode stops on SIGINT"
check '[ "$RC" -eq 0 ] && ! grep -qi "sanitizer\|segmentation" "$TMP/live.log"' "and exits 0"

# bench --json reports the decode stages (live, a decode is split over frames: 3 s holds
# a whole one even on a loaded machine).
"$STRATA" bench --bank "$TMP/bank.strata" --model "$DEC" --seconds 3 --size 128x72 --json \
    >"$TMP/bench.json" 2>/dev/null
check 'python3 -c "
import json
d = json.loads(open(\"$TMP/bench.json\").readline())
n = d[\"neural\"]
assert d[\"morph\"] == \"neural\" and n[\"decoding\"] and n[\"latent\"] == \"4x4\", d
assert set(n[\"stages\"]) == {\"neural_1x\", \"neural_2x\", \"neural_4x\", \"neural_8x\"}, n
assert n[\"stage_sum_gpu_ms\"] > 0, n
"' "bench --json: neural state and the decode stages"

# The command line.
check '"$STRATA" --list-params | grep -q "^lat_noise" && "$STRATA" --list-params | grep -q "^lat_shift" \
    && "$STRATA" --list-params | grep -q "^lat_swap" && "$STRATA" --list-params | grep -q "^lat_quant"' \
    "--list-params lists lat_noise, lat_shift, lat_swap, lat_quant"
check '"$STRATA" --help | grep -q -- "--model FILE" && "$STRATA" --help | grep -q -- "--neural-size WxH"' \
    "--help documents --model and --neural-size"
"$STRATA" render --out "$TMP/x" --frames 1 --neural-size 129x4 2>"$TMP/u1"
rc=$?
check '[ $rc -eq 2 ] && grep -q "1..128" "$TMP/u1"' "--neural-size above 128 is a usage error"
"$STRATA" render --out "$TMP/x" --frames 1 --morph nope 2>"$TMP/u2"
rc=$?
check '[ $rc -eq 2 ] && grep -q "neural" "$TMP/u2"' "--morph names neural among the modes"
finish
