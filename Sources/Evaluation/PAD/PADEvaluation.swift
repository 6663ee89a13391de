import FaceDetection
import FaceImaging
import Foundation
import MynaFace

/// The landmarks of one presentation's frames (frames without a face left out): dlib's 68 points per frame when
/// the analyzer computes them, else its 5 points.
public struct PADTrack: Sendable {
    /// The presentation.
    public var session: PADSession
    /// The points per frame with a face, in the session's order.
    public var landmarks: [[SIMD2<Double>]]
}

/// PAD results of one attack type (or of the bona fide presentations) at one liveness policy.
public struct PADTypeResult: Sendable, Codable, Equatable {
    /// The attack type, or `bona-fide`.
    public var type: String
    /// Presentations.
    public var count: Int
    /// Presentations classified as attacks (PAD score < 1) — for bona fide ones, the BPCER's numerator.
    public var classifiedAttack: Int
    /// APCER (attacks classified bona fide) or BPCER (bona fide classified attack) at the configured thresholds.
    public var rate: Double
}

/// An ISO/IEC 30107-3 style PAD evaluation at one policy: APCER per attack type, BPCER, and the BPCER at the
/// threshold scale where the worst attack type's APCER is at most 1%.
public struct PADReport: Sendable {
    /// The policy (`challenge`, the attacker turning the artefact whichever way scores best; or `passive`).
    public var policy: String
    /// Per attack type, at the configured thresholds.
    public var attacks: [PADTypeResult]
    /// Bona fide presentations that contain a turn, at the configured thresholds.
    public var bonaFide: PADTypeResult
    /// The same per bona fide type (`att-session`, `samples`, `yale-session`, `tw_ntu-burst`).
    public var bonaFideByType: [PADTypeResult]
    /// Bona fide sessions per type that contain no turn at all (yaw range below
    /// ``PADEvaluation/noTurnRange``): reported apart, not in the BPCER.
    public var noTurn: [String: Int]
    /// The worst attack type's APCER.
    public var worstAPCER: Double { attacks.map(\.rate).max() ?? 0 }
    /// BPCER at the smallest PAD-score threshold giving every attack type APCER ≤ 1% (scores scale the cue
    /// thresholds together).
    public var bpcerAtAPCER1: Double
    /// That PAD-score threshold (1 is the shipped operating point).
    public var thresholdAtAPCER1: Double
    /// PAD scores per type (`bona-fide` for the bona fide ones).
    public var scores: [String: [Double]]

    /// The DET curves, one per attack type (APCER on the x axis, BPCER on the y axis).
    public func detSVG() throws(EvaluationError) -> String {
        let bona = scores["bona-fide"] ?? []
        var series: [SVGPlot.DETSeries] = []
        for t in attacks {
            let c = try ComparisonScores(genuine: bona, impostor: scores[t.type] ?? [], direction: .higherIsMoreSimilar)
            series.append(
                SVGPlot.DETSeries(
                    label: t.type, curve: c.errorCurve(), eer: c.equalErrorRate(),
                    operatingPoints: [c.operatingPoint(targetFMR: 0.01)]))
        }
        return SVGPlot.det(
            series: series, title: "PAD (\(policy)): APCER (x, as FMR) vs BPCER (y, as FNMR)",
            impostors: attacks.map(\.count).max() ?? 1, genuine: bona.count)
    }
}

/// Runs the PAD evaluation: landmarks of every frame, PAD scores per presentation, ISO/IEC 30107-3 rates.
public enum PADEvaluation {
    /// Detects the face and its landmarks in every frame of every session (sessions in parallel over `jobs` threads).
    /// - Throws: ``EvaluationError/unreadable(path:)`` for a frame that cannot be read or decoded.
    public static func tracks(_ sessions: [PADSession], analyzer: FaceAnalyzer, jobs: Int) throws(EvaluationError)
        -> [PADTrack]
    {
        let work = Work(count: sessions.count)
        DispatchQueue.concurrentPerform(iterations: max(1, jobs)) { _ in
            while true {
                let i = work.take()
                guard i < sessions.count else { return }
                var landmarks: [[SIMD2<Double>]] = []
                for path in sessions[i].frames {
                    guard let data = FileManager.default.contents(atPath: path),
                        let image = try? ImageDecoder.decode([UInt8](data))
                    else {
                        work.fail(.unreadable(path: path))
                        return
                    }
                    guard
                        let face = try? analyzer.analyze(
                            image, options: DetectionOptions(minimumFaceSize: .fractionOfWidth(0.1))
                        ).faces.first
                    else { continue }
                    landmarks.append(
                        (face.shape?.points ?? face.landmarks.points).map { SIMD2(Double($0.x), Double($0.y)) })
                }
                work.store(i, PADTrack(session: sessions[i], landmarks: landmarks))
            }
        }
        if let failure = work.failure { throw failure }
        return work.results.compactMap { $0 }
    }

