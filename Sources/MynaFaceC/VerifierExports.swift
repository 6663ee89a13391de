import CMynaFace
import CardAccess
import Foundation
import MynaFace

// The verifier's life cycle and enrolment (`mynaface.h`). Every call owns its pointers for the duration of the call
// only: bytes are copied in, handles are retained Swift objects.

/// Largest portrait or certificate accepted (a card-face file is a few tens of KB; an ID photo a few MB).
let maxPortraitBytes = 32 << 20

/// Copies `length` bytes from the caller, refusing NULL with a non-zero length and absurd lengths.
func callerBytes(_ pointer: UnsafePointer<UInt8>?, _ length: Int, what: String, limit: Int) throws(ABIFailure)
    -> [UInt8]
{
    guard length >= 0, length <= limit else {
        throw ABIFailure(
            Int32(MYNAFACE_ERR_IMAGE_TOO_LARGE), "\(what): \(length) bytes, more than the limit of \(limit)")
    }
    guard length > 0 else { throw .invalidArgument("\(what) is empty") }
    guard let pointer else { throw .invalidArgument("\(what) is NULL") }
    return Array(UnsafeBufferPointer(start: pointer, count: length))
}

/// `mynaface_verifier_create`: loads the models.
@_cdecl("mynaface_verifier_create")
public func cVerifierCreate(
    _ modelsDirectory: UnsafePointer<CChar>?, _ flags: UInt32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    out?.pointee = nil
    return abiCall(error) { () throws(ABIFailure) in
        guard let out else { throw .invalidArgument("out is NULL") }
        guard flags & ~UInt32(MYNAFACE_FLAG_TEST_ANCHORS | MYNAFACE_FLAG_ACCEPT_UNVERIFIED) == 0 else {
            throw .invalidArgument("unknown flags 0x\(String(flags, radix: 16))")
        }
        var configuration = FaceVerifier.Configuration()
        var anchors = Array(TrustAnchors.production.anchors.values)
        if flags & UInt32(MYNAFACE_FLAG_TEST_ANCHORS) != 0 { anchors += Array(TrustAnchors.jpkiTest.anchors.values) }
        let acceptUnverified = flags & UInt32(MYNAFACE_FLAG_ACCEPT_UNVERIFIED) != 0
        configuration.authenticator = CardFaceAuthenticator(
            anchors: TrustAnchors(anchors),
            policy: acceptUnverified ? .acceptUnverified : .requireVerified)
        let verifier: FaceVerifier
        do throws(VerificationError) {
            // The embedding model: $MYNAFACE_MODEL (an external model directory, docs/models.md), else dlib's ResNet.
            let model = EmbeddingModelChoice.resolve(option: nil)
            if let modelsDirectory {
                let path = String(cString: modelsDirectory)
                guard !path.isEmpty else { throw VerificationError.unexpected("") }
                verifier = try FaceVerifier(
                    modelsDirectory: URL(fileURLWithPath: path), model: model, configuration: configuration)
            } else {
                verifier = try FaceVerifier(model: model, configuration: configuration)
            }
        } catch {
            if case .unexpected = error { throw .invalidArgument("models_dir is empty") }
            throw ABIFailure(error)
        }
        out.pointee = Handles.retain(VerifierHandle(verifier))
    }
}

/// `mynaface_verifier_free`.
@_cdecl("mynaface_verifier_free")
public func cVerifierFree(_ verifier: OpaquePointer?) {
    guard let verifier, (try? Handles.verifier(verifier)) != nil else { return }
    Handles.release(verifier)
}

/// `mynaface_enroll`: a portrait → a new template.
@_cdecl("mynaface_enroll")
public func cEnroll(
    _ verifier: OpaquePointer?, _ portrait: UnsafePointer<UInt8>?, _ portraitLength: Int,
    _ certificate: UnsafePointer<UInt8>?, _ certificateLength: Int,
    _ out: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    out?.pointee = nil
    return abiCall(error) { () throws(ABIFailure) in
        guard let out else { throw .invalidArgument("out is NULL") }
        let handle = try Handles.verifier(verifier)
        let portraitBytes = try callerBytes(portrait, portraitLength, what: "portrait", limit: maxPortraitBytes)
        var certificateBytes: [UInt8]?
        if certificate != nil || certificateLength != 0 {
            certificateBytes = try callerBytes(
                certificate, certificateLength, what: "certificate", limit: maxPortraitBytes)
        }
        let template: PortraitTemplate
        do throws(VerificationError) {
            template = try handle.verifier.enroll(portrait: portraitBytes, certificate: certificateBytes)
        } catch {
            throw ABIFailure(error)
        }
        out.pointee = Handles.retain(TemplateHandle(template))
    }
}
