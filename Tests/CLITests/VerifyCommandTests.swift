import Foundation
import MynaFace
import TestSupport
import Testing

/// `mynaface verify` as an integrator runs it: real photos (face_recognition 1.3.0's test images, fetched and
/// SHA-256-checked by Scripts/fetch-models.sh), real models, the exit-status contract and the JSON fields.
@Suite("mynaface verify")
struct VerifyCommandTests {
    static let ready =
        ProcessRunner.mynafaceBinary != nil && TestEnvironment.sample("obama.jpg") != nil
        && TestEnvironment.model("mmod_human_face_detector.dat") != nil

    func verify(_ args: [String]) throws -> (ProcessRunner.Output, [String: Any]?) {
        let out = try ProcessRunner.run(try #require(ProcessRunner.mynafaceBinary), ["verify"] + args)
        let json = try? JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        return (out, json)
    }

    func sample(_ name: String) throws -> String { try #require(TestEnvironment.sample(name)).path }

    @Test(
        "with --threshold 0.6 (dlib's own operating point) a genuine pair matches: exit 0, plain descriptors",
        .enabled(if: ready))
    func genuineAtDlibThreshold() throws {
        let (out, json) = try verify([
            "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
            "--threshold", "0.6", "--json",
        ])
        #expect(out.status == 0, "stderr: \(out.stderr)")
        let j = try #require(json)
        #expect(j["decision"] as? String == "match")
        let distance = try #require(j["distance"] as? Double)
        let similarity = try #require(j["similarity"] as? Double)
        #expect(distance < 0.5)
        #expect(similarity > 0.93)
        let threshold = try #require(j["threshold"] as? [String: Any])
        #expect(threshold["metric"] as? String == "euclidean" && threshold["descriptor"] as? String == "plain")
        #expect(threshold["value"] as? Double == 0.6)
        let timings = try #require(j["timings"] as? [String: Any])
        for key in ["decode", "detect", "landmarks", "align", "embed", "total"] {
            #expect(timings[key] is Double, "\(key)")
        }
    }

    @Test(
        "the default operating point (calibrated on East-Asian faces) decides one frame at cosine of mirror-averaged descriptors",
        .enabled(if: ready))
    func defaultOperatingPoint() throws {
        let (_, json) = try verify([
            "--portrait", try sample("obama.jpg"), "--probe", try sample("obama3.jpg"), "--json",
        ])
        let j = try #require(json)
        let threshold = try #require(j["threshold"] as? [String: Any])
        #expect(threshold["metric"] as? String == "cosine" && threshold["descriptor"] as? String == "mirror-averaged")
        #expect(threshold["value"] as? Double == (DefaultOperatingPoint.singleFrameThreshold * 1e6).rounded() / 1e6)
    }

    @Test(
        "several frames are one attempt: fused, one decision (genuine match exit 0, impostor exit 1)",
        .enabled(if: ready))
    func fusedAttempt() throws {
        let (out, json) = try verify([
            "--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
            "--probe", try sample("obama3.jpg"), "--json",
        ])
        #expect(out.status == 0, "stderr: \(out.stderr)")
        let j = try #require(json)
        #expect(j["decision"] as? String == "match" && j["framesFused"] as? Int == 2)
        #expect((j["frames"] as? [[String: Any]])?.count == 2)
        let (bad, badJSON) = try verify([
            "--portrait", try sample("obama.jpg"), "--probe", try sample("biden.jpg"),
            "--probe", try sample("biden.jpg"), "--json",
        ])
        let badDecision = try #require(badJSON)["decision"] as? String
        #expect(bad.status == 1 && badDecision == "noMatch")
    }

    @Test("an impostor pair does not match: exit 1, decision noMatch", .enabled(if: ready))
    func impostor() throws {
        let (out, json) = try verify([
            "--portrait", try sample("obama.jpg"), "--probe", try sample("biden.jpg"), "--json",
        ])
        #expect(out.status == 1, "stderr: \(out.stderr)")
        let j = try #require(json)
        #expect(j["decision"] as? String == "noMatch")
        #expect(try #require(j["distance"] as? Double) > 0.6)
    }

    @Test("a frame without a face is not acquired: exit 2 with a reason for the patient", .enabled(if: ready))
    func noFace() throws {
        let blank = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-blank-\(UUID()).png")
        defer { try? FileManager.default.removeItem(at: blank) }
        // A flat grey 320×240 PNG written by the project's own encoder through `mynaface` is not available
        // here, so use the committed grey PNG fixture (a synthetic gradient, no face).
        try FileManager.default.copyItem(
            at: TestEnvironment.fixtures.appendingPathComponent("codecs/grey.png"), to: blank)
        let (out, json) = try verify(["--portrait", try sample("obama.jpg"), "--probe", blank.path, "--json"])
        #expect(out.status == 2, "stderr: \(out.stderr)")
        let j = try #require(json)
        #expect(j["decision"] as? String == "notAcquired")
        #expect(j["similarity"] == nil)
        #expect((j["patientMessage"] as? String)?.isEmpty == false)
    }

    @Test("a truncated camera frame is an input error: exit 3 and one line on stderr", .enabled(if: ready))
    func truncatedProbe() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try sample("obama2.jpg")))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-cut-\(UUID()).jpg")
        defer { try? FileManager.default.removeItem(at: cut) }
        try bytes.prefix(bytes.count / 3).write(to: cut)
        let (out, _) = try verify(["--portrait", try sample("obama.jpg"), "--probe", cut.path])
        #expect(out.status == 3)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.split(separator: "\n").count == 1)
        #expect(out.stderr.contains("camera frame unreadable"))
    }

    @Test("an unsigned card-face file is refused by default: exit 3, 'no certificate'", .enabled(if: ready))
    func unsignedCardRefused() throws {
        let card = TestEnvironment.fixtures.appendingPathComponent("containers/cardface.bin").path
        let (out, _) = try verify(["--portrait", card, "--probe", try sample("obama2.jpg")])
        #expect(out.status == 3)
        #expect(out.stderr.contains("no certificate"))
    }

    @Test("a missing file is reported, not crashed on", .enabled(if: ProcessRunner.mynafaceBinary != nil))
    func missingFile() throws {
        let (out, _) = try verify(["--portrait", "/nonexistent/portrait.jp2", "--probe", "/nonexistent/frame.jpg"])
        #expect(out.status == 3)
        #expect(out.stderr.contains("cannot read portrait"))
    }
}
