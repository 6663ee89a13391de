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
    public static func write(_ result: EvaluationResult, to directory: URL, model: String, command: String? = nil,
                             created: Date = Date()) throws(EvaluationError) -> ThresholdFile? {
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
        let operating = options.targetFMRs.map { result.comparisonScores.operatingPoint(targetFMR: $0) }.filter(\.resolvable)
        try writeText(SVGPlot.det(curve: result.comparisonScores.errorCurve(), eer: result.comparisonScores.equalErrorRate(),
                                  operatingPoints: operating, title: "DET — \(result.summary.dataset), \(result.summary.score)",
                                  impostors: result.summary.impostorPairs, genuine: result.summary.genuinePairs),
                      to: directory.appendingPathComponent("det.svg"))
        try writeText(SVGPlot.histogram(scores: result.comparisonScores, scoreName: result.summary.score,
                                        threshold: recommended.resolvable ? recommended.threshold : nil,
                                        thresholdLabel: "FMR \(EvaluationSummary.key(options.recommendedFMR))",
                                        title: "Scores — \(result.summary.dataset)"),
                      to: directory.appendingPathComponent("histogram.svg"))
        let thresholdURL = directory.appendingPathComponent("threshold.json")
        guard let file = ThresholdFile(result: result, model: model, command: command, created: created) else {
            try? FileManager.default.removeItem(at: thresholdURL)
            return nil
        }
        do { try file.save(to: thresholdURL) } catch { throw .unwritable(path: thresholdURL.path, detail: error.description) }
        return file
    }

    /// The `scores.csv` text.
    public static func scoresCSV(_ scores: [ScoredPair]) -> String {
        var text = "path_a,path_b,same,similarity,distance\n"
        text.reserveCapacity(scores.count * 80)
        for s in scores {
            text += "\(CSV.escape(s.nameA)),\(CSV.escape(s.nameB)),\(s.same ? 1 : 0),\(format17(s.similarity)),\(format17(s.distance))\n"
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
