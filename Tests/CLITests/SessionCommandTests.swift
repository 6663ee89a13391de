import Foundation
import TestSupport
import Testing

/// `mynaface session` end to end: a simulated card issued with the portrait, the real face pipeline, the PIN
/// fallback from standard input, card counters persisted in a state file, and the eligibility answer of the
/// demo registry.
@Suite("mynaface session")
struct SessionCommandTests {
    static let ready =
        ProcessRunner.mynafaceBinary != nil && TestEnvironment.sample("obama.jpg") != nil
        && TestEnvironment.model("mmod_human_face_detector.dat") != nil

    func session(_ args: [String], stdin: String? = nil) throws -> (ProcessRunner.Output, [String: Any]) {
        let out = try ProcessRunner.run(
            try #require(ProcessRunner.mynafaceBinary), ["session"] + args + ["--json"],
            stdin: stdin.map { Data($0.utf8) })
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any],
            "stdout: \(out.stdout) stderr: \(out.stderr)")
        return (out, json)
    }

    func sample(_ name: String) throws -> String { try #require(TestEnvironment.sample(name)).path }

    @Test(
        "the card holder's face verifies them (at dlib's 0.6) and the qualification check answers 'valid'",
        .enabled(if: ready))
    func faceVerified() throws {
        let (out, j) = try session([
            "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
            "--threshold", "0.6",
        ])
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["outcome"] as? String == "verified")
        #expect(j["method"] as? String == "face")
        #expect(j["cardFaceFailures"] as? Int == 0)
        #expect((j["eligibility"] as? String)?.contains("valid") == true, "\(j["eligibility"] ?? "nil")")
        #expect(!out.stdout.contains("1234"))
    }

    @Test(
        "at the default (calibrated on East-Asian faces) the Western sample's greyscale chip is refused; the PIN verifies",
        .enabled(if: ready))
    func strictDefaultFallsBackToPIN() throws {
        let (out, j) = try session(
            [
                "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
                "--probe", try sample("obama3.jpg"), "--pin-stdin",
            ], stdin: "1234\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["method"] as? String == "pin")
        let attempts = try #require(j["faceAttempts"] as? [String])
        #expect(
            attempts.count == 3
                && attempts.allSatisfy { $0.hasPrefix("no match cosine") && $0.contains("2 of 2 frames fused") })
    }

    @Test(
        "someone else's face fails three times, then the PIN verifies; counters persist in the state file",
        .enabled(if: ready))
    func faceFailsThenPIN() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-card-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: state) }
        let args = [
            "--portrait", try sample("obama.jpg"), "--probe", try sample("biden.jpg"),
            "--card-state", state.path, "--pin-stdin",
        ]
        let (out, j) = try session(args, stdin: "0000\n1234\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["method"] as? String == "pin")
        #expect((j["faceAttempts"] as? [String])?.count == 3)
        #expect(j["cardFaceFailures"] as? Int == 3)
        #expect(j["cardPINTriesLeft"] as? Int == 3)  // a correct PIN resets the counter
        #expect(!out.stdout.contains("1234") && !out.stderr.contains("1234") && !out.stderr.contains("0000"))

        // Next visit with the same card: the face counter carried over (3 more failures → 6).
        let (out2, j2) = try session(args, stdin: "1234\n")
        #expect(out2.status == 0)
        #expect(j2["cardFaceFailures"] as? Int == 6)
    }

    @Test(
        "with --oqs-folder a verified reception leaves exactly one face/ result that the reader shows",
        .enabled(if: ready))
    func faceResultInTheShare() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oqs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let (out, j) = try session(
            [
                "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
                "--probe", try sample("obama3.jpg"), "--oqs-folder", root.path, "--encoding", "shift-jis",
                "--consent-medication", "yes", "--consent-diagnosis", "no", "--prescription", "paper",
                "--pin-stdin",
            ], stdin: "1234\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["consents"] as? [String: Bool] == ["medicationAndCheckups": true, "diagnosisAndOperation": false])
        let face = root.appendingPathComponent("face")
        let names = try FileManager.default.contentsOfDirectory(atPath: face.path)
        #expect(names.count == 1)
        let name = try #require(names.first)
        #expect(name.hasPrefix("OQSsiquc01res_face_") && name.hasSuffix(".xml"))
        let text = try #require(
            String(data: try Data(contentsOf: face.appendingPathComponent(name)), encoding: .shiftJIS))
        #expect(text.contains("<ReferenceClassification>1</ReferenceClassification>"))
        #expect(text.contains("<CharacterCodeIdentifier>1</CharacterCodeIdentifier>"))
        #expect(text.contains("<QualificationValidity>1</QualificationValidity>"))
        #expect(text.contains("<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg>"))
        #expect(text.contains("<DiagnosisInfoConsFlg>0</DiagnosisInfoConsFlg>"))
        #expect(text.contains("<PrescriptionIssueSelect>2</PrescriptionIssueSelect>"))
        let shown = try ProcessRunner.run(
            try #require(ProcessRunner.mynafaceBinary),
            ["eligibility", "show", face.appendingPathComponent(name).path])
        #expect(shown.status == 0, "stderr: \(shown.stderr)")
        #expect(shown.stdout.contains("資格有効性: 1 有効") && shown.stdout.contains("氏名: 山田 太郎"))
        #expect(shown.stdout.contains("薬剤情報閲覧同意: 1 同意"))
    }

    @Test("an unregistered card is registered with the PIN (not the face), then checked", .enabled(if: ready))
    func initialRegistration() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oqs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("card.json").path
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let args = [
            "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"), "--probe",
            try sample("obama3.jpg"),
            "--unregistered", "--card-state", state, "--oqs-folder", root.path, "--pin-stdin",
        ]
        let (out, j) = try session(args, stdin: "0000\n1234\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["method"] as? String == "pin")
        #expect(j["initialRegistration"] as? Bool == true)
        #expect((j["faceAttempts"] as? [String])?.isEmpty == true, "no face check is offered for registration")
        #expect(j["cardPINTriesLeft"] as? Int == 3, "the wrong PIN spent a try; the right one reset the counter")
        #expect(j["qualificationValidity"] as? String == "1 valid (有効)")
        #expect(!out.stdout.contains("1234") && !out.stderr.contains("1234"))
        // The card state now says registered: the next visit goes through the face check.
        let (_, again) = try session(
            [
                "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
                "--card-state", state, "--pin-stdin",
            ], stdin: "1234\n")
        #expect(again["initialRegistration"] as? Bool == false)
        #expect((again["faceAttempts"] as? [String])?.isEmpty == false)
    }

    @Test(
        "--ask takes the consent and prescription screens from standard input; watch-face picks the result up",
        .enabled(if: ready))
    func interactiveScreensAndWatcher() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("oqs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        // Face attempts first (this pair stays below the strict default with a chip-quality portrait), then the PIN,
        // then the screens: y on 薬剤・健診, n on 診療・手術, then e (electronic).
        let (out, j) = try session(
            [
                "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
                "--oqs-folder", root.path, "--pin-stdin", "--ask",
            ], stdin: "1234\ny\nn\ne\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["consents"] as? [String: Bool] == ["medicationAndCheckups": true, "diagnosisAndOperation": false])
        #expect(j["prescription"] as? String == "electronic")
        #expect(out.stderr.contains("薬剤情報・特定健診情報の閲覧同意"))
        let watched = try ProcessRunner.run(
            try #require(ProcessRunner.mynafaceBinary),
            [
                "eligibility", "watch-face", "--oqs-folder", root.path, "--count", "1",
                "--timeout", "60", "--poll-ms", "20",
            ])
        #expect(watched.status == 0, "stderr: \(watched.stderr)")
        #expect(watched.stdout.contains("処方箋発行形態: 1 電子処方箋"))
        #expect(watched.stdout.contains("診療情報閲覧同意: 0 未同意"))
        let done = root.appendingPathComponent("face/done")
        #expect(try FileManager.default.contentsOfDirectory(atPath: done.path).count == 1)
    }
}
