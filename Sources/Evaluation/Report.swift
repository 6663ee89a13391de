import Foundation
import MynaFace

/// Writes the files of a run into an output folder.
///
/// - `summary.json`: ``EvaluationSummary``.
/// - `scores.csv`: `path_a,path_b,same,similarity,distance`, one row per scored comparison (`same` is 1/0;
///   numbers with 17 significant digits, so the metrics can be recomputed exactly).
/// - `failures.csv`: `path,reason,pairs_affected` for every image without a template.
/// - `det.svg`: the DET curve (FNMR against FMR on normal-deviate axes).
/// - `histogram.svg`: the genuine and impostor score distributions.
/// - `threshold.json`: the recommended threshold (``MynaFace/ThresholdFile``), when resolvable.
public enum EvaluationReport {
    /// Writes every file; returns the threshold configuration written, if any.
    /// - Throws: ``EvaluationError/unwritable(path:detail:)``.
    @discardableResult
    /// - Parameters:
    ///   - model: the embedding model the templates came from (recorded in `threshold.json`).
    ///   - command: the command line that reproduces the run (recorded in `threshold.json`).
    public static func write(
        _ result: EvaluationResult, to directory: URL, model: String, command: String? = nil,
        created: Date = Date()
    ) throws(EvaluationError) -> ThresholdFile? {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .unwritable(path: directory.path, detail: String(describing: error))
        }
        try writeJSON(result.summary, to: directory.appendingPathComponent("summary.json"))
        try writeText(scoresCSV(result.scores), to: directory.appendingPathComponent("scores.csv"))
        var failures = "path,reason,pairs_affected\n"
        for f in result.failures {
            failures += "\(CSV.escape(f.name)),\(CSV.escape(f.reason)),\(f.pairsAffected)\n"
        }
        try writeText(failures, to: directory.appendingPathComponent("failures.csv"))
        let options = result.summary.options
        let recommended = result.comparisonScores.operatingPoint(targetFMR: options.recommendedFMR)
        let operating = options.targetFMRs.map { result.comparisonScores.operatingPoint(targetFMR: $0) }.filter(
            \.resolvable)
        try writeText(
            SVGPlot.det(
                curve: result.comparisonScores.errorCurve(), eer: result.comparisonScores.equalErrorRate(),
                operatingPoints: operating, title: "DET — \(result.summary.dataset), \(result.summary.score)",
                impostors: result.summary.impostorPairs, genuine: result.summary.genuinePairs),
            to: directory.appendingPathComponent("det.svg"))
        try writeText(
            SVGPlot.histogram(
                scores: result.comparisonScores, scoreName: result.summary.score,
                threshold: recommended.resolvable ? recommended.threshold : nil,
                thresholdLabel: "FMR \(EvaluationSummary.key(options.recommendedFMR))",
                title: "Scores — \(result.summary.dataset)"),
            to: directory.appendingPathComponent("histogram.svg"))
        let thresholdURL = directory.appendingPathComponent("threshold.json")
        guard let file = ThresholdFile(result: result, model: model, command: command, created: created) else {
            try? FileManager.default.removeItem(at: thresholdURL)
            return nil
        }
        do { try file.save(to: thresholdURL) } catch {
            throw .unwritable(path: thresholdURL.path, detail: error.description)
        }
        return file
    }

    /// The `scores.csv` text.
    public static func scoresCSV(_ scores: [ScoredPair]) -> String {
        var text = "path_a,path_b,same,similarity,distance\n"
        text.reserveCapacity(scores.count * 80)
        for s in scores {
            text +=
                "\(CSV.escape(s.nameA)),\(CSV.escape(s.nameB)),\(s.same ? 1 : 0),\(format17(s.similarity)),\(format17(s.distance))\n"
        }
        return text
    }

    /// A double with 17 significant digits (round-trips exactly).
    static func format17(_ x: Double) -> String { String(format: "%.17g", x) }

    static func writeText(_ text: String, to url: URL) throws(EvaluationError) {
        do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
            throw .unwritable(path: url.path, detail: String(describing: error))
        }
    }
}

