import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceAlignment

/// One photo of `../shared/facedata` with what dlib-bin 20.0.1 computed for it (HOG detector box, or a
/// fixed box where HOG found nothing; 5-point landmarks; `get_face_chip(img, shape, 150, 0.25)`).
/// `imageFNV` and `chipFNV` are FNV-1a 64 hashes of the PIL-decoded pixels and of dlib's chip bytes.
/// Regenerate with the dlib-bin script at the end of this file (run with a venv holding dlib-bin 20.0.1,
/// numpy and pillow, and `python make_reference.py [paths…]`).
struct PhotoCase: Sendable, CustomStringConvertible {
    var path: String
    var channels: Int
    var imageFNV: UInt64
    var rect: FaceRect
    var landmarks: [(Int, Int)]
    var chipRect: (Double, Double, Double, Double)
    var angle: Double
    var chipFNV: UInt64
    var chipSum: Int
    var description: String { path }
}

let photoCases: [PhotoCase] = [
    PhotoCase(
        path: "lfw/Ariel_Sharon/Ariel_Sharon_0001.jpg", channels: 3, imageFNV: 0x56ce_654a_28bf_a764,  // hog(up=1)
        rect: FaceRect(left: 67, top: 80, right: 175, bottom: 187),
        landmarks: [(155, 118), (140, 115), (98, 109), (115, 111), (125, 146)],
        chipRect: (66.59838327348318, 76.59158736691676, 184.16414007484087, 194.15734416827445),
        angle: 0.1283066567637831,
        chipFNV: 0xa6a5_0429_1c8f_3d27, chipSum: 9_527_982),
    PhotoCase(
        path: "lfw/Colin_Powell/Colin_Powell_0001.jpg", channels: 3, imageFNV: 0xaa68_297b_53da_490a,  // hog(up=1)
        rect: FaceRect(left: 67, top: 68, right: 175, bottom: 175),
        landmarks: [(150, 115), (136, 115), (99, 111), (114, 113), (128, 141)],
        chipRect: (74.66780075351932, 81.49576248226869, 176.85932873681347, 183.68729046556285),
        angle: 0.023470469929317367,
        chipFNV: 0x899d_5e42_f456_8d7a, chipSum: 8_100_501),
    PhotoCase(
        path: "fr/fr_obama/obama.jpg", channels: 3, imageFNV: 0x8557_bae2_8cc7_71ae,  // hog(up=0)
        rect: FaceRect(left: 366, top: 136, right: 624, bottom: 394),
        landmarks: [(571, 217), (529, 215), (424, 217), (464, 216), (496, 295)],
        chipRect: (350.4767015182014, 122.9400481378749, 646.8768079366705, 419.34015455634403),
        angle: 0.0023004938759215486,
        chipFNV: 0xc10f_d660_9c6d_246b, chipSum: 9_439_968),
    PhotoCase(
        path: "fr/fr_biden/biden.jpg", channels: 3, imageFNV: 0x5ab8_42c9_665d_6e33,  // hog(up=0)
        rect: FaceRect(left: 439, top: 233, right: 749, bottom: 542),
        landmarks: [(672, 355), (627, 347), (510, 320), (556, 331), (582, 428)],
        chipRect: (415.908292751788, 232.46866404498036, 751.2250812715324, 567.7854525647247),
        angle: 0.18223645705209623,
        chipFNV: 0x991d_4118_3732_2e59, chipSum: 7_290_964),
    PhotoCase(
        path: "deepface/deepface_Angelina_Jolie/img4.jpg", channels: 3, imageFNV: 0xa7e6_9de8_05d1_c8a0,  // hog(up=0)
        rect: FaceRect(left: 496, top: 410, right: 1266, bottom: 1181),
        landmarks: [(1112, 677), (966, 685), (642, 685), (774, 687), (847, 908)],
        chipRect: (415.296160026568, 392.2391844155233, 1328.3865021174802, 1305.3295265064355),
        angle: 0.019975136532716747,
        chipFNV: 0x9d9b_8055_4f06_f218, chipSum: 9_005_373),
    PhotoCase(
        path: "deepface/deepface_Jennifer_Aniston/img54.jpg", channels: 3, imageFNV: 0xf811_0940_deb0_b6a8,  // hog(up=0)
        rect: FaceRect(left: 627, top: 556, right: 1269, bottom: 1198),
        landmarks: [(1122, 715), (1017, 724), (765, 726), (866, 732), (952, 933)],
        chipRect: (584.0941533793845, 494.1443861453605, 1321.6971399793547, 1231.7473727453307),
        angle: -0.037196121581353034,
        chipFNV: 0xd6c1_9197_2d42_cf3a, chipSum: 7_212_967),
    PhotoCase(
        path: "deepface/deepface_Scarlett_Johansson/img49.jpg", channels: 3, imageFNV: 0x9ba2_2d8a_4f4e_c63c,  // hog(up=0)
        rect: FaceRect(left: 1947, top: 715, right: 3057, bottom: 1824),
        landmarks: [(2859, 998), (2675, 1005), (2194, 977), (2380, 995), (2537, 1323)],
        chipRect: (1876.541959625823, 574.6537975626676, 3193.539663268429, 1891.6515012052737),
        angle: 0.015420712147462613,
        chipFNV: 0x3841_3be7_1285_4c70, chipSum: 10_366_437),
    PhotoCase(
        path: "att/att_s1/1.png", channels: 1, imageFNV: 0xf160_8a73_239b_d7ae,  // hog(up=1)
        rect: FaceRect(left: 17, top: 39, right: 80, bottom: 101),
        landmarks: [(65, 53), (54, 55), (28, 58), (40, 57), (50, 80)],
        chipRect: (10.2374948045805, 31.772163413191684, 88.39768102092935, 109.93234962954054),
        angle: -0.13469062641711643,
        chipFNV: 0x9fbd_f433_5d6c_dbc7, chipSum: 1_952_574),
    PhotoCase(
        path: "yale/yale_subject01/subject01.happy.png", channels: 1, imageFNV: 0xad20_c70c_6e55_e294,  // hog(up=1)
        rect: FaceRect(left: 110, top: 82, right: 239, bottom: 211),
        landmarks: [(219, 120), (196, 120), (141, 117), (163, 119), (178, 160)],
        chipRect: (101.9271395662729, 70.10510757395585, 257.3290425264315, 225.50701053411447),
        angle: 0.039144787729981895,
        chipFNV: 0x4ffa_eef3_3437_7687, chipSum: 3_160_168),
    PhotoCase(
        path: "johns/John_Salley/000186_02159346.jpg", channels: 3, imageFNV: 0x09a7_bace_9174_50b4,  // hog(up=1); flat background: exercises the exact SVD path
        rect: FaceRect(left: 10, top: 10, right: 139, bottom: 139),
        landmarks: [(113, 50), (91, 49), (35, 50), (56, 49), (72, 84)],
        chipRect: (-0.48386211996404427, 1.5605219278524345, 148.75929874478558, 150.80368279260205),
        angle: 0.012938524101200785,
        chipFNV: 0xb225_b809_fdcd_666c, chipSum: 7_356_159),
    PhotoCase(
        path: "johns/John_Salley/000200_02159354.jpg", channels: 3, imageFNV: 0x3d16_93d8_621e_8732,  // hog(up=1)
        rect: FaceRect(left: 20, top: 20, right: 127, bottom: 128),
        landmarks: [(113, 49), (91, 49), (39, 49), (58, 49), (70, 86)],
        chipRect: (1.3322360296141085, 2.7059953024718197, 147.49882548085614, 148.87258475371385),
        angle: 0.039097949204508396,
        chipFNV: 0xce1a_6dd5_7266_4419, chipSum: 6_203_386),
]