    /// The smallest yaw range (eye distances) of a bona fide session that counts as containing a turn; sessions
    /// below it (no head turn at all: held still, burst frames) are reported apart and left out of the BPCER.
    public static let noTurnRange = 0.05

    /// The range of a track's yaw proxy (68-point frames: ``ShapeLivenessCues/yaw(_:)``, else
    /// ``LivenessCues/yaw(_:)``), eye distances.
    public static func yawRange(_ track: [[SIMD2<Double>]]) -> Double {
        let yaws = track.map {
            $0.count == ShapeLivenessCues.pointCount ? ShapeLivenessCues.yaw($0) : LivenessCues.yaw($0)
        }
        guard let lo = yaws.min(), let hi = yaws.max() else { return 0 }
        return hi - lo
    }

    /// The PAD score of one presentation under `policy` (`challenge` or `passive`).
    ///
    /// Frames keep their time order. A bona fide session (one sitting, natural pose change, no request) is scored
    /// under the direction its frames actually turn (the better of the two sides); an attack under the direction
    /// that suits it best (the attacker is told the direction and turns the artefact accordingly).
    public static func score(_ track: PADTrack, checker: LivenessChecker, challenge: Bool) -> Double {
        if !challenge { return checker.assess(track.landmarks, policy: .passive)?.score ?? 0 }
        return HeadTurn.allCases.map { checker.assess(track.landmarks, policy: .challenge($0))?.score ?? 0 }.max() ?? 0
    }

    /// The report at one policy. Bona fide sessions without a turn (yaw range below ``noTurnRange``) are counted
    /// apart (``PADReport/noTurn``) and left out of the BPCER.
    public static func report(_ tracks: [PADTrack], checker: LivenessChecker, challenge: Bool) -> PADReport {
        var byType: [String: [Double]] = [:]
        var bonaByType: [String: [Double]] = [:]
        var noTurn: [String: Int] = [:]
        for t in tracks {
            let s = score(t, checker: checker, challenge: challenge)
            if t.session.isBonaFide {
                guard yawRange(t.landmarks) >= noTurnRange else {
                    noTurn[t.session.type, default: 0] += 1
                    continue
                }
                byType["bona-fide", default: []].append(s)
                bonaByType[t.session.type, default: []].append(s)
            } else {
                byType[t.session.type, default: []].append(s)
            }
        }
        let bona = byType["bona-fide"] ?? []
        let types = byType.keys.filter { $0 != "bona-fide" }.sorted()
        let attacks = types.map { type -> PADTypeResult in
            let s = byType[type]!
            let passed = s.filter { $0 >= 1 }.count
            return PADTypeResult(
                type: type, count: s.count, classifiedAttack: s.count - passed,
                rate: Double(passed) / Double(max(1, s.count)))
        }
        let refused = bona.filter { $0 < 1 }.count
        // The smallest threshold with APCER ≤ 1% for every type: above the ⌊1% · n⌋-th largest score of each type.
        var threshold = 0.0
        for type in types {
            let s = byType[type]!.sorted(by: >)
            let allowed = Int((0.01 * Double(s.count)).rounded(.down))
            if allowed < s.count { threshold = max(threshold, s[allowed].nextUp) }
        }
        let bpcer = Double(bona.filter { $0 < threshold }.count) / Double(max(1, bona.count))
        let perType = bonaByType.keys.sorted().map { type -> PADTypeResult in
            let s = bonaByType[type]!
            let r = s.filter { $0 < 1 }.count
            return PADTypeResult(type: type, count: s.count, classifiedAttack: r, rate: Double(r) / Double(s.count))
        }
        return PADReport(
            policy: challenge ? "challenge" : "passive", attacks: attacks,
            bonaFide: PADTypeResult(
                type: "bona-fide", count: bona.count, classifiedAttack: refused,
                rate: Double(refused) / Double(max(1, bona.count))),
            bonaFideByType: perType, noTurn: noTurn,
            bpcerAtAPCER1: bpcer, thresholdAtAPCER1: threshold, scores: byType)
    }
}

/// The shared state of ``PADEvaluation/tracks(_:analyzer:jobs:)``'s workers, every access under one lock.
private final class Work: @unchecked Sendable {
    private var nextIndex = 0
    private var slots: [PADTrack?]
    private var firstFailure: EvaluationError?
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    /// The next session index (past the end once every session is taken or a frame failed).
    func take() -> Int {
        lock.withLock {
            defer { nextIndex += 1 }
            return firstFailure == nil ? nextIndex : slots.count
        }
    }
    func store(_ i: Int, _ track: PADTrack) { lock.withLock { slots[i] = track } }
    func fail(_ error: EvaluationError) { lock.withLock { if firstFailure == nil { firstFailure = error } } }
    var results: [PADTrack?] { lock.withLock { slots } }
    var failure: EvaluationError? { lock.withLock { firstFailure } }
}
