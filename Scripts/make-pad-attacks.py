#!/usr/bin/env python3
"""Presentation-attack sequences for `mynaface eval --pad` (ISO/IEC 30107-3 style), generated from real photos.

Writes frame sequences (PNG, in time order) and a manifest OUTSIDE the repository:

  OUT/manifest.tsv   kind  type  session  identity  direction  frames(comma-separated absolute paths)

  kind       bona-fide | attack
  type       bona-fide types: att-session (one person's 10 att images, one sitting, natural pose change; the
             evaluation orders them by estimated yaw), samples (obama, obama2, obama3: three photos, not one
             sitting); with --extra-bona-fide also yale-session (one Yale person's 11 images: lighting,
             expression and glasses variants, frontal) and tw_ntu-burst (East-Asian: the burst frames of one tw_ntu
             recording, >= 3 near-identical frontal frames) -- frames referenced in place, not copied.
             attack types: print-still (a print held still), print-moved (a print moved along a smooth random
             path of translation, roll, tilt up to +-35 degrees and perspective), print-bent (the same with the
             print bent into a cylinder), replay-screen (the photo shown on a phone/monitor: gamma, pixel grid,
             moire, bezel, glare, moved), card-face (the card's own small portrait with the card around it, moved).
  direction  the way the attacker turns the artefact (left/right: the patient's own left/right; '-' none).

Every attack frame is rendered by casting camera rays onto the artefact (a plane, or a cylinder for the bent
print) posed in 3-D in front of a pinhole camera, then composited on a random background with paper or screen
effects and camera noise. Sources: for each att person one of their images (the attack shows that person's own
photo), and the sample photo obama.jpg. Needs numpy, scipy and Pillow (installed with pip when missing).

Usage: python3 Scripts/make-pad-attacks.py --facedata ../shared/facedata --samples ~/.cache/mynaface/samples --out DIR
       [--per-type N (attacks per type and source person; 1 = 41 per type, the CI run; 8 = 328 per type, the
       held-out run of docs/liveness.md, about 30 minutes here)] [--seed S] [--extra-bona-fide]
"""
import argparse, csv, math, os, subprocess, sys

import numpy as np
from scipy import ndimage

try:
    from PIL import Image
except ImportError:  # the project's scripts may install Pillow for attack generation
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "Pillow"])
    from PIL import Image

W, H, F = 360, 360, 500.0  # frame size and focal length (pixels): a webcam's field of view (~40 degrees)
S = W / 400  # on-screen sizes below are given for a 400-pixel frame
# Frames are greyscale (one channel renders three times faster; att is greyscale and the card portrait is too).
ATTACK_TYPES = ["print-still", "print-moved", "print-bent", "replay-screen", "card-face"]


def load_grey_or_rgb(path, scale):
    img = Image.open(path).convert("L")
    if scale != 1:
        img = img.resize((int(img.width * scale), int(img.height * scale)), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32)[..., None]


def background(rng):
    """A smooth random room-like background with a few flat patches."""
    low = rng.uniform(40, 200, size=(6, 6)).astype(np.float32)
    bg = ndimage.zoom(low, (H / 6, W / 6), order=1)[:H, :W, None]
    for _ in range(rng.integers(2, 5)):
        x0, y0 = rng.integers(0, W - 40), rng.integers(0, H - 40)
        bg[y0:y0 + rng.integers(20, 160), x0:x0 + rng.integers(20, 160)] = rng.uniform(30, 220)
    return np.clip(bg, 0, 255)


