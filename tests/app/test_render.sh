#!/usr/bin/env bash
# strata render: 30 PNGs, identical over two runs; options; bad arguments; stats lines.
. "$(dirname "$0")/lib.sh"
export SDL_VIDEODRIVER=offscreen

"$STRATA" render --out "$TMP/a" --frames 30 --fps 30 --size 320x180 --stats "$TMP/stats.jsonl" \
    2>"$TMP/err"
rc=$?
check '[ $rc -eq 0 ]' "render exits 0"
check '[ "$(ls "$TMP/a" | grep -c "\.png$")" -eq 30 ]' "30 PNG frames written"
"$STRATA" render --out "$TMP/b" --frames 30 --fps 30 --size 320x180 2>/dev/null
check 'cmp -s <(cat "$TMP"/a/*.png) <(cat "$TMP"/b/*.png)' "two renders give identical bytes"
check '! cmp -s "$TMP/a/00000.png" "$TMP/a/00029.png"' "frames move over time"
check '"$IMGCMP" "$TMP/a/00000.png" "$TMP/a/00029.png" --mean 2 >/dev/null; [ $? -eq 1 ]' \
    "first and last frames differ by more than 2/255 on average"
check 'file "$TMP/a/00010.png" | grep -q "320 x 180"' "frames have the output size"
# The embedded default is assets/default.json: the same file as a preset gives the same show.
"$STRATA" render "$STRATA_SOURCE_DIR/assets/default.json" --out "$TMP/asset" --frames 30 --fps 30 \
    --size 320x180 2>/dev/null
check 'cmp -s <(cat "$TMP"/a/*.png) <(cat "$TMP"/asset/*.png)' \
    "the embedded default renders exactly as assets/default.json"
# A %05d pattern, a render size different from the output (letterboxed), --set.
"$STRATA" render --out "$TMP/p/f_%03d.png" --frames 3 --fps 10 --size 160x160 \
    --render-size 160x90 --set brightness=0.5 2>/dev/null
check '[ -f "$TMP/p/f_002.png" ]' "a %03d pattern names the frames"
check 'python3 - "$TMP/p/f_001.png" <<PY
import sys, zlib, struct
d = open(sys.argv[1], "rb").read()
w, h = struct.unpack(">II", d[16:24])
raw = b""
i = 8
while i < len(d):
    n = struct.unpack(">I", d[i:i+4])[0]; t = d[i+4:i+8]
    if t == b"IDAT": raw += d[i+8:i+8+n]
    i += 12 + n
