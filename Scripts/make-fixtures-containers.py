#!/usr/bin/env python3
"""Generate the portrait-container fixtures in Fixtures/containers/.

Python standard library only, plus Debian's `opj_compress` (libopenjp2-tools) and `cjpeg`
(libjpeg-turbo-progs) to make the small embedded images. The TLV is built by hand here, independently of the
Swift builders, so the tests compare the Swift parser against values that come from this construction
(written to manifest.json), not from the parser itself.

Outputs (all synthetic; no real person, no real card):
  portrait.jp2             greyscale JP2 portrait, 96x128 (opj_compress from a generated PGM)
  face.jpg                 RGB JPEG, 64x80 (cjpeg from a generated PPM)
  cardface.bin             FF20 card-face file, DF21..DF2A, no filler
  cardface-filler.bin      the same elements, padded with FF to a 256-byte multiple (as read from a card)
  cardface-innerfiller.bin the same elements with 16 FF bytes inside FF20 after DF2A
  cvc.bin                  7F21 card-verifiable certificate
  dg2-19794-jpeg.bin       DG2, ISO/IEC 19794-5 record, JPEG face
  dg2-19794-jp2.bin        DG2, ISO/IEC 19794-5 record, JPEG 2000 face (2 feature points)
  dg2-39794.bin            DG2, ISO/IEC 39794-5 block, JPEG 2000 face
  manifest.json            expected values from the construction

Not generated here: fuzz-regressions/ holds inputs the libFuzzer target (Scripts/fuzz.sh) once crashed on,
replayed by Tests/FaceImagingTests/FuzzRegressionTests.swift.

Usage: Scripts/make-fixtures-containers.py [output-dir]   (default Fixtures/containers)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Fixtures", "containers")
OUT = os.path.abspath(OUT)
os.makedirs(OUT, exist_ok=True)


# ---------------------------------------------------------------- TLV by hand
def length_bytes(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, value):
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    return tag_bytes + length_bytes(len(value)) + value


# ---------------------------------------------------------------- small images
def png(width, height, rows, bit_depth=8):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + row for row in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bilevel_png(width, height, seed):
    rows = []
    for y in range(height):
        bits = [((x * 7 + y * 3 + seed) % 11) < 5 for x in range(width)]
        row = bytearray((width + 7) // 8)
        for x, bit in enumerate(bits):
            if bit:
                row[x // 8] |= 0x80 >> (x % 8)
        rows.append(bytes(row))
    return png(width, height, rows, bit_depth=1)


def grey_png(width, height):
    return png(width, height, [bytes(((x * 9 + y * 5) % 256) for x in range(width)) for y in range(height)])


def portrait_pixels(width, height):
    """A face-like synthetic pattern: light background, darker ellipse, two eye spots."""
    cx, cy = width / 2, height * 0.45
    out = bytearray()
    for y in range(height):
        for x in range(width):
            v = 200 - (y * 40) // height
            if ((x - cx) / (width * 0.32)) ** 2 + ((y - cy) / (height * 0.33)) ** 2 <= 1:
                v = 150 + (x * 13 + y * 7) % 20
                for ex in (cx - width * 0.12, cx + width * 0.12):
                    if (x - ex) ** 2 + (y - (cy - height * 0.06)) ** 2 <= (width * 0.04) ** 2:
                        v = 40
            out.append(v)
    return bytes(out)


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


with tempfile.TemporaryDirectory() as tmp:
    pgm = os.path.join(tmp, "portrait.pgm")
    with open(pgm, "wb") as f:
        f.write(b"P5\n96 128\n255\n" + portrait_pixels(96, 128))
    jp2_path = os.path.join(OUT, "portrait.jp2")
    run(["opj_compress", "-i", pgm, "-o", jp2_path, "-r", "20"])
    ppm = os.path.join(tmp, "face.ppm")
    with open(ppm, "wb") as f:
        pix = bytearray()
        for y in range(80):
            for x in range(64):
                pix += bytes([(x * 4) % 256, (y * 3) % 256, 128])
        f.write(b"P6\n64 80\n255\n" + bytes(pix))
    jpg_path = os.path.join(OUT, "face.jpg")
    with open(jpg_path, "wb") as f:
        subprocess.run(["cjpeg", "-quality", "75", ppm], check=True, stdout=f)

portrait = open(os.path.join(OUT, "portrait.jp2"), "rb").read()
face_jpeg = open(os.path.join(OUT, "face.jpg"), "rb").read()

# ---------------------------------------------------------------- card-face file
modulus = bytes([0xC0 | 0x15]) + bytes(((i * 37 + 11) % 256) for i in range(1, 255)) + b"\x01"  # 256 bytes, odd
exponent = b"\x01\x00\x01"
signature = bytes(((i * 29 + 3) % 256) for i in range(256))
name_png = bilevel_png(64, 16, 1)
address_png = bilevel_png(96, 24, 2)
security_png = grey_png(24, 12)
values = [
    (0xDF22, b"19800217"),
    (0xDF23, b"1"),
    (0xDF24, tlv(0x90, exponent) + tlv(0x91, modulus)),
    (0xDF25, name_png),
    (0xDF26, address_png),
    (0xDF27, portrait),
    (0xDF28, signature),
    (0xDF29, b"20350217"),
    (0xDF2A, security_png),
]


def card_face(inner_filler=0):
    encoded = [tlv(tag, value) for tag, value in values]
    table_element_size = 2 + 1 + 18
    content_length = table_element_size + sum(len(e) for e in encoded) + inner_filler
    header = b"\xff\x20" + length_bytes(content_length)
    offsets, p = [], len(header) + table_element_size
    for e in encoded:
        offsets.append(p)
        p += len(e)
    table = b"".join(struct.pack(">H", o) for o in offsets)
    data = header + tlv(0xDF21, table) + b"".join(encoded) + b"\xff" * inner_filler
    return data, offsets, len(header)


cardface, offsets, outer_header = card_face()
open(os.path.join(OUT, "cardface.bin"), "wb").write(cardface)
padded = cardface + b"\xff" * ((-len(cardface)) % 256 or 256)
open(os.path.join(OUT, "cardface-filler.bin"), "wb").write(padded)
inner, inner_offsets, _ = card_face(inner_filler=16)
open(os.path.join(OUT, "cardface-innerfiller.bin"), "wb").write(inner)

# ---------------------------------------------------------------- CVC
issuer = b"6000023" + b"\x08\x05" + b"001" + b"\x00\x00\x00\x00"
subject = b"6000023" + b"\x08\x05" + b"101" + b"\x00\x00\x00\x01"
cvc_modulus = bytes([0xE0]) + bytes(((i * 53 + 7) % 256) for i in range(1, 255)) + b"\x0b"
body = issuer + subject + tlv(0x90, exponent) + tlv(0x91, cvc_modulus)
cvc_signature = bytes(((i * 17 + 5) % 256) for i in range(256))
cvc = tlv(0x7F21, tlv(0x5F4E, body) + tlv(0x5F37, cvc_signature))
open(os.path.join(OUT, "cvc.bin"), "wb").write(cvc)


# ---------------------------------------------------------------- DG2
def bht(owner_type=True):
    parts = tlv(0x80, b"\x01\x01") + tlv(0x81, b"\x02") + tlv(0x87, b"\x01\x01")
    if owner_type:
        parts += tlv(0x88, b"\x00\x08")
    return tlv(0xA1, parts)


def record_19794(image, data_type, width, height, colour, feature_points=0, image_type=1):
    block = struct.pack(">IH", 20 + 8 * feature_points + 12 + len(image), feature_points)
    block += bytes([1, 0, 0]) + b"\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00" + b"\x00\x00\x00"
    for i in range(feature_points):
        block += bytes([1, 0x30 + i]) + struct.pack(">HH", 10 + i, 20 + i) + b"\x00\x00"
    block += bytes([image_type, data_type]) + struct.pack(">HH", width, height) + bytes([colour, 2]) + b"\x00\x00\x00\x00"
    block += image
    header = b"FAC\x00" + b"010\x00" + struct.pack(">IH", 14 + len(block), 1)
    return header + block


def dg2(bdb_tag, bdb, owner_type=True):
    template = tlv(0x7F60, bht(owner_type) + tlv(bdb_tag, bdb))
    return tlv(0x75, tlv(0x7F61, tlv(0x02, b"\x01") + template))


def integer(tag, v):
    body = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return tlv(tag, body)


def block_39794(image, format_code, width, height, colour_code, kind=0):
    info = tlv(0xA1, tlv(0xA0, integer(0x80, format_code)) + tlv(0xA1, integer(0x80, kind))
               + tlv(0xA7, integer(0x80, width) + integer(0x81, height)) + tlv(0xA9, integer(0x80, colour_code)))
    two_d = tlv(0xA0, tlv(0x80, image) + info)
    rep = tlv(0x30, integer(0x80, 0) + tlv(0xA1, tlv(0xA0, two_d)))
    version = tlv(0xA0, integer(0x80, 0) + integer(0x81, 0))
    return version + tlv(0xA1, rep)


dg2_jpeg = dg2(0x5F2E, record_19794(face_jpeg, 0, 64, 80, 1))
dg2_jp2 = dg2(0x5F2E, record_19794(portrait, 1, 96, 128, 3, feature_points=2))
dg2_39794 = dg2(0x7F2E, block_39794(portrait, 3, 96, 128, 5), owner_type=False)
open(os.path.join(OUT, "dg2-19794-jpeg.bin"), "wb").write(dg2_jpeg)
open(os.path.join(OUT, "dg2-19794-jp2.bin"), "wb").write(dg2_jp2)
open(os.path.join(OUT, "dg2-39794.bin"), "wb").write(dg2_39794)


def find(haystack, needle):
    i = haystack.find(needle)
    assert i >= 0 and haystack.find(needle, i + 1) < 0, "needle must occur exactly once"
    return i


manifest = {
    "portrait.jp2": {"width": 96, "height": 128, "channels": 1, "bytes": len(portrait)},
    "face.jpg": {"width": 64, "height": 80, "channels": 3, "bytes": len(face_jpeg)},
    "cardface": {
        "files": ["cardface.bin", "cardface-filler.bin", "cardface-innerfiller.bin"],
        "sizes": [len(cardface), len(padded), len(inner)],
        "outerHeaderLength": outer_header,
        "offsets": offsets,
        "birthDate": "19800217", "sex": 1, "expiry": "20350217",
        "exponentHex": exponent.hex(), "modulusHex": modulus.hex(), "signatureHex": signature.hex(),
        "nameImageBytes": len(name_png), "addressImageBytes": len(address_png),
        "securityCodeImageBytes": len(security_png), "portraitBytes": len(portrait),
        "portraitOffset": find(cardface, portrait),
        "encodedLengths": [len(tlv(t, v)) for t, v in values],
    },
    "cvc": {"issuerHex": issuer.hex(), "subjectHex": subject.hex(), "bodyLength": len(body), "bodyOffset": find(cvc, body),
            "modulusHex": cvc_modulus.hex(), "signatureHex": cvc_signature.hex(), "bytes": len(cvc)},
    "dg2-19794-jpeg.bin": {"imageOffset": find(dg2_jpeg, face_jpeg), "imageBytes": len(face_jpeg), "width": 64,
                           "height": 80, "dataType": "JPEG", "colourSpace": "RGB24", "imageType": 1},
    "dg2-19794-jp2.bin": {"imageOffset": find(dg2_jp2, portrait), "imageBytes": len(portrait), "width": 96,
                          "height": 128, "dataType": "JPEG 2000", "colourSpace": "GRAY8", "imageType": 1},
    "dg2-39794.bin": {"imageOffset": find(dg2_39794, portrait), "imageBytes": len(portrait), "width": 96,
                      "height": 128, "dataType": "JPEG 2000", "colourSpace": "GRAY8", "imageType": 0},
}
with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", OUT)
