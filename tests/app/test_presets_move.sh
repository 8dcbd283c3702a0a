#!/usr/bin/env bash
# Presets that move (issue 11): every shipped preset, rendered at 320x180 over 40 s at fps 1,
# scores >= 0.1 on issue 11's measure (motion-score: frames every 2 s scaled to 80x45, mean
# absolute difference over every pair, RGB 0..1; a still scores 0, distinct photos
# 0.2-0.28). And --stats says why the picture looks so: keyframe and next by name, morph,
# the flow estimate's state, the decode size (the overlay prints the same state).
. "$(dirname "$0")/lib.sh"
export SDL_VIDEODRIVER=offscreen
SCORE=$STRATA_BINARY_DIR/motion-score
MIN=0.1

for preset in "$STRATA_SOURCE_DIR"/presets/*.json; do
    name=$(basename "$preset" .json)
    "$STRATA" render "$preset" --out "$TMP/$name/%05d.png" --fps 1 --duration 40 \
        --size 320x180 >"$TMP/$name.log" 2>&1
    check "[ \$? -eq 0 ] && [ -f '$TMP/$name/00039.png' ]" "$name renders 40 s at fps 1"
    s=$("$SCORE" "$TMP/$name" --step 2 2>/dev/null)
    echo "$name: motion $s over 40 s"
    check "python3 -c 'import sys; sys.exit(not float(\"$s\") >= $MIN)'" \
        "$name moves over 40 s: motion $s >= $MIN"
    rm -rf "${TMP:?}/$name"
done

# --stats: a latent preset (keyframe names latent-NNNNN, latent_scale, the decode size from
# it, no flow state) and a flow morph over an image folder (file names, the estimate done
# in a render, the decode size the bank's).
"$STRATA" render "$STRATA_SOURCE_DIR/presets/gallery-drift.json" --out "$TMP/g" --fps 10 \
    --frames 25 --size 160x90 --latent-scale 0.5 --stats "$TMP/g.jsonl" 2>/dev/null
check "python3 -c '
import json
L = [json.loads(l)[\"scene\"] for l in open(\"$TMP/g.jsonl\")]
s = L[-1]
assert s[\"name\"] == \"gallery-drift\" and s[\"morph\"] == \"latent\", s
assert s[\"keyframe_name\"] == \"latent-%05d\" % s[\"keyframe\"], s
assert s[\"flow\"] is None and abs(s[\"latent_scale\"] - 0.5) < 1e-6, s
assert s[\"decode\"] == \"80x45\", s
assert (s[\"next\"] < 0) == (s[\"next_name\"] is None), s
'" "--stats of a latent scene: keyframe name, latent_scale 0.5, decode 80x45"

mkdir "$TMP/pics"
"$STRATA" render --out "$TMP/pics/kf%02d.png" --fps 0.25 --frames 3 --size 96x54 2>/dev/null
"$STRATA" render --bank "$TMP/pics" --morph flow --drift 1 --out "$TMP/f" --fps 10 \
    --frames 35 --size 160x90 --stats "$TMP/f.jsonl" 2>/dev/null
check "python3 -c '
import json
L = [json.loads(l)[\"scene\"] for l in open(\"$TMP/f.jsonl\")]
moving = [s for s in L if s[\"next\"] >= 0]
assert moving, L
for s in L:
    assert s[\"morph\"] == \"flow\" and s[\"decode\"] == \"160x90\", s
    assert s[\"keyframe_name\"] == \"kf%02d.png\" % s[\"keyframe\"], s
    if s[\"next\"] >= 0:
        assert s[\"next_name\"] == \"kf%02d.png\" % s[\"next\"], s
        assert s[\"flow\"] == \"done\", s
    else:
        assert s[\"next_name\"] is None and s[\"flow\"] == \"holding\", s
'" "--stats of a flow scene over images: file names, the estimate done, decode 160x90"
finish
