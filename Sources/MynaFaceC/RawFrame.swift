import CMynaFace
import FaceImaging

/// A caller's raw frame (`mynaface_frame`) copied into an ``Image``, every size checked before reading.
enum RawFrame {
    /// Bytes per pixel and channel order of each `MYNAFACE_PIXELS_*`.
    private static func layout(_ format: Int32) -> (bytes: Int, red: Int, green: Int, blue: Int)? {
        switch format {
        case Int32(MYNAFACE_PIXELS_GREY8): (1, 0, 0, 0)
        case Int32(MYNAFACE_PIXELS_RGB24): (3, 0, 1, 2)
        case Int32(MYNAFACE_PIXELS_BGR24): (3, 2, 1, 0)
        case Int32(MYNAFACE_PIXELS_RGBA32): (4, 0, 1, 2)
        case Int32(MYNAFACE_PIXELS_BGRA32): (4, 2, 1, 0)
        default: nil
        }
    }

    /// Copies the frame into an 8-bit grey or RGB image.
    /// - Throws: `MYNAFACE_ERR_INVALID_ARGUMENT` for a NULL frame or pixels, an unknown format, a stride shorter than a
    ///   row; `MYNAFACE_ERR_IMAGE_TOO_LARGE` beyond `limits`.
    static func image(_ frame: UnsafePointer<mynaface_frame>?, limits: DecodeLimits, index: Int? = nil)
        throws(ABIFailure)
        -> Image
    {
        let at = index.map { "frame \($0): " } ?? ""
        guard let f = frame?.pointee else { throw .invalidArgument("\(at)frame is NULL") }
        guard let pixels = f.pixels else { throw .invalidArgument("\(at)pixels is NULL") }
        guard let layout = layout(f.format) else { throw .invalidArgument("\(at)unknown pixel format \(f.format)") }
        let width = Int(f.width)
        let height = Int(f.height)
        let stride = f.stride
        guard width > 0, height > 0 else { throw .invalidArgument("\(at)empty frame (\(width)×\(height))") }
        guard width <= limits.maxSide, height <= limits.maxSide, width * height <= limits.maxPixels else {
            throw ABIFailure(
                Int32(MYNAFACE_ERR_IMAGE_TOO_LARGE), "\(at)frame \(width)×\(height) exceeds the limits (\(limits))")
        }
        let rowBytes = width * layout.bytes
        guard stride >= rowBytes else {
            throw .invalidArgument("\(at)stride \(stride) is shorter than a row (\(rowBytes) bytes)")
        }
        let (span, overflow) = stride.multipliedReportingOverflow(by: height - 1)
        guard !overflow, span <= Int.max - rowBytes else { throw .invalidArgument("\(at)stride \(stride) is absurd") }
        let channels = layout.bytes == 1 ? 1 : 3
        var out = [UInt8](repeating: 0, count: width * height * channels)
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<height {
                let row = pixels + y * stride
                let o = y * width * channels
                if channels == 1 {
                    (dst.baseAddress! + o).update(from: row, count: width)
                } else {
                    for x in 0..<width {
                        let p = row + x * layout.bytes
                        dst[o + 3 * x] = p[layout.red]
                        dst[o + 3 * x + 1] = p[layout.green]
                        dst[o + 3 * x + 2] = p[layout.blue]
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }
}