def rotation(yaw, pitch, roll):
    cy, sy, cp, sp, cr, sr = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch), math.cos(roll), math.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def render(texture, pose, bend_radius=None):
    """Renders `texture` (h x w x 3, one unit per texel, centred at the origin) posed at `pose` = (R, t).

    Returns the image and a mask of where a ray hit the artefact. The artefact's local frame: x right, y down,
    z away from the camera; a bent artefact is the cylinder x^2 + (z - r)^2 = r^2 (its middle nearest the camera).
    """
    R, t = pose
    th, tw = texture.shape[:2]
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float64)
    d = np.stack([(xs - W / 2) / F, (ys - H / 2) / F, np.ones_like(xs)], axis=-1)
    dl = d @ R  # R^T d, row vectors
    ol = -(R.T @ t)
    if bend_radius is None:
        tt = -ol[2] / dl[..., 2]
        px, py = ol[0] + tt * dl[..., 0], ol[1] + tt * dl[..., 1]
        u = px
    else:
        r = bend_radius
        a = dl[..., 0] ** 2 + dl[..., 2] ** 2
        b = 2 * (ol[0] * dl[..., 0] + (ol[2] - r) * dl[..., 2])
        c = ol[0] ** 2 + (ol[2] - r) ** 2 - r * r
        disc = np.maximum(b * b - 4 * a * c, 0)
        tt = (-b - np.sqrt(disc)) / (2 * a)
        px, py, pz = ol[0] + tt * dl[..., 0], ol[1] + tt * dl[..., 1], ol[2] + tt * dl[..., 2]
        u = r * np.arctan2(px, r - pz)
    cu, cv = u + tw / 2, py + th / 2
    mask = (cu >= 0) & (cu <= tw - 1) & (cv >= 0) & (cv <= th - 1)
    out = np.stack([ndimage.map_coordinates(texture[..., c], [cv, cu], order=1, mode="nearest")
                    for c in range(texture.shape[2])], -1)
    return out, mask


def smooth_path(rng, n, amplitude):
    """n values along a smooth random path (cosine-eased between 3 random keyframes) within +-amplitude."""
    keys = rng.uniform(-amplitude, amplitude, 3)
    s = np.linspace(0, 2, n)
    i = np.minimum(s.astype(int), 1)
    f = (1 - np.cos((s - i) * math.pi)) / 2
    return keys[i] * (1 - f) + keys[i + 1] * f


def paper(tex, rng):
    """A print: contrast loss, a warm paper tint, slight blur (dot gain)."""
    c = rng.uniform(0.65, 0.85)
    tex = tex * c + (1 - c) * rng.uniform(150, 200)
    return ndimage.gaussian_filter(tex, sigma=(0.8, 0.8, 0))


def screen(tex, rng):
    """A phone or monitor: gamma, a visible pixel grid, a black bezel."""
    g = rng.uniform(0.75, 0.9)
    tex = 255 * (tex / 255) ** g * rng.uniform(0.95, 1.1)
    pitch = rng.integers(3, 5)
    grid = np.ones(tex.shape[:2], np.float32)
    grid[::pitch, :] *= 0.6
    grid[:, ::pitch] *= 0.6
    tex = tex * grid[..., None]
    b = int(0.08 * tex.shape[1])
    framed = np.full((tex.shape[0] + 2 * b, tex.shape[1] + 2 * b, tex.shape[2]), 15, np.float32)
    framed[b:-b, b:-b] = tex
    return framed


def card(portrait, rng):
    """The card face: a pale card with text lines, the holder's portrait (greyscale) small on the right."""
    cw, ch = 860, 540
    tex = np.full((ch, cw, 1), rng.uniform(215, 240), np.float32)
    for k in range(6):
        y = 70 + 70 * k
        tex[y:y + 22, 50:50 + rng.integers(200, 460)] = rng.uniform(40, 90)
    grey = portrait.mean(axis=-1, keepdims=True)
    ph, pw = 300, int(300 * portrait.shape[1] / portrait.shape[0])
    small = np.asarray(Image.fromarray(np.clip(grey[..., 0], 0, 255).astype(np.uint8)).resize((pw, ph), Image.BICUBIC),
                       np.float32)[..., None]
    x0, y0 = cw - pw - 50, 120
    tex[y0:y0 + ph, x0:x0 + pw] = small * 0.85 + 20
    return paper(tex, rng) if rng.random() < 0.5 else tex


