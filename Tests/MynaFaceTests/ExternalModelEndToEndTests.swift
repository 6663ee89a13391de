import FaceAlignment
import FaceEmbedding
import FaceImaging
import Foundation
import MynaFace
import NeuralCore
import TestSupport
import Testing

/// The whole pipeline with a generated random-weight ArcFace-shaped model (`Scripts/make-test-embedding-model.py`)
/// on the sample photos: MMOD → 68-point landmarks → ArcFace alignment → the ONNX executor → L2-normalised embedding.
/// Decisions are meaningless with random weights: these tests check the plumbing, the alignment geometry on a real
/// face, and that templates and thresholds of different models are never mixed.
@Suite("external model, end to end", .serialized)
struct ExternalModelEndToEndTests {
    static let directory = TestEnvironment.testEmbeddingModel
    static let ready = FaceVerifierTests.ready && directory != nil && ONNXNetworkLoader.isAvailable
    static let note = Comment(
        rawValue: directory == nil
            ? TestEnvironment.testModelAbsentMessage
            : "needs the fetched models and the ONNX executor (issue 24)")

    /// The test model at an explicit cosine threshold (it has no calibrated one).
    static let verifier: FaceVerifier? = {
        guard ready, let directory else { return nil }
        var c = FaceVerifier.Configuration()
        c.threshold = MatchThreshold(metric: .cosine, value: 0.5, descriptor: .plain, source: "test")
        return try? FaceVerifier(model: .external(directory: directory), configuration: c)
    }()

    func sample(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try #require(TestEnvironment.sample(name))))
    }

    @Test(
        "enrol and verify with the generated model: its identity, 128 unit-norm values, 112×112 aligned faces",
        .enabled(if: ready, note))
    func plumbing() throws {
        let verifier = try #require(Self.verifier)
        let manifest = try ModelManifest.load(
            from: try #require(Self.directory).appendingPathComponent("manifest.json"))
        #expect(verifier.model == EmbeddingModelIdentity(id: manifest.id, sha256: manifest.sha256))
        #expect(verifier.configuration.threshold.value == 0.5 && verifier.configuration.fusedThreshold == nil)
        let template = try verifier.enroll(portrait: try sample("obama.jpg"))
        #expect(template.model == verifier.model)
        #expect(template.embedding.count == manifest.embeddingSize)
        #expect(abs(template.embedding.norm - 1) < 1e-5)
        let result = try verifier.verify(template, probe: try sample("obama2.jpg"))
        let similarity = try #require(result.similarity)
        #expect(similarity.isFinite && similarity <= 1 && similarity >= -1)
        #expect(result.decision == (similarity >= 0.5 ? .match : .noMatch))
        // A serialised template keeps its model and compares exactly like the original.
        let copy = try PortraitTemplate(serialized: try template.serialized())
        #expect(copy.model == template.model)
        #expect(try verifier.verify(copy, probe: try sample("obama2.jpg")).similarity == similarity)
        let attempt = try verifier.verifyAttempt(
            template, probes: [try sample("obama2.jpg"), try sample("obama3.jpg")])
        #expect(attempt.framesFused >= 1 && attempt.similarity != nil)
    }

    /// `Scripts/make-onnx-nets.py`'s output folder (`$MYNAFACE_ONNX_FIXTURES`, else `<cache root>/onnx-fixtures`).
    static let onnxFixtures: URL? = {
        let env = ProcessInfo.processInfo.environment["MYNAFACE_ONNX_FIXTURES"].flatMap { $0.isEmpty ? nil : $0 }
        let dir =
            env.map { URL(fileURLWithPath: $0) }
            ?? MynaFacePaths.current.cacheRoot.appendingPathComponent("onnx-fixtures")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("iresnet50.onnx").path) ? dir : nil
    }()

    @Test(
        "the MobileFaceNet- and ResNet-50-shaped nets of make-onnx-nets.py run in the pipeline: 128-D and 512-D",
        .enabled(if: FaceVerifierTests.ready && onnxFixtures != nil && ONNXNetworkLoader.isAvailable),
        arguments: [("mobilefacenet", 128), ("iresnet50", 512)])
    func generatedNets(name: String, size: Int) throws {
        let source = try #require(Self.onnxFixtures).appendingPathComponent("\(name).onnx")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: source, to: dir.appendingPathComponent("model.onnx"))
        let manifest = ModelManifest(
            id: "generated-\(name)", file: "model.onnx",
            sha256: try ExternalModel.sha256(of: dir.appendingPathComponent("model.onnx")),
            input: .init(width: 112, height: 112), normalization: .init(mean: [127.5], std: [127.5]),
            embeddingSize: size)
        try manifest.save(to: dir.appendingPathComponent("manifest.json"))
        var c = FaceVerifier.Configuration()
        c.threshold = MatchThreshold(metric: .cosine, value: 0.5, descriptor: .mirrorAveraged, source: "test")
        let verifier = try FaceVerifier(model: .external(directory: dir), configuration: c)
        let template = try verifier.enroll(portrait: try sample("obama.jpg"))
        #expect(template.embedding.count == size && abs(template.embedding.norm - 1) < 1e-5)
        #expect(template.mirrorAveragedEmbedding.count == size)
        let copy = try PortraitTemplate(serialized: try template.serialized())
        #expect(copy.model == verifier.model && copy.embedding == template.embedding)
        let result = try verifier.verify(copy, probe: try sample("obama2.jpg"))
        #expect(result.similarity.map { $0.isFinite && abs($0) <= 1 } == true)
    }