@Suite("dlib parity on photos of ../shared/facedata")
struct PhotoParityTests {
    @Test(
        "landmarks equal dlib's and the chip is byte-identical",
        .enabled(if: TestEnvironment.faceData != nil, Comment(rawValue: TestEnvironment.sharedAbsentMessage)),
        .enabled(
            if: TestEnvironment.model("shape_predictor_5_face_landmarks.dat") != nil,
            Comment(rawValue: TestEnvironment.modelsAbsentMessage)),
        arguments: photoCases)
    func photo(_ c: PhotoCase) throws {
        let url = TestEnvironment.faceData!.appendingPathComponent(c.path)
        let bytes = try [UInt8](Data(contentsOf: url))
        // PIL does not apply EXIF orientation; neither does this decode.
        let image = try ImageDecoder.decode(bytes, options: DecodeOptions(applyOrientation: false))
        #expect(image.channels == c.channels)
        #expect(fnv1a64(image.pixels) == c.imageFNV, "decoded pixels differ from PIL's for \(c.path)")
        let predictor = try #require(SharedPredictor.predictor)

        let landmarks = predictor.landmarks(in: image, face: c.rect)
        #expect(landmarks.points == c.landmarks.map { LandmarkPoint(x: $0.0, y: $0.1) })

        // Chip details and chip from dlib's landmarks, so a landmark mismatch does not hide a chip result.
        let details = try FaceChip.details(for: FaceLandmarks(pairs: c.landmarks))
        // dlib's values were printed with Python's shortest round-trip repr: they must match bit for bit.
        #expect(details.left == c.chipRect.0 && details.top == c.chipRect.1)
        #expect(details.right == c.chipRect.2 && details.bottom == c.chipRect.3)
        #expect(details.angle == c.angle)
        let chip = try FaceChip.extract(from: image, details: details)
        #expect(chip.width == 150 && chip.height == 150 && chip.channels == c.channels)
        #expect(chip.pixels.reduce(0) { $0 + Int($1) } == c.chipSum)
        #expect(fnv1a64(chip.pixels) == c.chipFNV, "chip of \(c.path) differs from dlib's")
    }
}

