import Foundation

/// Everything that can go wrong between a verified identity and a qualification result.
///
/// Messages name what was wrong and where (a path, a field) and never contain biometric data or PINs.
public enum EligibilityError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: building a request
    /// The identity was confirmed longer ago than the client accepts (seconds).
    case verificationTooOld(ageSeconds: Int, limitSeconds: Int)
    /// The identity's confirmation time lies in the future (clock skew or a fabricated identity).
    case verificationInFuture(secondsAhead: Int)
    /// A visual (目視) check needs the staff member who made it.
    case visualCheckWithoutStaff
    /// The card route needs a card-holder key component the identity does not carry (for example the birth date).
    case missingCardHolderKey(component: String)
    /// The identity carries no usable birth date (`YYYYMMDD`).
    case missingBirthDate
    /// A request field is malformed (field name, and why).
    case invalidField(field: String, reason: String)

    // MARK: file-drop transport
    /// A folder could not be used (missing, not a folder, not writable).
    case directoryUnavailable(path: String, reason: String)
    /// Writing the request file failed.
    case writeFailed(path: String, reason: String)
    /// No result appeared in time.
    case timedOut(fileIdentifier: String, afterMilliseconds: Int)
    /// The result (or request) file is larger than the accepted limit (bytes).
    case fileTooLarge(path: String, bytes: Int, limit: Int)
    /// The result file is not a result XML this adapter understands.
    case malformedResult(path: String, reason: String)
    /// The request file is not a request XML this adapter understands (responder side).
    case malformedRequest(path: String, reason: String)
    /// The result's ArbitraryFileIdentifier is not the request's.
    case resultMismatch(expected: String, found: String)
    /// The terminal refused the request: it answered with `<request name>.err` (the file's message).
    case requestRefused(fileIdentifier: String, reason: String)
    /// The service answered with an error segment (SegmentOfResult other than 1) or processing error.
    case serviceError(segment: String, code: String?, message: String?)

    // MARK: local registry
    /// The local registry database failed (path or operation, and the SQLite message).
    case registry(reason: String)

    public var description: String {
        switch self {
        case .verificationTooOld(let age, let limit):
            "identity was verified \(age) s ago; a qualification check needs a verification at most \(limit) s old"
        case .verificationInFuture(let ahead):
            "identity verification time is \(ahead) s in the future; check the reader's clock"
        case .visualCheckWithoutStaff:
            "a visual (目視) identity check must record the staff member who made it (VerifiedIdentity.staffID is empty)"
        case .missingCardHolderKey(let component):
            "the card route needs the card holder's \(component), which the verified identity does not carry"
        case .missingBirthDate:
            "the verified identity carries no birth date (YYYYMMDD from the card's DF22)"
        case .invalidField(let field, let reason):
            "request field \(field) is invalid: \(reason)"
        case .directoryUnavailable(let path, let reason):
            "folder \(path) cannot be used: \(reason)"
        case .writeFailed(let path, let reason):
            "could not write the request file \(path): \(reason)"
        case .timedOut(let id, let ms):
            "no qualification result for file identifier \(id) within \(ms) ms (is the 資格確認端末 or responder running?)"
        case .fileTooLarge(let path, let bytes, let limit):
            "file \(path) is \(bytes) bytes; at most \(limit) bytes are accepted"
        case .malformedResult(let path, let reason):
            "result file \(path) is not a valid qualification result: \(reason)"
        case .malformedRequest(let path, let reason):
            "request file \(path) is not a valid qualification request: \(reason)"
        case .resultMismatch(let expected, let found):
            "result file carries ArbitraryFileIdentifier \(found), expected \(expected)"
        case .requestRefused(let id, let reason):
            "the terminal refused the request \(id) (.err answer): \(reason)"
        case .serviceError(let segment, let code, let message):
            "qualification service reported an error (segment \(segment), code \(code ?? "none")): \(message ?? "no message")"
        case .registry(let reason):
            "local qualification registry failed: \(reason)"
        }
    }
}
