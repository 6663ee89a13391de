import CMynaFace
import FaceImaging
import MynaFace

/// A failed C call: the status code the header defines and the one-line message the caller reads.
struct ABIFailure: Error {
    /// A `MYNAFACE_ERR_*` value.
    let code: Int32
    /// UTF-8, one line, no image or biometric data.
    let message: String

    init(_ code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalidArgument(_ message: String) -> ABIFailure {
        ABIFailure(Int32(MYNAFACE_ERR_INVALID_ARGUMENT), message)
    }

    /// The code for each ``VerificationError``, nesting kept in the message.
    init(_ error: VerificationError) {
        switch error {
        case .portraitUnreadable: code = Int32(MYNAFACE_ERR_PORTRAIT_UNREADABLE)
        case .portraitUntrusted: code = Int32(MYNAFACE_ERR_PORTRAIT_UNTRUSTED)
        case .portraitHasNoFace: code = Int32(MYNAFACE_ERR_PORTRAIT_NO_FACE)
        case .probeUnreadable(let e): code = Self.code(of: e)
        case .pipeline(let e): code = e.isModelFailure ? Int32(MYNAFACE_ERR_MODELS) : Int32(MYNAFACE_ERR_PIPELINE)
        // A template of another embedding model is not an intact template for this verifier.
        case .modelMismatch: code = Int32(MYNAFACE_ERR_TEMPLATE_INVALID)
        case .uncalibratedModel, .modelThreshold: code = Int32(MYNAFACE_ERR_MODELS)
        case .unexpected: code = Int32(MYNAFACE_ERR_INTERNAL)
        }
        message = error.description
    }

    /// A camera frame that did not decode: truncated, too large, or otherwise unreadable.
    init(frame index: Int?, _ error: ImageDecodeError) {
        code = Self.code(of: error)
        message = (index.map { "frame \($0): " } ?? "") + "camera frame unreadable: \(error)"
    }

    static func code(of error: ImageDecodeError) -> Int32 {
        switch error {
        case .truncated: Int32(MYNAFACE_ERR_IMAGE_TRUNCATED)
        case .tooLarge, .inputTooLarge: Int32(MYNAFACE_ERR_IMAGE_TOO_LARGE)
        default: Int32(MYNAFACE_ERR_IMAGE_UNREADABLE)
        }
    }

    /// Writes the code and message into the caller's `mynaface_error` (when given) and returns the code.
    func report(to error: UnsafeMutablePointer<mynaface_error>?) -> Int32 {
        ErrorSlot.write(code: code, message: message, to: error)
        return code
    }
}

/// Fills the caller's `mynaface_error`.
enum ErrorSlot {
    /// Clears the slot for a successful call.
    static func clear(_ error: UnsafeMutablePointer<mynaface_error>?) {
        write(code: Int32(MYNAFACE_OK), message: "", to: error)
    }

    /// Writes `message`, cut at a UTF-8 character boundary to fit with its NUL.
    static func write(code: Int32, message: String, to error: UnsafeMutablePointer<mynaface_error>?) {
        guard let error else { return }
        error.pointee.code = code
        withUnsafeMutableBytes(of: &error.pointee.message) { buffer in
            var utf8 = Array(message.utf8.prefix(buffer.count - 1))
            // Drop a partial multi-byte character at the cut.
            if utf8.count < message.utf8.count {
                while let last = utf8.last, last & 0xC0 == 0x80 { utf8.removeLast() }
                if let last = utf8.last, last & 0xC0 == 0xC0 { utf8.removeLast() }
            }
            buffer.copyBytes(from: utf8)
            buffer[utf8.count] = 0
        }
    }
}

/// Runs one exported call: clears the error slot, turns an ``ABIFailure`` into its code.
func abiCall(_ slot: UnsafeMutablePointer<mynaface_error>?, _ body: () throws(ABIFailure) -> Void) -> Int32 {
    do {
        try body()
        ErrorSlot.clear(slot)
        return Int32(MYNAFACE_OK)
    } catch {
        return error.report(to: slot)
    }
}
