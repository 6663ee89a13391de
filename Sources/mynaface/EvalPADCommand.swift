import Evaluation
import Foundation
import MynaFace
import NeuralCore

/// `mynaface eval --pad`: presentation-attack detection measured as ISO/IEC 30107-3 does.
extension EvalCommand {
    struct PADSummary: Encodable {
        struct Policy: Encodable {
            var policy: String
            var attacks: [PADTypeResult]
            var bonaFide: PADTypeResult
            var bonaFideByType: [PADTypeResult]
            var noTurn: [String: Int]
            var worstAPCER: Double
            var bpcerAtAPCER1: Double
            var thresholdAtAPCER1: Double
        }
        var manifest: String
        var sessions: Int
        var framesWithoutFace: Int
        var thresholds: [String: Double]
        var policies: [Policy]
    }

    func runPAD() throws {
        let manifest = attacks ?? MynaFacePaths.current.cacheRoot.appendingPathComponent("pad/manifest.tsv").path
        let sessions = try PADManifest.load(URL(fileURLWithPath: manifest))
        let store = models.map { ModelStore(directory: URL(fileURLWithPath: $0, isDirectory: true)) } ?? ModelStore()
        // The 68-point shape when its model is in the store (the liveness checker's 68-point cues), else 5 points.
        let analyzer = try FaceAnalyzer(store: store, fullShape: FaceVerifier.hasShapeModel(store))
        CLI.note("mynaface eval --pad: \(sessions.count) sessions, \(sessions.map(\.frames.count).reduce(0, +)) frames")
        let tracks = try PADEvaluation.tracks(sessions, analyzer: analyzer, jobs: jobs)
        let missing = zip(sessions, tracks).map { $0.frames.count - $1.landmarks.count }.reduce(0, +)
        let checker = LivenessChecker()
        let outDir = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        var policies: [PADSummary.Policy] = []
        for challenge in [true, false] {
            let r = PADEvaluation.report(tracks, checker: checker, challenge: challenge)
            print("PAD, policy \(r.policy) (\(r.bonaFide.count) bona fide presentations):")
            for a in r.attacks {
                print(
                    "  APCER " + a.type.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(
                            format: "%6.2f%%  (%d of %d attacks accepted)", 100 * a.rate, a.count - a.classifiedAttack,
                            a.count))
            }
            print(String(format: "  worst APCER         %6.2f%%", 100 * r.worstAPCER))
            print(
                String(
                    format: "  BPCER               %6.2f%%  (%d of %d bona fide refused)", 100 * r.bonaFide.rate,
                    r.bonaFide.classifiedAttack, r.bonaFide.count))
            for b in r.bonaFideByType {
                print(
                    "    BPCER " + b.type.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(format: "%6.2f%%  (%d of %d)", 100 * b.rate, b.classifiedAttack, b.count))
            }
            for (type, n) in r.noTurn.sorted(by: { $0.key < $1.key }) {
                print("    no turn at all (not in the BPCER): \(type) \(n) sessions")
            }
            print(
                String(
                    format: "  BPCER at APCER ≤ 1%% %6.2f%%  (PAD score threshold %.3f)", 100 * r.bpcerAtAPCER1,
                    r.thresholdAtAPCER1))
            let svg = outDir.appendingPathComponent("pad-det-\(r.policy).svg")
            try r.detSVG().write(to: svg, atomically: true, encoding: .utf8)
            print("  DET: \(svg.path)")
            policies.append(
                .init(
                    policy: r.policy, attacks: r.attacks, bonaFide: r.bonaFide, bonaFideByType: r.bonaFideByType,
                    noTurn: r.noTurn, worstAPCER: r.worstAPCER,
                    bpcerAtAPCER1: r.bpcerAtAPCER1, thresholdAtAPCER1: r.thresholdAtAPCER1))
        }
        // Per-session cues, for inspection (no images, no descriptors).
        var csv = "kind,type,session,frames,framesWithFace,points,yawRange,challengeScore,passiveScore,motion\n"
        for t in tracks {
            csv +=
                "\(t.session.isBonaFide ? "bona-fide" : "attack"),\(t.session.type),\(t.session.id),\(t.session.frames.count),"
                + "\(t.landmarks.count),\(t.landmarks.first?.count ?? 0),\(PADEvaluation.yawRange(t.landmarks)),"
                + "\(PADEvaluation.score(t, checker: checker, challenge: true)),"
                + "\(PADEvaluation.score(t, checker: checker, challenge: false)),"
                // motion is the 5-point cue (it reads the eye corners at points 0–3): empty for 68-point tracks.
                + "\(t.landmarks.first?.count == 5 ? "\(LivenessCues.motion(t.landmarks))" : "")\n"
        }
        try csv.write(to: outDir.appendingPathComponent("pad-sessions.csv"), atomically: true, encoding: .utf8)
        var lm = ""
        for t in tracks {
            lm +=
                "\(t.session.isBonaFide ? "bona-fide" : "attack")\t\(t.session.type)\t\(t.session.id)\t"
                + t.landmarks.map { $0.map { "\($0.x) \($0.y)" }.joined(separator: " ") }.joined(separator: ";") + "\n"
        }
        try lm.write(to: outDir.appendingPathComponent("pad-landmarks.tsv"), atomically: true, encoding: .utf8)
        try CLI.printJSONFile(
            PADSummary(
                manifest: manifest, sessions: sessions.count, framesWithoutFace: missing,
                thresholds: [
                    "minimumTurn": checker.minimumTurn, "minimumParallax": checker.minimumParallax,
                    "minimumShapeTurn": checker.minimumShapeTurn, "minimumShapeParallax": checker.minimumShapeParallax,
                    "noTurnRange": PADEvaluation.noTurnRange,
                ],
                policies: policies),
            to: outDir.appendingPathComponent("pad-summary.json"))
        print("framesWithoutFace: \(missing); summary: \(outDir.appendingPathComponent("pad-summary.json").path)")
    }
}

extension CLI {
    /// Writes an Encodable value as pretty, key-sorted JSON to `url`.
    static func printJSONFile<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(value).write(to: url)
    }
}
