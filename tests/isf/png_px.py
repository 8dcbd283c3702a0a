#!/usr/bin/env python3
"""Print the RGBA of pixel X Y (y from the top) of an 8-bit RGBA PNG: the e2e tests'
reader (no PIL on a fresh Debian)."""
import struct
import sys
import zlib


def read(path):
    d = open(path, "rb").read()
    w, h = struct.unpack(">II", d[16:24])
    if d[24] != 8 or d[25] != 6:
        sys.exit("%s: not 8-bit RGBA" % path)
    raw, i = b"", 8
    while i < len(d):
        n = struct.unpack(">I", d[i:i + 4])[0]
        if d[i + 4:i + 8] == b"IDAT":
            raw += d[i + 8:i + 8 + n]
        i += 12 + n
    raw = zlib.decompress(raw)
    stride, rows, prev = w * 4, [], bytearray(w * 4)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - 4] if x >= 4 else 0
            b = prev[x]
            c = prev[x - 4] if x >= 4 else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, rows


if __name__ == "__main__":
    w, h, rows = read(sys.argv[1])
    x, y = int(sys.argv[2]), int(sys.argv[3])
    print(*rows[y][x * 4:x * 4 + 4])
