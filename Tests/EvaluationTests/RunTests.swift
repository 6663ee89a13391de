import Foundation
import MynaFace
import Testing

@testable import Evaluation

/// A deliberately naive O(n²) recomputation of the metrics from `scores.csv`, sharing no code with
/// `ComparisonScores`.
struct NaiveMetrics {
    var genuine: [Double] = []
    var impostor: [Double] = []
    var lowerIsBetter: Bool

    init(scoresCSV: String, score: String) {
        lowerIsBetter = score == "euclidean"
        for line in scoresCSV.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            let value = Double(String(f[lowerIsBetter ? 4 : 3]))!
            if f[2] == "1" { genuine.append(value) } else { impostor.append(value) }
        }
    }

    func matches(_ s: Double, _ t: Double) -> Bool { lowerIsBetter ? s <= t : s >= t }
    func fmr(_ t: Double) -> Double { Double(impostor.filter { matches($0, t) }.count) / Double(impostor.count) }
    func fnmr(_ t: Double) -> Double { Double(genuine.filter { !matches($0, t) }.count) / Double(genuine.count) }

    /// Candidate thresholds from the most lenient to the strictest, ending past the most similar score.
    var thresholds: [Double] {
        var all: [Double] = []
        for s in genuine + impostor where !all.contains(s) { all.append(s) }
        if lowerIsBetter {
            all.sort(by: >)
            all.append(all.last!.nextDown)
        } else {
            all.sort()
            all.append(all.last!.nextUp)
        }
        return all
    }

    var eer: Double {
        let ts = thresholds
        for n in 0..<ts.count {
            let a = fmr(ts[n])
            let b = fnmr(ts[n])
            if a == b { return a }
            if b > a {
                let pa = fmr(ts[n - 1])
                let pb = fnmr(ts[n - 1])
                // Intersect the segment (pa,pb)→(a,b) with the diagonal.
                let alpha = (pa - pb) / ((pa - pb) - (a - b))
                return pa + alpha * (a - pa)
            }
        }
        fatalError("no crossing")
    }

    /// (threshold, fnmr) of the least strict threshold with FMR ≤ target; the threshold reported half-way
    /// to the previous (less strict) candidate, or 1e-9 beyond it past the last score.
    func atFMR(_ target: Double) -> (Double, Double) {
        let ts = thresholds
        for n in 1..<ts.count where fmr(ts[n]) <= target {
            let previous = ts[n - 1]
            let margin = 1e-9 * max(1, abs(previous))
            let reported =
                n == ts.count - 1 ? (lowerIsBetter ? previous - margin : previous + margin) : (previous + ts[n]) / 2
            return (reported, fnmr(ts[n]))
        }
        fatalError("unreachable")
    }
}

@Suite("evaluation run end to end with a fake extractor")
struct RunTests {
    func makeRun(_ dir: URL, options: EvaluationOptions, cache: TemplateCache? = nil) throws -> EvaluationResult {
        let dataset = try FaceDataset.folder(dir)
        let computation = TemplateComputation(
            extractor: FakeExtractor(), chipSimulator: FakeChipSimulator(),
            cache: cache, jobs: 2, progress: false)
        return try EvaluationRun(dataset: dataset, options: options, computation: computation)
            .run(modelIdentity: FakeExtractor().modelIdentity)
    }

