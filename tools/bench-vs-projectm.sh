#!/usr/bin/env bash
# strata's live workload against projectM, side by side, on this machine: both offscreen,
# both waiting for the GPU each frame (glFinish), at each size. Prints a table with both
# frame rates and the ratio strata/projectM, and beside them each side's CPU time per frame
# (every thread: with a software GL, llvmpipe's rasteriser threads are the GPU) and the
# work ratio, projectM's CPU per frame over strata's: what the fps ratio would be if both
# used the cores alike. Wall time on a shared machine moves 15-30 % between runs; CPU time
# per frame moves far less, so the work ratio is the steadier figure.
#
# usage: tools/bench-vs-projectm.sh [--pair IMG_A IMG_B] [--scale WxH] [--sizes "WxH ..."]
#                                   [--seconds S] [--repeat N] [--build DIR] [--pcm sine|silent]
#                                   [--lp-threads N] [--install]
#
#   --pair A B    two stills for the morph (default: two that `strata-bank synth` makes)
#   --scale WxH   scale the --pair stills to WxH first (ImageMagick's convert), as the
#                 figures in docs/BENCHMARKS.md were made (1280x720)
#   --sizes       output sizes (default "1280x720 1920x1080")
#   --seconds S   seconds each side runs at each size (default 8)
#   --repeat N    run both sides N times at each size, alternating; medians (default 1)
#   --build DIR   where strata and strata-bank are (default $STRATA_BUILD_DIR or build/)
#   --pcm         what projectM hears: a synthetic kick and tone (default) or silence
#   --lp-threads N  LP_NUM_THREADS=N for both sides (llvmpipe's rasteriser threads; 0: it
#                 renders on the calling thread). With 1 the CPU per frame is each side's
#                 whole rendering work, without the threads' hand-offs
#   --install     as root, apt-get install libprojectm-dev when it is missing
#
# strata:   strata bench --bank PAIR --morph flow --set glitch=0.5 --set drift=1
#                        --seconds S --size WxH --json
# projectM: tools/projectm_bench.cpp (built here with g++ into a temporary folder, never
#           into the source tree): Debian's libprojectM 3.1, its built-in idle preset,
#           a hidden SDL2 window with a GL 3.3 core context as strata makes.
# Nothing else is installed; a missing package is named and the script stops.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${STRATA_BUILD_DIR:-$root/build}
sizes="1280x720 1920x1080"
seconds=8
repeat=1
pcm=sine
install=0
scale=""
pair=()
lp_threads=""

