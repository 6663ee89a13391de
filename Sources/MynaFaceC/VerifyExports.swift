import CMynaFace
import FaceImaging
import Foundation
import MynaFace

// One frame or one attempt against a template (`mynaface.h`).

/// Writes a decision and its scores into the caller's `mynaface_result`.
func fillResult(
    _ result: UnsafeMutablePointer<mynaface_result>, decision: MatchDecision, similarity: Double?,
    distance: Double?, threshold: MatchThreshold, framesFused: Int, milliseconds: Double
) {
    var r = mynaface_result()
    switch decision {
    case .match: r.decision = Int32(MYNAFACE_DECISION_MATCH)
    case .noMatch: r.decision = Int32(MYNAFACE_DECISION_NO_MATCH)
    case .notAcquired(let reason):
        r.decision = Int32(MYNAFACE_DECISION_NOT_ACQUIRED)
        r.reason = StaticText.code(of: reason)
        r.patient_message = StaticText.message(r.reason)
    case .presentationAttackSuspected:
        r.decision = Int32(MYNAFACE_DECISION_ATTACK_SUSPECTED)
        r.patient_message = StaticText.attackMessage
    }
    if let similarity, let distance {
        r.has_scores = 1
        r.similarity = similarity
        r.distance = distance
    }
    r.frames_fused = Int32(framesFused)
    r.threshold = threshold.value
    r.threshold_is_cosine = threshold.metric == .euclidean ? 0 : 1
    r.total_ms = milliseconds
    result.pointee = r
}

/// `mynaface_verify_image`: one encoded frame.
@_cdecl("mynaface_verify_image")
public func cVerifyImage(
    _ verifier: OpaquePointer?, _ template: OpaquePointer?, _ image: UnsafePointer<UInt8>?,
    _ imageLength: Int, _ result: UnsafeMutablePointer<mynaface_result>?,
    _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    abiCall(error) { () throws(ABIFailure) in
        guard let result else { throw .invalidArgument("result is NULL") }
        let v = try Handles.verifier(verifier).verifier
        let t = try Handles.template(template)
        let bytes = try callerBytes(
            image, imageLength, what: "image", limit: v.configuration.decode.limits.maxInputBytes)
        let r = try t.withTemplate { template throws(ABIFailure) in
            do throws(VerificationError) { return try v.verify(template, probe: bytes) } catch {
                throw ABIFailure(error)
            }
        }
        fillResult(
            result, decision: r.decision, similarity: r.similarity, distance: r.distance, threshold: r.threshold,
            framesFused: r.similarity == nil ? 0 : 1, milliseconds: r.timings.total)
    }
}

/// `mynaface_verify_pixels`: one raw frame.
@_cdecl("mynaface_verify_pixels")
public func cVerifyPixels(
    _ verifier: OpaquePointer?, _ template: OpaquePointer?, _ frame: UnsafePointer<mynaface_frame>?,
    _ result: UnsafeMutablePointer<mynaface_result>?,
    _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    abiCall(error) { () throws(ABIFailure) in
        guard let result else { throw .invalidArgument("result is NULL") }
        let v = try Handles.verifier(verifier).verifier
        let t = try Handles.template(template)
        let image = try RawFrame.image(frame, limits: v.configuration.decode.limits)
        let r = try t.withTemplate { template throws(ABIFailure) in
            do throws(VerificationError) { return try v.verify(template, probeImage: image) } catch {
                throw ABIFailure(error)
            }
        }
        fillResult(
            result, decision: r.decision, similarity: r.similarity, distance: r.distance, threshold: r.threshold,
            framesFused: r.similarity == nil ? 0 : 1, milliseconds: r.timings.total)
    }
}

/// Most frames one attempt takes (a reader sends a handful; more is a caller's mistake).
let maxFramesPerAttempt = 32

/// `mynaface_verify_attempt`: several encoded frames, fused, one decision.
@_cdecl("mynaface_verify_attempt")
public func cVerifyAttempt(
    _ verifier: OpaquePointer?, _ template: OpaquePointer?,
    _ images: UnsafePointer<UnsafePointer<UInt8>?>?, _ lengths: UnsafePointer<Int>?, _ count: Int,
    _ result: UnsafeMutablePointer<mynaface_result>?,
    _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    abiCall(error) { () throws(ABIFailure) in
        try attempt(verifier, template, count, result) { v, i throws(ABIFailure) in
            guard let images, let lengths else { throw .invalidArgument("images or image_lens is NULL") }
            let bytes = try callerBytes(
                images[i], lengths[i], what: "frame \(i)", limit: v.configuration.decode.limits.maxInputBytes)
            do throws(ImageDecodeError) {
                return try ImageDecoder.decode(bytes, options: v.configuration.decode)
            } catch {
                throw ABIFailure(frame: i, error)
            }
        }
    }
}

/// `mynaface_verify_attempt_pixels`: several raw frames, fused, one decision.
@_cdecl("mynaface_verify_attempt_pixels")
public func cVerifyAttemptPixels(
    _ verifier: OpaquePointer?, _ template: OpaquePointer?,
    _ frames: UnsafePointer<mynaface_frame>?, _ count: Int,
    _ result: UnsafeMutablePointer<mynaface_result>?,
    _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    abiCall(error) { () throws(ABIFailure) in
        try attempt(verifier, template, count, result) { v, i throws(ABIFailure) in
            guard let frames else { throw .invalidArgument("frames is NULL") }
            return try RawFrame.image(frames + i, limits: v.configuration.decode.limits, index: i)
        }
    }
}

/// The attempt both exports share: checks the handles, `result` and `count`, makes each frame's image with
/// `frame(verifier, index)` (in order), verifies the fused attempt and fills `result`.
private func attempt(
    _ verifier: OpaquePointer?, _ template: OpaquePointer?, _ count: Int,
    _ result: UnsafeMutablePointer<mynaface_result>?,
    frame: (FaceVerifier, Int) throws(ABIFailure) -> Image
) throws(ABIFailure) {
    guard let result else { throw .invalidArgument("result is NULL") }
    let v = try Handles.verifier(verifier).verifier
    let t = try Handles.template(template)
    guard count > 0, count <= maxFramesPerAttempt else {
        throw .invalidArgument("count \(count): an attempt takes 1 to \(maxFramesPerAttempt) frames")
    }
    var images: [Image] = []
    for i in 0..<count { images.append(try frame(v, i)) }
    let r = try t.withTemplate { template throws(ABIFailure) in
        do throws(VerificationError) { return try v.verifyAttempt(template, probeImages: images) } catch {
            throw ABIFailure(error)
        }
    }
    fillResult(
        result, decision: r.decision, similarity: r.similarity, distance: r.distance, threshold: r.threshold,
        framesFused: r.framesFused, milliseconds: r.totalMilliseconds)
}
