import FaceImaging
import Foundation

/// How much a streaming verification may spend before it gives up.
public struct AttemptBudget: Sendable, Equatable {
    /// Comparisons that may end in ``MatchDecision/noMatch`` (the reader's face attempts; default 3).
    public var maxComparisons: Int = 3
    /// Frames that may be looked at in all, acquired or not (default 60: a few seconds of camera).
    public var maxFrames: Int = 60
    /// Wall-clock limit from the first frame, seconds (default 10). Checked between frames.
    public var timeLimit: Double = 10
    public init(maxComparisons: Int = 3, maxFrames: Int = 60, timeLimit: Double = 10) {
        self.maxComparisons = maxComparisons
        self.maxFrames = maxFrames
        self.timeLimit = timeLimit
    }
}

/// Why a streaming verification stopped.
public enum StreamStop: String, Sendable, Equatable {
    /// A frame matched.
    case matched
    /// ``AttemptBudget/maxComparisons`` comparisons did not match.
    case comparisonsExhausted
    /// ``AttemptBudget/maxFrames`` frames were looked at.
    case framesExhausted
    /// ``AttemptBudget/timeLimit`` passed.
    case timeLimit
    /// The camera's frame sequence ended.
    case sequenceEnded
}

/// The outcome of a streaming verification.
public struct StreamingOutcome: Sendable, Equatable {
    /// Why it stopped.
    public var stop: StreamStop
    /// The last result (the match, the last no-match, or the last failure to acquire); nil when no frame came.
    public var last: MatchResult?
    /// Frames looked at.
    public var frames: Int
    /// Comparisons made (frames with a usable face).
    public var comparisons: Int
    /// True when a frame matched.
    public var isMatch: Bool { stop == .matched }
}

extension FaceVerifier {
    /// Compares camera frames with the portrait until one matches or the budget is spent.
    ///
    /// Frames with no usable face do not spend a comparison, only a frame. A frame that fails to decode
    /// never reaches here: the sequence yields decoded images.
    /// - Parameters:
    ///   - template: the enrolled portrait.
    ///   - frames: decoded camera frames, in order.
    ///   - budget: comparisons, frames and time allowed.
    /// - Returns: why it stopped, the last result and the counts.
    /// - Throws: errors of the frame sequence, and ``VerificationError/pipeline(_:)``.
    public func verify<Frames: AsyncSequence>(_ template: PortraitTemplate, frames: Frames,
                                              budget: AttemptBudget = AttemptBudget()) async throws -> StreamingOutcome
        where Frames.Element == Image {
        let start = DispatchTime.now()
        var outcome = StreamingOutcome(stop: .sequenceEnded, last: nil, frames: 0, comparisons: 0)
        for try await frame in frames {
            if Self.milliseconds(since: start) > budget.timeLimit * 1000 { outcome.stop = .timeLimit; return outcome }
            outcome.frames += 1
            let result = try verify(template, probeImage: frame)
            outcome.last = result
            switch result.decision {
            case .match:
                outcome.comparisons += 1
                outcome.stop = .matched
                return outcome
            case .noMatch:
                outcome.comparisons += 1
                if outcome.comparisons >= budget.maxComparisons { outcome.stop = .comparisonsExhausted; return outcome }
            case .notAcquired:
                break
            }
            if outcome.frames >= budget.maxFrames { outcome.stop = .framesExhausted; return outcome }
        }
        return outcome
    }
}
