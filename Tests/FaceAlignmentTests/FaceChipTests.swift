import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceAlignment

@Suite("face chip geometry and extraction")
struct FaceChipTests {
    @Test("template landmarks map to the identity chip: rect (0,0)-(149,149), angle 0")
    func templateIsIdentity() throws {
        // Landmarks exactly at the chip template positions p·100 + 25 are not integers, so use a 10× chip
        // (size 1500, padding 0.25: p·1000 + 250), rounded: the similarity is then the identity up to rounding.
        let pts = FaceChip.template.map { (Int(($0.0 * 1000 + 250).rounded()), Int(($0.1 * 1000 + 250).rounded())) }
        let details = try FaceChip.details(for: FaceLandmarks(pairs: pts), size: 1500)
        #expect(abs(details.angle) < 1e-3)
        #expect(abs(details.left - 0) < 1.0 && abs(details.top - 0) < 1.0)
        #expect(abs(details.right - 1499) < 1.0 && abs(details.bottom - 1499) < 1.0)
    }

    @Test("invalid chip parameters and details are typed errors")
    func invalidInputs() throws {
        let lm = try FaceLandmarks(pairs: GoldenTests.fixedLandmarks)
        #expect(throws: AlignmentError.invalidChipParameters(size: 0, padding: 0.25)) {
            try FaceChip.details(for: lm, size: 0)
        }
        #expect(throws: AlignmentError.self) { try FaceChip.details(for: lm, padding: -1) }
        #expect(throws: AlignmentError.self) { try FaceChip.details(for: lm, padding: .nan) }
        #expect(throws: AlignmentError.self) { try FaceChip.details(for: lm, size: 1 << 40) }
        #expect(throws: AlignmentError.wrongLandmarkCount(4)) {
            try FaceLandmarks(pairs: [(0, 0), (1, 1), (2, 2), (3, 3)])
        }
        let image = formulaImage(width: 32, height: 32)
        for d in [
            ChipDetails(left: .nan, top: 0, right: 10, bottom: 10, angle: 0, size: 150),
            ChipDetails(left: 0, top: 0, right: 10, bottom: 10, angle: .infinity, size: 150),
            ChipDetails(left: 10, top: 0, right: 0, bottom: 10, angle: 0.1, size: 150),
            ChipDetails(left: 0, top: 0, right: 1e300, bottom: 10, angle: 0.1, size: 150),
            ChipDetails(left: 0, top: 0, right: 10, bottom: 10, angle: 0.1, size: -3),
            ChipDetails(left: 0, top: 0, right: 10, bottom: 10, angle: 0.1, size: 1 << 20),
        ] {
            #expect(throws: AlignmentError.self) { try FaceChip.extract(from: image, details: d) }
        }
    }

    @Test("landmarks decode only with five points; absurd landmarks give a typed error, not a trap")
    func landmarksCodableAndAbsurd() throws {
        let five = try FaceLandmarks(pairs: GoldenTests.fixedLandmarks)
        let json = try JSONEncoder().encode(five)
        #expect(try JSONDecoder().decode(FaceLandmarks.self, from: json) == five)
        let four = Data(#"[{"x":1,"y":2},{"x":3,"y":4},{"x":5,"y":6},{"x":7,"y":8}]"#.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(FaceLandmarks.self, from: four) }

        let absurd = try FaceLandmarks(pairs: [(Int.max, 0), (Int.min, 5), (0, Int.max), (7, 7), (Int.max, Int.max)])
        let image = formulaImage(width: 32, height: 32)
        do {
            let d = try FaceChip.details(for: absurd)
            _ = try FaceChip.extract(from: image, details: d)
        } catch {
            if case .invalidChipDetails = error {} else { Issue.record("unexpected \(error)") }
        }
        let same = try FaceLandmarks(pairs: Array(repeating: (10, 10), count: 5))  // all points equal: zero scale
        #expect(throws: AlignmentError.self) {
            try FaceChip.extract(from: image, details: try FaceChip.details(for: same))
        }
    }

    @Test("landmarks: subscript and points agree; equality and hashing follow the five points")
    func landmarksValue() throws {
        let a = try FaceLandmarks(pairs: GoldenTests.fixedLandmarks)
        #expect(a.points == GoldenTests.fixedLandmarks.map { LandmarkPoint(x: $0.0, y: $0.1) })
        for i in 0..<FaceLandmarks.count { #expect(a[i] == a.points[i]) }
        #expect(a.description == "(200, 100) (175, 102) (115, 98) (140, 101) (158, 140)")
        var moved = GoldenTests.fixedLandmarks
        moved[4].1 += 1
        let b = try FaceLandmarks(pairs: moved)
        #expect(a != b)
        #expect(a == (try FaceLandmarks(a.points)))
        #expect(Set([a, b, try FaceLandmarks(pairs: GoldenTests.fixedLandmarks)]).count == 2)
    }

    @Test("a chip far outside the image is black, a huge rectangle does not trap")
    func outsideAndHuge() throws {
        let image = formulaImage(width: 64, height: 48)
        let outside = try FaceChip.extract(
            from: image, details: ChipDetails(left: 1000, top: 1000, right: 1100, bottom: 1100, angle: 0.3, size: 150))
        #expect(outside.pixels.allSatisfy { $0 == 0 })
        let huge = try FaceChip.extract(
            from: image, details: ChipDetails(left: -9e6, top: -9e6, right: 9e6, bottom: 9e6, angle: 0.2, size: 150))
        #expect(huge.width == 150 && huge.height == 150)
        let empty = try FaceChip.extract(
            from: Image(width: 0, height: 0, channels: 1),
            details: ChipDetails(left: 0, top: 0, right: 500, bottom: 500, angle: 0.2, size: 150))
        #expect(empty.pixels.allSatisfy { $0 == 0 })
    }

    @Test("with angle 0 and a 150-pixel rectangle the chip is a plain copy (dlib's basic path)")
    func basicCopy() throws {
        let image = formulaImage(width: 320, height: 240)
        let chip = try FaceChip.extract(
            from: image, details: ChipDetails(left: 10, top: 20, right: 159, bottom: 169, angle: 0, size: 150))
        #expect(chip.width == 150 && chip.height == 150)
        for (x, y) in [(0, 0), (149, 0), (0, 149), (77, 33)] {
            let o = (y * 150 + x) * 3
            let s = ((y + 20) * 320 + x + 10) * 3
            #expect(Array(chip.pixels[o..<(o + 3)]) == Array(image.pixels[s..<(s + 3)]))
        }
    }

    @Test(
        "a greyscale chip equals each channel of the chip of the grey image replicated in RGB, on the pyramid path too")
    func greyChip() throws {
        let rgb = formulaImage(width: 900, height: 700)
        var grey = [UInt8](repeating: 0, count: 900 * 700)
        for i in grey.indices { grey[i] = rgb.pixels[3 * i] }
        let greyImage = Image(width: 900, height: 700, channels: 1, pixels: grey)
        let replicated = Image(width: 900, height: 700, channels: 3, pixels: grey.flatMap { [$0, $0, $0] })
        for details in [
            ChipDetails(left: 100.3, top: 80.7, right: 260.1, bottom: 240.5, angle: 0.1, size: 150),  // direct
            ChipDetails(left: 50.25, top: 40.5, right: 700.75, bottom: 691.0, angle: -0.2, size: 150),
        ] {  // 2 pyramid levels
            let g = try FaceChip.extract(from: greyImage, details: details)
            let c = try FaceChip.extract(from: replicated, details: details)
            #expect(g.channels == 1 && c.channels == 3)
            #expect(g.pixels == stride(from: 0, to: c.pixels.count, by: 3).map { c.pixels[$0] })
            #expect(g.pixels.contains { $0 != 0 })
        }
    }

    @Test("pyramid_down<2> sizes and values on known inputs")
    func pyramidDown() {
        // Constant image: every output equals the constant; size (n − 3) / 2.
        let flat = Image(width: 13, height: 10, channels: 1, pixels: [UInt8](repeating: 200, count: 130))
        let d = PyramidDown2.apply(flat)
        #expect(d.width == 5 && d.height == 3)
        #expect(d.pixels.allSatisfy { $0 == 200 })
        // Too small: empty.
        #expect(PyramidDown2.apply(Image(width: 8, height: 20, channels: 3)).width == 0)
        // A single bright pixel at (4, 4) of a 9×9 image. Output (r, c) covers input rows 2r…2r+4 and columns
        // 2c…2c+4 with weights [1 4 6 4 1]: (1, 1) gets 6·6·255/256 = 35 (truncated), its 4-neighbours 6·1·255/256 = 5,
        // the corners 1·1·255/256 = 0.
        var spike = [UInt8](repeating: 0, count: 81)
        spike[4 * 9 + 4] = 255
        let s = PyramidDown2.apply(Image(width: 9, height: 9, channels: 1, pixels: spike))
        #expect(s.width == 3 && s.height == 3)
        #expect(
            s.pixels == [
                0, 5, 0,
                5, 35, 5,
                0, 5, 0,
            ])
        var spike2 = [UInt8](repeating: 0, count: 81)
        spike2[4 * 9 + 2] = 255  // at (x 2, y 4)
        let s2 = PyramidDown2.apply(Image(width: 9, height: 9, channels: 1, pixels: spike2))
        // Column weights of x 2: c0 → 6, c1 → 1, c2 → 0; row weights of y 4: r0 → 1, r1 → 6, r2 → 1.
        #expect(
            s2.pixels == [
                5, 0, 0,
                35, 5, 0,
                5, 0, 0,
            ])
        // point_down
        let p = PyramidDown2.pointDown(10, 20)
        #expect(p.0 == 3.75 && p.1 == 9.25)
    }

    /// dlib's `pyramid_down<2>` written out directly: `Σᵢ Σⱼ wᵢ·wⱼ·p(2r + i, 2c + j) >> 8` with w = [1 4 6 4 1].
    static func referencePyramidDown(_ image: Image, x0: Int, y0: Int, width: Int, height: Int) -> Image {
        let ch = image.channels
        let w = [1, 4, 6, 4, 1]
        guard width > 8, height > 8 else { return Image(width: 0, height: 0, channels: ch) }
        let outW = (width - 3) / 2
        let outH = (height - 3) / 2
        var out = [UInt8](repeating: 0, count: outW * outH * ch)
        for r in 0..<outH {
            for c in 0..<outW {
                for k in 0..<ch {
                    var s = 0
                    for i in 0..<5 {
                        for j in 0..<5 {
                            s +=
                                w[i] * w[j]
                                * Int(image.pixels[((y0 + 2 * r + i) * image.width + x0 + 2 * c + j) * ch + k])
                        }
                    }
                    out[(r * outW + c) * ch + k] = UInt8(s >> 8)
                }
            }
        }
        return Image(width: outW, height: outH, channels: ch, pixels: out)
    }

    @Test("pyramid levels computed in one buffer equal level-by-level pyramid_down<2>, in RGB and grey")
    func pyramidLevels() {
        let rgb = formulaImage(width: 640, height: 173)
        var greyPixels = [UInt8](repeating: 0, count: 640 * 173)
        for i in greyPixels.indices { greyPixels[i] = rgb.pixels[3 * i + 2] }
        let grey = Image(width: 640, height: 173, channels: 1, pixels: greyPixels)
        for image in [rgb, grey] {
            // A window off the origin; levels 1–4 are 298×73, 147×35, 72×16 and 34×6, and level 5 is empty.
            // 298 output pixels per row take several chunks of column sums in RGB (83) and in grey (254).
            let (x0, y0, w, h) = (13, 9, 600, 150)
            var expected = Self.referencePyramidDown(image, x0: x0, y0: y0, width: w, height: h)
            #expect(PyramidDown2.apply(image, x0: x0, y0: y0, width: w, height: h) == expected)
            for levels in 2...5 {
                expected = Self.referencePyramidDown(
                    expected, x0: 0, y0: 0, width: expected.width, height: expected.height)
                #expect(PyramidDown2.apply(image, x0: x0, y0: y0, width: w, height: h, levels: levels) == expected)
            }
            #expect(expected.width == 0 && expected.height == 0)
        }
    }
}

