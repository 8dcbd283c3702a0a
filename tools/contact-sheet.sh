#!/usr/bin/env bash
# A contact sheet: what a preset (or any strata render) shows over 40 s, as one picture.
# Renders 40 s with `strata render` at 320x180 (fps 1 unless -f), takes the frames at
# 0, 5, 10 ... 35 s, tiles them 4x2 with ffmpeg into a JPEG (1280x360, ~100-200 KB) and
# prints issue 11's motion score of the same render (frames every 2 s, motion-score).
#
# usage: tools/contact-sheet.sh [-b BUILD] [-o OUT.jpg] [-f FPS] NAME [RENDER ARGS...]
#   NAME alone renders presets/NAME.json; with RENDER ARGS they are passed to
#   `strata render` as they are (a preset, --bank, --morph ...) and NAME only names the
#   sheet. Default OUT: docs/img/presets/NAME.jpg. BUILD: the folder with strata and
#   motion-score (default build/). FPS: a whole number of frames per second (1).
# Example: tools/contact-sheet.sh vhs-drift
#          tools/contact-sheet.sh photos-flow --bank /tmp/photos --morph flow --fill
# Output: "NAME: motion 0.1378 (40 s, frames every 2 s, 320x180) -> OUT". Exit 1 with one
# message when the render, ffmpeg or the score fails; the sheet is written atomically.
# No shell between this script and the programs: every argument goes through "$@".
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build
out=
fps=1
while getopts "b:o:f:h" opt; do
  case $opt in
  b) build=$OPTARG ;;
  o) out=$OPTARG ;;
  f) fps=$OPTARG ;;
  h)
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -lt 1 ]; then
  echo "contact-sheet: usage: tools/contact-sheet.sh [-b BUILD] [-o OUT.jpg] [-f FPS]" \
    "NAME [RENDER ARGS...]" >&2
  exit 2
fi
case $fps in
'' | *[!0-9]* | 0)
  echo "contact-sheet: -f $fps: a whole number of frames per second, 1 or more" >&2
  exit 2
  ;;
esac
name=$1
shift
if [ $# -eq 0 ]; then
  preset=$root/presets/$name.json
  if [ ! -f "$preset" ]; then
    echo "contact-sheet: $preset: no such preset (give render arguments for anything else)" >&2
    exit 1
  fi
  set -- "$preset"
fi
[ -n "$out" ] || out=$root/docs/img/presets/$name.jpg
for tool in strata motion-score; do
  if [ ! -x "$build/$tool" ]; then
    echo "contact-sheet: $build/$tool: not built (cmake --build $build)" >&2
    exit 1
  fi
done
command -v ffmpeg >/dev/null || {
  echo "contact-sheet: ffmpeg is not installed" >&2
  exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/contact-sheet.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/frames" "$tmp/sheet"
if ! SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen} "$build/strata" render "$@" \
  --out "$tmp/frames/%05d.png" --fps "$fps" --duration 40 --size 320x180 \
  >"$tmp/render.log" 2>&1; then
  cat "$tmp/render.log" >&2
  echo "contact-sheet: $name: strata render failed" >&2
  exit 1
fi
for k in 0 1 2 3 4 5 6 7; do
  src=$(printf '%s/frames/%05d.png' "$tmp" $((k * 5 * fps)))
  if [ ! -f "$src" ]; then
    echo "contact-sheet: $name: the render has no frame at $((k * 5)) s ($src)" >&2
    exit 1
  fi
  ln -s "$src" "$tmp/sheet/$k.png"
done
if ! score=$("$build/motion-score" "$tmp/frames" --step $((2 * fps)) 2>"$tmp/score.log"); then
  cat "$tmp/score.log" >&2
  echo "contact-sheet: $name: motion-score failed" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
part=$out.part.jpg
if ! ffmpeg -v error -y -i "$tmp/sheet/%d.png" -vf tile=4x2 -frames:v 1 -q:v 3 "$part"; then
  rm -f "$part"
  echo "contact-sheet: $name: ffmpeg could not tile the frames into $out" >&2
  exit 1
fi
mv -f "$part" "$out"
echo "$name: motion $score (40 s, frames every 2 s, 320x180) -> $out"
