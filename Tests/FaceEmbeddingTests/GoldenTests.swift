import FaceImaging
import Foundation
import NeuralCore
import TestSupport
import Testing

@testable import FaceEmbedding

/// Shared test fixtures: one loaded embedder (from a private, throwaway cache folder) per test process.
enum Fixture {
    static let modelURL = TestEnvironment.model("dlib_face_recognition_resnet_model_v1.dat")
    static let cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "mynaface-embedding-tests-\(getpid())")
    static let embedder: FaceEmbedder? = modelURL.flatMap {
        try? FaceEmbedder(modelURL: $0, cache: ModelCache(directory: cacheDir))
    }

    /// The formula chip: px(x,y) = ((x+2y)&255, (3x^y)&255, (xy>>4)&255) as R, G, B.
    static func formulaChip() -> Image {
        var px = [UInt8](repeating: 0, count: 150 * 150 * 3)
        for y in 0..<150 {
            for x in 0..<150 {
                let i = (y * 150 + x) * 3
                px[i] = UInt8((x + 2 * y) & 255)
                px[i + 1] = UInt8(((3 * x) ^ y) & 255)
                px[i + 2] = UInt8(((x * y) >> 4) & 255)
            }
        }
        return Image(width: 150, height: 150, channels: 3, pixels: px)
    }

    static func golden(_ name: String) throws -> [Float] {
        let text = try String(contentsOf: TestEnvironment.dlibGolden!.appendingPathComponent(name), encoding: .utf8)
        return text.split(whereSeparator: \.isWhitespace).compactMap { Float($0) }
    }

    static func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }
}

@Suite("dlib ResNet parity on dlib's golden values")
struct GoldenTests {
    static let ready = Fixture.modelURL != nil && TestEnvironment.dlibGolden != nil

    @Test(
        "the formula chip gives dlib's descriptor to 1e-4",
        .enabled(if: ready, "needs the fetched models and ../shared/reference/dlib/golden"))
    func formulaChip() throws {
        let embedder = try #require(Fixture.embedder)
        let want = try Fixture.golden("golden_chip_formula_desc.txt")
        #expect(want.count == 128)
        let got = try embedder.embedding(ofChip: Fixture.formulaChip())
        let diff = Fixture.maxDiff(got.values, want)
        print("formula chip: max |diff| vs dlib = \(diff)")
        #expect(diff <= 1e-4)
    }

    @Test(
        "dlib's aligned golden chip gives dlib's descriptor to 1e-4",
        .enabled(if: ready, "needs the fetched models and ../shared/reference/dlib/golden"))
    func alignedChip() throws {
        let embedder = try #require(Fixture.embedder)
        let bytes = try [UInt8](
            Data(contentsOf: TestEnvironment.dlibGolden!.appendingPathComponent("golden_aligned_chip.rgb")))
        let want = try Fixture.golden("golden_aligned_chip_desc.txt")
        let got = try embedder.embedding(ofRawRGB: bytes)
        let diff = Fixture.maxDiff(got.values, want)
        print("aligned golden chip: max |diff| vs dlib = \(diff)")
        #expect(diff <= 1e-4)
    }

