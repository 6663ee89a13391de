import FaceEmbedding
import FaceImaging
import Foundation

/// How much a streaming verification may spend before it gives up.
public struct AttemptBudget: Sendable, Equatable {
    /// Comparisons (fused attempts) that may end in ``MatchDecision/noMatch`` (the reader's face attempts; default 3).
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
    /// The face matched but the liveness check never passed before the budget or the frames ran out: a suspected
    /// presentation attack (``MatchDecision/presentationAttackSuspected``).
    case presentationAttackSuspected
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
    /// The last liveness assessment (over every frame with a face so far); nil under ``LivenessPolicy/off``.
    public var liveness: LivenessAssessment?
    /// True when a frame matched.
    public var isMatch: Bool { stop == .matched }
}

extension FaceVerifier {
    /// Compares camera frames with the portrait, a fused attempt at a time, until one matches or the budget is spent.
    ///
    /// Frames with a usable face are collected until ``Configuration/framesPerAttempt`` of them are in hand; their
    /// descriptors are averaged and compared once (``verifyAttempt(_:probeImages:)``'s rule, at
    /// ``Configuration/fusedThreshold``). Each such comparison spends one of the budget's comparisons; frames with
    /// no usable face spend only a frame. When the frames, the time or the sequence run out with some usable
    /// frames collected, those are compared as a last attempt. A frame that fails to decode never reaches here:
    /// the sequence yields decoded images.
    ///
    /// Under a liveness policy (`liveness`, else ``Configuration/liveness``) a match stands only once the liveness
    /// check over every frame with a face so far passes (the patient may still be turning): until then frames keep
    /// coming, and when the budget or the frames run out first the stream stops with
    /// ``StreamStop/presentationAttackSuspected``.
    /// - Parameters:
    ///   - template: the enrolled portrait.
    ///   - frames: decoded camera frames, in order.
    ///   - budget: comparisons, frames and time allowed.
    ///   - liveness: the liveness policy; nil takes the configuration's.
    /// - Returns: why it stopped, the last attempt's result, the liveness assessment and the counts.
    /// - Throws: errors of the frame sequence, and ``VerificationError/pipeline(_:)``.
    public func verify<Frames: AsyncSequence>(
        _ template: PortraitTemplate, frames: Frames,
        budget: AttemptBudget = AttemptBudget(),
        liveness: LivenessPolicy? = nil
    ) async throws -> StreamingOutcome
    where Frames.Element == Image {
        let start = DispatchTime.now()
        var outcome = StreamingOutcome(stop: .sequenceEnded, last: nil, frames: 0, comparisons: 0, liveness: nil)
        let policy = liveness ?? configuration.liveness
        var track: [[SIMD2<Double>]] = []
        /// True while a match waits for the liveness check to pass.
        var pendingMatch = false
        let mode = configuration.threshold.descriptor
        let perAttempt = framesPerComparison
        var collected: [AcquiredFace] = []

        /// Assesses the track; true when live (or the policy is off). A failure leaves a match pending.
        func live() -> Bool {
            guard policy != .off else { return true }
            outcome.liveness = configuration.livenessChecker.assess(track, policy: policy)
            let passed = outcome.liveness?.isAttackSuspected == false
            pendingMatch = !passed
            return passed
        }

        /// Compares the collected frames as one attempt; true when it matched.
        func decide() -> Bool {
            let best = collected.min { Self.fusionOrder($0.quality, $1.quality) }!
            let (threshold, similarity, distance, decision) = compareFused(collected, with: template)
            var timings = StageTimings()
            timings.total = Self.milliseconds(since: start)
            outcome.last = MatchResult(
                decision: decision, similarity: similarity, distance: distance, threshold: threshold,
                quality: best.quality, faceBox: best.box, timings: timings)
            outcome.comparisons += 1
            collected.removeAll(keepingCapacity: true)
            guard decision == .match else { return false }
            return live()
        }

        /// The stop when the budget or the frames run out: a pending match is a suspected attack.
        func exhausted(_ reason: StreamStop) -> StreamStop {
            if let matched = decideLast(collected.isEmpty ? nil : decide()) { return matched }
            guard pendingMatch else { return reason }
            outcome.last?.decision = .presentationAttackSuspected
            return .presentationAttackSuspected
        }

        for try await frame in frames {
            if Self.milliseconds(since: start) > budget.timeLimit * 1000 {
                outcome.stop = exhausted(.timeLimit)
                return outcome
            }
            outcome.frames += 1
            var frameTimings = StageTimings()
            switch try acquire(frame, template: template, mode: mode, timings: &frameTimings) {
            case .acquired(let face):
                track.append(face.landmarks)
                if pendingMatch {
                    if live() {
                        outcome.stop = .matched
                        return outcome
                    }
                    break
                }
                collected.append(face)
                if collected.count >= perAttempt {
                    if decide() {
                        outcome.stop = .matched
                        return outcome
                    }
                    if outcome.comparisons >= budget.maxComparisons && !pendingMatch {
                        outcome.stop = .comparisonsExhausted
                        return outcome
                    }
                }
            case .notAcquired(let report, let landmarks):
                if let landmarks {
                    track.append(landmarks)
                    if pendingMatch, live() {
                        outcome.stop = .matched
                        return outcome
                    }
                }
                if collected.isEmpty && !pendingMatch {
                    var timings = StageTimings()
                    timings.total = Self.milliseconds(since: start)
                    outcome.last = MatchResult(
                        decision: .notAcquired(report.notAcquired ?? .noFace), similarity: nil,
                        distance: nil, threshold: configuration.threshold, quality: report.quality,
                        faceBox: report.faceBox, timings: timings)
                }
            }
            if outcome.frames >= budget.maxFrames {
                outcome.stop = exhausted(.framesExhausted)
                return outcome
            }
        }
        outcome.stop = exhausted(.sequenceEnded)
        return outcome
    }

    /// `.matched` when a last attempt was made and matched, nil otherwise (the caller's own reason stands).
    private func decideLast(_ matched: Bool?) -> StreamStop? { matched == true ? .matched : nil }
}
