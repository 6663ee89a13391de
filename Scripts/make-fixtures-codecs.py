#!/usr/bin/env python3
"""Helper for make-fixtures-codecs.sh (Python standard library only).

  sources DIR      write the synthetic pictures as PNM into DIR (pattern.ppm, pattern.pgm, face.pgm, cmyk.raw)
  png OUTDIR       write the PNG fixtures (grey, RGB, RGBA, grey+alpha, palette, 16-bit) into OUTDIR
  exif IN OUT N E  copy JPEG IN to OUT with an EXIF APP1 (orientation N, byte order E = II or MM) after SOI

The synthetic pattern (W=96, H=64), also recomputed by the Swift tests:
  R = (x + 2y) & 255,  G = (3x ^ y) & 255,  B = (x*y >> 4) & 255,  grey = (x*255/(W-1) + y*2) & 255
"""
import math
import struct
import sys
import zlib

W, H = 96, 64


def rgb(x, y):
    return ((x + 2 * y) & 255, (3 * x ^ y) & 255, (x * y >> 4) & 255)


def grey(x, y):
    return (x * 255 // (W - 1) + y * 2) & 255


def write_pnm(path, w, h, channels, data):
    with open(path, "wb") as f:
        f.write(b"P%d\n%d %d\n255\n" % (5 if channels == 1 else 6, w, h))
        f.write(bytes(data))


def face(w=240, h=320):
    """A smooth face-like portrait: lit background, head ellipse, eyes, nose, mouth, soft shading."""
    out = bytearray(w * h)
    cx, cy = w / 2, h * 0.46
    seed = 1
    for y in range(h):
        for x in range(w):
            v = 200 - 40 * y / h  # background gradient
            dx, dy = (x - cx) / (w * 0.30), (y - cy) / (h * 0.33)
            r = dx * dx + dy * dy
            if r < 1:
                v = 170 - 50 * r + 20 * (x - cx) / w  # head, shaded
                for ex in (cx - w * 0.12, cx + w * 0.12):  # eyes
                    e = ((x - ex) / (w * 0.06)) ** 2 + ((y - (cy - h * 0.06)) / (h * 0.025)) ** 2
                    if e < 1:
                        v = 60 + 50 * e
                n = ((x - cx) / (w * 0.03)) ** 2 + ((y - (cy + h * 0.04)) / (h * 0.07)) ** 2  # nose
                if n < 1:
                    v -= 25 * (1 - n)
                m = ((x - cx) / (w * 0.11)) ** 2 + ((y - (cy + h * 0.16)) / (h * 0.018)) ** 2  # mouth
                if m < 1:
                    v = 90 + 40 * m
            elif y > h * 0.78 and abs(x - cx) < w * 0.42:  # shoulders
                v = 80 + 20 * math.sin(x / 9.0)
            seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF  # sensor-like grain (fixed LCG)
            v += ((seed >> 16) % 13) - 6
            out[y * w + x] = max(0, min(255, int(round(v))))
    return w, h, out


def sources(d):
    write_pnm(f"{d}/pattern.ppm", W, H, 3, [c for y in range(H) for x in range(W) for c in rgb(x, y)])
    write_pnm(f"{d}/pattern.pgm", W, H, 1, [grey(x, y) for y in range(H) for x in range(W)])
    fw, fh, fdata = face()
    write_pnm(f"{d}/face.pgm", fw, fh, 1, fdata)
    # CMYK as stored in an Adobe JPEG (inverted: 255 = no ink): C,M,Y = R,G,B; K = 255 left half, 127 right half.
    with open(f"{d}/cmyk.raw", "wb") as f:
        f.write(bytes(v for y in range(H) for x in range(W) for v in (*rgb(x, y), 255 if x < W // 2 else 127)))


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path, w, h, bit_depth, colour_type, rows, plte=None, trns=None):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, 0))
    if plte is not None:
        body += chunk(b"PLTE", bytes(plte))
    if trns is not None:
        body += chunk(b"tRNS", bytes(trns))
    body += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body)


def pngs(d):
    write_png(f"{d}/grey.png", W, H, 8, 0, [[grey(x, y) for x in range(W)] for y in range(H)])
    write_png(f"{d}/rgb.png", W, H, 8, 2, [[c for x in range(W) for c in rgb(x, y)] for y in range(H)])
    # Alpha varies but must be dropped (not composited): colour samples equal the opaque pattern.
    write_png(f"{d}/rgba.png", W, H, 8, 6, [[c for x in range(W) for c in (*rgb(x, y), (x * 4) & 255)] for y in range(H)])
    write_png(f"{d}/grey-alpha.png", W, H, 8, 4, [[c for x in range(W) for c in (grey(x, y), y * 4 & 255)] for y in range(H)])
    # 16-bit grey: sample = grey·257, so the 8-bit result is exactly grey.
    write_png(f"{d}/grey16.png", W, H, 16, 0,
              [[b for x in range(W) for b in struct.pack(">H", grey(x, y) * 257)] for y in range(H)])
    # Palette: 16 entries, index = (x // 6 + y // 4) % 16, entry i = (16i, 255 - 16i, (37 i) & 255).
    plte = [c for i in range(16) for c in (16 * i, 255 - 16 * i, (37 * i) & 255)]
    write_png(f"{d}/palette.png", W, H, 8, 3, [[(x // 6 + y // 4) % 16 for x in range(W)] for y in range(H)], plte=plte)


def exif(src, dst, orientation, order):
    data = open(src, "rb").read()
    assert data[:2] == b"\xff\xd8"
    e = "<" if order == "II" else ">"
    # TIFF header, IFD0 at 8 with two entries (ImageDescription ASCII inline "MF\0", Orientation SHORT), no next IFD.
    tiff = (b"II*\x00" if order == "II" else b"MM\x00*") + struct.pack(e + "I", 8)
    tiff += struct.pack(e + "H", 2)
    tiff += struct.pack(e + "HHI", 0x010E, 2, 3) + b"MF\x00\x00"
    tiff += struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "HH", orientation, 0)
    tiff += struct.pack(e + "I", 0)
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    open(dst, "wb").write(data[:2] + app1 + data[2:])


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "sources":
        sources(sys.argv[2])
    elif cmd == "png":
        pngs(sys.argv[2])
    elif cmd == "exif":
        exif(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(f"unknown command {cmd}")
