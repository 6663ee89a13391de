import CMynaFace
import MynaFace
import Synchronization

/// What a `mynaface_verifier *` points to: the verifier, immutable after creation (safe from any thread).
final class VerifierHandle: Sendable {
    let verifier: FaceVerifier

    init(_ verifier: FaceVerifier) { self.verifier = verifier }
}

/// What a `mynaface_template *` points to: the template, guarded so that a wipe can race with verifications.
///
/// Verifications borrow the template (a reader count); a wipe removes it at once for new callers and zeroes its
/// descriptors when the last running verification returns.
final class TemplateHandle: Sendable {
    private struct State: Sendable {
        var template: PortraitTemplate?
        var readers = 0
        var pendingWipe: PortraitTemplate?
    }

    private let state: Mutex<State>

    init(_ template: PortraitTemplate) { state = Mutex(State(template: template)) }

    /// Runs `body` with the template, or fails with `MYNAFACE_ERR_TEMPLATE_WIPED`.
    func withTemplate<R>(_ body: (PortraitTemplate) throws(ABIFailure) -> R) throws(ABIFailure) -> R {
        let borrowed = state.withLock { s -> PortraitTemplate? in
            guard let t = s.template else { return nil }
            s.readers += 1
            return t
        }
        guard let template = borrowed else {
            throw ABIFailure(Int32(MYNAFACE_ERR_TEMPLATE_WIPED), "the template was wiped")
        }
        defer {
            let toZero = state.withLock { s -> PortraitTemplate? in
                s.readers -= 1
                guard s.readers == 0, let pending = s.pendingWipe else { return nil }
                s.pendingWipe = nil
                return pending
            }
            if let toZero { Self.zero(toZero) }
        }
        return try body(template)
    }

    /// Removes the template; zeroes its descriptors now, or when the last running verification returns.
    func wipe() {
        let toZero = state.withLock { s -> PortraitTemplate? in
            guard let t = s.template else { return nil }
            s.template = nil
            if s.readers > 0 {
                s.pendingWipe = t
                return nil
            }
            return t
        }
        if let toZero { Self.zero(toZero) }
    }

    /// Overwrites the descriptor storage the template holds (its arrays are shared with no one else once every
    /// borrower has returned).
    private static func zero(_ template: PortraitTemplate) {
        for descriptor in [template.embedding, template.mirrorAveragedEmbedding] {
            descriptor.values.withUnsafeBufferPointer { values in
                guard let base = values.baseAddress else { return }
                UnsafeMutablePointer(mutating: base).update(repeating: 0, count: values.count)
            }
        }
    }
}

/// Turns handles into C pointers and back (checking the kind, so a template passed as a verifier is refused).
enum Handles {
    static func retain(_ object: AnyObject) -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(object).toOpaque())
    }

    static func release(_ pointer: OpaquePointer) {
        Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }

    static func verifier(_ pointer: OpaquePointer?) throws(ABIFailure) -> VerifierHandle {
        guard let pointer else { throw .invalidArgument("verifier is NULL") }
        guard
            let handle = Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
                as? VerifierHandle
        else { throw .invalidArgument("not a mynaface_verifier") }
        return handle
    }

    static func template(_ pointer: OpaquePointer?) throws(ABIFailure) -> TemplateHandle {
        guard let pointer else { throw .invalidArgument("template is NULL") }
        guard
            let handle = Unmanaged<AnyObject>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
                as? TemplateHandle
        else { throw .invalidArgument("not a mynaface_template") }
        return handle
    }
}
