import Foundation

/// The benchmark regression policy: a baseline file of each stage's median as a ratio to the sgemm anchor
/// timed in the same run (`Benchmarks/baseline.json`), and the check CI runs against it.
public struct BenchmarkBaseline: Sendable, Codable, Equatable {
    /// What the ratios are.
    public var note: String
    /// Stage id → median stage time ÷ median anchor time.
    public var ratios: [String: Double]

    public init(
        note: String = "median stage time ÷ median anchor sgemm time, same run (mynaface bench)",
        ratios: [String: Double]
    ) {
        self.note = note
        self.ratios = ratios
    }

    /// The baseline of a run's measurements (model load excluded: it is one cold sample), ratios to 3 decimals.
    public init(measurements: [StageMeasurement]) {
        var ratios: [String: Double] = [:]
        for m in measurements where m.id != "model_load" {
            ratios[m.id] = ((m.ratioToAnchor ?? 0) * 1000).rounded() / 1000
        }
        self.init(ratios: ratios)
    }

    /// Why a baseline file could not be used.
    public struct Unreadable: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "cannot read benchmark baseline \(path)" }
    }

    /// Reads a baseline file.
    /// - Throws: ``Unreadable``.
    public static func load(from url: URL) throws(Unreadable) -> BenchmarkBaseline {
        guard let data = FileManager.default.contents(atPath: url.path),
            let baseline = try? JSONDecoder().decode(BenchmarkBaseline.self, from: data)
        else {
            throw Unreadable(path: url.path)
        }
        return baseline
    }

    /// Writes the file (pretty-printed JSON, sorted keys).
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url)
    }

    /// The outcome of checking one stage against the baseline.
    public struct StageCheck: Sendable, Equatable {
        /// The stage id.
        public var id: String
        /// The baseline ratio and the largest ratio allowed (`baseline × tolerance`).
        public var baseline: Double, limit: Double
        /// Every ratio measured, first run first.
        public var measured: [Double]
        /// True when the last measurement is still over the limit.
        public var regressed: Bool { (measured.last ?? 0) > limit }
    }

    /// Checks each measured stage against its baseline ratio.
    ///
    /// A stage over its limit is measured again (twice at most, each against an anchor timed just before it): on
    /// a shared machine a neighbour can slow one stage's run by half, while a real regression stays over.
    /// - Parameters:
    ///   - measurements: the run's measurements (with ``StageMeasurement/ratioToAnchor``).
    ///   - tolerance: the allowed growth factor (CI uses 2.0).
    ///   - remeasure: measures a stage again and returns its new ratio to a fresh anchor.
    /// - Returns: one check for every stage that was over its limit at least once (regressed or not).
    public func check(
        _ measurements: [StageMeasurement], tolerance: Double,
        remeasure: (String) throws -> Double
    ) rethrows -> [StageCheck] {
        var checks: [StageCheck] = []
        for m in measurements {
            guard let base = ratios[m.id], let first = m.ratioToAnchor, base > 0, first > base * tolerance else {
                continue
            }
            var check = StageCheck(id: m.id, baseline: base, limit: base * tolerance, measured: [first])
            while check.regressed && check.measured.count < 3 { check.measured.append(try remeasure(m.id)) }
            checks.append(check)
        }
        return checks
    }
}
