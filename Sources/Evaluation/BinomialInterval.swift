import Foundation

/// The exact (Clopper–Pearson) confidence interval of a binomial proportion: `k` errors in `n` trials.
///
/// Bounds are quantiles of beta distributions, `B(α/2; k, n−k+1)` and `B(1−α/2; k+1, n−k)`, found by bisection on
/// the regularised incomplete beta function (Lentz's continued fraction). Conservative: the true coverage is at
/// least the nominal level, which is what a claim such as "FMR ≤ 1e-3" needs.
public enum BinomialInterval {
    /// The two-sided `level` interval of `k` / `n` (0 ≤ k ≤ n, n ≥ 1); `[0, 1]` when n is 0.
    public static func clopperPearson(errors k: Int, trials n: Int, level: Double = 0.95) -> ClosedRange<Double> {
        guard n > 0, k >= 0, k <= n else { return 0...1 }
        let alpha = 1 - level
        let lower = k == 0 ? 0 : betaQuantile(alpha / 2, a: Double(k), b: Double(n - k + 1))
        let upper = k == n ? 1 : betaQuantile(1 - alpha / 2, a: Double(k + 1), b: Double(n - k))
        return lower...upper
    }

    /// The p-quantile of Beta(a, b), by bisection (60 halvings: below 1e-18 of the unit interval).
    static func betaQuantile(_ p: Double, a: Double, b: Double) -> Double {
        var lo = 0.0
        var hi = 1.0
        for _ in 0..<60 {
            let mid = (lo + hi) / 2
            if regularizedIncompleteBeta(mid, a: a, b: b) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// I_x(a, b), the regularised incomplete beta function.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) { return exp(lnFront) * continuedFraction(x, a: a, b: b) / a }
        return 1 - exp(lnFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    /// The incomplete beta continued fraction (modified Lentz).
    static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m)
            let m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}

extension ComparisonScores {
    /// Error counts and rates when comparisons match at `threshold` (in the scores' own direction: a similarity
    /// matches when ≥ threshold, a distance when ≤ threshold), with exact 95% intervals.
    public func rates(at threshold: Double) -> ThresholdRates {
        let t = direction.oriented(threshold)
        let falseMatches = sortedImpostor.count - Self.lowerBound(sortedImpostor, t)
        let falseNonMatches = Self.lowerBound(sortedGenuine, t)
        return ThresholdRates(
            threshold: threshold, impostors: impostor.count, falseMatches: falseMatches,
            genuine: genuine.count, falseNonMatches: falseNonMatches)
    }

    /// The threshold (in the scores' direction) at which the upper end of FMR's exact 95% interval is at most
    /// `target`: the most lenient threshold whose false-match count `k` satisfies `upper(k, N) ≤ target`. Nil when
    /// even no false match at all cannot show it (fewer than about `3/target` impostor comparisons).
    public func thresholdBoundingFMR(_ target: Double, level: Double = 0.95) -> Double? {
        let n = sortedImpostor.count
        guard BinomialInterval.clopperPearson(errors: 0, trials: n, level: level).upperBound <= target else {
            return nil
        }
        var k = 0
        while k + 1 < n, BinomialInterval.clopperPearson(errors: k + 1, trials: n, level: level).upperBound <= target {
            k += 1
        }
        // At most k impostor scores may be at or above the threshold: it lies just above the (k+1)-th most similar.
        let u = sortedImpostor[n - 1 - k]
        let next =
            sortedImpostor[(n - k)...].first { $0 > u } ?? (sortedGenuine.first { $0 > u } ?? u + 1e-6 * max(1, abs(u)))
        return direction.oriented((u + next) / 2)
    }

    /// Index of the first element ≥ value in an ascending array.
    static func lowerBound(_ a: [Double], _ value: Double) -> Int {
        var lo = 0
        var hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Error counts and rates at one threshold, with exact (Clopper–Pearson) 95% intervals.
public struct ThresholdRates: Sendable, Codable, Equatable {
    /// The threshold, in the run's metric.
    public var threshold: Double
    public var impostors: Int
    public var falseMatches: Int
    public var genuine: Int
    public var falseNonMatches: Int

    /// FMR and its exact 95% interval.
    public var fmr: Double { Double(falseMatches) / Double(max(impostors, 1)) }
    public var fmrCI95: [Double] {
        let r = BinomialInterval.clopperPearson(errors: falseMatches, trials: impostors)
        return [r.lowerBound, r.upperBound]
    }
    /// FNMR and its exact 95% interval.
    public var fnmr: Double { Double(falseNonMatches) / Double(max(genuine, 1)) }
    public var fnmrCI95: [Double] {
        let r = BinomialInterval.clopperPearson(errors: falseNonMatches, trials: genuine)
        return [r.lowerBound, r.upperBound]
    }

    enum CodingKeys: String, CodingKey {
        case threshold, impostors, genuine, fmr, fnmr
        case falseMatches = "false_matches"
        case falseNonMatches = "false_non_matches"
        case fmrCI95 = "fmr_ci95"
        case fnmrCI95 = "fnmr_ci95"
    }

    public init(threshold: Double, impostors: Int, falseMatches: Int, genuine: Int, falseNonMatches: Int) {
        self.threshold = threshold
        self.impostors = impostors
        self.falseMatches = falseMatches
        self.genuine = genuine
        self.falseNonMatches = falseNonMatches
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            threshold: try c.decode(Double.self, forKey: .threshold),
            impostors: try c.decode(Int.self, forKey: .impostors),
            falseMatches: try c.decode(Int.self, forKey: .falseMatches),
            genuine: try c.decode(Int.self, forKey: .genuine),
            falseNonMatches: try c.decode(Int.self, forKey: .falseNonMatches))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(impostors, forKey: .impostors)
        try c.encode(falseMatches, forKey: .falseMatches)
        try c.encode(genuine, forKey: .genuine)
        try c.encode(falseNonMatches, forKey: .falseNonMatches)
        try c.encode(fmr, forKey: .fmr)
        try c.encode(fmrCI95, forKey: .fmrCI95)
        try c.encode(fnmr, forKey: .fnmr)
        try c.encode(fnmrCI95, forKey: .fnmrCI95)
    }
}
