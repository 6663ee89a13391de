import FaceImaging
import Foundation
import MynaFace
import Testing

@Suite("threshold and decision")
struct MatchThresholdTests {
    @Test func dlibDefaultIsDistanceSixTenths() {
        let t = MatchThreshold.dlibDefault
        #expect(t.metric == .euclidean && t.value == 0.6)
        #expect(t.accepts(0.5999))
        #expect(t.accepts(0.6))
        #expect(!t.accepts(0.6001))
        #expect(!t.accepts(.nan))
    }

    @Test func cosineEquivalentAtTheTypicalNorm() {
        // d = 0.6 between two descriptors of norm 1.453 ↔ normalised distance 0.6/1.453 ↔ cos = 1 − d²/2.
        let t = MatchThreshold.cosineEquivalentOfDlibDefault
        #expect(t.metric == .cosine)
        #expect(abs(t.value - 0.914740795) < 1e-6)
        #expect(t.accepts(0.95))
        #expect(!t.accepts(0.90))
    }

    func write(_ json: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("threshold-\(UUID()).json")
        try Data(json.utf8).write(to: url)
        return url
    }

    static let valid = """
        {"format":"mynaface-threshold","version":2,"metric":"cosine","descriptor":"plain","frames":1,"comparison":">=","threshold":0.9321,
         "target_fmr":0.001,"observed_fmr":0.0009,"expected_fnmr":0.12,"model":"dlib_face_recognition_resnet_model_v1",
         "dataset":"lfw","created":"2026-11-25T19:00:00Z","genuine_pairs":10,"impostor_pairs":1000,"fta":0,"extra":1}
        """

    @Test func loadsTheFileMynafaceEvalWrites() throws {
        let url = try write(Self.valid)
        defer { try? FileManager.default.removeItem(at: url) }
        let t = try ThresholdFile.load(from: url).threshold(forModel: FaceVerifier.embeddingModel)
        #expect(t.metric == .cosine)
        #expect(t.value == 0.9321)
        #expect(t.targetFMR == 0.001)
        #expect(t.source == "lfw, 2026-11-25T19:00:00Z")
    }

    @Test func aFileWrittenIsReadBackEqual() throws {
        let file = try ThresholdFile.decode(Data(Self.valid.utf8), path: "t.json")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("threshold-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try file.save(to: url)
        #expect(try ThresholdFile.load(from: url) == file)
    }

    @Test func refusesAFileMadeForAnotherModelNamingBoth() throws {
        let file = try ThresholdFile.decode(Data(Self.valid.utf8), path: "t.json")
        #expect(
            throws: ThresholdFileError.wrongModel(
                path: "t.json", file: "dlib_face_recognition_resnet_model_v1",
                verifier: "arcface-r50")
        ) {
            try file.threshold(forModel: "arcface-r50", path: "t.json")
        }
    }

    @Test func refusesWrongFormatVersionComparisonAndBrokenFiles() throws {
        func load(_ json: String) throws(ThresholdFileError) -> ThresholdFile {
            try ThresholdFile.decode(Data(json.utf8), path: "t")
        }
        #expect(throws: ThresholdFileError.wrongFormat(path: "t", found: "none")) {
            try load(#"{"metric":"cosine-raw","threshold":0.9}"#)
        }
        #expect(throws: ThresholdFileError.wrongFormat(path: "t", found: "other")) {
            try load(Self.valid.replacingOccurrences(of: "mynaface-threshold", with: "other"))
        }
        #expect(throws: ThresholdFileError.unsupportedVersion(path: "t", found: 1, supported: 2)) {
            try load(Self.valid.replacingOccurrences(of: #""version":2"#, with: #""version":1"#))
        }
        #expect(throws: ThresholdFileError.self) {
            try load(Self.valid.replacingOccurrences(of: #""comparison":">=""#, with: #""comparison":"<=""#))
        }
        #expect(throws: ThresholdFileError.self) { try load(#"{"format":"mynaface-threshold","version":2}"#) }
        #expect(throws: ThresholdFileError.malformed(path: "t", detail: "not a JSON object")) { try load("[1,") }
        #expect(throws: ThresholdFileError.unreadable(path: "/nonexistent/t.json")) {
            try ThresholdFile.load(from: URL(fileURLWithPath: "/nonexistent/t.json"))
        }
    }
}