extension EvaluationReport {
    /// Writes the files of a population study into `directory`:
    /// - `summary.json`: ``StudySummary`` (one line per set: rates at the default, dlib's and the recommended
    ///   threshold, with exact 95% intervals);
    /// - `scores-<set>.csv`, `failures-<set>.csv`: as for one run, per set;
    /// - `det.svg`: one DET curve per set on one plot;
    /// - `threshold.json`: the recommended threshold with every set's rates (``MynaFace/ThresholdFile``), when one
    ///   was found.
    /// - Returns: the threshold file written, if any.
    /// - Throws: ``EvaluationError/unwritable(path:detail:)``.
    @discardableResult
    public static func write(
        _ outcome: PopulationStudy.Outcome, study: PopulationStudy, to directory: URL, model: String,
        command: String? = nil, created: Date = Date()
    ) throws(EvaluationError) -> ThresholdFile? {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .unwritable(path: directory.path, detail: String(describing: error))
        }
        let options = study.options
        let lines = outcome.sets.map { SetSummary($0, outcome: outcome, options: options) }
        let summary = StudySummary(
            sets: lines, score: options.score.rawValue, descriptor: options.descriptor, fuse: options.fuse,
            targetFMR: options.recommendedFMR, calibration: study.calibration,
            calibrationSets: outcome.sets.filter(\.calibration).map(\.set),
            recommendedThreshold: outcome.recommendedThreshold,
            defaultThreshold: outcome.defaultThreshold, options: options,
            model: outcome.sets.first?.result.summary.model ?? "")
        try writeJSON(summary, to: directory.appendingPathComponent("summary.json"))
        for r in outcome.sets {
            let safe = String(r.set.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
            try writeText(scoresCSV(r.result.scores), to: directory.appendingPathComponent("scores-\(safe).csv"))
            var failures = "path,reason,pairs_affected\n"
            for f in r.result.failures {
                failures += "\(CSV.escape(f.name)),\(CSV.escape(f.reason)),\(f.pairsAffected)\n"
            }
            try writeText(failures, to: directory.appendingPathComponent("failures-\(safe).csv"))
        }
        let series = outcome.sets.map { r in
            SVGPlot.DETSeries(
                label: "\(r.set) (\(r.population)\(r.calibration ? "" : ", held out"))",
                curve: r.result.comparisonScores.errorCurve(), eer: r.result.comparisonScores.equalErrorRate(),
                operatingPoints: [])
        }
        let what = options.fuse > 1 ? "attempts of \(options.fuse) fused photos" : "single photos"
        try writeText(
            SVGPlot.det(
                series: series,
                title:
                    "DET per population — \(options.score.rawValue), \(options.descriptor.rawValue) descriptors, \(what)",
                impostors: outcome.sets.map(\.result.summary.impostorPairs).max() ?? 0,
                genuine: outcome.sets.map(\.result.summary.genuinePairs).max() ?? 0),
            to: directory.appendingPathComponent("det.svg"))
        let thresholdURL = directory.appendingPathComponent("threshold.json")
        guard let threshold = outcome.recommendedThreshold else {
            try? FileManager.default.removeItem(at: thresholdURL)
            return nil
        }
        let calibrating = outcome.sets.filter(\.calibration).map { $0.result.comparisonScores.rates(at: threshold) }
        let pooled = ThresholdRates(
            threshold: threshold, impostors: calibrating.map(\.impostors).reduce(0, +),
            falseMatches: calibrating.map(\.falseMatches).reduce(0, +),
            genuine: calibrating.map(\.genuine).reduce(0, +),
            falseNonMatches: calibrating.map(\.falseNonMatches).reduce(0, +))
        let performances = outcome.sets.map { r in
            let rates = r.result.comparisonScores.rates(at: threshold)
            return ThresholdFile.SetPerformance(
                set: r.set, population: r.population, identities: r.result.summary.identities,
                genuinePairs: rates.genuine, impostorPairs: rates.impostors, fmr: rates.fmr, fmrCI95: rates.fmrCI95,
                fnmr: rates.fnmr, fnmrCI95: rates.fnmrCI95, calibration: r.calibration)
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var dataset = "\(study.dataset.description): calibrated on \(summary.calibrationSets.joined(separator: ", "))"
        dataset +=
            " (FMR \(study.calibration == .upperBound ? "95% upper bound" : "observed") ≤ \(options.recommendedFMR) on each)"
        if let chip = options.chip { dataset += ", chip-sim \(chip.width)x\(chip.height) at \(chip.byteBudget) bytes" }
        if options.fuse > 1 { dataset += ", attempts of \(options.fuse) photos" }
        let file = ThresholdFile(
            metric: options.score, descriptor: options.descriptor, frames: options.fuse, threshold: threshold,
            targetFMR: options.recommendedFMR, observedFMR: pooled.fmr, expectedFNMR: pooled.fnmr,
            fnmrCI95: pooled.fnmrCI95, model: model, pipeline: summary.model, created: formatter.string(from: created),
            dataset: dataset, command: command, genuinePairs: pooled.genuine, impostorPairs: pooled.impostors,
            fta: outcome.sets.filter(\.calibration).map(\.result.summary.fta).max() ?? 0, sets: performances)
        do { try file.save(to: thresholdURL) } catch {
            throw .unwritable(path: thresholdURL.path, detail: error.description)
        }
        return file
    }
}