/* make_reference.py — the script that produced `photoCases` (dlib-bin 20.0.1, PIL decoding):

#!/usr/bin/env python3
"""Reference numbers for Tests/FaceAlignmentTests: dlib-bin 20.0.1 landmarks (5-point predictor) and
chip digests (get_face_chip, size 150, padding 0.25) for photos of ../shared/facedata.
Usage: /tmp/dlibenv/bin/python make_reference.py  (prints Swift literals; dumps chips to /tmp/alignref)."""
import os, sys, numpy as np, dlib
from PIL import Image
FACEDATA = '/work/shared/facedata'
SP = os.path.expanduser('~/.cache/mynaface/models/shape_predictor_5_face_landmarks.dat')
PHOTOS = sys.argv[1:] or [
    'lfw/Ariel_Sharon/Ariel_Sharon_0001.jpg',
    'lfw/Colin_Powell/Colin_Powell_0001.jpg',
    'fr/fr_obama/obama.jpg',
    'fr/fr_biden/biden.jpg',
    'deepface/deepface_Angelina_Jolie/img4.jpg',
    'deepface/deepface_Jennifer_Aniston/img54.jpg',
    'deepface/deepface_Scarlett_Johansson/img49.jpg',
    'att/att_s1/1.png',
    'yale/yale_subject01/subject01.happy.png',
]
def fnv1a64(b):
    h = 0xcbf29ce484222325
    for x in b:
        h = ((h ^ x) * 0x100000001b3) & 0xffffffffffffffff
    return h
det = dlib.get_frontal_face_detector(); sp = dlib.shape_predictor(SP)
for rel in PHOTOS:
    path = os.path.join(FACEDATA, rel)
    if not os.path.exists(path):
        print('// missing', rel); continue
    im = Image.open(path)
    img = np.asarray(im.convert('L') if im.mode in ('L', 'P', 'I;16') else im.convert('RGB'))
    img = np.ascontiguousarray(img)
    up = 1 if max(img.shape[:2]) < 1000 else 0
    dets = det(img, up)
    if len(dets) == 0:
        h, w = img.shape[:2]; r = dlib.rectangle(w // 8, h // 6, w - 1 - w // 8, h - 1 - h // 8); how = 'fixed'
    else:
        r = max(dets, key=lambda d: d.area()); how = 'hog(up=%d)' % up
    shape = sp(img, r)
    pts = [(shape.part(i).x, shape.part(i).y) for i in range(5)]
    d = dlib.get_face_chip_details(shape, 150, 0.25)
    chip = np.ascontiguousarray(dlib.get_face_chip(img, shape, 150, 0.25))
    chip.tofile('/tmp/alignref/' + rel.replace('/', '_') + '.chip')
    name = rel.replace('/', '_')
    print('    PhotoCase(path: "%s", channels: %d, imageFNV: 0x%016x, // %s' % (rel, 1 if img.ndim == 2 else 3, fnv1a64(img.tobytes()), how))
    print('              rect: FaceRect(left: %d, top: %d, right: %d, bottom: %d),' % (r.left(), r.top(), r.right(), r.bottom()))
    print('              landmarks: [%s],' % ', '.join('(%d, %d)' % p for p in pts))
    print('              chipRect: (%r, %r, %r, %r), angle: %r,' % (d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom(), d.angle))
    print('              chipFNV: 0x%016x, chipSum: %d),' % (fnv1a64(chip.tobytes()), int(chip.astype(np.int64).sum())))
*/
