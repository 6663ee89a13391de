import CPNG

// The one file that talks to libpng, through its simplified API (png_image_*), which catches libpng's
// longjmp errors itself. Every png_image is freed on every path.

/// PNG decoding with libpng: grey, grey+alpha, RGB, RGBA, palette, 16-bit (scaled to 8-bit); alpha is dropped.
public enum PNGDecoder {
    /// Decodes a PNG to a 1-channel (grey sources) or 3-channel (colour and palette sources) image.
    /// - Throws: `ImageDecodeError` (`.truncated(format: .png)` when the chunks end before `IEND`, `.corrupt`,
    ///   `.tooLarge`, …).
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws(ImageDecodeError)
        -> Image
    {
        try options.limits.check(inputBytes: bytes.count)
        let result: Result<Image, ImageDecodeError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ImageDecodeError) { return .success(try decode(buffer, limits: options.limits)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads size and channels from `IHDR` without decoding pixels.
    /// - Throws: `ImageDecodeError`.
    public static func probe(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws(ImageDecodeError)
        -> ImageInfo
    {
        try limits.check(inputBytes: bytes.count)
        let result: Result<ImageInfo, ImageDecodeError> = bytes.withUnsafeBufferPointer { b in
            do throws(ImageDecodeError) {
                let (w, h, colourType) = try readIHDR(b)
                try limits.check(width: w, height: h, format: .png)
                return .success(
                    ImageInfo(
                        format: .png, width: w, height: h,
                        channels: colourType & 2 != 0 ? 3 : 1, orientation: .up))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// IHDR width, height, colour type (bounds-checked).
    static func readIHDR(_ b: UnsafeBufferPointer<UInt8>) throws(ImageDecodeError) -> (Int, Int, Int) {
        guard ImageFormat.detect(b) == .png else { throw .unrecognisedFormat(leadingBytes: Array(b.prefix(8))) }
        guard b.count >= 8 + 8 + 13 else { throw .truncated(format: .png) }
        func u32(_ at: Int) -> Int { Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3]) }
        guard u32(8) == 13, b[12] == 0x49, b[13] == 0x48, b[14] == 0x44, b[15] == 0x52 else {
            throw .corrupt(format: .png, message: "the first chunk is not a 13-byte IHDR")
        }
        return (u32(16), u32(20), Int(b[25]))
    }

    /// Walks the chunks: every declared length must fit and `IEND` must be present, else `.truncated`.
    static func checkChunks(_ b: UnsafeBufferPointer<UInt8>) throws(ImageDecodeError) {
        var at = 8
        while true {
            guard at + 12 <= b.count else { throw .truncated(format: .png) }
            let length = Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
            guard length <= 0x7FFF_FFFF else {
                throw .corrupt(format: .png, message: "chunk at byte \(at) declares length \(length)")
            }
            let isIEND = b[at + 4] == 0x49 && b[at + 5] == 0x45 && b[at + 6] == 0x4E && b[at + 7] == 0x44
            guard at + 12 + length <= b.count else { throw .truncated(format: .png) }
            if isIEND { return }
            at += 12 + length
        }
    }

    private static func decode(_ b: UnsafeBufferPointer<UInt8>, limits: DecodeLimits) throws(ImageDecodeError) -> Image
    {
        let (w, h, _) = try readIHDR(b)
        try limits.check(width: w, height: h, format: .png)
        try checkChunks(b)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, b.baseAddress, b.count) != 0 else {
            throw libraryError(&image)
        }
        guard Int(image.width) == w, Int(image.height) == h else {
            throw .corrupt(format: .png, message: "libpng read a different size than IHDR")
        }
        let colour = image.format & 0x02 != 0  // PNG_FORMAT_FLAG_COLOR
        let alpha = image.format & 0x01 != 0  // PNG_FORMAT_FLAG_ALPHA
        let sixteen = image.format & 0x04 != 0  // PNG_FORMAT_FLAG_LINEAR: the file has 16-bit samples
        let channels = colour ? 3 : 1
        let readChannels = channels + (alpha ? 1 : 0)
        // 8-bit files: 8-bit sRGB output, alpha kept (non-premultiplied) then dropped — no compositing.
        // 16-bit files: read as 16-bit linear (libpng takes a 16-bit file without gAMA as linear, so the samples
        // come back unchanged), then scaled to 8 bits here: v8 = round(v16 · 255 / 65535). libpng premultiplies
        // linear output by alpha, so that is undone first.
        image.format = (colour ? 0x02 : 0) | (alpha ? 0x01 : 0) | (sixteen ? 0x04 : 0)
        image.flags = 0
        let sampleCount = w * h * readChannels
        var ok = false
        var samples: [UInt8]
        if sixteen {
            var wide = [UInt16](repeating: 0, count: sampleCount)
            ok = wide.withUnsafeMutableBufferPointer { dst in
                png_image_finish_read(&image, nil, dst.baseAddress, Int32(w * readChannels), nil) != 0
            }
            guard ok else { throw libraryError(&image) }
            samples = [UInt8](unsafeUninitializedCapacity: w * h * channels) { dst, n in
                wide.withUnsafeBufferPointer { src in
                    var o = 0
                    var s = 0
                    for _ in 0..<(w * h) {
                        let a = alpha ? UInt32(src[s + channels]) : 65535
                        for k in 0..<channels {
                            var v = UInt32(src[s + k])
                            if a != 65535 { v = a == 0 ? 0 : min(65535, (v * 65535 + a / 2) / a) }
                            dst[o + k] = UInt8((v * 255 + 32767) / 65535)
                        }
                        o += channels
                        s += readChannels
                    }
                }
                n = w * h * channels
            }
        } else {
            samples = [UInt8](unsafeUninitializedCapacity: sampleCount) { dst, n in
                dst.initialize(repeating: 0)
                ok = png_image_finish_read(&image, nil, dst.baseAddress, Int32(w * readChannels), nil) != 0
                n = sampleCount
            }
            guard ok else { throw libraryError(&image) }
            if alpha {
                samples = [UInt8](unsafeUninitializedCapacity: w * h * channels) { dst, n in
                    samples.withUnsafeBufferPointer { src in
                        var o = 0
                        var s = 0
                        for _ in 0..<(w * h) {
                            for k in 0..<channels { dst[o + k] = src[s + k] }
                            o += channels
                            s += readChannels
                        }
                    }
                    n = w * h * channels
                }
            }
        }
        return Image(width: w, height: h, channels: channels, pixels: samples)
    }

    static func libraryError(_ image: inout png_image) -> ImageDecodeError {
        let message = withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if message.contains("Not enough image data") || message.contains("unexpected end")
            || message.contains("truncat")
        {
            return .truncated(format: .png)
        }
        return .corrupt(format: .png, message: message.isEmpty ? "libpng failed" : message)
    }
}

/// PNG encoding with libpng (lossless; for `--extract-portrait` and `--draw`).
public enum PNGEncoder {
    /// Encodes a grey or RGB image as an 8-bit PNG.
    /// - Throws: `ImageEncodeError.invalidArgument` for an empty image, `.library` when libpng fails.
    public static func encode(_ image: Image) throws(ImageEncodeError) -> [UInt8] {
        guard image.width > 0, image.height > 0, image.width < 1 << 24, image.height < 1 << 24 else {
            throw .invalidArgument(format: .png, detail: "image size \(image.width)×\(image.height)")
        }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = image.channels == 3 ? 0x02 : 0
        defer { png_image_free(&png) }
        let stride = Int32(image.width * image.channels)
        var size = 0
        let sized = image.pixels.withUnsafeBufferPointer { px in
            png_image_write_to_memory(&png, nil, &size, 0, px.baseAddress, stride, nil)
        }
        guard sized != 0, size > 0 else {
            throw .library(format: .png, message: PNGEncoder.message(&png))
        }
        var ok = false
        var written = size
        let out = [UInt8](unsafeUninitializedCapacity: size) { dst, n in
            ok =
                image.pixels.withUnsafeBufferPointer { px in
                    png_image_write_to_memory(&png, dst.baseAddress, &written, 0, px.baseAddress, stride, nil)
                } != 0
            n = ok ? min(written, size) : 0
        }
        guard ok else { throw .library(format: .png, message: PNGEncoder.message(&png)) }
        return out
    }

    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
