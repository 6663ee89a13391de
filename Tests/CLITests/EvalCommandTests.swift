import Foundation
import TestSupport
import Testing

/// `mynaface eval --chip-sim` on a small labelled subset (lfw of ../shared/facedata: 10 identities, 100 photos),
/// with the metrics in summary.json checked against an independent, deliberately naive recomputation from
/// scores.csv. Skips when ../shared is absent.
@Suite("mynaface eval")
struct EvalCommandTests {
    static let ready =
        ProcessRunner.mynafaceBinary != nil && TestEnvironment.faceData != nil
        && TestEnvironment.model("mmod_human_face_detector.dat") != nil

    @Test("chip simulation on lfw: summary.json agrees with scores.csv", .enabled(if: ready))
    func chipSimulationMetrics() throws {
        let labels = try #require(TestEnvironment.faceData).appendingPathComponent("labels.csv")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-eval-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try ProcessRunner.run(
            try #require(ProcessRunner.mynafaceBinary),
            [
                "eval", "--csv", labels.path, "--set", "lfw", "--chip-sim", "--out", out.path,
                "--bootstrap", "200", "--no-cache", "--target-fmr", "0.01",
            ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let summary = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as? [String: Any])

        // scores.csv: path_a,path_b,same,similarity,distance — parse it independently.
        let rows = try String(contentsOf: out.appendingPathComponent("scores.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        var genuine: [Double] = []
        var impostor: [Double] = []
        for r in rows {
            let d = try #require(Double(r[r.count - 1]))
            if r[r.count - 3] == "1" { genuine.append(d) } else { impostor.append(d) }
        }
        // 10 identities: 9 genuine probes each against the chip of the first photo.
        #expect(genuine.count == 90)
        #expect(summary["genuine_pairs"] as? Int == genuine.count)
        #expect(summary["impostor_pairs"] as? Int == impostor.count)
        #expect(impostor.count >= 100)
        for path in ["det.svg", "histogram.svg"] {
            let svg = try String(contentsOf: out.appendingPathComponent(path), encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        }

        func fmr(_ t: Double) -> Double { Double(impostor.filter { $0 <= t }.count) / Double(impostor.count) }
        func fnmr(_ t: Double) -> Double { Double(genuine.filter { $0 > t }.count) / Double(genuine.count) }

        // The threshold for FMR 1e-2 keeps the naive FMR at or under 1e-2, and the FNMR there is the reported one.
        let thresholds = try #require(summary["threshold_at_fmr"] as? [String: Any])
        let fnmrs = try #require(summary["fnmr_at_fmr"] as? [String: Any])
        let t = try #require(thresholds["0.01"] as? Double)
        #expect(fmr(t) <= 0.01)
        #expect(abs(fnmr(t) - (try #require(fnmrs["0.01"] as? Double))) < 1e-12)
        // …and it is the least strict such threshold: the next impostor score above it would exceed the target.
        if let next = impostor.filter({ $0 > t }).min() { #expect(fmr(next) > 0.01) }

        // EER lies between the naive bounds over every observed score.
        let candidates = (genuine + impostor).sorted()
        let upper = candidates.map { max(fmr($0), fnmr($0)) }.min() ?? 1
        let lower = candidates.map { min(fmr($0), fnmr($0)) }.max() ?? 0
        let eer = try #require(summary["eer"] as? Double)
        #expect(eer <= upper + 1e-12)
        #expect(eer >= lower - 1e-12)
        #expect(summary["fta"] as? Double == 0)
    }
}