@Suite("quality gate")
struct QualityGateTests {
    /// dlib's 5-point template scaled to a 200-px-wide face at (100, 100): a frontal, level face.
    static let frontal: [(x: Double, y: Double)] = [
        (0.8595674596, 0.2134981538), (0.6460604764, 0.2289674388), (0.1205750621, 0.2137274527),
        (0.3340850614, 0.2290642403), (0.4901123136, 0.6277975316),
    ].map { (100 + 200 * $0.0, 100 + 200 * $0.1) }

    /// A 150×150 chip of a checkerboard (sharp, mid-grey on average).
    static let sharpChip: Image = {
        var p = [UInt8](repeating: 0, count: 150 * 150)
        for y in 0..<150 { for x in 0..<150 { p[y * 150 + x] = ((x / 3 + y / 3) % 2 == 0) ? 60 : 190 } }
        return Image(width: 150, height: 150, channels: 1, pixels: p)
    }()

    func measure(
        _ gate: QualityGate = QualityGate(), landmarks: [(x: Double, y: Double)] = frontal,
        chip: Image = sharpChip, box: (Int, Int, Int, Int) = (100, 100, 299, 299), second: Int? = nil
    ) -> FaceQuality {
        gate.measure(
            box: (box.0, box.1, box.2, box.3), landmarks: landmarks, chip: chip, frameWidth: 640,
            frameHeight: 480, secondFaceWidth: second)
    }

    @Test func frontalSharpFacePasses() {
        let q = measure()
        #expect(abs(q.yaw) < 0.01)
        #expect(abs(q.rollDegrees) < 0.5)
        #expect(abs(q.pitchRatio - 0.7735) < 0.005)
        #expect(q.faceWidth == 200 && q.insideFrame)
        #expect(QualityGate().failure(of: q) == nil)
    }

    @Test func eachCheckNamesItsReason() {
        let gate = QualityGate()
        #expect(gate.failure(of: measure(box: (100, 100, 159, 159))) == .faceTooSmall(width: 60, minimum: 80))
        #expect(gate.failure(of: measure(box: (-10, 100, 189, 299))) == .faceTooNearEdge)
        let turned = Self.frontal.enumerated().map { i, p in i == 4 ? (x: p.x + 80, y: p.y) : p }
        if case .headTurned = gate.failure(of: measure(landmarks: turned)) {
        } else {
            Issue.record("turned head passed")
        }
        let a = 35.0 * Double.pi / 180  // the whole face rotated 35° about (200, 200)
        let tilted = Self.frontal.map { p in
            (x: 200 + (p.x - 200) * cos(a) - (p.y - 200) * sin(a), y: 200 + (p.x - 200) * sin(a) + (p.y - 200) * cos(a))
        }
        if case .headTilted = gate.failure(of: measure(landmarks: tilted)) {
        } else {
            Issue.record("tilted head passed")
        }
        let flat = Image(width: 150, height: 150, channels: 1, pixels: [UInt8](repeating: 128, count: 22_500))
        #expect(gate.failure(of: measure(chip: flat)) == .blurred(sharpness: 0))
        let dark = Image(width: 150, height: 150, channels: 1, pixels: Self.sharpChip.pixels.map { $0 / 8 })
        if case .tooDark = gate.failure(of: measure(chip: dark)) {} else { Issue.record("dark face passed") }
        let bright = Image(width: 150, height: 150, channels: 1, pixels: Self.sharpChip.pixels.map { 230 &+ $0 / 10 })
        if case .tooBright = gate.failure(of: measure(chip: bright)) {} else { Issue.record("bright face passed") }
        #expect(gate.failure(of: measure(second: 150)) == .secondFace(ratio: 0.75))
        #expect(gate.failure(of: measure(second: 60)) == nil)
    }

    @Test func permissiveGateAcceptsAnythingMeasured() {
        let flat = Image(width: 150, height: 150, channels: 1, pixels: [UInt8](repeating: 0, count: 22_500))
        let q = measure(.permissive, chip: flat, box: (-50, -50, 10, 10), second: 500)
        #expect(QualityGate.permissive.failure(of: q) == nil)
    }

    @Test func everyReasonHasAPatientMessageInJapaneseAndEnglish() {
        let reasons: [NotAcquiredReason] = [
            .noFace, .faceTooSmall(width: 1, minimum: 2), .faceTooNearEdge,
            .tooDark(meanLuma: 1), .tooBright(meanLuma: 250), .blurred(sharpness: 1),
            .headTurned(yaw: 0.5), .headTilted(degrees: 40), .headPitched(ratio: 2),
            .secondFace(ratio: 0.9),
        ]
        for r in reasons {
            #expect(r.patientMessage.contains(" / "))
            #expect(!r.description.isEmpty)
        }
    }
}