    func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test("summary.json agrees with a naive recomputation from scores.csv", arguments: ScoreMetric.allCases)
    func summaryMatchesScores(score: ScoreMetric) throws {
        let dir = temporaryDirectory("run")
        let out = temporaryDirectory("out")
        defer {
            try? FileManager.default.removeItem(at: dir)
            try? FileManager.default.removeItem(at: out)
        }
        writeFakeFaceFolder(
            dir, identities: 20, perIdentity: 5,
            extra: ["person00/blank.jpg": "person00#noface", "person01/broken.jpg": "corrupt"])
        var options = EvaluationOptions()
        options.score = score
        options.bootstrapReplicates = 200
        let result = try makeRun(dir, options: options)
        try EvaluationReport.write(result, to: out, model: FakeExtractor().embeddingModel)

        let summary = try json(out.appendingPathComponent("summary.json"))
        let csv = try String(contentsOf: out.appendingPathComponent("scores.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("path_a,path_b,same,similarity,distance\n"))
        let naive = NaiveMetrics(scoresCSV: csv, score: score.rawValue)
        #expect(summary["score"] as? String == score.rawValue)
        #expect(summary["genuine_pairs"] as? Int == naive.genuine.count)
        #expect(summary["impostor_pairs"] as? Int == naive.impostor.count)
        // 20 identities: 18 with 5 images (10 genuine pairs each), 2 with 6 (15 each) → 210 genuine pairs,
        // of which the 5 + 5 involving the two failed images are not scored.
        #expect(naive.genuine.count == 200)
        #expect(summary["unscored_genuine_pairs"] as? Int == 10)
        // Impostors: default 10 × 210 = 2100 sampled; those involving the failed images are unscored.
        #expect(naive.impostor.count + (summary["unscored_impostor_pairs"] as! Int) == 2100)
        // (JSON numbers are compared to 1e-15: Foundation's JSON round trip may move the last bit.)
        #expect(abs(try #require(summary["fta"] as? Double) - 2.0 / 102.0) < 1e-15)
        #expect(summary["fta_count"] as? Int == 2)
        let eer = try #require(summary["eer"] as? Double)
        #expect(abs(eer - naive.eer) < 1e-12)
        #expect(eer > 0.005 && eer < 0.3, "the fake data should make some errors")
        let fnmrs = try #require(summary["fnmr_at_fmr"] as? [String: Any])
        let thresholds = try #require(summary["threshold_at_fmr"] as? [String: Any])
        #expect(Set(fnmrs.keys) == ["0.01", "0.001", "0.0001"])
        for (key, target) in [("0.01", 0.01), ("0.001", 0.001)] {
            let (t, f) = naive.atFMR(target)
            #expect(abs(try #require(fnmrs[key] as? Double) - f) < 1e-15, "FNMR at \(key)")
            let threshold = try #require(thresholds[key] as? Double)
            #expect(abs(threshold - t) <= 1e-14 * max(1, abs(t)), "threshold at \(key)")
        }
        // 1e-4 needs 10 000 impostors: not resolvable, reported as null.
        #expect(fnmrs["0.0001"] is NSNull)
        #expect(thresholds["0.0001"] is NSNull)
        #expect((summary["resolvable"] as? [String: Bool])?["0.0001"] == false)
        #expect((summary["fnmr_at_fmr_ci95"] as? [String: Any])?["0.0001"] is NSNull)
        let ci = try #require((summary["fnmr_at_fmr_ci95"] as? [String: Any])?["0.01"] as? [Double])
        #expect(ci.count == 2 && ci[0] <= ci[1])

        // Failures are listed with the pairs they cost.
        let failures = try String(contentsOf: out.appendingPathComponent("failures.csv"), encoding: .utf8)
        #expect(failures.contains("person00/blank.jpg,no face,"))
        #expect(failures.contains("person01/broken.jpg,fake decode error,"))
        // One row recomputed from the extractor directly.
        let row = csv.split(separator: "\n")[1].split(separator: ",")
        let ta = try #require(
            try FakeExtractor().template(
                for: [UInt8](Data(contentsOf: dir.appendingPathComponent(String(row[0])))), greyscale: false))
        let tb = try #require(
            try FakeExtractor().template(
                for: [UInt8](Data(contentsOf: dir.appendingPathComponent(String(row[1])))), greyscale: false))
        #expect(Double(String(row[3])) == score.similarity(ta, tb))
        #expect(Double(String(row[4])) == ScoreMetric.distance(ta, tb))

        // The threshold file: recommended FMR 1e-3 is resolvable with ~2000 impostors.
        let configuration = try ThresholdFile.load(from: out.appendingPathComponent("threshold.json"))
        #expect(configuration.metric == score)
        #expect(configuration.targetFMR == 0.001)
        #expect(abs(configuration.threshold - (thresholds["0.001"] as! Double)) < 1e-14)
        #expect(
            abs(configuration.threshold - result.comparisonScores.operatingPoint(targetFMR: 0.001).threshold) < 1e-14)
        #expect(configuration.model == "fake-model" && configuration.pipeline == "fake-extractor-v1")
        #expect(configuration.comparison == (score == .euclidean ? "<=" : ">="))
        for plot in ["det.svg", "histogram.svg"] {
            let svg = try String(contentsOf: out.appendingPathComponent(plot), encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
        }
    }