// Array views of the inline matrices, for comparing with printed reference values.
extension SmallMatrix {
    /// A `rows × cols` matrix from its `rows · cols` row-major elements.
    init(rows: Int, cols: Int, _ elements: [Double]) {
        precondition(elements.count == rows * cols)
        self.init(rows: rows, cols: cols)
        for i in 0..<rows { for j in 0..<cols { self[i, j] = elements[i * cols + j] } }
    }

    /// The `rows · cols` elements, row-major.
    var elements: [Double] { (0..<(rows * cols)).map { self[$0 / cols, $0 % cols] } }
}

extension SmallVector {
    /// The `count` elements.
    var elements: [Double] { (0..<count).map { self[$0] } }
}

@Suite("dlib's small linear algebra, bit for bit")
struct DlibTransformTests {
    /// Reference bits printed (`%.17g`) by a C++ program calling dlib 20.0.1's `svd(m, u, d, v)`.
    @Test("Golub–Reinsch SVD of a 2×2 and a 3×3 matrix equals dlib's to the last bit")
    func svdBits() {
        let a = SmallMatrix(rows: 2, cols: 2, [3, 1, 2, 5])
        let (u, q, v) = dlibSVD(a)
        #expect(u.elements == [0.90929089689331344, 0.41616110441384824, -0.41616110441384807, 0.90929089689331311])
        #expect(q.elements == [2.2283532364172798, 5.8339045118812676])
        #expect(v.elements == [0.85065080835203988, 0.52573111211913359, -0.52573111211913348, 0.85065080835203966])

        let b = SmallMatrix(rows: 3, cols: 3, [0, 149, 0, 0, 0, 149, 1, 1, 1])
        let (u3, q3, v3) = dlibSVD(b)
        #expect(
            u3.elements == [
                -0.0067114093619341092, 0.70707493024740764, 0.70710678118654757,
                -0.0067114093619341092, 0.70707493024740764, -0.70710678118654735,
                0.99995495596989414, 0.0094913661422849783, 0,
            ])
        #expect(q3.elements == [0.99995495799849354, 149.00671156052658, 149])
        #expect(
            v3.elements == [
                0.99999999797130956, 6.3697574712462418e-05, -0.0,
                -4.5040987024318908e-05, 0.7071067797520465, 0.70710678118654746,
                -4.5040987024318921e-05, 0.70710677975204672, -0.70710678118654746,
            ])
    }

    @Test(
        "the similarity for landmarks (113,50) (91,49) (35,50) (56,49) (72,84) equals dlib's find_similarity_transform")
    func similarityBits() {
        let pts = [(113.0, 50.0), (91.0, 49.0), (35.0, 50.0), (56.0, 49.0), (72.0, 84.0)]
        var from = [Double]()
        var to = [Double]()
        for i in 0..<5 {
            from.append((0.25 + FaceChip.template[i].0) * (1 / 1.5) * 150)
            from.append((0.25 + FaceChip.template[i].1) * (1 / 1.5) * 150)
            to.append(pts[i].0)
            to.append(pts[i].1)
        }
        let m = from.withUnsafeBufferPointer { f in
            to.withUnsafeBufferPointer { t in dlibSimilarityTransform(from: f, to: t, count: 5) }
        }
        #expect(m.m00 == 1.0015372352101379 && m.m01 == -0.01295913680727289)
        #expect(m.m10 == 0.01295913680727289 && m.m11 == 1.0015372352101382)
        #expect(m.b0 == -0.0056390678041111642 && m.b1 == 0.094874458921424321)
    }

    @Test("a three-point affine reproduces its points")
    func affine() {
        let t = dlibAffineTransform(from: ((0, 0), (149, 0), (0, 149)), to: ((10, 20), (160, 25), (5, 170)))
        for (p, q) in [((0.0, 0.0), (10.0, 20.0)), ((149.0, 0.0), (160.0, 25.0)), ((0.0, 149.0), (5.0, 170.0))] {
            let r = t.apply(p.0, p.1)
            #expect(abs(r.0 - q.0) < 1e-9 && abs(r.1 - q.1) < 1e-9)
        }
    }
}
