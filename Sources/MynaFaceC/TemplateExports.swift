import CMynaFace
import Foundation
import MynaFace

// Templates: serialise, read back, wipe, free (`mynaface.h`).

/// `mynaface_template_serialize`: the template's bytes in a new `malloc` buffer.
@_cdecl("mynaface_template_serialize")
public func cTemplateSerialize(
    _ template: OpaquePointer?, _ outBytes: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<Int>?,
    _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    outBytes?.pointee = nil
    outLength?.pointee = 0
    return abiCall(error) { () throws(ABIFailure) in
        guard let outBytes, let outLength else { throw .invalidArgument("out_bytes or out_len is NULL") }
        let handle = try Handles.template(template)
        var bytes = try handle.withTemplate { t throws(ABIFailure) in
            do throws(TemplateSerializationError) { return try t.serialized() } catch {
                throw ABIFailure(Int32(MYNAFACE_ERR_TEMPLATE_INVALID), error.description)
            }
        }
        defer { bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        guard let buffer = malloc(bytes.count)?.assumingMemoryBound(to: UInt8.self) else {
            throw ABIFailure(Int32(MYNAFACE_ERR_INTERNAL), "out of memory")
        }
        buffer.update(from: bytes, count: bytes.count)
        outBytes.pointee = buffer
        outLength.pointee = bytes.count
    }
}

/// `mynaface_template_deserialize`: bytes → a new template.
@_cdecl("mynaface_template_deserialize")
public func cTemplateDeserialize(
    _ bytes: UnsafePointer<UInt8>?, _ length: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ error: UnsafeMutablePointer<mynaface_error>?
) -> Int32 {
    out?.pointee = nil
    return abiCall(error) { () throws(ABIFailure) in
        guard let out else { throw .invalidArgument("out is NULL") }
        guard length <= 1 << 20 else {
            throw ABIFailure(Int32(MYNAFACE_ERR_TEMPLATE_INVALID), "template: \(length) bytes is not a template")
        }
        var copy = try callerBytes(bytes, length, what: "template", limit: 1 << 20)
        defer { copy.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        let template: PortraitTemplate
        do throws(TemplateSerializationError) { template = try PortraitTemplate(serialized: copy) } catch {
            throw ABIFailure(Int32(MYNAFACE_ERR_TEMPLATE_INVALID), error.description)
        }
        out.pointee = Handles.retain(TemplateHandle(template))
    }
}

/// `mynaface_template_wipe`.
@_cdecl("mynaface_template_wipe")
public func cTemplateWipe(_ template: OpaquePointer?) {
    (try? Handles.template(template))?.wipe()
}

/// `mynaface_template_free`: wipes, then releases the handle.
@_cdecl("mynaface_template_free")
public func cTemplateFree(_ template: OpaquePointer?) {
    guard let template, let handle = try? Handles.template(template) else { return }
    handle.wipe()
    Handles.release(template)
}

/// `mynaface_buffer_free`: zeroes, then frees a serialised template.
@_cdecl("mynaface_buffer_free")
public func cBufferFree(_ bytes: UnsafeMutablePointer<UInt8>?, _ length: Int) {
    guard let bytes else { return }
    if length > 0 { bytes.update(repeating: 0, count: length) }
    free(bytes)
}