    @Test("chip protocol: chip portraits of the first photos against the other photos")
    func chipProtocol() throws {
        let dir = temporaryDirectory("chip")
        let out = temporaryDirectory("chipout")
        defer {
            try? FileManager.default.removeItem(at: dir)
            try? FileManager.default.removeItem(at: out)
        }
        writeFakeFaceFolder(dir, identities: 10, perIdentity: 4)
        var options = EvaluationOptions()
        options.chip = ChipSettings()
        options.score = .cosine
        options.bootstrapReplicates = 100
        let result = try makeRun(dir, options: options)
        #expect(result.summary.genuinePairs == 10 * 3)
        #expect(result.summary.impostorPairs == 10 * 9 * 3)
        #expect(result.summary.templates == 40)
        #expect(result.scores.allSatisfy { $0.nameA.hasPrefix("chip:") && !$0.nameB.hasPrefix("chip:") })
        #expect(result.scores.first?.nameA == "chip:person00/person00_0001.jpg")
        try EvaluationReport.write(result, to: out, model: FakeExtractor().embeddingModel)
        let csv = try String(contentsOf: out.appendingPathComponent("scores.csv"), encoding: .utf8)
        let naive = NaiveMetrics(scoresCSV: csv, score: "cosine")
        #expect(abs(result.summary.eer - naive.eer) < 1e-12)
        // 270 impostors: 1e-2 resolvable, 1e-3 not, so no threshold file.
        #expect(result.summary.resolvable == ["0.01": true, "0.001": false, "0.0001": false])
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("threshold.json").path))
    }

    @Test("templates are cached by content and options; a damaged entry is recomputed")
    func cache() throws {
        let dir = temporaryDirectory("cached")
        let cacheDir = temporaryDirectory("cache")
        defer {
            try? FileManager.default.removeItem(at: dir)
            try? FileManager.default.removeItem(at: cacheDir)
        }
        writeFakeFaceFolder(dir, identities: 3, perIdentity: 3, extra: ["person00/x.jpg": "noface"])
        var options = EvaluationOptions()
        options.bootstrapReplicates = 10
        let cache = TemplateCache(directory: cacheDir)
        let first = try makeRun(dir, options: options, cache: cache)
        let entries = try FileManager.default.contentsOfDirectory(atPath: cacheDir.path).filter {
            $0.hasSuffix(".tmpl")
        }
        #expect(entries.count == 10)  // 9 templates + 1 no-face
        try Data("garbage".utf8).write(to: cacheDir.appendingPathComponent(entries[0]))
        let second = try makeRun(dir, options: options, cache: cache)
        #expect(first.scores == second.scores)
        #expect(second.failures.map(\.name) == ["person00/x.jpg"])
        // Greyscale probes use other cache entries.
        options.greyProbe = true
        let grey = try makeRun(dir, options: options, cache: cache)
        #expect(grey.scores != first.scores)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheDir.path).count == 20)
        #expect(TemplateCache.digest(Array("abc".utf8)).count >= 32)
    }

    @Test("bad options are typed errors")
    func badOptions() throws {
        let dir = temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        writeFakeFaceFolder(dir, identities: 2, perIdentity: 2)
        var options = EvaluationOptions()
        options.targetFMRs = [1.5]
        #expect(throws: EvaluationError.invalidOption(name: "--target-fmr", detail: "1.5 is not in (0, 1)")) {
            try makeRun(dir, options: options)
        }
        options = EvaluationOptions()
        options.chip = ChipSettings(width: 240, height: 320, byteBudget: 10)
        #expect(throws: EvaluationError.self) { try makeRun(dir, options: options) }
        options = EvaluationOptions()
        writeFakeFaceFolder(dir, identities: 1, perIdentity: 1, extra: [:])
        let single = temporaryDirectory("single")
        defer { try? FileManager.default.removeItem(at: single) }
        writeFakeFaceFolder(single, identities: 1, perIdentity: 3)
        #expect(throws: EvaluationError.noComparisons(genuine: 3, impostor: 0)) {
            try makeRun(single, options: options)
        }
    }
}
