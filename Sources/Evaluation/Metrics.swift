import Foundation

/// Which way a comparison score points.
public enum ScoreDirection: String, Sendable, Codable {
    /// Similarities (cosine): a pair is a match when `score ≥ threshold`.
    case higherIsMoreSimilar = "higher-is-more-similar"
    /// Distances (Euclidean): a pair is a match when `score ≤ threshold`.
    case lowerIsMoreSimilar = "lower-is-more-similar"

    /// The score mapped to "higher is more similar" (identity for similarities, negation for distances).
    @inlinable func oriented(_ score: Double) -> Double { self == .higherIsMoreSimilar ? score : -score }
}

/// One point of the error trade-off: the rates a reader would see at `threshold`.
public struct ErrorRatePoint: Sendable, Equatable {
    /// The decision threshold, in score units (a similarity or a distance, see ``ScoreDirection``).
    public var threshold: Double
    /// False-match rate: the fraction of impostor comparisons accepted at this threshold.
    public var fmr: Double
    /// False-non-match rate: the fraction of genuine comparisons rejected at this threshold.
    public var fnmr: Double
}

/// The equal error rate (EER) and the threshold where it occurs.
public struct EqualErrorRate: Sendable, Equatable {
    /// The rate where FMR = FNMR (a fraction, 0…1).
    public var rate: Double
    /// The (interpolated) threshold, in score units.
    public var threshold: Double
}

/// The operating point chosen for a target false-match rate.
public struct OperatingPoint: Sendable, Equatable {
    /// The FMR the threshold was chosen for.
    public var targetFMR: Double
    /// False when there are fewer than `1/targetFMR` impostor comparisons: the data cannot distinguish
    /// the target from zero, so `threshold` and `fnmr` are only the "zero observed false matches" point.
    public var resolvable: Bool
    /// The threshold (score units): half-way between the least strict threshold whose observed FMR is ≤
    /// the target (a score) and the next less similar score (the most similar impostor it rejects).
    public var threshold: Double
    /// The observed FMR at `threshold`.
    public var fmr: Double
    /// The observed FNMR at `threshold`.
    public var fnmr: Double
}

/// A two-sided bootstrap confidence interval.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    /// Lower bound.
    public var lower: Double
    /// Upper bound.
    public var upper: Double
    /// Confidence level (e.g. 0.95).
    public var level: Double
    /// Number of bootstrap replicates.
    public var replicates: Int
}

/// Genuine and impostor comparison scores, and the ISO/IEC 19795-1 error rates computed from them.
///
/// ## Decision rule
/// A comparison is a *match* when its score is at least as similar as the threshold: `score ≥ t` for
/// similarities, `score ≤ t` for distances. FMR(t) is the fraction of impostor scores that match,
/// FNMR(t) the fraction of genuine scores that do not.
///
/// ## Threshold sweep
/// ``errorCurve()`` evaluates every distinct score as a threshold plus one threshold just past the most
/// similar score (where FMR = 0 and FNMR = 1): one sort, then a linear merge, O(n log n).
///
/// ## EER
/// FNMR − FMR rises from −1 to +1 along the sweep. The EER is where it crosses zero: at a sweep point
/// where both are equal, or by linear interpolation between the last point with FNMR < FMR and the first
/// with FNMR > FMR (the DET segment between them is intersected with the FMR = FNMR diagonal). The
/// reported threshold is interpolated the same way.
///
/// ## FNMR at a target FMR
/// The operating point is the least strict threshold whose observed FMR is ≤ the target, i.e. it accepts
/// at most ⌊target · N_impostor⌋ impostors; the reported threshold is placed half-way between that score
/// and the next less similar one (the most similar rejected impostor), which gives the same observed
/// rates but a margin against rounding (1e-9 beyond that impostor when no score is more similar). A target is *resolvable* only when N_impostor ≥ 1/target; otherwise
/// it is reported as not resolvable (the number is the zero-false-match point, not an estimate of the
/// target). Confidence intervals: ``bootstrapFNMR(targetFMR:replicates:level:seed:)``.
public struct ComparisonScores: Sendable {
    /// Genuine (same identity) scores, as given.
    public let genuine: [Double]
    /// Impostor (different identity) scores, as given.
    public let impostor: [Double]
    /// Which way the scores point.
    public let direction: ScoreDirection