def attack_sequence(kind, source, rng, n, direction):
    """The frames of one attack of `kind` showing `source` (an RGB array), turned toward `direction` (+1/-1)."""
    if kind == "card-face":
        tex = card(source, rng)
        target = 270.0 * S  # the card's height on screen: the whole card in view, the portrait's face ~ 75-85 px wide
    elif kind == "replay-screen":
        tex = screen(source, rng)
        target = 330.0 * S
    else:
        tex = paper(source, rng)
        target = 280.0 * S
    th = tex.shape[0]
    z = F * th / target
    bend = None
    if kind == "print-bent":
        bend = rng.uniform(0.45, 1.0) * tex.shape[1]
    if kind == "print-still":
        yaw = np.full(n, rng.uniform(-0.1, 0.1)) + rng.normal(0, 0.004, n)
        pitch = np.full(n, rng.uniform(-0.1, 0.1)) + rng.normal(0, 0.004, n)
        roll = np.full(n, rng.uniform(-0.08, 0.08)) + rng.normal(0, 0.003, n)
        tx, ty = np.full(n, rng.uniform(-15, 15)) + rng.normal(0, 0.5, n), np.full(n, rng.uniform(-15, 15))
        tz = np.full(n, z)
    else:
        final = math.radians(rng.uniform(15, 35)) * direction
        ease = (1 - np.cos(np.linspace(0, 1, n) * math.pi)) / 2
        yaw = final * ease + smooth_path(rng, n, math.radians(5))
        pitch = smooth_path(rng, n, math.radians(20))
        roll = smooth_path(rng, n, math.radians(12))
        shift = 12 if kind == "card-face" else 35
        tx, ty = smooth_path(rng, n, shift), smooth_path(rng, n, shift * 0.7)
        tz = z * (1 + smooth_path(rng, n, 0.12))
    if kind == "card-face":
        tx = tx - 257  # the attacker holds the card's portrait (right of the card's centre) in front of the camera
    bg = background(rng)
    frames = []
    glare = None
    if kind == "replay-screen":
        gy, gx = rng.uniform(0, H), rng.uniform(0, W)
        ys, xs = np.mgrid[0:H, 0:W]
        glare = 70 * np.exp(-((ys - gy) ** 2 + (xs - gx) ** 2) / (2 * rng.uniform(30, 70) ** 2))
    for k in range(n):
        R = rotation(yaw[k], pitch[k], roll[k])
        img, mask = render(tex, (R, np.array([tx[k], ty[k], tz[k]])), bend)
        if kind == "replay-screen":
            ys, xs = np.mgrid[0:H, 0:W]
            ang, freq = rng.uniform(0, math.pi), rng.uniform(0.15, 0.35)
            moire = 1 + 0.08 * np.sin(freq * (xs * math.cos(ang) + ys * math.sin(ang)) + rng.uniform(0, 6))
            img = img * moire[..., None] + (glare[..., None] if glare is not None else 0)
        frame = np.where(mask[..., None], img, bg)
        frame = ndimage.gaussian_filter(frame, sigma=(0.6, 0.6, 0)) + rng.normal(0, 2.5, frame.shape)
        frames.append(np.clip(frame[..., 0], 0, 255).astype(np.uint8))
    return frames


def save(frames, folder):
    os.makedirs(folder, exist_ok=True)
    paths = []
    for k, f in enumerate(frames):
        p = os.path.join(folder, f"{k:02d}.png")
        Image.fromarray(f).save(p)
        paths.append(os.path.abspath(p))
    return paths


