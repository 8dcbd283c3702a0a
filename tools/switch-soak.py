#!/usr/bin/env python3
"""Scene-switch soak: strata live on a setlist, a random /strata/scene every GAP seconds
over real UDP, and strata's resident size (/proc/PID/status VmRSS) printed every EVERY
switches. What a gallery that changes scenes all day does to memory, in minutes.

usage: tools/switch-soak.py [--strata build/strata] [--setlist presets/setlists/concert.json]
                            [--switches 4000] [--gap 0.03] [--every 250] [--port 9400]
                            [--size 64x36] [--seed 7]
Needs a display (Xvfb) or SDL_VIDEODRIVER=offscreen. strata is started from an argv (no
shell) and sent SIGTERM at the end; its log goes to switch-soak.log in the current folder.
"""
import argparse, json, random, socket, struct, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("--strata", default="build/strata")
ap.add_argument("--setlist", default="presets/setlists/concert.json")
ap.add_argument("--switches", type=int, default=4000)
ap.add_argument("--gap", type=float, default=0.03)
ap.add_argument("--every", type=int, default=250)
ap.add_argument("--port", type=int, default=9400)
ap.add_argument("--size", default="64x36")
ap.add_argument("--seed", type=int, default=7)
a = ap.parse_args()


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def scene_msg(i):
    return pad(b"/strata/scene") + pad(b",i") + struct.pack(">i", i)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


with open("switch-soak.log", "w") as log:
    p = subprocess.Popen([a.strata, a.setlist, "--size", a.size, "--no-vsync", "--no-audio",
                          "--no-oscquery", "--osc-port", str(a.port)], stderr=log)
try:
    time.sleep(3)
    if p.poll() is not None:
        sys.exit(f"strata ended at start ({p.returncode}): see switch-soak.log")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = random.Random(a.seed)
    with open(a.setlist) as f:
        nscenes = len(json.load(f)["scenes"])
    for i in range(a.switches + 1):
        if i % a.every == 0:
            print(f"switches {i:6d}  rss {rss_mb(p.pid):7.1f} MiB", flush=True)
        if i < a.switches:
            s.sendto(scene_msg(rng.randrange(nscenes)), ("127.0.0.1", a.port))
            time.sleep(a.gap)
finally:
    p.terminate()
    p.wait(timeout=30)