    /// Genuine scores oriented so that higher is more similar, ascending.
    let sortedGenuine: [Double]
    /// Impostor scores oriented so that higher is more similar, ascending.
    let sortedImpostor: [Double]

    /// Wraps the scores of a run.
    /// - Throws: ``EvaluationError/noComparisons(genuine:impostor:)`` when either list is empty,
    ///   ``EvaluationError/invalidOption(name:detail:)`` when a score is not finite.
    public init(genuine: [Double], impostor: [Double], direction: ScoreDirection) throws(EvaluationError) {
        guard !genuine.isEmpty, !impostor.isEmpty else {
            throw .noComparisons(genuine: genuine.count, impostor: impostor.count)
        }
        guard genuine.allSatisfy(\.isFinite), impostor.allSatisfy(\.isFinite) else {
            throw .invalidOption(name: "scores", detail: "a score is NaN or infinite")
        }
        self.genuine = genuine
        self.impostor = impostor
        self.direction = direction
        sortedGenuine = genuine.map(direction.oriented).sorted()
        sortedImpostor = impostor.map(direction.oriented).sorted()
    }

    /// FMR and FNMR at every distinct score (plus one threshold past the most similar score), from the
    /// most lenient threshold (FMR = 1, FNMR = 0) to the strictest (FMR = 0, FNMR = 1).
    public func errorCurve() -> [ErrorRatePoint] {
        let g = sortedGenuine
        let i = sortedImpostor
        let gn = Double(g.count)
        let im = Double(i.count)
        var points: [ErrorRatePoint] = []
        points.reserveCapacity(g.count + i.count + 1)
        var gi = 0
        var ii = 0  // counts of genuine / impostor scores strictly below the current threshold
        while gi < g.count || ii < i.count {
            let t: Double
            if gi < g.count, ii < i.count {
                t = min(g[gi], i[ii])
            } else if gi < g.count {
                t = g[gi]
            } else {
                t = i[ii]
            }
            points.append(
                ErrorRatePoint(
                    threshold: direction.oriented(t),
                    fmr: Double(i.count - ii) / im, fnmr: Double(gi) / gn))
            while gi < g.count, g[gi] == t { gi += 1 }
            while ii < i.count, i[ii] == t { ii += 1 }
        }
        let top = max(g.last!, i.last!).nextUp
        points.append(ErrorRatePoint(threshold: direction.oriented(top), fmr: 0, fnmr: 1))
        return points
    }

    /// The equal error rate (see the type's documentation for the interpolation).
    public func equalErrorRate() -> EqualErrorRate {
        let curve = errorCurve()
        var previous = curve[0]
        for point in curve {
            let d = point.fnmr - point.fmr
            if d == 0 { return EqualErrorRate(rate: point.fmr, threshold: point.threshold) }
            if d > 0 {
                let d0 = previous.fnmr - previous.fmr  // < 0
                let alpha = -d0 / (d - d0)
                let rate = previous.fmr + alpha * (point.fmr - previous.fmr)
                let threshold = previous.threshold + alpha * (point.threshold - previous.threshold)
                return EqualErrorRate(rate: rate, threshold: threshold)
            }
            previous = point
        }
        return EqualErrorRate(rate: curve.last!.fmr, threshold: curve.last!.threshold)  // unreachable: ends at d = 1
    }

    /// The largest number of impostor matches allowed for `target`: ⌊target · N⌋ (guarded against rounding).
    static func allowedFalseMatches(target: Double, impostors: Int) -> Int {
        let exact = target * Double(impostors)
        return Int((exact + exact * 1e-12).rounded(.down))
    }

    /// True when there are at least `1/target` impostor comparisons.
    public static func isResolvable(targetFMR: Double, impostors: Int) -> Bool {
        allowedFalseMatches(target: targetFMR, impostors: impostors) >= 1
    }

