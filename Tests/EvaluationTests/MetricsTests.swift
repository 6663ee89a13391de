import Foundation
import Testing

@testable import Evaluation

@Suite("ISO/IEC 19795-1 metrics on hand-made scores")
struct MetricsTests {
    @Test("sweep lists FMR/FNMR at every distinct score, and the EER sits exactly on a sweep point")
    func exactCrossing() throws {
        let s = try ComparisonScores(
            genuine: [0.9, 0.8, 0.7, 0.6], impostor: [0.1, 0.2, 0.3, 0.65],
            direction: .higherIsMoreSimilar)
        let curve = s.errorCurve()
        #expect(curve.map(\.threshold).dropLast() == [0.1, 0.2, 0.3, 0.6, 0.65, 0.7, 0.8, 0.9])
        #expect(curve.map(\.fmr) == [1, 0.75, 0.5, 0.25, 0.25, 0, 0, 0, 0])
        #expect(curve.map(\.fnmr) == [0, 0, 0, 0, 0.25, 0.25, 0.5, 0.75, 1])
        #expect(curve.last!.threshold == 0.9.nextUp)
        let eer = s.equalErrorRate()
        #expect(eer.rate == 0.25)
        #expect(eer.threshold == 0.65)
    }

    @Test("EER interpolated between the sweep points around the crossing")
    func interpolatedCrossing() throws {
        // Sweep: (FMR, FNMR) = (1,0) (.5,0) (.5,1/3) (0,1/3) …: the crossing lies on the segment
        // (.5,1/3)→(0,1/3) at one third of the way, threshold 0.5 + (0.8 − 0.5)/3 = 0.6.
        let s = try ComparisonScores(genuine: [0.3, 0.8, 0.9], impostor: [0.1, 0.5], direction: .higherIsMoreSimilar)
        let eer = s.equalErrorRate()
        #expect(abs(eer.rate - 1.0 / 3.0) < 1e-15)
        #expect(abs(eer.threshold - 0.6) < 1e-15)
        // The same data as distances (negated) gives the same rates and negated thresholds.
        let d = try ComparisonScores(
            genuine: [-0.3, -0.8, -0.9], impostor: [-0.1, -0.5], direction: .lowerIsMoreSimilar)
        #expect(abs(d.equalErrorRate().rate - 1.0 / 3.0) < 1e-15)
        #expect(abs(d.equalErrorRate().threshold + 0.6) < 1e-15)
        #expect(d.errorCurve().map(\.fmr) == s.errorCurve().map(\.fmr))
    }

