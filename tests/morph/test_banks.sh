#!/usr/bin/env bash
# Banks end to end: strata-bank build / info / verify / latent on real folders, and
# strata render playing folders, packed banks and latent sets in all three morph modes.
. "$STRATA_SOURCE_DIR/tests/app/lib.sh"
export SDL_VIDEODRIVER=offscreen
BANK=$STRATA_BINARY_DIR/strata-bank

"$BANK" synth "$TMP/imgs" --count 8 --size 320x180 >/dev/null 2>&1
check '[ "$(ls "$TMP/imgs" | wc -l)" -eq 8 ]' "synth wrote 8 images"
# An image with a red top half and a blue bottom half, first in name order.
python3 - "$TMP/imgs/000-orient.ppm" <<'PY'
import sys
w, h = 64, 36
rows = [bytes([255, 0, 0] * w) if y < h // 2 else bytes([0, 0, 255] * w) for y in range(h)]
open(sys.argv[1], "wb").write(b"P6 %d %d 255\n" % (w, h) + b"".join(rows))
PY
python3 - "$TMP/imgs/000-orient.ppm" "$TMP/imgs/000-orient.png" <<'PY'
import sys, zlib, struct
d = open(sys.argv[1], "rb").read().split(b"\n", 1)[1]
w, h = 64, 36
raw = b"".join(b"\0" + d[y * w * 3:(y + 1) * w * 3] for y in range(h))
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
PY
rm -f "$TMP/imgs/000-orient.ppm"
printf 'not an image' > "$TMP/imgs/005-broken.png"

"$BANK" build "$TMP/imgs" -o "$TMP/b.strata" >/dev/null 2>"$TMP/build.err"
rc=$?
check '[ $rc -eq 0 ] && [ -s "$TMP/b.strata" ]' "strata-bank build packs the folder"
check 'grep -q "005-broken.png" "$TMP/build.err"' "the broken image is named and skipped"
"$BANK" info "$TMP/b.strata" >"$TMP/info" 2>&1
check 'grep -qi "9" "$TMP/info"' "info reports the keyframes"
"$BANK" verify "$TMP/b.strata" >/dev/null 2>&1
rc=$?
check '[ $rc -eq 0 ]' "verify passes on a good bank"
cp "$TMP/b.strata" "$TMP/bad.strata"
printf '\xff' | dd of="$TMP/bad.strata" bs=1 seek=5000 conv=notrunc 2>/dev/null
"$BANK" verify "$TMP/bad.strata" >/dev/null 2>"$TMP/verify.err"
rc=$?
check '[ $rc -ne 0 ]' "verify catches a flipped byte"
"$BANK" latent --count 16 --dim 16 --seed 3 -o "$TMP/l.strata" >/dev/null 2>&1
check '[ -s "$TMP/l.strata" ]' "strata-bank latent writes a latent set"

render() { # name bank morph [more args]
    local name=$1 bank=$2 morph=$3
    shift 3
    "$STRATA" render --bank "$bank" --morph "$morph" --drift 1 --out "$TMP/$name" \
        --frames 24 --fps 12 --size 160x90 "$@" 2>"$TMP/$name.err"
}
for m in blend flow latent; do
    for src in imgs b.strata l.strata; do
        name="r-${src%.*}-$m"
        render "$name" "$TMP/$src" "$m"
        rc=$?
        check '[ $rc -eq 0 ] && [ "$(ls "$TMP/$name" | wc -l)" -eq 24 ]' \
            "$src plays in $m (24 frames)"
        check '[ "$("$IMGCMP" --luma "$TMP/$name/00023.png" 0 0 160 90 | cut -d. -f1)" -gt 10 ]' \
            "$src in $m: not a black frame"
        check '! "$IMGCMP" "$TMP/$name/00000.png" "$TMP/$name/00023.png" --mean 1 >/dev/null' \
            "$src in $m: the picture travels"
    done
done
check 'grep -q "005-broken.png" "$TMP/r-imgs-flow.err"' "folder: the broken image is logged by name"
render again "$TMP/imgs" flow
check 'cmp -s <(cat "$TMP"/again/*.png) <(cat "$TMP"/r-imgs-flow/*.png)' \
    "the same inputs give identical frames (flow, folder)"
# Orientation: keyframe 0 held (drift 0): red on top, blue below.
"$STRATA" render --bank "$TMP/imgs" --drift 0 --fill --out "$TMP/o" --frames 1 --size 64x36 \
    2>/dev/null
check 'python3 - "$TMP/o/00000.png" <<PY
import sys, zlib, struct
d = open(sys.argv[1], "rb").read()
w, h = struct.unpack(">II", d[16:24])
raw = b""; i = 8
while i < len(d):
    n = struct.unpack(">I", d[i:i+4])[0]
    if d[i+4:i+8] == b"IDAT": raw += d[i+8:i+8+n]
    i += 12 + n
px = zlib.decompress(raw)
# filter type 0 per row is not guaranteed: undo Sub/Up/Avg/Paeth
bpp = 4; stride = w * bpp; prev = bytearray(stride); rows = []
for y in range(h):
    f = px[y*(stride+1)]; line = bytearray(px[y*(stride+1)+1:(y+1)*(stride+1)])
    for x in range(stride):
        a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
top, bot = rows[2][w//2*4:w//2*4+3], rows[h-3][w//2*4:w//2*4+3]
sys.exit(0 if top[0] > 200 and top[2] < 50 and bot[2] > 200 and bot[0] < 50 else 1)
PY' "images are upright: red top stays on top"
# A missing bank is a clear error naming the path.
"$STRATA" render --bank "$TMP/nope" --out "$TMP/x" --frames 1 2>"$TMP/nope.err"
rc=$?
check '[ $rc -ne 0 ] && grep -q "nope" "$TMP/nope.err"' "a missing bank is named"
finish