    @Test(
        "a batch gives the same descriptors as single chips, in order",
        .enabled(if: ready, "needs the fetched models and ../shared/reference/dlib/golden"))
    func batchEqualsSingle() throws {
        var embedder = try #require(Fixture.embedder)
        let a = Fixture.formulaChip()
        let b = Image(
            width: 150, height: 150, channels: 3,
            pixels: try [UInt8](
                Data(contentsOf: TestEnvironment.dlibGolden!.appendingPathComponent("golden_aligned_chip.rgb"))))
        let grey = Image(width: 150, height: 150, channels: 1, pixels: (0..<22500).map { UInt8(($0 * 7) & 255) })
        let greyAsRGB = Image(width: 150, height: 150, channels: 3, pixels: grey.pixels.flatMap { [$0, $0, $0] })
        let singles = try [a, b, grey].map { try embedder.embedding(ofChip: $0) }
        embedder.batchSize = 2  // 5 chips → batches of 2, 2, 1
        let batch = try embedder.embeddings(ofChips: [a, b, grey, b, a])
        #expect(batch.count == 5)
        for (i, j) in [(0, 0), (1, 1), (2, 2), (3, 1), (4, 0)] {
            #expect(Fixture.maxDiff(batch[i].values, singles[j].values) < 1e-5)
        }
        embedder.workers = 2  // batches spread over two threads (no layer split): same order, same numbers
        let parallel = try embedder.embeddings(ofChips: [a, b, grey, b, a])  // up to GEMM blocking
        #expect(parallel.count == 5)
        for i in 0..<5 { #expect(Fixture.maxDiff(parallel[i].values, batch[i].values) < 1e-5) }
        #expect(try embedder.embeddings(ofChips: [a, b, grey, b, a]) == parallel)  // deterministic
        var alone = embedder
        alone.threads = 1  // one pass on the calling thread alone: the team's result up to GEMM blocking
        for (chip, single) in zip([a, b, grey], singles) {
            #expect(Fixture.maxDiff(try alone.embedding(ofChip: chip).values, single.values) < 1e-5)
        }
        #expect(try embedder.embeddings(ofChips: []).isEmpty)
        #expect(Fixture.maxDiff(try embedder.embedding(ofChip: greyAsRGB).values, singles[2].values) == 0)
        #expect(singles[0].euclideanDistance(to: singles[1]) > 0.1)
    }

    @Test(
        "the compiled cache reloads the same model, and a corrupted cache is rebuilt",
        .enabled(if: ready, "needs the fetched models and ../shared/reference/dlib/golden"))
    func cacheRoundTrip() throws {
        let url = try #require(Fixture.modelURL)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaface-cache-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = ModelCache(directory: dir)
        let first = try FaceEmbedder(modelURL: url, cache: cache)  // parses .dat, writes cache
        let key = try ModelCache.sourceKey(for: url)
        let file = cache.fileURL(name: "dlib_face_recognition_resnet_model_v1", key: key)
        #expect(FileManager.default.fileExists(atPath: file.path))
        let start = Date()
        let second = try FaceEmbedder(modelURL: url, cache: cache)  // from cache
        let ms = Date().timeIntervalSince(start) * 1000
        print("load from compiled cache: \(ms) ms (debug build)")
        let chip = Fixture.formulaChip()
        #expect(try first.embedding(ofChip: chip) == second.embedding(ofChip: chip))
        // Flip one payload byte: the checksum rejects it, the file is removed and rebuilt.
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count - 5] ^= 0x40
        try bytes.write(to: file)
        #expect(
            cache.load(name: "dlib_face_recognition_resnet_model_v1", key: key, expectedCount: ResNetModel.floatCount)
                == nil)
        let third = try FaceEmbedder(modelURL: url, cache: cache)
        #expect(try third.embedding(ofChip: chip) == first.embedding(ofChip: chip))
        #expect(
            cache.load(name: "dlib_face_recognition_resnet_model_v1", key: key, expectedCount: ResNetModel.floatCount)
                != nil)
        // A truncated cache is rejected too.
        try Data(bytes.prefix(1000)).write(to: file)
        #expect(
            cache.load(name: "dlib_face_recognition_resnet_model_v1", key: key, expectedCount: ResNetModel.floatCount)
                == nil)
    }

    @Test(
        "a truncated or corrupted .dat gives a typed error",
        .enabled(if: Fixture.modelURL != nil, "models not fetched: run Scripts/fetch-models.sh"))
    func badModelFile() throws {
        let bytes = try [UInt8](Data(contentsOf: Fixture.modelURL!))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-bad-dat-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let truncated = dir.appendingPathComponent("truncated.dat")
        try Data(bytes[0..<(bytes.count - 1000)]).write(to: truncated)
        #expect(throws: FaceEmbeddingError.self) { try FaceEmbedder(modelURL: truncated, cache: nil) }
        // The MMOD detector is a valid dlib file but not this network.
        if let mmod = TestEnvironment.model("mmod_human_face_detector.dat") {
            #expect(
                throws: FaceEmbeddingError.unexpectedModel(
                    layer: -1, expected: "input_rgb_image_sized 150×150", found: "input_rgb_image_pyramid")
            ) {
                try FaceEmbedder(modelURL: mmod, cache: nil)
            }
        }
        #expect(throws: FaceEmbeddingError.missingModel(.missing(name: "absent.dat", directory: dir.path))) {
            try FaceEmbedder(modelURL: dir.appendingPathComponent("absent.dat"), cache: nil)
        }
    }

    @Test("wrong chip sizes are rejected")
    func wrongSize() throws {
        guard let embedder = Fixture.embedder else {
            print(TestEnvironment.modelsAbsentMessage)
            return
        }
        #expect(throws: FaceEmbeddingError.wrongChipSize(width: 149, height: 150, channels: 3)) {
            try embedder.embedding(ofChip: Image(width: 149, height: 150, channels: 3))
        }
        #expect(throws: FaceEmbeddingError.self) { try embedder.embedding(ofRawRGB: [1, 2, 3]) }
    }
}

@Suite("similarity")
struct SimilarityTests {
    @Test("euclidean distance and cosine similarity on known vectors")
    func known() throws {
        var a = [Float](repeating: 0, count: 128)
        var b = a
        a[0] = 3
        a[127] = 4
        b[0] = 3
        let ea = try FaceEmbedding(values: a)
        let eb = try FaceEmbedding(values: b)
        #expect(ea.euclideanDistance(to: eb) == 4)
        #expect(ea.norm == 5)
        #expect(abs(ea.cosineSimilarity(to: eb) - 0.6) < 1e-6)
        #expect(ea.cosineSimilarity(to: ea) == 1)
        #expect(throws: FaceEmbeddingError.wrongDimension(3)) { try FaceEmbedding(values: [1, 2, 3]) }
        a[5] = .nan
        #expect(throws: FaceEmbeddingError.nonFinite) { try FaceEmbedding(values: a) }
    }
}

@Suite("concurrency")
struct ConcurrencyTests {
    @Test(
        "one embedder serves concurrent callers with identical results",
        .enabled(if: Fixture.modelURL != nil, "models not fetched: run Scripts/fetch-models.sh"))
    func concurrent() async throws {
        let embedder = try #require(Fixture.embedder)
        let chip = Fixture.formulaChip()
        let reference = try embedder.embedding(ofChip: chip)
        let results = try await withThrowingTaskGroup(of: FaceEmbedding.self) { group in
            for _ in 0..<4 { group.addTask { try embedder.embedding(ofChip: chip) } }
            var all: [FaceEmbedding] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0 == reference })
    }
}
