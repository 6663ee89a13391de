import FaceImaging
import HTTPTypes
import MynaFace

/// A request the service answers with an error status and an ``ErrorBody``.
struct ServiceError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static func badRequest(_ message: String) -> ServiceError {
        ServiceError(status: .badRequest, code: "badRequest", message: message)
    }

    /// The status and code of each ``VerificationError``.
    init(_ error: VerificationError) {
        message = error.description
        switch error {
        case .portraitUnreadable: (status, code) = (.unprocessableContent, "portraitUnreadable")
        case .portraitUntrusted: (status, code) = (.unprocessableContent, "portraitUntrusted")
        case .portraitHasNoFace: (status, code) = (.unprocessableContent, "portraitHasNoFace")
        case .probeUnreadable(let e):
            if case .truncated = e {
                (status, code) = (.unprocessableContent, "imageTruncated")
            } else {
                (status, code) = (.unprocessableContent, "imageUnreadable")
            }
        case .pipeline(let e):
            (status, code) = e.isModelFailure ? (.serviceUnavailable, "models") : (.unprocessableContent, "pipeline")
        case .modelMismatch: (status, code) = (.unprocessableContent, "modelMismatch")
        case .uncalibratedModel, .modelThreshold: (status, code) = (.serviceUnavailable, "models")
        case .unexpected: (status, code) = (.internalServerError, "internal")
        }
    }

    init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }
}