    @Test("perfect separation gives EER 0")
    func separated() throws {
        let s = try ComparisonScores(genuine: [0.2, 0.3], impostor: [0.7, 0.9], direction: .lowerIsMoreSimilar)
        #expect(s.equalErrorRate().rate == 0)
        // FMR ≤ 0.5 allows one impostor: the least strict threshold is 0.7, reported half-way to 0.9.
        #expect(
            s.operatingPoint(targetFMR: 0.5)
                == OperatingPoint(targetFMR: 0.5, resolvable: true, threshold: 0.8, fmr: 0.5, fnmr: 0))
        // FMR ≤ 0.4 allows none (and 2 impostors cannot resolve 0.4): threshold half-way between 0.3 and 0.7.
        #expect(
            s.operatingPoint(targetFMR: 0.4)
                == OperatingPoint(targetFMR: 0.4, resolvable: false, threshold: 0.5, fmr: 0, fnmr: 0))
    }

    @Test("threshold and FNMR for a target FMR; unresolvable targets are flagged")
    func operatingPoints() throws {
        let impostor = (1...100).map { Double($0) / 100 }
        let s = try ComparisonScores(
            genuine: [0.5, 0.95, 0.985, 0.999, 1.5], impostor: impostor,
            direction: .higherIsMoreSimilar)
        let one = s.operatingPoint(targetFMR: 0.01)
        #expect(
            one
                == OperatingPoint(
                    targetFMR: 0.01, resolvable: true, threshold: (0.99 + 0.999) / 2, fmr: 0.01, fnmr: 0.6))
        let two = s.operatingPoint(targetFMR: 0.02)
        #expect(
            two
                == OperatingPoint(
                    targetFMR: 0.02, resolvable: true, threshold: (0.98 + 0.985) / 2, fmr: 0.02, fnmr: 0.4))
        let tiny = s.operatingPoint(targetFMR: 0.001)
        #expect(!tiny.resolvable)
        #expect(tiny.threshold == 1.25 && tiny.fmr == 0 && tiny.fnmr == 0.8)
        #expect(s.bootstrapFNMR(targetFMR: 0.001, seed: 1) == nil)
        #expect(ComparisonScores.isResolvable(targetFMR: 0.001, impostors: 1000))
        #expect(!ComparisonScores.isResolvable(targetFMR: 0.001, impostors: 999))
    }

    @Test("empty or non-finite score lists are refused with a typed error")
    func refusals() {
        #expect(throws: EvaluationError.noComparisons(genuine: 0, impostor: 1)) {
            try ComparisonScores(genuine: [], impostor: [1], direction: .higherIsMoreSimilar)
        }
        #expect(throws: EvaluationError.self) {
            try ComparisonScores(genuine: [.nan], impostor: [1], direction: .higherIsMoreSimilar)
        }
    }

    @Test("bootstrap intervals are reproducible from the seed and bracket the estimate")
    func bootstrapDeterminism() throws {
        var g = SeededGenerator(seed: 7)
        let genuine = (0..<300).map { _ in 0.3 + Double(g.next(below: 1000)) / 2000 }
        let impostor = (0..<2000).map { _ in Double(g.next(below: 1000)) / 1500 }
        let s = try ComparisonScores(genuine: genuine, impostor: impostor, direction: .higherIsMoreSimilar)
        let a = try #require(s.bootstrapFNMR(targetFMR: 0.01, replicates: 400, seed: 42))
        let b = try #require(s.bootstrapFNMR(targetFMR: 0.01, replicates: 400, seed: 42))
        let c = try #require(s.bootstrapFNMR(targetFMR: 0.01, replicates: 400, seed: 43))
        #expect(a == b)
        #expect(a != c)
        let estimate = s.operatingPoint(targetFMR: 0.01).fnmr
        #expect(a.lower <= estimate && estimate <= a.upper)
        #expect(a.lower < a.upper)
        #expect(a.replicates == 400 && a.level == 0.95)
    }

    @Test("each bootstrap replicate equals the operating point recomputed on its resampled lists")
    func bootstrapMatchesDirectComputation() throws {
        let genuine = [0.1, 0.4, 0.4, 0.7, 0.9, 1.2]
        let impostor = [0.3, 0.5, 0.5, 0.8, 1.0, 1.1, 1.3, 1.4, 1.6, 2.0]
        let s = try ComparisonScores(genuine: genuine, impostor: impostor, direction: .lowerIsMoreSimilar)
        let values = try #require(s.bootstrapReplicateFNMRs(targetFMR: 0.2, replicates: 50, seed: 99))
        // Reproduce the documented draw order and recompute each replicate the slow way.
        var rng = SeededGenerator(seed: 99)
        let sg = s.sortedGenuine
        let si = s.sortedImpostor
        for r in 0..<50 {
            let rg = (0..<sg.count).map { _ in sg[rng.next(below: sg.count)] }
            let ri = (0..<si.count).map { _ in si[rng.next(below: si.count)] }
            let direct = try ComparisonScores(genuine: rg, impostor: ri, direction: .higherIsMoreSimilar)
                .operatingPoint(targetFMR: 0.2).fnmr
            #expect(values[r] == direct, "replicate \(r)")
        }
        #expect(Set(values).count > 1)
    }

    @Test("type-7 quantiles")
    func quantiles() {
        #expect(ComparisonScores.quantile([1, 2, 3, 4, 5], 0.5) == 3)
        #expect(ComparisonScores.quantile([1, 2, 3, 4], 0.5) == 2.5)
        #expect(ComparisonScores.quantile([0, 10], 0.025) == 0.25)
    }
}

@Suite("inverse normal CDF")
struct ProbitTests {
    @Test("matches reference values (Python statistics.NormalDist, Wichura AS241)")
    func referenceValues() {
        let cases: [(Double, Double)] = [
            (0.5, 0), (0.975, 1.9599639845400536), (0.999, 3.090232306167813), (0.9, 1.2815515655446008),
            (0.001, -3.090232306167813), (1e-10, -6.361340902404056), (0.02425, -1.9729610513118845),
            (0.3, -0.5244005127080407),
        ]
        for (p, z) in cases {
            #expect(abs(Probit.inverseNormalCDF(p) - z) <= 1e-13 * max(1, abs(z)), "p = \(p)")
        }
    }

    @Test("round trip through the CDF and the edge cases")
    func roundTrip() {
        for e in 1...300 {
            let p = Double(e) / 301
            #expect(abs(Probit.normalCDF(Probit.inverseNormalCDF(p)) - p) < 1e-14)
        }
        #expect(Probit.inverseNormalCDF(0) == -.infinity)
        #expect(Probit.inverseNormalCDF(1) == .infinity)
        #expect(Probit.inverseNormalCDF(-0.1).isNaN)
        #expect(Probit.inverseNormalCDF(1.5).isNaN)
        #expect(
            Probit.inverseNormalCDF(0.2) == -Probit.inverseNormalCDF(0.8)
                || abs(Probit.inverseNormalCDF(0.2) + Probit.inverseNormalCDF(0.8)) < 1e-15)
    }
}