    @Test("the aligned face puts the photo's five points on the ArcFace template", .enabled(if: ready, note))
    func geometry() throws {
        let verifier = try #require(Self.verifier)
        let image = try ImageDecoder.decode(try sample("obama.jpg"))
        let face = try #require(try verifier.analyzer.analyze(image).faces.first)
        let shape = try #require(face.shape)
        let aligned = try #require(face.alignedFace)
        #expect(aligned.width == 112 && aligned.height == 112 && aligned.channels == 3)
        let points = try ArcFaceAlignment.fivePoints(from: shape.points)
        let t = try ArcFaceAlignment.transform(points: points, width: 112, height: 112)
        #expect(aligned == (try ArcFaceAlignment.warp(image, transform: t, width: 112, height: 112)))
        // A frontal face fits the template to a few pixels: the similarity cannot absorb expression and pose, so the
        // mouth corners of a smiling face land furthest off; the eyes fit closest.
        let distances = zip(points, ArcFaceAlignment.template112).map { p, q in
            let (x, y) = t.apply(p.x, p.y)
            return ((x - q.x) * (x - q.x) + (y - q.y) * (y - q.y)).squareRoot()
        }
        #expect(distances[0] < 5 && distances[1] < 5, "eye centres off the template by \(distances) px")
        #expect(distances.allSatisfy { $0 < 10 }, "points off the template by \(distances) px")
        // The face is upright and fills the crop: the scale maps the eye distance (~35 px in the template) from the
        // photo's (~70 px on this 236-px face) and the rotation is small.
        #expect(t.scale > 0.2 && t.scale < 1.0 && abs(atan2(t.b, t.a)) < 0.2)
    }

    @Test("templates of different models are refused both ways", .enabled(if: ready, note))
    func crossModel() throws {
        let external = try #require(Self.verifier)
        let dlib = try #require(FaceVerifierTests.shared)
        let probe = try sample("obama2.jpg")
        let dlibTemplate = try dlib.enroll(portrait: try sample("obama.jpg"))
        let externalTemplate = try external.enroll(portrait: try sample("obama.jpg"))
        #expect(throws: VerificationError.modelMismatch(template: .dlibResNet, verifier: external.model)) {
            try external.verify(dlibTemplate, probe: probe)
        }
        #expect(throws: VerificationError.modelMismatch(template: external.model, verifier: .dlibResNet)) {
            try dlib.verify(externalTemplate, probe: probe)
        }
        #expect(throws: VerificationError.modelMismatch(template: external.model, verifier: .dlibResNet)) {
            try dlib.verifyAttempt(externalTemplate, probes: [probe])
        }
    }

    @Test(
        "operating points: uncalibrated refused, a threshold file naming the model used, another model's refused",
        .enabled(if: ready, note))
    func thresholds() throws {
        let source = try #require(Self.directory)
        #expect(throws: VerificationError.self) { try FaceVerifier(model: .external(directory: source)) }
        // A copy of the model directory whose manifest names a threshold file.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var manifest = try ModelManifest.load(from: source.appendingPathComponent("manifest.json"))
        try FileManager.default.copyItem(
            at: source.appendingPathComponent(manifest.file), to: dir.appendingPathComponent(manifest.file))
        manifest.thresholdFile = "threshold.json"
        try manifest.save(to: dir.appendingPathComponent("manifest.json"))
        let identity = EmbeddingModelIdentity(id: manifest.id, sha256: manifest.sha256)
        func file(model: String) -> ThresholdFile {
            ThresholdFile(
                metric: .cosine, threshold: 0.42, targetFMR: 1e-3, observedFMR: 1e-3, expectedFNMR: 0.1, fnmrCI95: nil,
                model: model, created: "2026-12-07T00:00:00Z", dataset: "test", genuinePairs: 1, impostorPairs: 1,
                fta: 0)
        }
        try file(model: identity.thresholdName).save(to: dir.appendingPathComponent("threshold.json"))
        let calibrated = try FaceVerifier(model: .external(directory: dir))
        #expect(calibrated.configuration.threshold.metric == .cosine)
        #expect(calibrated.configuration.threshold.value == 0.42 && calibrated.configuration.fusedThreshold == nil)
        // An explicit fused point (a `--fuse 3` calibration given with --threshold-file) is kept beside it.
        var withFused = FaceVerifier.Configuration()
        let fused = MatchThreshold(metric: .cosine, value: 0.45, descriptor: .plain, source: "fused calibration")
        withFused.fusedThreshold = fused
        let both = try FaceVerifier(model: .external(directory: dir), configuration: withFused)
        #expect(both.configuration.threshold.value == 0.42 && both.configuration.fusedThreshold == fused)
        // A threshold file made for dlib's model, or a fused one, is not the manifest's single-frame point.
        try file(model: FaceVerifier.embeddingModel).save(to: dir.appendingPathComponent("threshold.json"))
        #expect(throws: VerificationError.self) { try FaceVerifier(model: .external(directory: dir)) }
        var fusedFile = file(model: identity.thresholdName)
        fusedFile.frames = 3
        try fusedFile.save(to: dir.appendingPathComponent("threshold.json"))
        #expect(throws: VerificationError.self) { try FaceVerifier(model: .external(directory: dir)) }
    }
}
