#!/usr/bin/env python3
"""Check a rendered scene sequence of solid colours: xfade_check.py DIR FRAMES X Y C1 C2 ...
where each C is "R,G,B" (0..255), the scenes' colours in order. The pixel (X, Y) of every
frame is either one of the colours (each within 1) or a mix (1 - s) * A + s * B of the
colour before and the one after (every channel within 2); every transition is one run of
mixed frames, 8..11 long (a 1 s blend at 10 fps), s rises monotonically, and its middle
frame has s within 0.5 +- 0.1 (the smoothstep's middle). Prints what it saw."""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
d, n, x, y = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
cols = [tuple(int(v) for v in c.split(",")) for c in sys.argv[5:]]
px = []
for f in range(n):
    out = subprocess.run([sys.executable, os.path.join(here, "png_px.py"),
                          "%s/%05d.png" % (d, f), x, y], capture_output=True, text=True,
                         check=True).stdout.split()
    px.append(tuple(int(v) for v in out[:3]))


def pure(p):
    for i, c in enumerate(cols):
        if all(abs(a - b) <= 1 for a, b in zip(p, c)):
            return i
    return -1


seq, runs, cur = [], [], []
for f, p in enumerate(px):
    k = pure(p)
    if k < 0:
        cur.append(f)
        continue
    if cur:
        runs.append(cur)
        cur = []
    if not seq or seq[-1][0] != k:
        seq.append((k, f))
fail = []
if cur:
    fail.append("ends in a mix at frame %d" % cur[0])
if [cols[k] for k, _ in seq] != cols:
    fail.append("scenes seen %s, not %s" % ([cols[k] for k, _ in seq], cols))
for i, run in enumerate(runs):
    if i + 1 >= len(cols):
        fail.append("a mix with no scene after it: frames %s" % run)
        break
    a, b = cols[i], cols[i + 1]
    ss = []
    for f in run:
        # s from the channel that changes most, then every channel must agree.
        ch = max(range(3), key=lambda c: abs(b[c] - a[c]))
        s = (px[f][ch] - a[ch]) / (b[ch] - a[ch])
        want = [round((1 - s) * a[c] + s * b[c]) for c in range(3)]
        if any(abs(w - p) > 2 for w, p in zip(want, px[f])):
            fail.append("frame %d: %s is no mix of %s and %s" % (f, px[f], a, b))
        ss.append(s)
    mid = ss[len(ss) // 2]
    print("transition %d: frames %d..%d, s %s, middle %.3f" %
          (i + 1, run[0], run[-1], " ".join("%.2f" % s for s in ss), mid))
    if not 8 <= len(run) <= 11:
        fail.append("transition %d: %d mixed frames, not 8..11" % (i + 1, len(run)))
    if any(t <= s for s, t in zip(ss, ss[1:])):
        fail.append("transition %d: s does not rise: %s" % (i + 1, ss))
    if abs(mid - 0.5) > 0.1:
        fail.append("transition %d: middle s %.3f, not 0.5 +- 0.1" % (i + 1, mid))
if len(runs) != len(cols) - 1:
    fail.append("%d transitions, not %d" % (len(runs), len(cols) - 1))
for m in fail:
    print("FAIL:", m)
sys.exit(1 if fail else 0)
