import Foundation

/// One presentation in a PAD evaluation: a bona fide session or an attack, as frames in time order.
public struct PADSession: Sendable, Equatable {
    /// True for a bona fide presentation (a live person).
    public var isBonaFide: Bool
    /// `att-session`, `samples`, or the attack type (`print-still`, `print-moved`, `print-bent`, `replay-screen`,
    /// `card-face`).
    public var type: String
    /// The session's name.
    public var id: String
    /// The person shown.
    public var identity: String
    /// The frames, in time order (bona fide att sessions are re-ordered by estimated yaw by the evaluation).
    public var frames: [String]
}

/// The manifest `Scripts/make-pad-attacks.py` writes: `kind type session identity direction frames` (tab-separated,
/// frames comma-separated), `#` comments.
public enum PADManifest {
    /// Reads a manifest.
    /// - Throws: ``EvaluationError/unreadable(path:)``, ``EvaluationError/malformedLine(path:line:detail:)``,
    ///   ``EvaluationError/empty(detail:)``.
    public static func load(_ url: URL) throws(EvaluationError) -> [PADSession] {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8)
        else {
            throw .unreadable(path: url.path)
        }
        var sessions: [PADSession] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 6, f[0] == "bona-fide" || f[0] == "attack" else {
                throw .malformedLine(
                    path: url.path, line: n + 1, detail: "expected kind, type, session, identity, direction, frames")
            }
            sessions.append(
                PADSession(
                    isBonaFide: f[0] == "bona-fide", type: f[1], id: f[2], identity: f[3],
                    frames: f[5].split(separator: ",").map(String.init)))
        }
        guard sessions.contains(where: \.isBonaFide), sessions.contains(where: { !$0.isBonaFide }) else {
            throw .empty(detail: "\(url.path) needs bona fide and attack sessions")
        }
        return sessions
    }
}
