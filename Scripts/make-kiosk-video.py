#!/usr/bin/env python3
"""A fake camera video for Chromium (--use-file-for-fake-video-capture): YUV4MPEG2, 640×480, 4:2:0.

    make-kiosk-video.py MYNAFACE OUT.y4m PHOTO[:SECONDS] ...

Each photo is cropped to a 4:3 camera view around its face (found with `MYNAFACE detect`, the project's own detector),
scaled to 640×480 and shown for SECONDS (default 0.5) at 6 frames per second; Chromium loops the file.
PHOTO `empty` is an empty grey view (nobody in front of the camera).
Needs numpy and Pillow.
"""
import re
import subprocess
import sys

import numpy as np
from PIL import Image

WIDTH, HEIGHT, FPS = 640, 480, 6


def face_box(mynaface, path):
    out = subprocess.run([mynaface, "detect", path], capture_output=True, text=True, check=True).stdout
    m = re.search(r"box \[(\d+), (\d+), (\d+), (\d+)\]", out)
    if not m:
        sys.exit(f"make-kiosk-video: no face in {path}")
    return [int(v) for v in m.groups()]


def camera_view(mynaface, path):
    """The photo as a webcam would see a patient standing at the kiosk: the face about 40% of the width."""
    left, top, right, bottom = face_box(mynaface, path)
    cx, cy = (left + right) / 2, (top + bottom) / 2 + 0.1 * (bottom - top)
    w = 2.5 * (right - left)
    h = w * HEIGHT / WIDTH
    image = Image.open(path).convert("RGB")
    crop = image.crop((round(cx - w / 2), round(cy - h / 2), round(cx + w / 2), round(cy + h / 2)))
    return crop.resize((WIDTH, HEIGHT), Image.LANCZOS)


def i420(image):
    """BT.601 limited-range Y, U, V planes (U and V averaged over 2×2)."""
    rgb = np.asarray(image, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    sub = lambda p: p.reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3))
    planes = (y, sub(u), sub(v))
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mynaface, out = sys.argv[1], sys.argv[2]
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for spec in sys.argv[3:]:
            path, _, seconds = spec.partition(":")
            view = Image.new("RGB", (WIDTH, HEIGHT), (128, 128, 128)) if path == "empty" else camera_view(mynaface, path)
            frame = i420(view)
            for _ in range(max(1, round(float(seconds or 0.5) * FPS))):
                f.write(b"FRAME\n" + frame)


if __name__ == "__main__":
    main()
