import CCodecGlue
import CJPEG  // not called directly: importing it links libjpeg (the module map's `link "jpeg"`) for CCodecGlue

// The one file that talks to libjpeg-turbo (through CCodecGlue's setjmp trampolines). Every decoder struct
// is created and destroyed here, on every path.

/// JPEG decoding with libjpeg-turbo: baseline and progressive; greyscale, YCbCr/RGB and CMYK/YCCK
/// (converted to RGB, Adobe-inverted CMYK handled); EXIF orientation applied; optional DCT scaling.
///
/// A truncated file is an error (`.truncated`), not a grey-padded picture. Other recoverable corruption
/// warnings from libjpeg are tolerated (the picture decodes).
public enum JPEGDecoder {
    /// Progressive scans allowed before a file is rejected as a decode-time bomb.
    public static let maxScans = 1000

    /// Decodes a JPEG to an upright (unless `options.applyOrientation` is false) 1- or 3-channel image.
    ///
    /// The size is ⌈width / `options.jpegScale`⌉ × ⌈height / `options.jpegScale`⌉ (then axes swapped for
    /// orientations 5…8).
    /// - Throws: `ImageDecodeError` (`.truncated(format: .jpeg)`, `.corrupt`, `.tooLarge`, `.unsupported`, …).
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws(ImageDecodeError)
        -> Image
    {
        try options.limits.check(inputBytes: bytes.count)
        let result: Result<Image, ImageDecodeError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ImageDecodeError) {
                return .success(try decode(buffer, options: options))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads size, channels and EXIF orientation from the header without decoding pixels.
    /// - Throws: `ImageDecodeError`.
    public static func probe(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws(ImageDecodeError)
        -> ImageInfo
    {
        try limits.check(inputBytes: bytes.count)
        let result: Result<ImageInfo, ImageDecodeError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ImageDecodeError) {
                let session = try Session(buffer)
                defer { session.close() }
                let header = try session.readHeader(buffer)
                try limits.check(width: header.width, height: header.height, format: .jpeg)
                return .success(
                    ImageInfo(
                        format: .jpeg, width: header.width, height: header.height,
                        channels: header.outputComponents == 1 ? 1 : 3,
                        orientation: header.orientation ?? .up))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private static func decode(_ buffer: UnsafeBufferPointer<UInt8>, options: DecodeOptions) throws(ImageDecodeError)
        -> Image
    {
        let session = try Session(buffer)
        defer { session.close() }
        let header = try session.readHeader(buffer)
        try options.limits.check(width: header.width, height: header.height, format: .jpeg)
        let components = header.outputComponents
        var outW: UInt32 = 0
        var outH: UInt32 = 0
        try session.check(
            mf_jpeg_prepare(session.decoder, Int32(components), Int32(options.jpegScale.rawValue), &outW, &outH))
        let w = Int(outW)
        let h = Int(outH)
        guard w > 0, h > 0 else { throw .corrupt(format: .jpeg, message: "empty output size") }
        let count = w * h * components
        var status: Int32 = 0
        var raw = [UInt8](unsafeUninitializedCapacity: count) { dst, initialised in
            // libjpeg writes every byte or fails; on failure the array is discarded, zero it so it is valid.
            status = mf_jpeg_decode(session.decoder, dst.baseAddress, count, w * components)
            if status != 0 { dst.initialize(repeating: 0) }
            initialised = count
        }
        try session.check(status)
        if components == 4 {
            raw = cmykToRGB(raw, pixelCount: w * h, adobeInverted: header.adobe)
        }
        let image = Image(width: w, height: h, channels: components == 1 ? 1 : 3, pixels: raw)
        if options.applyOrientation, let orientation = header.orientation {
            return image.applying(orientation)
        }
        return image
    }

    /// CMYK → RGB: R = (255 − C)(255 − K)/255 for plain CMYK; Adobe APP14 files store the inks inverted, so
    /// R = C·K/255 there. Rounded to nearest.
    private static func cmykToRGB(_ cmyk: [UInt8], pixelCount: Int, adobeInverted: Bool) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { dst, n in
            cmyk.withUnsafeBufferPointer { src in
                for i in 0..<pixelCount {
                    var c = Int(src[4 * i])
                    var m = Int(src[4 * i + 1])
                    var y = Int(src[4 * i + 2])
                    var k = Int(src[4 * i + 3])
                    if !adobeInverted {
                        c = 255 - c
                        m = 255 - m
                        y = 255 - y
                        k = 255 - k
                    }
                    dst[3 * i] = UInt8((c * k + 127) / 255)
                    dst[3 * i + 1] = UInt8((m * k + 127) / 255)
                    dst[3 * i + 2] = UInt8((y * k + 127) / 255)
                }
            }
            n = pixelCount * 3
        }
    }

    struct Header {
        var width: Int
        var height: Int
        var outputComponents: Int  // 1, 3 or 4 (CMYK, converted after decode)
        var adobe: Bool
        var orientation: ExifOrientation?
    }

    /// Owns one `mf_jpeg_decoder`; `close()` must be called (callers use `defer`).
    struct Session {
        let decoder: OpaquePointer

        init(_ buffer: UnsafeBufferPointer<UInt8>) throws(ImageDecodeError) {
            guard !buffer.isEmpty else { throw .empty }
            guard let d = mf_jpeg_decoder_create() else {
                throw .corrupt(format: .jpeg, message: "out of memory creating the decoder")
            }
            mf_jpeg_set_max_scans(d, Int32(JPEGDecoder.maxScans))
            decoder = d
        }

        func close() { mf_jpeg_decoder_destroy(decoder) }

        func check(_ status: Int32) throws(ImageDecodeError) {
            guard status != 0 else { return }
            let message = String(cString: mf_jpeg_message(decoder))
            switch Int(status) {
            case Int(MF_JPEG_TRUNCATED): throw .truncated(format: .jpeg)
            case Int(MF_JPEG_TOO_MANY_SCANS): throw .unsupported(format: .jpeg, detail: message)
            case Int(MF_JPEG_NOMEM): throw .corrupt(format: .jpeg, message: "out of memory")
            case Int(MF_JPEG_BAD_CALL): throw .corrupt(format: .jpeg, message: "decoder misuse (\(message))")
            default:
                if message.contains("Unsupported") || message.contains("not supported") {
                    throw .unsupported(format: .jpeg, detail: message)
                }
                throw .corrupt(format: .jpeg, message: message)
            }
        }

        func readHeader(_ buffer: UnsafeBufferPointer<UInt8>) throws(ImageDecodeError) -> Header {
            var info = mf_jpeg_info()
            try check(mf_jpeg_read_header(decoder, buffer.baseAddress, UInt(buffer.count), &info))
            var orientation: ExifOrientation?
            if let exif = info.exif, info.exif_length > 0 {
                orientation = EXIF.orientation(UnsafeBufferPointer(start: exif, count: Int(info.exif_length)))
            }
            let out: Int
            switch (Int(info.color_space), Int(info.components)) {
            case (Int(MF_JCS_GRAYSCALE), 1): out = 1
            case (Int(MF_JCS_YCbCr), 3), (Int(MF_JCS_RGB), 3): out = 3
            case (Int(MF_JCS_CMYK), 4), (Int(MF_JCS_YCCK), 4): out = 4
            default:
                throw .unsupported(
                    format: .jpeg,
                    detail: "\(info.components) components in colour space \(info.color_space)")
            }
            return Header(
                width: Int(info.width), height: Int(info.height), outputComponents: out,
                adobe: info.saw_adobe_marker != 0, orientation: orientation)
        }
    }
}

/// JPEG encoding with libjpeg-turbo (test frames, benchmarks, `--draw` output).
public enum JPEGEncoder {
    /// Encodes a grey or RGB image.
    ///
    /// - Parameters:
    ///   - quality: libjpeg quality 1…100.
    ///   - progressive: write a progressive (multi-scan) file instead of baseline.
    ///   - subsampleChroma: 4:2:0 chroma (true, the default) or 4:4:4; ignored for grey.
    /// - Throws: `ImageEncodeError.invalidArgument` (empty image, side > 65 500, quality out of range) or `.library`.
    public static func encode(
        _ image: Image, quality: Int = 90, progressive: Bool = false,
        subsampleChroma: Bool = true
    ) throws(ImageEncodeError) -> [UInt8] {
        guard image.width > 0, image.height > 0, image.width <= 65_500, image.height <= 65_500 else {
            throw .invalidArgument(format: .jpeg, detail: "image size \(image.width)×\(image.height)")
        }
        guard (1...100).contains(quality) else {
            throw .invalidArgument(format: .jpeg, detail: "quality \(quality) is outside 1…100")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { px in
            message.withUnsafeMutableBufferPointer { msg in
                mf_jpeg_encode(
                    px.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.channels),
                    Int32(quality), progressive ? 1 : 0, subsampleChroma ? 1 : 0,
                    &out, &size, msg.baseAddress, msg.count)
            }
        }
        defer { mf_free(out) }
        guard status == 0, let out else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .library(format: .jpeg, message: text.isEmpty ? "status \(status)" : text)
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }
}
