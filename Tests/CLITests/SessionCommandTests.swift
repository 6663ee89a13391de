import Foundation
import Testing
import TestSupport

/// `mynaface session` end to end: a simulated card issued with the portrait, the real face pipeline, the PIN
/// fallback from standard input, card counters persisted in a state file, and the eligibility answer of the
/// demo registry.
@Suite("mynaface session")
struct SessionCommandTests {
    static let ready = ProcessRunner.mynafaceBinary != nil && TestEnvironment.sample("obama.jpg") != nil
        && TestEnvironment.model("mmod_human_face_detector.dat") != nil

    func session(_ args: [String], stdin: String? = nil) throws -> (ProcessRunner.Output, [String: Any]) {
        let out = try ProcessRunner.run(try #require(ProcessRunner.mynafaceBinary), ["session"] + args + ["--json"],
                                        stdin: stdin.map { Data($0.utf8) })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any],
                                "stdout: \(out.stdout) stderr: \(out.stderr)")
        return (out, json)
    }

    func sample(_ name: String) throws -> String { try #require(TestEnvironment.sample(name)).path }

    @Test("the card holder's face verifies them (at dlib's 0.6) and the qualification check answers 'valid'",
          .enabled(if: ready))
    func faceVerified() throws {
        let (out, j) = try session(["--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
                                    "--threshold", "0.6"])
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["outcome"] as? String == "verified")
        #expect(j["method"] as? String == "face")
        #expect(j["cardFaceFailures"] as? Int == 0)
        #expect((j["eligibility"] as? String)?.contains("valid") == true, "\(j["eligibility"] ?? "nil")")
        #expect(!out.stdout.contains("1234"))
    }

    @Test("at the default (calibrated on East-Asian faces) the Western sample's greyscale chip is refused; the PIN verifies",
          .enabled(if: ready))
    func strictDefaultFallsBackToPIN() throws {
        let (out, j) = try session(["--portrait", try sample("obama.jpg"), "--probe", try sample("obama2.jpg"),
                                    "--probe", try sample("obama3.jpg"), "--pin-stdin"], stdin: "1234\n")
        #expect(out.status == 0, "stderr: \(out.stderr)")
        #expect(j["method"] as? String == "pin")
        let attempts = try #require(j["faceAttempts"] as? [String])
        #expect(attempts.count == 3 && attempts.allSatisfy { $0.hasPrefix("no match cosine") && $0.contains("2 of 2 frames fused") })
    }

    @Test("someone else's face fails three times, then the PIN verifies; counters persist in the state file",
          .enabled(if: ready))
    func faceFailsThenPIN() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-card-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: state) }
        let args = ["--portrait", try sample("obama.jpg"), "--probe", try sample("biden.jpg"),
                    "--card-state", state.path, "--pin-stdin"]
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
}
