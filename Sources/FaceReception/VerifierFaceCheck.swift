import Foundation
import MynaFace
import Reception

/// The reception's ``FaceCheck`` backed by a ``FaceVerifier``: the card's authenticated portrait is enrolled
/// once, then every attempt takes the camera frames of that attempt from `frames` and decides once on them
/// (``FaceVerifier/verifyAttempt(_:probes:)``: the best frames fused, one comparison per attempt).
///
/// Every attempt's result (decision, scores, timings — never images or descriptors) is handed to `observe`
/// for the caller's log or report.
public struct VerifierFaceCheck: FaceCheck {
    /// The verifier (models and operating point).
    public let verifier: FaceVerifier
    /// The enrolled card portrait.
    public let template: PortraitTemplate
    private let frames: @Sendable () async throws -> [[UInt8]]
    private let observe: @Sendable (AttemptResult) -> Void

    /// Enrols the card-face file (authenticated by the verifier's configured authenticator) for later attempts.
    /// - Parameters:
    ///   - verifier: the verifier; its configuration's authenticator checks `portrait`.
    ///   - portrait: the card-face file (EF 0002) as read from the card.
    ///   - certificate: EF 0004.
    ///   - frames: gives the camera frames (JPEG or PNG bytes, in time order) of each attempt.
    ///   - observe: called with each attempt's result.
    /// - Throws: ``VerificationError`` when the portrait cannot be enrolled.
    public init(
        verifier: FaceVerifier, portrait: [UInt8], certificate: [UInt8]?,
        frames: @escaping @Sendable () async throws -> [[UInt8]],
        observe: @escaping @Sendable (AttemptResult) -> Void = { _ in }
    ) throws(VerificationError) {
        self.verifier = verifier
        self.template = try verifier.enroll(portrait: portrait, certificate: certificate)
        self.frames = frames
        self.observe = observe
    }

    /// One face attempt: the attempt's frames against the card portrait, one decision. An attempt without a usable
    /// face in any frame is `.notAcquired` with the patient message (the reader asks the patient to try again).
    /// - Throws: ``VerificationError`` for a frame that does not decode or a pipeline failure.
    public func attempt() async throws -> FaceCheckOutcome {
        let result = try verifier.verifyAttempt(template, probes: try await frames())
        observe(result)
        switch result.decision {
        case .match: return .match
        case .noMatch: return .noMatch
        case .notAcquired(let reason): return .notAcquired(reason: reason.patientMessage)
        case .presentationAttackSuspected: return .presentationAttackSuspected
        }
    }
}
