import FaceEmbedding
import FaceImaging
import Foundation
import MynaFace
import TestSupport
import Testing

/// The default operating point (calibrated on East-Asian faces), mirror-averaged descriptors and fused attempts.
@Suite("operating point and fused attempts", .serialized)
struct OperatingPointTests {
    static let ready = FaceVerifierTests.ready

    func sample(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try #require(TestEnvironment.sample(name))))
    }

    @Test("the defaults in code equal the committed operating-point files, which are valid threshold files")
    func defaultsMatchTheFiles() throws {
        let models = TestEnvironment.repositoryRoot.appendingPathComponent("Models")
        let single = try ThresholdFile.load(from: models.appendingPathComponent("operating-point-single.json"))
        let fused = try ThresholdFile.load(from: models.appendingPathComponent("operating-point-fused3.json"))
        #expect(try single.threshold(forModel: FaceVerifier.embeddingModel).value == MatchThreshold.readerDefault.value)
        #expect(
            try fused.threshold(forModel: FaceVerifier.embeddingModel).value == MatchThreshold.readerDefaultFused.value)
        #expect(single.frames == 1 && fused.frames == 3)
        for (file, point) in [(single, MatchThreshold.readerDefault), (fused, MatchThreshold.readerDefaultFused)] {
            #expect(file.metric == point.metric && file.descriptor == point.descriptor && file.targetFMR == 1e-3)
            // Every East-Asian set, calibrating or held out, shows FMR ≤ 1e-3 at the file's threshold.
            let eastAsian = (file.sets ?? []).filter { $0.population == "East-Asian" }
            #expect(eastAsian.count == 2)
            for set in eastAsian { #expect(set.fmr <= 1e-3, "\(set.set): FMR \(set.fmr)") }
            #expect(eastAsian.contains { !$0.calibration })
        }
        let verifier = FaceVerifier.Configuration()
        #expect(verifier.threshold == .readerDefault && verifier.fusedThreshold == .readerDefaultFused)
    }

    @Test("a mirrored image is the left–right flip; mirroring twice gives the original")
    func mirror() {
        let rgb = Image(width: 3, height: 2, channels: 3, pixels: Array(0..<18))
        #expect(rgb.mirrored().pixels == [6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11])
        #expect(rgb.mirrored().mirrored() == rgb)
        let grey = Image(width: 2, height: 1, channels: 1, pixels: [1, 2])
        #expect(grey.mirrored().pixels == [2, 1])
    }

    @Test("the mirror-averaged descriptor is the mean of the chip's and its mirror's", .enabled(if: ready))
    func mirrorAveraged() throws {
        let analyzer = try #require(FaceVerifierTests.shared).analyzer
        let face = try #require(try analyzer.analyze(try ImageDecoder.decode(try sample("obama.jpg"))).faces.first)
        let plain = try analyzer.descriptor(of: face, mode: .plain)
        let mirror = try analyzer.embedding(ofChip: face.chip.mirrored())
        let averaged = try analyzer.descriptor(of: face, mode: .mirrorAveraged)
        #expect(plain == (try analyzer.embedding(of: face)))
        for i in 0..<128 { #expect(averaged.values[i] == (plain.values[i] + mirror.values[i]) / 2) }
        #expect(plain.euclideanDistance(to: mirror) > 0 && plain.euclideanDistance(to: mirror) < 0.3)
    }

    @Test(
        "a fused attempt decides once: genuine frames match, an impostor's do not, a frame without a face is reported",
        .enabled(if: ready))
    func fusedAttempt() throws {
        let v = try #require(FaceVerifierTests.shared)
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let genuine = try v.verifyAttempt(template, probes: [try sample("obama2.jpg"), try sample("obama3.jpg")])
        #expect(genuine.decision == .match && genuine.framesFused == 2)
        #expect(genuine.threshold == .readerDefaultFused)
        #expect(genuine.frames.map(\.fused) == [true, true])
        let impostor = try v.verifyAttempt(template, probes: [try sample("biden.jpg")])
        #expect(impostor.decision == .noMatch && impostor.framesFused == 1 && impostor.threshold == .readerDefault)
        let blank = try JPEGEncoder.encode(Image(width: 320, height: 240, channels: 3), quality: 90)
        let mixed = try v.verifyAttempt(template, probes: [blank, try sample("obama3.jpg")])
        #expect(mixed.decision == .match && mixed.framesFused == 1 && mixed.frames[0].notAcquired == .noFace)
        let none = try v.verifyAttempt(template, probes: [blank])
        #expect(none.decision == .notAcquired(.noFace) && none.similarity == nil)
        let truncated = Array(try sample("obama2.jpg").prefix(500))
        #expect(throws: VerificationError.self) {
            try v.verifyAttempt(template, probes: [try sample("obama2.jpg"), truncated])
        }
    }

