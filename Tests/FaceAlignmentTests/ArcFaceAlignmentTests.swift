import FaceImaging
import Foundation
import Testing

@testable import FaceAlignment

/// The ArcFace alignment against a numpy reference: `Scripts/arcface-alignment-reference.py` computes the five points,
/// the Umeyama similarity (general SVD form) and the bilinear warp of the same synthetic image and 68-point shape; its
/// output is pasted below.
@Suite("ArcFace five-point alignment")
struct ArcFaceAlignmentTests {
    /// The script's synthetic 160×120 RGB image: `(3x + 5y + 40c + (x·y mod 17)) mod 256`.
    static let image: Image = {
        let w = 160
        let h = 120
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 { px[(y * w + x) * 3 + c] = UInt8((3 * x + 5 * y + 40 * c + (x * y) % 17) % 256) }
            }
        }
        return Image(width: w, height: h, channels: 3, pixels: px)
    }()

    /// The script's synthetic 68-point shape.
    static let shape: [LandmarkPoint] = {
        var pts = (0..<68).map { LandmarkPoint(x: 20 + $0, y: 10 + $0) }
        let leftEye = [(52, 50), (56, 47), (61, 47), (65, 50), (61, 52), (56, 52)]
        let rightEye = [(84, 43), (88, 40), (93, 40), (97, 42), (93, 45), (88, 45)]
        for (k, p) in leftEye.enumerated() { pts[36 + k] = LandmarkPoint(x: p.0, y: p.1) }
        for (k, p) in rightEye.enumerated() { pts[42 + k] = LandmarkPoint(x: p.0, y: p.1) }
        pts[30] = LandmarkPoint(x: 78, y: 66)
        pts[48] = LandmarkPoint(x: 66, y: 86)
        pts[54] = LandmarkPoint(x: 96, y: 80)
        return pts
    }()

    @Test("the five points are the eye centres (36–41, 42–47), the nose tip 30 and the mouth corners 48, 54")
    func fivePoints() throws {
        let p = try ArcFaceAlignment.fivePoints(from: Self.shape)
        let expected: [SIMD2<Double>] = [
            SIMD2(58.5, 49.6666666667), SIMD2(90.5, 42.5), SIMD2(78, 66), SIMD2(66, 86), SIMD2(96, 80),
        ]
        for (a, b) in zip(p, expected) { #expect(abs(a.x - b.x) < 1e-9 && abs(a.y - b.y) < 1e-9) }
        #expect(throws: AlignmentError.wrongLandmarkCount(5)) {
            try ArcFaceAlignment.fivePoints(from: Array(Self.shape.prefix(5)))
        }
    }

    @Test(
        "the similarity transform equals numpy's Umeyama to 1e-6",
        arguments: [
            (
                112, 112,
                [1.038708930257, -0.192466674803, -12.307138690950, 0.192466674803, 1.038708930257, -10.416089611380]
            ),
            (
                96, 112,
                [0.979317882359, -0.180300871248, -16.479001904448, 0.180300871248, 0.979317882359, -5.619070489325]
            ),
        ])
    func transform(width: Int, height: Int, expected: [Double]) throws {
        let t = try ArcFaceAlignment.transform(
            points: try ArcFaceAlignment.fivePoints(from: Self.shape), width: width, height: height)
        for (a, b) in zip(t.matrix, expected) { #expect(abs(a - b) < 1e-6, "\(t.matrix) vs \(expected)") }
    }

    @Test("the warp equals numpy's bilinear warp within one grey level")
    func warp112() throws {
        let out = try ArcFaceAlignment.align(Self.image, shape: Self.shape, width: 112, height: 112)
        #expect(out.width == 112 && out.height == 112 && out.channels == 3)
        let expected: [(Int, Int, [Int])] = [
            (0, 0, [83, 123, 163]), (10, 20, [209, 248, 33]), (38, 51, [168, 208, 248]), (56, 71, [53, 93, 133]),
            (73, 51, [235, 19, 59]), (41, 92, [132, 172, 212]), (70, 92, [189, 229, 13]), (100, 5, [0, 0, 0]),
            (5, 100, [107, 147, 187]), (111, 111, [101, 141, 181]), (55, 55, [219, 16, 43]), (20, 80, [25, 65, 105]),
        ]
        Self.check(out, expected, sum: 4_674_992)
    }

    @Test("a 96×112 input scales the template; the warp still equals numpy's")
    func warp96() throws {
        let out = try ArcFaceAlignment.align(Self.image, shape: Self.shape, width: 96, height: 112)
        let expected: [(Int, Int, [Int])] = [
            (0, 0, [65, 105, 145]), (10, 20, [201, 241, 25]), (38, 51, [171, 211, 222]), (56, 71, [63, 103, 143]),
            (73, 51, [138, 33, 73]), (41, 92, [148, 188, 228]), (70, 92, [213, 253, 37]), (5, 100, [118, 158, 198]),
            (95, 111, [105, 145, 185]), (55, 55, [236, 20, 60]), (20, 80, [38, 78, 118]),
        ]
        Self.check(out, expected, sum: 3_904_916)
    }

    @Test("the template points land on the template: the five points map onto it to within the fit's residual")
    func templateFit() throws {
        // Points that ARE a similarity image of the template fit exactly.
        let t = SimilarityTransform2D(a: 0.8, b: -0.3, tx: 40, ty: 25)
        let points = ArcFaceAlignment.template112.map { p in
            let (x, y) = t.apply(p.x, p.y)
            return SIMD2(x, y)
        }
        let fit = try ArcFaceAlignment.transform(points: points, width: 112, height: 112)
        let inv = try #require(t.inverse)
        for (a, b) in zip(fit.matrix, inv.matrix) { #expect(abs(a - b) < 1e-9) }
    }

    @Test("degenerate points and absurd sizes are refused with typed errors")
    func refusals() {
        let same = [SIMD2<Double>](repeating: SIMD2(10, 10), count: 5)
        #expect(throws: AlignmentError.self) { try ArcFaceAlignment.transform(points: same, width: 112, height: 112) }
        let nan = [SIMD2<Double>](repeating: SIMD2(.nan, 1), count: 5)
        #expect(throws: AlignmentError.self) { try ArcFaceAlignment.transform(points: nan, width: 112, height: 112) }
        #expect(throws: AlignmentError.invalidChipParameters(size: 0, padding: 0)) {
            try ArcFaceAlignment.align(Self.image, shape: Self.shape, width: 0, height: 112)
        }
        #expect(throws: AlignmentError.invalidChipParameters(size: 5000, padding: 0)) {
            try ArcFaceAlignment.align(Self.image, shape: Self.shape, width: 112, height: 5000)
        }
    }

    static func check(_ out: Image, _ expected: [(Int, Int, [Int])], sum: Int) {
        for (u, v, rgb) in expected {
            for c in 0..<3 {
                let got = Int(out.pixels[(v * out.width + u) * 3 + c])
                #expect(abs(got - rgb[c]) <= 1, "pixel (\(u), \(v)) channel \(c): \(got), numpy \(rgb[c])")
            }
        }
        let total = out.pixels.reduce(0) { $0 + Int($1) }
        // Every value within one level of numpy's: the sum differs by at most a handful of rounding ties.
        #expect(abs(total - sum) <= 16, "sum \(total), numpy \(sum)")
    }
}
