#!/usr/bin/env bash
# Install the Debian packages strata needs that are missing. Sourced by demo.sh and test.sh.
# usage: tools/deps.sh [--test]   (--test adds what the test suite needs)
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libsdl2-dev libglew-dev libgl-dev libegl-dev
  libgl1-mesa-dri portaudio19-dev liblo-dev libsndfile1-dev libaubio-dev ableton-link-dev libasio-dev
  libjansson-dev libstb-dev libpng-dev libwebp-dev libasound2-plugins
  librtmidi-dev libjack-jackd2-dev
  libmicrohttpd-dev libwslay-dev nettle-dev libavahi-client-dev)
test_pkgs=(libcmocka-dev python3 file xvfb xauth pulseaudio pulseaudio-utils sox liblo-tools ffmpeg
  xdotool imagemagick clang libclang-rt-14-dev pinball-data jackd2
  curl python3-websockets)

want=("${build_pkgs[@]}")
if [ "${1:-}" = "--test" ]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "strata: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "strata: not root and no sudo; install these by hand: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
