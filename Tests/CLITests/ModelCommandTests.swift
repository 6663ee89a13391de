import Foundation
import MynaFace
import TestSupport
import Testing

/// `--model DIR` on the commands, with the generated random-weight model (`Scripts/make-test-embedding-model.py`):
/// the calibration path (`eval --model` writes a threshold file naming the model), `verify --model` with and without
/// an operating point, `embed --model`.
@Suite("mynaface --model", .serialized)
struct ModelCommandTests {
    static let directory = TestEnvironment.testEmbeddingModel
    static let ready =
        VerifyCommandTests.ready && directory != nil && ONNXNetworkLoader.isAvailable
    static let note = Comment(
        rawValue: directory == nil
            ? TestEnvironment.testModelAbsentMessage : "needs the binary, the models and the ONNX executor (issue 24)")

    static func run(_ args: [String], environment: [String: String]? = nil) throws -> ProcessRunner.Output {
        try ProcessRunner.run(try #require(ProcessRunner.mynafaceBinary), args, environment: environment)
    }

    static func sample(_ name: String) throws -> String { try #require(TestEnvironment.sample(name)).path }

    static func identity() throws -> EmbeddingModelIdentity {
        let m = try ModelManifest.load(from: try #require(directory).appendingPathComponent("manifest.json"))
        return EmbeddingModelIdentity(id: m.id, sha256: m.sha256)
    }

    @Test(
        "verify --model without a calibrated threshold: exit 4 and the message that says how to calibrate",
        .enabled(if: ready, note))
    func uncalibrated() throws {
        let dir = try #require(Self.directory).path
        let out = try Self.run([
            "verify", "--model", dir, "--portrait", try Self.sample("obama.jpg"), "--probe",
            try Self.sample("obama2.jpg"),
        ])
        #expect(out.status == 4)
        #expect(out.stderr.contains("has no calibrated threshold") && out.stderr.contains("mynaface eval --model"))
        // The same through $MYNAFACE_MODEL.
        let env = try Self.run(
            ["verify", "--portrait", try Self.sample("obama.jpg"), "--probe", try Self.sample("obama2.jpg")],
            environment: ["MYNAFACE_MODEL": dir])
        #expect(env.status == 4 && env.stderr.contains("has no calibrated threshold"))
    }

    @Test("verify --model --threshold: a decision by the model, its identity in the JSON", .enabled(if: ready, note))
    func verifyExplicit() throws {
        let out = try Self.run([
            "verify", "--model", try #require(Self.directory).path, "--portrait", try Self.sample("obama.jpg"),
            "--probe", try Self.sample("obama2.jpg"), "--threshold", "0.5", "--metric", "cosine", "--json",
        ])
        #expect(out.status == 0 || out.status == 1, "stderr: \(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["model"] as? String == (try Self.identity()).description)
        let threshold = try #require(json["threshold"] as? [String: Any])
        #expect(threshold["metric"] as? String == "cosine" && threshold["value"] as? Double == 0.5)
        // A threshold file made for dlib's model is refused for this one (exit 3, naming both).
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dlib-threshold-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try ThresholdFile(
            metric: .cosine, threshold: 0.9, targetFMR: 1e-3, observedFMR: 1e-3, expectedFNMR: 0.1, fnmrCI95: nil,
            model: FaceVerifier.embeddingModel, created: "2026-12-07T00:00:00Z", dataset: "test", genuinePairs: 1,
            impostorPairs: 1, fta: 0
        ).save(to: file)
        let refused = try Self.run([
            "verify", "--model", try #require(Self.directory).path, "--portrait", try Self.sample("obama.jpg"),
            "--probe", try Self.sample("obama2.jpg"), "--threshold-file", file.path,
        ])
        #expect(refused.status == 3 && refused.stderr.contains("was made for model"))
    }

    @Test("embed --model: the model's unit-norm embedding and its identity", .enabled(if: ready, note))
    func embed() throws {
        let out = try Self.run([
            "embed", "--model", try #require(Self.directory).path, try Self.sample("obama.jpg"), "--json",
        ])
        #expect(out.status == 0, "stderr: \(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["model"] as? String == (try Self.identity()).description)
        let faces = try #require(json["faces"] as? [[String: Any]])
        let values = try #require(faces.first?["embedding"] as? [Double])
        #expect(values.count == 128)
        #expect(abs(values.reduce(0) { $0 + $1 * $1 }.squareRoot() - 1) < 1e-4)
    }

    @Test(
        "eval --model on a labelled subset writes a threshold file naming the model (the calibration path)",
        .enabled(if: ready && TestEnvironment.faceData != nil, note))
    func calibrate() throws {
        let data = try #require(TestEnvironment.faceData)
        // The first 4 photos of each of the first 6 lfw identities of labels.csv.
        let lines = try String(contentsOf: data.appendingPathComponent("labels.csv"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).dropFirst()
        var perIdentity: [String: Int] = [:]
        var rows = ["path,identity,set"]
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard f.count >= 3, f[0] == "lfw" else { continue }
            let n = perIdentity[f[2], default: 0]
            guard n < 4, perIdentity.count < 6 || perIdentity[f[2]] != nil else { continue }
            perIdentity[f[2]] = n + 1
            rows.append("\(data.appendingPathComponent(f[1]).path),\(f[2]),lfw")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("labels.csv")
        try rows.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        let out = try Self.run([
            "eval", "--model", try #require(Self.directory).path, "--csv", csv.path, "--score", "cosine",
            "--target-fmr", "0.05", "--bootstrap", "0", "--no-cache", "--out", dir.appendingPathComponent("out").path,
        ])
        #expect(out.status == 0, "stderr: \(out.stderr)")
        let file = try ThresholdFile.load(from: dir.appendingPathComponent("out/threshold.json"))
        #expect(file.model == (try Self.identity()).thresholdName)
        #expect(file.metric == .cosine && file.threshold.isFinite)
        #expect(!out.stdout.contains("at dlib 0.6"))
    }
}
