#!/usr/bin/env bash
# A private PulseAudio for tests: a null sink whose monitor is the default source, on its
# own socket, so a WAV played into it with paplay is what capture hears. Works as root
# (CI) and as a user; touches nothing outside DIR.
#
# usage: tools/pulse_env.sh start DIR    start (or restart) the daemon; prints the env
#        tools/pulse_env.sh stop DIR [-9] stop it (-9: kill it hard, as a crash would)
#        tools/pulse_env.sh env DIR      print the environment a client needs
#        tools/pulse_env.sh run DIR CMD... start, run CMD with the env, stop
# Clients need PULSE_SERVER and PULSE_CLIENTCONFIG (printed by start/env); PortAudio
# reaches the daemon through ALSA's "pulse" device (libasound2-plugins).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  sed -n '2,11p' "$0" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

print_env() {
  echo "export PULSE_SERVER=unix:$dir/native"
  echo "export PULSE_CLIENTCONFIG=$dir/client.conf"
  echo "export PULSE_SINK=strata_null"
  echo "export PULSE_SOURCE=strata_null.monitor"
}

client_env() {
  export PULSE_SERVER="unix:$dir/native" PULSE_CLIENTCONFIG="$dir/client.conf"
  export PULSE_SINK=strata_null PULSE_SOURCE=strata_null.monitor
}

stop() {
  local sig=${1:-TERM}
  [ -f "$dir/pid" ] || return 0
  local pid
  pid=$(cat "$dir/pid")
  rm -f "$dir/pid"
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

start() {
  for tool in pulseaudio pactl; do
    if ! command -v "$tool" >/dev/null; then
      echo "pulse_env: $tool missing (apt-get install pulseaudio pulseaudio-utils)" >&2
      exit 1
    fi
  done
  stop TERM
  mkdir -p "$dir/runtime" "$dir/config"
  chmod 700 "$dir/runtime"
  # No autospawn: a client that loses this daemon must not start a stray one.
  printf 'autospawn = no\n' >"$dir/client.conf"
  rm -f "$dir/native"
  # -n: no default.pa, so nothing suspends the sink on idle and no hardware is probed.
  env HOME="$dir" XDG_RUNTIME_DIR="$dir/runtime" XDG_CONFIG_HOME="$dir/config" \
    PULSE_RUNTIME_PATH="$dir/runtime" PULSE_STATE_PATH="$dir/runtime" \
    setsid pulseaudio --daemonize=no --system=false --exit-idle-time=-1 -n \
    --use-pid-file=no --disable-shm=yes --log-target=stderr --log-level=warning \
    --load="module-null-sink sink_name=strata_null rate=48000 channels=2" \
    --load="module-native-protocol-unix auth-anonymous=1 socket=$dir/native" \
    </dev/null >>"$dir/pulse.log" 2>&1 &
  echo $! >"$dir/pid"
  client_env
  for _ in $(seq 100); do
    if pactl info >/dev/null 2>&1; then
      pactl set-default-sink strata_null
      pactl set-default-source strata_null.monitor
      print_env
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "pulse_env: daemon did not start; log:" >&2
  tail -20 "$dir/pulse.log" >&2
  stop KILL
  exit 1
}

case "$cmd" in
  start) start ;;
  stop) if [ "${3:-}" = "-9" ]; then stop KILL; else stop TERM; fi ;;
  env) print_env ;;
  run)
    shift 2
    start >/dev/null
    trap 'stop TERM' EXIT
    client_env
    "$@"
    ;;
  *) echo "pulse_env: unknown command $cmd" >&2; exit 2 ;;
esac