die() {
    echo "bench-vs-projectm: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --pair)
        [ $# -ge 3 ] || die "--pair needs two image files"
        pair=("$2" "$3")
        shift 3
        ;;
    --scale) [ $# -ge 2 ] || die "--scale needs WxH"; scale=$2; shift 2 ;;
    --sizes) [ $# -ge 2 ] || die "--sizes needs a list"; sizes=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || die "--seconds needs a number"; seconds=$2; shift 2 ;;
    --repeat) [ $# -ge 2 ] || die "--repeat needs a count"; repeat=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || die "--build needs a folder"; build=$2; shift 2 ;;
    --pcm) [ $# -ge 2 ] || die "--pcm needs sine or silent"; pcm=$2; shift 2 ;;
    --lp-threads) [ $# -ge 2 ] || die "--lp-threads needs a count"; lp_threads=$2; shift 2 ;;
    --install) install=1; shift ;;
    -h | --help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
done

[[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--seconds: a number, not '$seconds'"
[[ "$repeat" =~ ^[1-9][0-9]?$ ]] || die "--repeat: 1..99, not '$repeat'"
for s in $sizes; do
    [[ "$s" =~ ^[0-9]+x[0-9]+$ ]] || die "--sizes: WxH, not '$s'"
done
[ -z "$scale" ] || [[ "$scale" =~ ^[0-9]+x[0-9]+$ ]] || die "--scale: WxH, not '$scale'"
[ "$pcm" = sine ] || [ "$pcm" = silent ] || die "--pcm: sine or silent"
[ -z "$lp_threads" ] || [[ "$lp_threads" =~ ^[0-9]{1,2}$ ]] || die "--lp-threads: 0..99, not '$lp_threads'"

# ---- what is needed, and which Debian package has it
missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists libprojectM || missing+=(libprojectm-dev)
    pkg-config --exists sdl2 || missing+=(libsdl2-dev)
    pkg-config --exists gl || missing+=(libgl-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$install" = 1 ] && [ "${missing[*]}" = libprojectm-dev ] && [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y libprojectm-dev
    else
        die "missing: ${missing[*]} (apt-get install ${missing[*]}; --install as root adds" \
            "libprojectm-dev only)"
    fi
fi
[ -x "$build/strata" ] || die "$build/strata not found: build strata first or give --build DIR"
[ -x "$build/strata-bank" ] || die "$build/strata-bank not found (--build DIR)"
if [ -n "$scale" ]; then
    [ ${#pair[@]} -eq 2 ] || die "--scale scales the --pair stills: give --pair too"
    command -v convert >/dev/null 2>&1 || die "--scale needs ImageMagick (apt-get install imagemagick)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-vs-projectm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- the projectM harness, built outside the source tree
# shellcheck disable=SC2046 # pkg-config's flags are separate words
g++ -O2 -std=c++17 -o "$work/projectm_bench" "$here/projectm_bench.cpp" \
    $(pkg-config --cflags --libs libprojectM sdl2 gl) >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; die "building tools/projectm_bench.cpp failed"; }

# ---- the two-still bank
mkdir "$work/stills"
if [ ${#pair[@]} -eq 2 ]; then
    for i in 0 1; do
        [ -f "${pair[$i]}" ] || die "${pair[$i]}: no such file"
        ext=${pair[$i]##*.}
        if [ -n "$scale" ]; then
            convert "${pair[$i]}" -resize "$scale!" "$work/stills/still$i.png"
        else
            cp "${pair[$i]}" "$work/stills/still$i.$ext"
        fi
    done
    what="${pair[0]##*/} + ${pair[1]##*/}${scale:+ scaled to $scale}"
else
    "$build/strata-bank" synth "$work/stills" --count 2 --size 1280x720 >/dev/null
    what="two stills from strata-bank synth (1280x720)"
fi
"$build/strata-bank" build "$work/stills" -o "$work/pair.strata" >"$work/bank.log" 2>&1 ||
    { cat "$work/bank.log" >&2; die "strata-bank build failed"; }

export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-offscreen}
[ -z "$lp_threads" ] || export LP_NUM_THREADS=$lp_threads

# The first "key": number in one line of JSON (strata's "fps" is its first and only "fps").
json_num() {
    grep -o "\"$1\":[0-9.]*" | head -n 1 | cut -d: -f2
}
json_str() {
    grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4
}

median() {
    tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rows=()
renderer=""
for size in $sizes; do
    pm_all="" st_all="" pm_cpu_all="" st_cpu_all="" luma=""
    for ((k = 0; k < repeat; k++)); do # alternate, so load from elsewhere hits both sides
        pm=$("$work/projectm_bench" --size "$size" --seconds "$seconds" --pcm "$pcm" \
            2>"$work/pm.log") || { cat "$work/pm.log" >&2; die "projectm_bench failed at $size"; }
        st=$("$build/strata" bench --bank "$work/pair.strata" --morph flow --set glitch=0.5 \
            --set drift=1 --seconds "$seconds" --size "$size" --json 2>"$work/strata.log") ||
            { cat "$work/strata.log" >&2; die "strata bench failed at $size"; }
        pm_fps=$(json_num fps <<<"$pm")
        st_fps=$(json_num fps <<<"$st")
        if [ -z "$pm_fps" ] || [ -z "$st_fps" ]; then die "no fps in the output at $size"; fi
        pm_all+=" $pm_fps" st_all+=" $st_fps"
        pm_cpu=$(json_num cpu_all_threads_ms_per_frame <<<"$pm")
        st_cpu=$(json_num cpu_all_threads_ms_per_frame <<<"$st")
        if [ -z "$pm_cpu" ] || [ -z "$st_cpu" ]; then die "no CPU per frame in the output at $size"; fi
        pm_cpu_all+=" $pm_cpu" st_cpu_all+=" $st_cpu"
        luma=$(json_num mean_luma <<<"$pm")
        renderer=$(json_str renderer <<<"$st")
    done
    st_fps=$(median <<<"$st_all")
    pm_fps=$(median <<<"$pm_all")
    st_cpu=$(median <<<"$st_cpu_all")
    pm_cpu=$(median <<<"$pm_cpu_all")
    row=$(awk -v s="$size" -v a="$st_fps" -v b="$pm_fps" -v l="$luma" -v c="$st_cpu" \
        -v d="$pm_cpu" 'BEGIN {
        printf "%-11s %12.2f %14.2f %17.2f %12.1f %11.1f %12.2f %12.1f", s, a, b,
            (b > 0 ? a / b : 0), c, d, (c > 0 ? d / c : 0), l }')
    [ "$repeat" -eq 1 ] || row+="   strata:$st_all  projectM:$pm_all  CPU strata:$st_cpu_all  projectM:$pm_cpu_all"
    rows+=("$row")
done

echo "bench-vs-projectm: $(date -u +%Y-%m-%dT%H:%MZ), ${renderer:-?}, $(nproc) CPUs"
echo "  strata:   flow morph, glitch 0.5, drift 1; bank: $what"
echo "  projectM: libprojectM $(pkg-config --modversion libprojectM), built-in idle preset" \
    "(Geiss & Sperl - Feedback), PCM $pcm"
runs=""
[ "$repeat" -eq 1 ] || runs="; median of $repeat runs each, alternating"
echo "  ${seconds} s each, offscreen, glFinish every frame$runs${lp_threads:+; LP_NUM_THREADS=$lp_threads}"
echo "  cpu: ms of CPU a frame, every thread; work: projectM's CPU a frame over strata's"
printf '%-11s %12s %14s %17s %12s %11s %12s %12s\n' size "strata fps" "projectM fps" \
    "strata/projectM" "strata cpu" "pM cpu" "work ratio" "pM luma"
for r in "${rows[@]}"; do
    echo "$r"
done
