import Foundation
import MynaFace
import Testing

@testable import Evaluation

@Suite("exact binomial intervals")
struct BinomialIntervalTests {
    @Test("Clopper–Pearson bounds against closed forms and published values")
    func knownValues() {
        // k = 0: upper = 1 − (α/2)^(1/n); k = n: lower = (α/2)^(1/n).
        let zero = BinomialInterval.clopperPearson(errors: 0, trials: 3000)
        #expect(zero.lowerBound == 0)
        #expect(abs(zero.upperBound - (1 - pow(0.025, 1.0 / 3000))) < 1e-12)
        let all = BinomialInterval.clopperPearson(errors: 20, trials: 20)
        #expect(abs(all.lowerBound - pow(0.025, 1.0 / 20)) < 1e-12 && all.upperBound == 1)
        // 5 of 100: [0.016432, 0.112835] (e.g. R's binom.test).
        let five = BinomialInterval.clopperPearson(errors: 5, trials: 100)
        #expect(abs(five.lowerBound - 0.0164318) < 1e-6 && abs(five.upperBound - 0.1128347) < 1e-6)
    }

    @Test("rates at a threshold count matches on the right side, for distances and similarities")
    func ratesAtThreshold() throws {
        let distances = try ComparisonScores(
            genuine: [0.2, 0.5, 0.7], impostor: [0.4, 0.9, 1.0, 1.2],
            direction: .lowerIsMoreSimilar)
        let r = distances.rates(at: 0.6)
        #expect(r.falseMatches == 1 && r.impostors == 4 && r.falseNonMatches == 1 && r.genuine == 3)
        #expect(distances.rates(at: 0.5).falseNonMatches == 1)  // 0.5 ≤ 0.5 matches
        let similarities = try ComparisonScores(
            genuine: [0.9, 0.95], impostor: [0.5, 0.91], direction: .higherIsMoreSimilar)
        #expect(similarities.rates(at: 0.91).falseMatches == 1 && similarities.rates(at: 0.91).falseNonMatches == 1)
    }

    @Test("the upper-bound threshold admits the most false matches whose exact upper bound stays under the target")
    func upperBoundThreshold() throws {
        // 10,000 impostors spread uniformly on (0, 1): k false matches allowed with upper(k, 10000) ≤ 1e-3.
        let impostor = (0..<10_000).map { Double($0) / 10_000 }
        let scores = try ComparisonScores(genuine: [0.5, 0.99995], impostor: impostor, direction: .higherIsMoreSimilar)
        let t = try #require(scores.thresholdBoundingFMR(1e-3))
        let k = scores.rates(at: t).falseMatches
        #expect(BinomialInterval.clopperPearson(errors: k, trials: 10_000).upperBound <= 1e-3)
        #expect(BinomialInterval.clopperPearson(errors: k + 1, trials: 10_000).upperBound > 1e-3)
        #expect(k == 3)
        // Too few impostors to show FMR ≤ 1e-3 even with no false match.
        let small = try ComparisonScores(
            genuine: [1], impostor: [Double](repeating: 0, count: 1000), direction: .higherIsMoreSimilar)
        #expect(small.thresholdBoundingFMR(1e-3) == nil)
    }
}

@Suite("population study and fused attempts")
struct PopulationStudyTests {
    /// Two sets in one labels CSV: `east` (6 people × 5 photos) and `west` (8 people × 4 photos).
    func writeTwoSets(_ root: URL) throws -> URL {
        var csv = "set,path,identity\n"
        for (set, people, photos) in [("east", 6, 5), ("west", 8, 4)] {
            for p in 0..<people {
                for n in 1...photos {
                    let name = "\(set)/p\(p)_\(n).jpg"
                    let url = root.appendingPathComponent(name)
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data("\(set)\(p)#\(n)".utf8).write(to: url)
                    csv += "\(set),\(name),\(set)\(p)\n"
                }
            }
        }
        let url = root.appendingPathComponent("labels.csv")
        try Data(csv.utf8).write(to: url)
        return url
    }

    func study(_ root: URL, options: EvaluationOptions, calibration: Set<String>?) throws -> PopulationStudy {
        let dataset = try FaceDataset.labelsCSV(try writeTwoSets(root))
        let computation = TemplateComputation(
            extractor: FakeExtractor(), chipSimulator: FakeChipSimulator(), cache: nil,
            jobs: 2, progress: false)
        return PopulationStudy(
            dataset: dataset, options: options, computation: computation, calibrationSets: calibration)
    }

