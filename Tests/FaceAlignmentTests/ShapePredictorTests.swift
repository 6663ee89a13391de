import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceAlignment

@Suite("shape predictor file, cache and robustness")
struct ShapePredictorTests {
    static let modelURL = TestEnvironment.model("shape_predictor_5_face_landmarks.dat")

    @Test(
        "the 5-point file parses to 15 cascades × 500 trees of depth 4 with 800 features",
        .enabled(if: modelURL != nil, Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func structure() throws {
        let p = try #require(SharedPredictor.predictor)
        #expect(p.partCount == 5)
        #expect(p.cascadeCount == 15)
        #expect(p.treesPerCascade == 500)
        #expect(p.splitsPerTree == 15)
        #expect(p.featuresPerCascade == 800)
        // README: initial shape (.7763,.3455), (.6186,.3538), (.2265,.3455), (.3842,.3538), (.5014,.6576).
        let expected: [Float] = [0.7763, 0.3455, 0.6186, 0.3538, 0.2265, 0.3455, 0.3842, 0.3538, 0.5014, 0.6576]
        for (a, b) in zip(p.initialShape, expected) { #expect(abs(a - b) < 5e-5) }
    }

    @Test(
        "the compiled cache round-trips, is written on first load and a corrupted cache is rebuilt",
        .enabled(if: modelURL != nil, Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func cacheRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaface-sp-cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let direct = try #require(SharedPredictor.predictor)
        let sha = String(repeating: "ab", count: 32)
        let first = try ShapePredictor(contentsOf: Self.modelURL!, sha256: sha, cacheDirectory: dir)
        let cacheFile = dir.appendingPathComponent("sp-\(sha).mfsp")
        #expect(FileManager.default.fileExists(atPath: cacheFile.path))
        #expect(first.compiledBytes() == direct.compiledBytes())

        let reloaded = try ShapePredictor(compiled: [UInt8](Data(contentsOf: cacheFile)))
        #expect(reloaded.compiledBytes() == direct.compiledBytes())
        let second = try ShapePredictor(contentsOf: Self.modelURL!, sha256: sha.uppercased(), cacheDirectory: dir)
        #expect(second.compiledBytes() == direct.compiledBytes())

        // Corrupt one byte in the middle: the checksum rejects it and loading rebuilds the file.
        var bytes = [UInt8](try Data(contentsOf: cacheFile))
        bytes[bytes.count / 2] ^= 0x5A
        #expect(throws: AlignmentError.self) { try ShapePredictor(compiled: bytes) }
        try Data(bytes).write(to: cacheFile)
        let rebuilt = try ShapePredictor(contentsOf: Self.modelURL!, sha256: sha, cacheDirectory: dir)
        #expect(rebuilt.compiledBytes() == direct.compiledBytes())
        #expect([UInt8](try Data(contentsOf: cacheFile)) == direct.compiledBytes())

        // Truncated cache.
        #expect(throws: AlignmentError.self) {
            try ShapePredictor(compiled: Array(direct.compiledBytes().prefix(1000)))
        }

        // A cache of the previous format version (checksummed byte by byte) is refused by its version
        // field, and loading rebuilds the file in the current version.
        var old = direct.compiledBytes()
        old[4] = 1
        #expect(throws: AlignmentError.unsupportedModel("compiled cache: version 1")) {
            try ShapePredictor(compiled: old)
        }
        try Data(old).write(to: cacheFile)
        _ = try ShapePredictor(contentsOf: Self.modelURL!, sha256: sha, cacheDirectory: dir)
        #expect([UInt8](try Data(contentsOf: cacheFile)) == direct.compiledBytes())
    }

    @Test("a malformed SHA-256 key is a typed error")
    func badSHA() {
        #expect(throws: AlignmentError.self) {
            try ShapePredictor(contentsOf: URL(fileURLWithPath: "/nonexistent.dat"), sha256: "xyz")
        }
        #expect(throws: AlignmentError.self) {
            try ShapePredictor(contentsOf: URL(fileURLWithPath: "/nonexistent/shape_predictor.dat"))
        }
    }

    @Test(
        "truncated and hostile model bytes throw instead of trapping",
        .enabled(if: modelURL != nil, Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func hostileModelBytes() throws {
        let bytes = try [UInt8](Data(contentsOf: Self.modelURL!))
        for cut in [0, 1, 5, 100, 4096, bytes.count / 2, bytes.count - 1] {
            #expect(throws: AlignmentError.self) { try ShapePredictor(serialized: Array(bytes.prefix(cut))) }
        }
        // Version 2, and a cascade count of 2^40 right after a valid initial shape.
        var wrongVersion = bytes
        wrongVersion[1] = 2
        #expect(throws: AlignmentError.self) { try ShapePredictor(serialized: wrongVersion) }
        #expect(throws: AlignmentError.self) {
            try ShapePredictor(serialized: [0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01])
        }
        #expect(throws: AlignmentError.self) {
            try ShapePredictor(serialized: [0x01, 0x01, 0x81, 0x0A, 0x81, 0x01] + [UInt8](repeating: 0x01, count: 40))
        }
        #expect(throws: AlignmentError.self) { try ShapePredictor(serialized: bytes + [0]) }
    }

    @Test(
        "greyscale input gives the same landmarks as the same grey replicated in RGB",
        .enabled(if: modelURL != nil, Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func greyEqualsReplicatedRGB() throws {
        let p = try #require(SharedPredictor.predictor)
        let rgb = formulaImage(width: 200, height: 160)
        var grey = [UInt8](repeating: 0, count: 200 * 160)
        for i in 0..<(200 * 160) { grey[i] = rgb.pixels[3 * i + 1] }
        let greyImage = Image(width: 200, height: 160, channels: 1, pixels: grey)
        let replicated = Image(width: 200, height: 160, channels: 3, pixels: grey.flatMap { [$0, $0, $0] })
        let face = FaceRect(left: 30, top: 20, right: 169, bottom: 149)
        #expect(p.landmarks(in: greyImage, face: face) == p.landmarks(in: replicated, face: face))
    }

    @Test(
        "absurd face rectangles do not trap",
        .enabled(if: modelURL != nil, Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func absurdRects() throws {
        let p = try #require(SharedPredictor.predictor)
        let image = formulaImage(width: 64, height: 48)
        for face in [
            FaceRect(left: Int.min, top: Int.min, right: Int.max, bottom: Int.max),
            FaceRect(left: 10, top: 10, right: 5, bottom: 5),
            FaceRect(left: -1000, top: -1000, right: -900, bottom: -900),
            FaceRect(left: 0, top: 0, right: 0, bottom: 0),
        ] {
            #expect(p.landmarks(in: image, face: face).points.count == 5)
        }
        let empty = Image(width: 0, height: 0, channels: 3)
        #expect(p.landmarks(in: empty, face: FaceRect(left: 0, top: 0, right: 10, bottom: 10)).points.count == 5)
    }

    @Test("FNV-1a 64 matches its published test vectors")
    func fnvVectors() {
        #expect(fnv1a64([UInt8]()) == 0xcbf2_9ce4_8422_2325)
        #expect(fnv1a64(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(fnv1a64(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }
}

/// FNV-1a 64-bit hash, byte by byte (offset basis 0xcbf29ce484222325, prime 0x100000001b3): the digest of
/// decoded pixels and chips in the parity tables, computed the same way by the Python script that made them.
func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        hash ^= UInt64(b)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