    /// The operating point for a target FMR (0 < target < 1).
    public func operatingPoint(targetFMR target: Double) -> OperatingPoint {
        let g = sortedGenuine
        let i = sortedImpostor
        let k = Self.allowedFalseMatches(target: target, impostors: i.count)
        let resolvable = k >= 1
        guard k < i.count else {
            let t = min(g[0], i[0])
            return OperatingPoint(
                targetFMR: target, resolvable: resolvable, threshold: direction.oriented(t), fmr: 1, fnmr: 0)
        }
        // u: the (k+1)-th most similar impostor score; the threshold must lie strictly above it.
        let u = i[i.count - 1 - k]
        let gAbove = Self.upperBound(g, u)
        let iAbove = Self.upperBound(i, u)
        var candidates: [Double] = []
        if gAbove < g.count { candidates.append(g[gAbove]) }
        if iAbove < i.count { candidates.append(i[iAbove]) }
        // Half-way between u and the next distinct score, so the decision does not hinge on float rounding
        // of a score that equals the threshold (e.g. a verifier computing in Float, or a JSON round trip).
        let threshold = candidates.min().map { (u + $0) / 2 } ?? u + 1e-9 * max(1, abs(u))
        return OperatingPoint(
            targetFMR: target, resolvable: resolvable, threshold: direction.oriented(threshold),
            fmr: Double(i.count - iAbove) / Double(i.count),
            fnmr: Double(gAbove) / Double(g.count))
    }

    /// A bootstrap confidence interval for FNMR at a target FMR.
    ///
    /// Each replicate resamples the genuine and the impostor scores independently, with replacement, at
    /// their original sizes, and recomputes the operating point (threshold re-chosen on the replicate).
    /// The interval is the percentile interval: the (1−level)/2 and (1+level)/2 quantiles of the
    /// replicate FNMRs (linear interpolation between order statistics). Deterministic for a given seed.
    /// Returns nil when the target is not resolvable or `replicates < 2`.
    public func bootstrapFNMR(
        targetFMR target: Double, replicates: Int = 1000, level: Double = 0.95,
        seed: UInt64
    ) -> ConfidenceInterval? {
        guard replicates >= 2,
            var values = bootstrapReplicateFNMRs(targetFMR: target, replicates: replicates, seed: seed)
        else { return nil }
        values.sort()
        return ConfidenceInterval(
            lower: Self.quantile(values, (1 - level) / 2),
            upper: Self.quantile(values, (1 + level) / 2),
            level: level, replicates: replicates)
    }

    /// The FNMR at `target` of each bootstrap replicate, in replicate order (nil when not resolvable).
    ///
    /// Replicate r draws `genuine.count` indices into the ascending oriented genuine scores, then
    /// `impostor.count` indices into the ascending oriented impostor scores (``SeededGenerator/next(below:)``).
    /// Instead of sorting each resample it counts draws per index: the threshold must exceed the
    /// (k+1)-th most similar resampled impostor score u (k = allowed false matches), and the FNMR is the
    /// fraction of resampled genuine scores ≤ u — O(n) per replicate.
    func bootstrapReplicateFNMRs(targetFMR target: Double, replicates: Int, seed: UInt64) -> [Double]? {
        let g = sortedGenuine
        let i = sortedImpostor
        let k = Self.allowedFalseMatches(target: target, impostors: i.count)
        guard k >= 1, k < i.count, replicates >= 1 else { return nil }
        var rng = SeededGenerator(seed: seed)
        var gCounts = [Int32](repeating: 0, count: g.count)
        var iCounts = [Int32](repeating: 0, count: i.count)
        var values: [Double] = []
        values.reserveCapacity(replicates)
        for _ in 0..<replicates {
            for n in 0..<gCounts.count { gCounts[n] = 0 }
            for n in 0..<iCounts.count { iCounts[n] = 0 }
            for _ in 0..<g.count { gCounts[rng.next(below: g.count)] += 1 }
            for _ in 0..<i.count { iCounts[rng.next(below: i.count)] += 1 }
            var cumulative = 0
            var j = i.count - 1
            while j > 0 {
                cumulative += Int(iCounts[j])
                if cumulative > k { break }
                j -= 1
            }
            let end = Self.upperBound(g, i[j])
            var rejected = 0
            for n in 0..<end { rejected += Int(gCounts[n]) }
            values.append(Double(rejected) / Double(g.count))
        }
        return values
    }

    /// Quantile of ascending `values` by linear interpolation between order statistics (Hyndman–Fan type 7).
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let h = Double(values.count - 1) * q
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, values.count - 1)
        return values[lo] + (h - Double(lo)) * (values[hi] - values[lo])
    }

    /// The number of elements of ascending `a` that are ≤ `x`.
    static func upperBound(_ a: [Double], _ x: Double) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