    @Test("each set is its own run; the recommended threshold is the strictest over the calibration sets only")
    func perSet() throws {
        let root = temporaryDirectory("study")
        defer { try? FileManager.default.removeItem(at: root) }
        var options = EvaluationOptions()
        options.chip = ChipSettings()
        options.score = .cosine
        options.recommendedFMR = 0.05
        options.impostorPairs = 100_000
        let s = try study(root, options: options, calibration: ["east"])
        #expect(s.setNames == ["east", "west"])
        let outcome = try s.run(modelIdentity: "fake")
        let east = try #require(outcome.sets.first)
        let west = try #require(outcome.sets.last)
        #expect(east.calibration && !west.calibration && east.population == "mostly Western")
        #expect(east.result.summary.genuinePairs == 6 * 4 && east.result.summary.impostorPairs == 6 * 5 * 4)
        #expect(west.result.summary.genuinePairs == 8 * 3 && west.result.summary.impostorPairs == 8 * 7 * 3)
        let t = try #require(outcome.recommendedThreshold)
        #expect(t == east.result.comparisonScores.operatingPoint(targetFMR: 0.05).threshold)
        #expect(outcome.defaultThreshold == nil)  // plain descriptors: the default is mirror-averaged

        let out = root.appendingPathComponent("out")
        let file = try #require(try EvaluationReport.write(outcome, study: s, to: out, model: "fake-model"))
        #expect(file.sets?.map(\.set) == ["east", "west"] && file.sets?.map(\.calibration) == [true, false])
        #expect(file.impostorPairs == 120 && file.genuinePairs == 24)
        let back = try ThresholdFile.load(from: out.appendingPathComponent("threshold.json"))
        #expect(back == file)
        let svg = try String(contentsOf: out.appendingPathComponent("det.svg"), encoding: .utf8)
        #expect(svg.contains("east (mostly Western)") && svg.contains("west (mostly Western, held out)"))
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        let summary = try JSONDecoder().decode(
            StudySummary.self, from: Data(contentsOf: out.appendingPathComponent("summary.json")))
        #expect(summary.sets.count == 2 && summary.sets[0].atRecommendedThreshold?.threshold == t)
        #expect(summary.sets[1].atDlibThreshold != nil)
    }

    @Test("fused attempts: N probes of one identity averaged, remainders dropped, impostors all within the set")
    func fusedAttempts() throws {
        let root = temporaryDirectory("fuse")
        defer { try? FileManager.default.removeItem(at: root) }
        var options = EvaluationOptions()
        options.chip = ChipSettings()
        options.fuse = 2
        let outcome = try study(root, options: options, calibration: nil).run(modelIdentity: "fake")
        let east = outcome.sets[0].result
        let west = outcome.sets[1].result
        // east: 4 probes per person → 2 attempts each; west: 3 probes → 1 attempt (one dropped).
        #expect(east.summary.genuinePairs == 6 * 2 && east.summary.impostorPairs == 6 * 5 * 2)
        #expect(west.summary.genuinePairs == 8 * 1 && west.summary.impostorPairs == 8 * 7 * 1)
        let first = try #require(east.scores.first { $0.same })
        #expect(first.nameB.hasPrefix("fuse:") && first.nameB.split(separator: "+").count == 2)
        // The attempt's score is the score of the mean descriptor.
        let names = first.nameB.dropFirst(5).split(separator: "+").map { root.appendingPathComponent(String($0)) }
        let probes = try names.map {
            try #require(try FakeExtractor().template(for: [UInt8](Data(contentsOf: $0)), greyscale: false))
        }
        let mean = (0..<probes[0].count).map { i in probes.map { $0[i] }.reduce(0, +) / Float(probes.count) }
        let chipName = String(first.nameA.dropFirst(5))
        let chipBytes = try FakeChipSimulator().chipPortrait(
            from: [UInt8](Data(contentsOf: root.appendingPathComponent(chipName))))
        let chip = try #require(try FakeExtractor().template(for: chipBytes, greyscale: true))  // chips are embedded grey
        #expect(first.distance == ScoreMetric.distance(chip, mean))
    }
}
