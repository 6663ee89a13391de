import CMynaFace
import MynaFace

/// C strings with static storage: the reasons' names and patient messages, the status names.
///
/// Made once (thread-safe lazy global) and never freed, so the `const char *` the header hands out stays valid for
/// the life of the process.
enum StaticText {
    /// One representative of each `MYNAFACE_REASON_*` (index = code − 1); the message depends only on the case.
    static let reasons: [NotAcquiredReason] = [
        .noFace, .faceTooSmall(width: 0, minimum: 0), .faceTooNearEdge, .tooDark(meanLuma: 0), .tooBright(meanLuma: 0),
        .blurred(sharpness: 0), .headTurned(yaw: 0), .headTilted(degrees: 0), .headPitched(ratio: 0),
        .secondFace(ratio: 0),
    ]

    static let reasonNames = [
        "noFace", "faceTooSmall", "faceTooNearEdge", "tooDark", "tooBright", "blurred",
        "headTurned", "headTilted", "headPitched", "secondFace",
    ]

    static let statusNames = [
        "MYNAFACE_OK", "MYNAFACE_ERR_INVALID_ARGUMENT", "MYNAFACE_ERR_MODELS", "MYNAFACE_ERR_PORTRAIT_UNREADABLE",
        "MYNAFACE_ERR_PORTRAIT_UNTRUSTED", "MYNAFACE_ERR_PORTRAIT_NO_FACE", "MYNAFACE_ERR_IMAGE_UNREADABLE",
        "MYNAFACE_ERR_IMAGE_TRUNCATED", "MYNAFACE_ERR_IMAGE_TOO_LARGE", "MYNAFACE_ERR_PIPELINE",
        "MYNAFACE_ERR_TEMPLATE_INVALID", "MYNAFACE_ERR_TEMPLATE_WIPED", "MYNAFACE_ERR_INTERNAL",
    ]

    nonisolated(unsafe) static let messagePointers: [UnsafePointer<CChar>] = reasons.map {
        permanent($0.patientMessage)
    }
    nonisolated(unsafe) static let namePointers: [UnsafePointer<CChar>] = reasonNames.map(permanent)
    nonisolated(unsafe) static let statusPointers: [UnsafePointer<CChar>] = statusNames.map(permanent)
    nonisolated(unsafe) static let unknownStatus: UnsafePointer<CChar> = permanent("MYNAFACE_UNKNOWN")

    /// The `MYNAFACE_REASON_*` code of a reason.
    static func code(of reason: NotAcquiredReason) -> Int32 {
        switch reason {
        case .noFace: 1
        case .faceTooSmall: 2
        case .faceTooNearEdge: 3
        case .tooDark: 4
        case .tooBright: 5
        case .blurred: 6
        case .headTurned: 7
        case .headTilted: 8
        case .headPitched: 9
        case .secondFace: 10
        }
    }

    /// The neutral kiosk message after a suspected presentation attack (never names the cue).
    nonisolated(unsafe) static let attackMessage: UnsafePointer<CChar>? = permanent(LivenessAssessment.patientMessage)

    static func message(_ code: Int32) -> UnsafePointer<CChar>? {
        code >= 1 && Int(code) <= messagePointers.count ? messagePointers[Int(code) - 1] : nil
    }

    static func name(_ code: Int32) -> UnsafePointer<CChar>? {
        code >= 1 && Int(code) <= namePointers.count ? namePointers[Int(code) - 1] : nil
    }

    private static func permanent(_ text: String) -> UnsafePointer<CChar> {
        let bytes = Array(text.utf8CString)
        let storage = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        storage.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(storage)
    }
}

/// The static-text functions of the header.
@_cdecl("mynaface_reason_message")
public func cReasonMessage(_ reason: Int32) -> UnsafePointer<CChar>? { StaticText.message(reason) }

/// See `mynaface.h`.
@_cdecl("mynaface_reason_name")
public func cReasonName(_ reason: Int32) -> UnsafePointer<CChar>? { StaticText.name(reason) }

/// See `mynaface.h`.
@_cdecl("mynaface_status_name")
public func cStatusName(_ status: Int32) -> UnsafePointer<CChar> {
    status >= 0 && Int(status) < StaticText.statusPointers.count
        ? StaticText.statusPointers[Int(status)] : StaticText.unknownStatus
}