def extra_bona_fide(facedata):
    """Real multi-image sittings other than att, frames referenced in place: each Yale person's images (one sitting
    of lighting, expression and glasses variants) and each tw_ntu recording with >= 3 burst frames (East-Asian;
    file names PPEEx..: the first five characters name the recording)."""
    yale, bursts = {}, {}
    with open(os.path.join(facedata, "labels.csv")) as f:
        for row in csv.DictReader(f):
            path = os.path.abspath(os.path.join(facedata, row["path"]))
            if row["set"] == "yale":
                yale.setdefault(row["identity"], []).append(path)
            elif row["set"] == "tw_ntu":
                bursts.setdefault((row["identity"], os.path.basename(path)[:5]), []).append(path)
    rows = [("bona-fide", "yale-session", k, k, "-", sorted(v)) for k, v in sorted(yale.items())]
    rows += [("bona-fide", "tw_ntu-burst", f"{i}-{r}", i, "-", sorted(v)) for (i, r), v in sorted(bursts.items())
             if len(v) >= 3]
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facedata", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--people", type=int, default=40)
    ap.add_argument("--per-type", type=int, default=1, help="attack sessions per type and source")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--extra-bona-fide", action="store_true",
                    help="also list yale sessions and East-Asian tw_ntu burst sessions as bona fide presentations")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    people = {}
    with open(os.path.join(a.facedata, "labels.csv")) as f:
        for row in csv.DictReader(f):
            if row["set"] == "att":
                people.setdefault(row["identity"], []).append(os.path.join(a.facedata, row["path"]))
    names = sorted(people, key=lambda s: int(s.split("_s")[-1]))[: a.people]
    rows = []
    scale = 3  # att images are 92x112: frames 276x336, faces ~ 150 px wide
    for name in names:
        files = sorted(people[name], key=lambda p: int(os.path.basename(p).split(".")[0]))
        bona = [load_grey_or_rgb(p, scale)[..., 0].astype(np.uint8) for p in files]
        rows.append(("bona-fide", "att-session", name, name, "-", save(bona, os.path.join(a.out, "bona-fide", name))))
        src = load_grey_or_rgb(files[0], 4)
        for kind in ATTACK_TYPES:
            for j in range(a.per_type):
                direction = 1 if rng.random() < 0.5 else -1
                frames = attack_sequence(kind, src, rng, a.frames, direction)
                sid = f"{name}-{kind}-{j}"
                rows.append(("attack", kind, sid, name, "left" if direction > 0 else "right",
                             save(frames, os.path.join(a.out, kind, sid))))
    samples = [os.path.join(a.samples, n) for n in ("obama.jpg", "obama2.jpg", "obama3.jpg")]
    if all(os.path.exists(p) for p in samples):
        rows.append(("bona-fide", "samples", "obama-samples", "obama", "-", [os.path.abspath(p) for p in samples]))
        src = load_grey_or_rgb(samples[0], 1)
        src = np.asarray(Image.fromarray(src[..., 0].astype(np.uint8)).resize((300, int(300 * src.shape[0] / src.shape[1]))),
                         np.float32)[..., None]
        for kind in ATTACK_TYPES:
            for j in range(a.per_type):
                direction = 1 if j % 2 == 0 else -1
                frames = attack_sequence(kind, src, rng, a.frames, direction)
                sid = f"obama-{kind}-{j}"
                rows.append(("attack", kind, sid, "obama", "left" if direction > 0 else "right",
                             save(frames, os.path.join(a.out, kind, sid))))
    if a.extra_bona_fide:
        rows += extra_bona_fide(a.facedata)
    with open(os.path.join(a.out, "manifest.tsv"), "w") as f:
        f.write("# kind\ttype\tsession\tidentity\tdirection\tframes\n")
        for r in rows:
            f.write("\t".join(r[:5]) + "\t" + ",".join(r[5]) + "\n")
    print(f"make-pad-attacks: {sum(r[0] == 'attack' for r in rows)} attack and "
          f"{sum(r[0] == 'bona-fide' for r in rows)} bona fide sessions in {a.out}/manifest.tsv", file=sys.stderr)


if __name__ == "__main__":
    main()