px = zlib.decompress(raw)
row = lambda y: px[y*(w*4+1)+1:(y+1)*(w*4+1)]
# filter bytes aside, the top rows are the black letterbox: all zero RGB
top = row(0)
sys.exit(0 if w == 160 and h == 160 and max(top[j] for j in range(len(top)) if j % 4 != 3) == 0 else 1)
PY' "render size 160x90 letterboxed into 160x160 output"
# Stats: one JSON line per second of render clock with fps and params.
check '[ "$(wc -l < "$TMP/stats.jsonl")" -ge 0 ]' "stats file exists"
"$STRATA" render --out "$TMP/s" --frames 75 --fps 25 --size 64x36 --stats "$TMP/s.jsonl" 2>/dev/null
check 'python3 -c "
import json,sys
L=[json.loads(l) for l in open(\"$TMP/s.jsonl\")]
assert len(L) >= 2, L
for l in L:
    assert {\"time\",\"frame\",\"fps\",\"frame_ms_p50\",\"frame_ms_p99\",\"params\"} <= set(l), l
    assert \"glitch\" in l[\"params\"] and \"drift\" in l[\"params\"]
    assert l[\"passes\"][\"latent\"][\"gpu_ms\"] > 0 and l[\"passes\"][\"latent\"][\"cpu_ms\"] >= 0
"' "--stats writes JSON lines with time, frame, fps, p50/p99, params, GPU time per pass"
# Bad input gets a clear error, not a crash.
"$STRATA" render --frames 3 2>"$TMP/e1"
rc=$?
check '[ $rc -eq 2 ] && grep -q -- "--out" "$TMP/e1"' "missing --out is a usage error"
"$STRATA" render --out "$TMP/x" --fps 30 2>"$TMP/e2"
rc=$?
check '[ $rc -eq 2 ] && grep -q -- "--frames" "$TMP/e2"' "missing frame count is a usage error"
"$STRATA" render --out "$TMP/x" --frames 2 --set nope=1 2>"$TMP/e3"
rc=$?
check '[ $rc -ne 0 ] && grep -q "nope" "$TMP/e3"' "unknown --set parameter named"
"$STRATA" render --out "$TMP/x" --frames 2 --size 12x 2>"$TMP/e4"
rc=$?
check '[ $rc -eq 2 ] && grep -q "WxH" "$TMP/e4"' "malformed --size rejected"
if command -v ffmpeg >/dev/null; then
    "$STRATA" render --out "$TMP/v.mp4" --frames 20 --fps 20 --size 128x72 2>/dev/null
    check '[ -s "$TMP/v.mp4" ] && ffprobe -v error -count_frames -select_streams v:0 \
        -show_entries stream=nb_read_frames -of csv=p=0 "$TMP/v.mp4" | grep -qx 20' \
        "an .mp4 path pipes 20 frames into ffmpeg"
fi
# With an audio file: frame-exact analysis (the same bytes twice), and muxed into a video.
"$STRATA_BINARY_DIR/strata-synth-track" "$TMP/t.wav" 128 3 >/dev/null 2>&1
for run in a1 a2; do
    "$STRATA" render --out "$TMP/$run" --frames 40 --fps 20 --size 96x54 --audio-file "$TMP/t.wav" \
        --set glitch=0.5 --stats "$TMP/$run.jsonl" 2>/dev/null
done
check 'cmp -s <(cat "$TMP"/a1/*.png) <(cat "$TMP"/a2/*.png)' "an audio-driven render is byte-identical twice"
check 'python3 -c "
import json; L=[json.loads(l) for l in open(\"$TMP/a1.jsonl\")]
assert L[-1][\"audio\"][\"live\"] and L[-1][\"audio\"][\"onsets\"] > 0, L[-1][\"audio\"]"' \
    "the file drives the analysis (onsets counted)"
if command -v ffmpeg >/dev/null; then
    "$STRATA" render --out "$TMP/av.mp4" --fps 20 --duration 2 --size 96x54 --audio-file "$TMP/t.wav" \
        2>/dev/null
    check 'ffprobe -v error -show_entries stream=codec_type -of csv=p=0 "$TMP/av.mp4" | grep -qx audio' \
        "the audio file is muxed into the video"
fi
# ---- show-safety (issue 9) ----
# --out is never a printf format: one %d / %0Nd, %% a literal %, nothing else.
for bad in '%s%s%s%s.png' 'f_%x.png' 'f_%d_%d.png' 'f_%n.png' 'f_%5d.png'; do
    "$STRATA" render --out "$TMP/pat/$bad" --frames 2 --size 32x18 2>"$TMP/ep"
    rc=$?
    check '[ $rc -eq 2 ] && grep -q -- "--out" "$TMP/ep" && grep -q "PNG pattern" "$TMP/ep"' \
        "--out '$bad' is refused with a message (rc $rc)"
done
check '[ ! -e "$TMP/pat" ]' "a refused pattern writes nothing"
"$STRATA" render --out "$TMP/pc/100%%_%03d.png" --frames 2 --size 32x18 2>/dev/null
check '[ -f "$TMP/pc/100%_001.png" ]' "%% in a pattern is a literal %"
"$STRATA" render --out '' --frames 2 --size 32x18 2>"$TMP/ep"
rc=$?
check '[ $rc -eq 2 ] && grep -q "empty" "$TMP/ep"' "--out '' says the value is empty"
# One size limit, at parse time, naming the option and the value.
for opt in --size --render-size; do
    "$STRATA" render --out "$TMP/big" --frames 1 $opt 16384x16384 2>"$TMP/ep"
    rc=$?
    check '[ $rc -eq 2 ] && grep -q -- "$opt 16384x16384" "$TMP/ep" && grep -q 8192 "$TMP/ep"' \
        "$opt 16384x16384 is refused at once, the limit named"
done
# Every input asked for must be usable: a missing audio file, an empty shader folder.
"$STRATA" render --out "$TMP/na" --frames 2 --size 32x18 --audio-file "$TMP/nope.wav" 2>"$TMP/ep"
rc=$?
check '[ $rc -eq 1 ] && grep -q "nope.wav" "$TMP/ep"' \
    "an --audio-file that cannot be opened fails the render"
mkdir -p "$TMP/noshaders"
"$STRATA" render --out "$TMP/ns" --frames 2 --size 32x18 --shader-dir "$TMP/noshaders" 2>"$TMP/ep"
rc=$?
check '[ $rc -eq 1 ] && grep -q "shader" "$TMP/ep" && [ -z "$(ls "$TMP/ns")" ]' \
    "an empty --shader-dir fails the render and writes no frame"
# A stop signal during a PNG render: exit 0, every frame written is whole.
"$STRATA" render --out "$TMP/sig" --frames 1000000 --size 64x36 2>"$TMP/esig" &
pid=$!
for _ in $(seq 100); do [ "$(ls "$TMP/sig" 2>/dev/null | wc -l)" -ge 5 ] && break; sleep 0.1; done
stop_and_reap $pid TERM 20 "SIGTERM ends a PNG render within 20 s"
rc=$RC
check '[ $rc -eq 0 ] && grep -q "stopping after" "$TMP/esig"' \
    "SIGTERM: PNG render exits 0 (rc $rc)"
check 'for f in "$TMP"/sig/*.png; do file "$f" | grep -q "64 x 36" || exit 1; done' \
    "every PNG written before the stop is whole"
if command -v ffmpeg >/dev/null; then
    # File names are file names: no shell ever sees them.
    mkdir -p "$TMP/inj"
    for name in "a;touch PWNED;'.mp4" '$(touch x).mp4' '-y `touch z`.mkv'; do
        (cd "$TMP/inj" && "$STRATA" render --out "./$name" --frames 10 --fps 10 --size 64x36 \
            2>/dev/null)
        rc=$?
        check '[ $rc -eq 0 ] && ffprobe -v error -count_frames -select_streams v:0 \
            -show_entries stream=nb_read_frames -of csv=p=0 "$TMP/inj/$name" | grep -qx 10' \
            "a render to \"$name\" works (rc $rc)"
    done
    (cd "$TMP/inj" && "$STRATA" render --out "a'b.mp4" --frames 10 --size 64x36 \
        --audio-file "$TMP/t.wav" 2>/dev/null)
    rc=$?
    check '[ $rc -eq 0 ] && ffprobe -v error -show_entries stream=codec_type -of csv=p=0 \
        "$TMP/inj/a'"'"'b.mp4" | grep -qx audio' \
        "an audio file and an output with a quote in the name"
    check '[ "$(ls -A "$TMP/inj" | wc -l)" -eq 4 ] && [ ! -e "$TMP/inj/PWNED" ] && \
        [ ! -e "$TMP/inj/x" ] && [ ! -e "$TMP/inj/z" ]' "no stray file: nothing ran"
    # ffmpeg failing: its exit status and its own words, a non-zero exit, never a SIGPIPE.
    mkdir -p "$TMP/isdir.mp4"
    "$STRATA" render --out "$TMP/isdir.mp4" --frames 200 --size 320x180 2>"$TMP/eff"
    rc=$?
    check '[ $rc -eq 1 ] && grep -q "ffmpeg exit code" "$TMP/eff" && \
        grep -q "Is a directory" "$TMP/eff"' \
        "an output ffmpeg refuses: rc 1 (was $rc) with ffmpeg's exit and stderr"
    mkdir -p "$TMP/fake"
    printf '#!/bin/sh\nhead -c 1000 >/dev/null\necho "fake ffmpeg: giving up" >&2\nexit 7\n' \
        >"$TMP/fake/ffmpeg"
    chmod +x "$TMP/fake/ffmpeg"
    PATH="$TMP/fake:$PATH" "$STRATA" render --out "$TMP/f.mp4" --frames 200 --size 320x180 \
        2>"$TMP/eff"
    rc=$?
    check '[ $rc -eq 1 ] && grep -q "exit code 7" "$TMP/eff" && grep -q "giving up" "$TMP/eff"' \
        "an ffmpeg that exits early: rc 1 (was $rc, 141 is SIGPIPE) with its stderr"
    # A second stop signal while the first waits for ffmpeg to finish ends strata at once.
    printf '#!/bin/sh\necho $$ >"%s"\ncat >/dev/null\nexec sleep 60\n' "$TMP/fakepid" \
        >"$TMP/fake/ffmpeg"
    PATH="$TMP/fake:$PATH" "$STRATA" render --out "$TMP/h.mp4" --frames 1000000 --size 64x36 \
        2>"$TMP/eh" &
    pid=$!
    for _ in $(seq 100); do [ -s "$TMP/fakepid" ] && break; sleep 0.1; done
    kill -TERM $pid
    for _ in $(seq 100); do grep -q "stopping after" "$TMP/eh" && break; sleep 0.1; done
    sleep 0.5
    check 'kill -0 $pid 2>/dev/null' "after one SIGTERM strata waits for a hung ffmpeg to finish"
    stop_and_reap $pid TERM 10 "a second SIGTERM ends it within 10 s"
    rc=$RC
    check '[ $rc -eq 143 ] && grep -q "second stop signal" "$TMP/eh"' \
        "the second signal's exit is 128+15 (rc $rc) and says so"
    kill "$(cat "$TMP/fakepid")" 2>/dev/null
    # SIGTERM and SIGINT during a video render: exit 0 and a finished, playable file.
    for sig in TERM INT; do
        rm -f "$TMP/s.mp4"
        "$STRATA" render --out "$TMP/s.mp4" --frames 1000000 --size 64x36 2>"$TMP/esig" &
        pid=$!
        for _ in $(seq 100); do grep -q "ffmpeg 64x36" "$TMP/esig" && break; sleep 0.1; done
        sleep 0.5
        stop_and_reap $pid $sig 20 "SIG$sig ends a video render within 20 s"
        rc=$RC
        n=$(ffprobe -v error -count_frames -select_streams v:0 \
            -show_entries stream=nb_read_frames -of csv=p=0 "$TMP/s.mp4" 2>/dev/null)
        check '[ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ]' \
            "SIG$sig: exit 0 (rc $rc) and a playable video ($n frames)"
    done
fi
finish
