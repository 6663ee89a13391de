#!/usr/bin/env python3
"""Reference values for the ArcFace alignment test (Tests/FaceAlignmentTests/ArcFaceAlignmentTests.swift).

Computes, with numpy only, for a synthetic image and a synthetic 68-point shape:
  * the five ArcFace points (eye centres = mean of 36-41 / 42-47, nose tip 30, mouth corners 48 / 54),
  * the least-squares similarity transform onto the 112x112 template (Umeyama 1991, the general SVD form with the
    reflection correction — the estimator scikit-image's SimilarityTransform.estimate implements),
  * the bilinear warp (inverse map, pixel centres at integer coordinates, outside = 0, round half up),
and prints them as Swift literals. The Swift test rebuilds the same image and shape from the same integer formulas.

Usage: python3 Scripts/arcface-alignment-reference.py
"""
import numpy as np

TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                     [41.5493, 92.3655], [70.7299, 92.2041]])
W, H = 160, 120


def image():
    y, x, c = np.meshgrid(np.arange(H), np.arange(W), np.arange(3), indexing="ij")
    return ((3 * x + 5 * y + 40 * c + (x * y) % 17) % 256).astype(np.float64)


def shape():
    # Every point i at (20 + i, 10 + i); the ones the alignment reads are placed like a face turned by ~12 degrees.
    pts = np.array([[20 + i, 10 + i] for i in range(68)], dtype=np.float64)
    left_eye = [(52, 50), (56, 47), (61, 47), (65, 50), (61, 52), (56, 52)]      # 36-41
    right_eye = [(84, 43), (88, 40), (93, 40), (97, 42), (93, 45), (88, 45)]     # 42-47
    for k, p in enumerate(left_eye):
        pts[36 + k] = p
    for k, p in enumerate(right_eye):
        pts[42 + k] = p
    pts[30] = (78, 66)
    pts[48] = (66, 86)
    pts[54] = (96, 80)
    return pts


def five(pts):
    return np.array([pts[36:42].mean(0), pts[42:48].mean(0), pts[30], pts[48], pts[54]])


def umeyama(src, dst):
    n, m = src.shape
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    cov = b.T @ a / n
    d = np.ones(m)
    if np.linalg.det(cov) < 0:
        d[-1] = -1
    u, s, vt = np.linalg.svd(cov)
    r = u @ np.diag(d) @ vt
    var = (a ** 2).sum() / n
    scale = (s * d).sum() / var
    t = md - scale * r @ ms
    return np.hstack([scale * r, t[:, None]])


def warp(img, m, w, h):
    inv = np.linalg.inv(np.vstack([m, [0, 0, 1]]))[:2]
    out = np.zeros((h, w, img.shape[2]))
    for v in range(h):
        for u in range(w):
            x, y = inv @ np.array([u, v, 1.0])
            x0, y0 = np.floor(x), np.floor(y)
            fx, fy = x - x0, y - y0
            acc = np.zeros(img.shape[2])
            for dx, dy, wt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy),
                               (1, 1, fx * fy)):
                xi, yi = int(x0) + dx, int(y0) + dy
                if 0 <= xi < img.shape[1] and 0 <= yi < img.shape[0]:
                    acc += wt * img[yi, xi]
            out[v, u] = np.clip(np.floor(acc + 0.5), 0, 255)
    return out.astype(np.uint8)


def main():
    img, pts = image(), shape()
    p5 = five(pts)
    print("// five points:", ", ".join(f"({x:.10f}, {y:.10f})" for x, y in p5))
    for (w, h) in ((112, 112), (96, 112)):
        dst = TEMPLATE * np.array([w / 112, h / 112])
        m = umeyama(p5, dst)
        print(f"// {w}x{h} matrix: [" + ", ".join(f"{v:.12f}" for v in m.ravel()) + "]")
        out = warp(img, m, w, h)
        probes = [(0, 0), (10, 20), (38, 51), (56, 71), (73, 51), (41, 92), (70, 92), (100, 5), (5, 100),
                  (w - 1, h - 1), (55, 55), (20, 80)]
        probes = [(u, v) for u, v in probes if u < w and v < h]
        print(f"// {w}x{h} pixels (u, v, [r, g, b]):",
              ", ".join(f"({u}, {v}, {list(map(int, out[v, u]))})" for u, v in probes))
        print(f"// {w}x{h} sum of all values: {int(out.astype(np.int64).sum())}")


if __name__ == "__main__":
    main()
