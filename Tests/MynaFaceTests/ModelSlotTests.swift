import FaceAlignment
import FaceEmbedding
import FaceImaging
import Foundation
import MynaFace
import NeuralCore
import TestSupport
import Testing

/// A stand-in for an external network: output `k < 3` is the mean of input plane `k`, output 3 is 1 (four values).
/// Its result on a uniform face is known exactly, so the preprocessing and normalisation can be checked by hand.
struct PlaneMeanNetwork: TensorNetwork {
    var outputCount: Int { 4 }
    func run(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        let plane = input.count / 3
        for c in 0..<3 {
            var s: Double = 0
            for i in 0..<plane { s += Double(input[c * plane + i]) }
            output[c] = Float(s / Double(plane))
        }
        output[3] = 1
    }
}

/// The external-model slot: the manifest and its checks, the embedder's preprocessing, model identities in templates,
/// and the verifier's refusals.
@Suite("model slot: manifest, external embedder, model identity", .serialized)
struct ModelSlotTests {
    static let sha = String(repeating: "ab", count: 32)

    static func manifest(
        width: Int = 16, height: Int = 16, order: String = "RGB", size: Int = 4, threshold: String? = nil
    ) -> ModelManifest {
        ModelManifest(
            id: "test-plane-mean", name: "test double", file: "model.onnx", sha256: sha,
            input: .init(width: width, height: height, layout: "NCHW", channelOrder: order),
            normalization: .init(mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5]), embeddingSize: size,
            thresholdFile: threshold)
    }

    static func json(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        var object: [String: Any] = [
            "format": "mynaface-model", "version": 1, "id": "vendor-arcface", "file": "model.onnx", "sha256": sha,
            "input": ["width": 112, "height": 112, "layout": "NCHW", "channel_order": "RGB"],
            "normalization": ["mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]],
            "alignment": "arcface-112", "embedding_size": 512, "threshold_file": "threshold.json",
        ]
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func decode(_ edit: (inout [String: Any]) -> Void) throws -> ModelManifest {
        try ModelManifest.decode(try json(edit), path: "m.json")
    }

    @Test("a valid manifest decodes with every field")
    func validManifest() throws {
        let m = try Self.decode { _ in }
        #expect(m.id == "vendor-arcface" && m.embeddingSize == 512 && m.thresholdFile == "threshold.json")
        #expect(m.input.width == 112 && m.input.channelOrder == "RGB")
        let (mean, std) = try m.meanAndStd()
        #expect(mean == [127.5, 127.5, 127.5] && std == [127.5, 127.5, 127.5])
        // scale/offset: x/127.5 − 1 is the same normalisation.
        let s = try Self.decode { $0["normalization"] = ["scale": 1 / 127.5, "offset": -1.0] }
        let (m2, s2) = try s.meanAndStd()
        #expect(m2.allSatisfy { abs($0 - 127.5) < 1e-9 } && s2.allSatisfy { abs($0 - 127.5) < 1e-9 })
    }

    @Test("wrong format, unknown version and bad or unsupported fields are refused naming the field")
    func refusals() throws {
        #expect(throws: ModelManifestError.wrongFormat(path: "m.json", found: "onnx")) {
            try Self.decode { $0["format"] = "onnx" }
        }
        #expect(throws: ModelManifestError.unsupportedVersion(path: "m.json", found: 2, supported: 1)) {
            try Self.decode { $0["version"] = 2 }
        }
        func field(_ name: String, _ edit: (inout [String: Any]) -> Void) {
            do {
                _ = try Self.decode(edit)
                Issue.record("\(name): accepted")
            } catch {
                switch error as? ModelManifestError {
                case .invalidField(_, let f, _), .unsupported(_, let f, _):
                    #expect(f == name, "\(error)")
                default: Issue.record("\(name): \(error)")
                }
            }
        }
        field("id") { $0["id"] = "../etc" }
        field("file") { $0["file"] = "../model.onnx" }
        field("file") { $0["file"] = "model.bin" }
        field("sha256") { $0["sha256"] = "abc" }
        field("input.width") { $0["input"] = ["width": 8, "height": 112, "layout": "NCHW", "channel_order": "RGB"] }
        field("input.height") {
            $0["input"] = ["width": 112, "height": 100_000, "layout": "NCHW", "channel_order": "RGB"]
        }
        field("input.layout") { $0["input"] = ["width": 112, "height": 112, "layout": "NHWC", "channel_order": "RGB"] }
        field("input.channel_order") {
            $0["input"] = ["width": 112, "height": 112, "layout": "NCHW", "channel_order": "YUV"]
        }
        field("normalization.std") { $0["normalization"] = ["mean": [127.5], "std": [0.0]] }
        field("normalization.mean") { $0["normalization"] = ["mean": [1e9], "std": [1.0]] }
        field("normalization") {
            $0["normalization"] = ["mean": [127.5], "std": [127.5], "scale": 1.0, "offset": 0.0]
        }
        field("alignment") { $0["alignment"] = "dlib-150" }
        field("embedding_size") { $0["embedding_size"] = 0 }
        field("embedding_size") { $0["embedding_size"] = 1_000_000 }
        field("threshold_file") { $0["threshold_file"] = "/etc/threshold.json" }
        #expect(throws: ModelManifestError.self) { try Self.decode { $0.removeValue(forKey: "embedding_size") } }
        #expect(throws: ModelManifestError.malformed(path: "m.json", detail: "not a JSON object")) {
            try ModelManifest.decode(Data("[1".utf8), path: "m.json")
        }
    }

    @Test("a model directory: missing .onnx, SHA-256 mismatch, then a checked file reaches the network loader")
    func loading() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelManifestError.unreadable(path: dir.appendingPathComponent("manifest.json").path)) {
            try ExternalModel.load(directory: dir)
        }
        var manifest = Self.manifest()
        try manifest.save(to: dir.appendingPathComponent("manifest.json"))
        let onnx = dir.appendingPathComponent("model.onnx")
        #expect(throws: ModelManifestError.modelFileMissing(path: onnx.path)) { try ExternalModel.load(directory: dir) }
        try Data("not an onnx file".utf8).write(to: onnx)
        // sha256("not an onnx file"), from `printf 'not an onnx file' | sha256sum`.
        let actual = try ExternalModel.sha256(of: onnx)
        #expect(actual == "ab0d7ca563d1f6ee0485563dd90b05cabeae5b2aba5a0aa2515254cbe1a44fa1")
        #expect(throws: ModelManifestError.checksumMismatch(path: onnx.path, expected: Self.sha, actual: actual)) {
            try ExternalModel.load(directory: dir)
        }
        manifest.sha256 = actual
        try manifest.save(to: dir.appendingPathComponent("manifest.json"))
        do {
            _ = try ExternalModel.load(directory: dir)
            Issue.record("garbage bytes loaded as a network")
        } catch {
            guard case .network(let path, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(path == onnx.path)
        }
    }

    @Test("preprocessing (mean/std, RGB or BGR, NCHW) and L2 normalisation give the hand-computed embedding")
    func embedder() throws {
        let dir = URL(fileURLWithPath: "/nonexistent-model-dir")
        let face = Image(
            width: 16, height: 16, channels: 3,
            pixels: [UInt8]((0..<256).flatMap { _ in [200, 100, 0] as [UInt8] }))
        // (200 − 127.5)/127.5, (100 − 127.5)/127.5, (0 − 127.5)/127.5, 1, L2-normalised (numpy).
        let rgbExpected: [Float] = [0.369374306531684, -0.14010749558098362, -0.6495892976936513, 0.6495892976936513]
        let rgb = try ExternalModel(manifest: Self.manifest(), directory: dir, network: PlaneMeanNetwork())
        let e = try rgb.embedder.embedding(ofAlignedFace: face)
        #expect(e.count == 4)
        for (a, b) in zip(e.values, rgbExpected) { #expect(abs(a - b) < 1e-6, "\(e.values)") }
        let bgr = try ExternalModel(manifest: Self.manifest(order: "BGR"), directory: dir, network: PlaneMeanNetwork())
        let f = try bgr.embedder.embedding(ofAlignedFace: face)
        for (a, b) in zip(f.values, [rgbExpected[2], rgbExpected[1], rgbExpected[0], rgbExpected[3]]) {
            #expect(abs(a - b) < 1e-6, "\(f.values)")
        }
        // A grey face is expanded to R = G = B: 100 → −0.2156863 in every plane.
        let grey = Image(width: 16, height: 16, channels: 1, pixels: [UInt8](repeating: 100, count: 256))
        let g = try rgb.embedder.embedding(ofAlignedFace: grey)
        let v = Float((100 - 127.5) / 127.5)
        let n = (3 * v * v + 1).squareRoot()
        for (a, b) in zip(g.values, [v / n, v / n, v / n, 1 / n]) { #expect(abs(a - b) < 1e-6) }
        #expect(
            throws: FaceEmbeddingError.wrongFaceSize(
                width: 150, height: 150, channels: 3, expectedWidth: 16, expectedHeight: 16)
        ) { try rgb.embedder.embedding(ofAlignedFace: Image(width: 150, height: 150, channels: 3)) }
        #expect(rgb.identity == EmbeddingModelIdentity(id: "test-plane-mean", sha256: Self.sha))
        #expect(rgb.identity.thresholdName == "test-plane-mean@abababababab")
        #expect(rgb.thresholdFile == nil)
    }

    @Test("a network whose output is not the manifest's embedding size is refused")
    func outputSize() throws {
        #expect(throws: ModelManifestError.self) {
            try ExternalModel(
                manifest: Self.manifest(size: 512), directory: URL(fileURLWithPath: "/x"), network: PlaneMeanNetwork())
        }
    }

    @Test("templates record their model; format 2 round-trips any length, format 1 reads as dlib's")
    func serialisation() throws {
        let model = EmbeddingModelIdentity(id: "vendor-arcface", sha256: Self.sha)
        let values = (0..<512).map { Float($0) / 512 - 0.5 }
        let e = try FaceEmbedding(values: values, dimension: 512)
        let t = PortraitTemplate(
            embedding: e, mirrorAveragedEmbedding: e, faceBox: FaceRect(left: 10, top: 20, right: 109, bottom: 119),
            portraitChannels: 1, model: model)
        let bytes = try t.serialized()
        #expect(bytes.count == PortraitTemplate.serializedByteCount(model: model, dimension: 512))
        let layout: Int = 8 + 1 + 14 + 12 + 2 + 2 * 512 * 4 + 16 + 48 + 8 + 4
        #expect(bytes.count == layout)
        #expect(Array(bytes.prefix(5)) == [0x4D, 0x46, 0x54, 0x31, 2])
        let copy = try PortraitTemplate(serialized: bytes)
        #expect(copy.model == model && copy.embedding == e && copy.faceBox == t.faceBox)
        // A dlib template is format 2 too, 1160 bytes.
        let d = try FaceEmbedding(values: Array(values.prefix(128)))
        let dlib = PortraitTemplate(
            embedding: d, mirrorAveragedEmbedding: d, faceBox: t.faceBox, portraitChannels: 3, model: .dlibResNet)
        #expect(try dlib.serialized().count == PortraitTemplate.serializedByteCount)
        #expect(PortraitTemplate.serializedByteCount == 1160)
        // Format 1 (an earlier release's bytes, built here field by field) reads as dlib's ResNet.
        let old = Self.version1Bytes(d)
        #expect(old.count == PortraitTemplate.serializedByteCountVersion1 && old.count == 1108)
        let read = try PortraitTemplate(serialized: old)
        #expect(read.model == .dlibResNet && read.embedding == d && read.portraitChannels == 3)
        // Damage inside the model id, a future version, a truncated header.
        var bad = bytes
        bad[10] ^= 0x01
        #expect(throws: TemplateSerializationError.checksumMismatch) { try PortraitTemplate(serialized: bad) }
        #expect(throws: TemplateSerializationError.unsupportedVersion(3)) {
            try PortraitTemplate(serialized: Array("MFT1".utf8) + [3])
        }
        #expect(throws: TemplateSerializationError.truncated(expected: 37, actual: 20)) {
            try PortraitTemplate(serialized: Array(bytes.prefix(20)))
        }
    }

    @Test("descriptors of different lengths never score: NaN, which no threshold accepts")
    func lengths() throws {
        let a = try FaceEmbedding(values: [Float](repeating: 0.1, count: 128))
        let b = try FaceEmbedding(values: [Float](repeating: 0.1, count: 512), dimension: 512)
        #expect(a.euclideanDistance(to: b).isNaN && a.cosineSimilarity(to: b).isNaN)
        #expect(FaceEmbedding.mean([a, b]) == nil)
        #expect(!MatchThreshold.dlibDefault.accepts(Double(a.euclideanDistance(to: b))))
        // A length that is not a multiple of 8 (the SIMD tail): exact against a plain loop.
        let x = try FaceEmbedding(values: (0..<13).map { Float($0) }, dimension: 13)
        let y = try FaceEmbedding(values: (0..<13).map { Float(13 - $0) }, dimension: 13)
        let plain = zip(x.values, y.values).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        #expect(x.euclideanDistance(to: y) == plain)
    }

    @Test("--model / $MYNAFACE_MODEL resolve to the model choice")
    func choice() {
        #expect(EmbeddingModelChoice.resolve(option: nil, environment: [:]) == .dlibResNet)
        #expect(EmbeddingModelChoice.resolve(option: nil, environment: ["MYNAFACE_MODEL": ""]) == .dlibResNet)
        #expect(EmbeddingModelChoice.resolve(option: "dlib", environment: ["MYNAFACE_MODEL": "/m"]) == .dlibResNet)
        #expect(
            EmbeddingModelChoice.resolve(option: nil, environment: ["MYNAFACE_MODEL": "/m"])
                == .external(directory: URL(fileURLWithPath: "/m", isDirectory: true)))
        #expect(
            EmbeddingModelChoice.resolve(option: "/a", environment: ["MYNAFACE_MODEL": "/m"])
                == .external(directory: URL(fileURLWithPath: "/a", isDirectory: true)))
    }

    // MARK: with dlib's models

    @Test(
        "dlib's default is unchanged: obama.jpg's descriptor has the bits it had before the model slot",
        .enabled(if: FaceVerifierTests.ready))
    func dlibPinned() throws {
        var analyzer = try #require(FaceVerifierTests.shared).analyzer
        analyzer.embeddingThreads = 2
        #expect(analyzer.embeddingModel == .dlibResNet)
        let image = try ImageDecoder.decode(
            [UInt8](try Data(contentsOf: try #require(TestEnvironment.sample("obama.jpg")))))
        let analysis = try analyzer.analyze(image, options: .init(minimumFaceSize: .none))
        let face = try #require(analysis.faces.first)
        #expect(face.box == FaceRect(left: 375, top: 154, right: 611, bottom: 390))
        #expect(face.alignedFace == nil)
        let values = try analyzer.embedding(of: face).values
        // From `mynaface embed obama.jpg --json` built from main at 8857877 (before the model slot), 2 threads:
        // the first four values' bit patterns and the FNV-1a 32 hash of all 128 little-endian float32s.
        #expect(values.prefix(4).map(\.bitPattern) == [0xbdaf_4692, 0x3dfb_64de, 0x3b9a_0106, 0xbd52_bee1])
        var h: UInt32 = 0x811c_9dc5
        for v in values {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { for b in $0 { h = (h ^ UInt32(b)) &* 0x0100_0193 } }
        }
        #expect(h == 0x0293_2d6e)
    }

    @Test(
        "a template of another model is refused, never compared; an uncalibrated external model needs a threshold",
        .enabled(if: FaceVerifierTests.ready))
    func refusalsWithModels() throws {
        let verifier = try #require(FaceVerifierTests.shared)
        let probe = [UInt8](try Data(contentsOf: try #require(TestEnvironment.sample("obama3.jpg"))))
        let other = EmbeddingModelIdentity(id: "vendor-arcface", sha256: Self.sha)
        let e = try FaceEmbedding(values: [Float](repeating: 0.05, count: 512), dimension: 512)
        let foreign = PortraitTemplate(
            embedding: e, mirrorAveragedEmbedding: e, faceBox: FaceRect(left: 0, top: 0, right: 99, bottom: 99),
            portraitChannels: 3, model: other)
        #expect(throws: VerificationError.modelMismatch(template: other, verifier: .dlibResNet)) {
            try verifier.verify(foreign, probe: probe)
        }
        #expect(throws: VerificationError.modelMismatch(template: other, verifier: .dlibResNet)) {
            try verifier.verifyAttempt(foreign, probes: [probe, probe])
        }
        // The same refusal the other way round: a verifier of the test-double model and a dlib template.
        let external = try ExternalModel(
            manifest: Self.manifest(), directory: URL(fileURLWithPath: "/x"), network: PlaneMeanNetwork())
        let analyzer = FaceAnalyzer(base: verifier.analyzer, externalModel: external)
        #expect(throws: VerificationError.uncalibratedModel(external.identity)) {
            try FaceVerifier(analyzer: analyzer)
        }
        var explicit = FaceVerifier.Configuration()
        explicit.threshold = MatchThreshold(metric: .cosine, value: 0.5, source: "test")
        let v2 = try FaceVerifier(analyzer: analyzer, configuration: explicit)
        #expect(v2.model == external.identity && v2.configuration.threshold.value == 0.5)
        #expect(v2.configuration.fusedThreshold == nil)
        let dlibTemplate = try verifier.enroll(portrait: probe)
        #expect(dlibTemplate.model == .dlibResNet)
        #expect(throws: VerificationError.modelMismatch(template: .dlibResNet, verifier: external.identity)) {
            try v2.verify(dlibTemplate, probe: probe)
        }
    }

    /// A format-1 template (an earlier release): magic, version 1, channels 3, authenticity 0, flags 1, both
    /// descriptors, box, 7 quality doubles, FNV-1a 32.
    static func version1Bytes(_ d: FaceEmbedding) -> [UInt8] {
        var out = Array("MFT1".utf8) + [1, 3, 0, 1]
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        for v in d.values + d.values { put(v.bitPattern) }
        for v: Int32 in [10, 20, 109, 119] { put(UInt32(bitPattern: v)) }
        for v in [100.0, 128, 50, 0, 0, 0.8, 0] { put(v.bitPattern) }
        var h: UInt32 = 0x811c_9dc5
        for b in out { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        put(h)
        return out
    }
}