    @Test("a fused point made for other descriptors is not used: the best frame alone decides", .enabled(if: ready))
    func incompatibleFusedPoint() throws {
        var v = try #require(FaceVerifierTests.shared)
        v.configuration.fusedThreshold = MatchThreshold(metric: .cosine, value: 0.5, descriptor: .plain)
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let result = try v.verifyAttempt(template, probes: [try sample("obama2.jpg"), try sample("obama3.jpg")])
        #expect(result.framesFused == 1 && result.threshold == .readerDefault)
    }

    @Test("the fused descriptor is the mean of the frames' descriptors, scored once", .enabled(if: ready))
    func fusedScore() throws {
        let v = try #require(FaceVerifierTests.shared)
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let frames = try ["obama2.jpg", "obama3.jpg"].map { try ImageDecoder.decode(try sample($0)) }
        let result = try v.verifyAttempt(template, probeImages: frames)
        let descriptors = try frames.map { frame in
            try v.analyzer.descriptor(
                of: try #require(try v.analyzer.analyze(frame).faces.first), mode: .mirrorAveraged)
        }
        let mean = try #require(FaceEmbedding.mean(descriptors))
        #expect(result.similarity == Double(template.mirrorAveragedEmbedding.cosineSimilarity(to: mean)))
    }

    @Test("streaming at the default: frames are collected and fused, one comparison per attempt", .enabled(if: ready))
    func fusedStreaming() async throws {
        var v = try #require(FaceVerifierTests.shared)
        v.configuration.framesPerAttempt = 2
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let blank = Image(width: 640, height: 480, channels: 3)
        let frames = [
            blank, try ImageDecoder.decode(try sample("obama2.jpg")), blank,
            try ImageDecoder.decode(try sample("obama3.jpg")),
        ]
        let outcome = try await v.verify(
            template,
            frames: AsyncStream { c in
                frames.forEach { c.yield($0) }
                c.finish()
            })
        #expect(outcome.stop == .matched && outcome.frames == 4 && outcome.comparisons == 1)
        #expect(outcome.last?.threshold == .readerDefaultFused)
        let impostor = Array(repeating: try ImageDecoder.decode(try sample("biden.jpg")), count: 7)
        let refused = try await v.verify(
            template,
            frames: AsyncStream { c in
                impostor.forEach { c.yield($0) }
                c.finish()
            },
            budget: AttemptBudget(maxComparisons: 3))
        #expect(refused.stop == .comparisonsExhausted && refused.comparisons == 3 && refused.frames == 6)
    }

    @Test("--threshold-style dlib configuration keeps dlib's plain descriptors and distance", .enabled(if: ready))
    func dlibBehaviour() throws {
        var v = try #require(FaceVerifierTests.shared)
        v.configuration.threshold = .dlibDefault
        v.configuration.fusedThreshold = nil
        let template = try v.enroll(portrait: try sample("obama.jpg"))
        let result = try v.verify(template, probe: try sample("obama2.jpg"))
        #expect(result.threshold == .dlibDefault && result.decision == .match)
        let probe = try #require(try v.analyzer.analyze(try ImageDecoder.decode(try sample("obama2.jpg"))).faces.first)
        #expect(
            result.distance == Double(template.embedding.euclideanDistance(to: try v.analyzer.embedding(of: probe))))
    }
}
