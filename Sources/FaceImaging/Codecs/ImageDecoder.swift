/// The still-image formats this module decodes, recognised by content (magic bytes), never by file name.
public enum ImageFormat: String, Sendable, Equatable, Hashable, CaseIterable, CustomStringConvertible {
    /// JPEG (ITU-T T.81, JFIF/EXIF), decoded with libjpeg-turbo.
    case jpeg
    /// JPEG 2000 in the JP2 box format (ISO/IEC 15444-1 annex I), decoded with OpenJPEG.
    case jp2
    /// A raw JPEG 2000 codestream (starts with SOC `FF 4F` then SIZ `FF 51`).
    case j2k
    /// PNG, decoded with libpng.
    case png

    public var description: String {
        switch self {
        case .jpeg: "JPEG"
        case .jp2: "JPEG 2000 (JP2)"
        case .j2k: "JPEG 2000 codestream (J2K)"
        case .png: "PNG"
        }
    }

    /// The format of `bytes` by its leading magic bytes, or nil when none matches.
    ///
    /// JPEG: `FF D8 FF`. JP2: the 12-byte signature box `00 00 00 0C 6A 50 20 20 0D 0A 87 0A`.
    /// J2K: `FF 4F FF 51`. PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A`.
    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        bytes.withUnsafeBufferPointer { detect($0) }
    }

    static func detect(_ b: UnsafeBufferPointer<UInt8>) -> ImageFormat? {
        func starts(_ magic: [UInt8]) -> Bool {
            guard b.count >= magic.count else { return false }
            for i in 0..<magic.count where b[i] != magic[i] { return false }
            return true
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) { return .jp2 }
        if starts([0xFF, 0x4F, 0xFF, 0x51]) { return .j2k }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }
}

/// Safety limits applied to every decode, checked from the header BEFORE any pixel memory is allocated.
public struct DecodeLimits: Sendable, Equatable, CustomStringConvertible {
    /// Largest accepted input, in bytes. Default 32 MiB.
    public var maxInputBytes: Int
    /// Largest accepted `width × height`, in pixels (of the full-resolution image). Default 40 megapixels.
    public var maxPixels: Int
    /// Largest accepted width or height, in pixels. Default 20 000.
    public var maxSide: Int

    /// Creates limits; the defaults suit camera frames and card portraits.
    public init(maxInputBytes: Int = 32 << 20, maxPixels: Int = 40_000_000, maxSide: Int = 20_000) {
        self.maxInputBytes = maxInputBytes
        self.maxPixels = maxPixels
        self.maxSide = maxSide
    }

    public var description: String {
        "at most \(maxSide) pixels a side and \(maxPixels) pixels in all"
    }

    /// Throws `.tooLarge` unless `width × height` fits (both must also be positive).
    func check(width: Int, height: Int, format: ImageFormat) throws(ImageDecodeError) {
        guard width > 0, height > 0 else {
            throw .corrupt(format: format, message: "the header gives an empty image (\(width)×\(height))")
        }
        if width > maxSide || height > maxSide || width.multipliedReportingOverflow(by: height).partialValue > maxPixels
            || width.multipliedReportingOverflow(by: height).overflow
        {
            throw .tooLarge(format: format, width: width, height: height, limit: self)
        }
    }

    func check(inputBytes: Int) throws(ImageDecodeError) {
        guard inputBytes > 0 else { throw .empty }
        guard inputBytes <= maxInputBytes else { throw .inputTooLarge(bytes: inputBytes, limit: maxInputBytes) }
    }
}

/// DCT-domain downscaling of a JPEG decode (libjpeg `scale_denom`): the output is ⌈size / denominator⌉.
public enum JPEGScale: Int, Sendable, Equatable, CaseIterable {
    /// Full size.
    case full = 1
    /// 1/2 of each side.
    case half = 2
    /// 1/4 of each side.
    case quarter = 4
    /// 1/8 of each side.
    case eighth = 8
}

/// How to decode: scaling, orientation and limits.
public struct DecodeOptions: Sendable, Equatable {
    /// DCT-scaled JPEG decode (fast downscale of large camera frames). Ignored by other formats.
    public var jpegScale: JPEGScale
    /// JPEG 2000 resolution reduction: each level halves both sides (OpenJPEG `cp_reduce`), 0 = full size.
    /// Must be below the codestream's number of resolution levels. Ignored by other formats.
    public var jpeg2000Reduce: Int
    /// Apply the EXIF orientation (tag 0x0112) of a JPEG so that the result is upright. Default true.
    public var applyOrientation: Bool
    /// Input-size and image-size limits.
    public var limits: DecodeLimits

    /// Creates options; the defaults decode at full size, upright, with the default limits.
    public init(
        jpegScale: JPEGScale = .full, jpeg2000Reduce: Int = 0, applyOrientation: Bool = true,
        limits: DecodeLimits = DecodeLimits()
    ) {
        self.jpegScale = jpegScale
        self.jpeg2000Reduce = jpeg2000Reduce
        self.applyOrientation = applyOrientation
        self.limits = limits
    }
}

/// Why an image could not be decoded. Each case says what was wrong; `description` is one line an
/// integrator can log or show (it never contains pixel data).
public enum ImageDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input has no bytes.
    case empty
    /// The leading bytes match none of JPEG, JP2, J2K, PNG (up to 8 leading bytes are kept for the message).
    case unrecognisedFormat(leadingBytes: [UInt8])
    /// The input is larger than `DecodeLimits.maxInputBytes`.
    case inputTooLarge(bytes: Int, limit: Int)
    /// The header declares an image larger than the limits (checked before allocating).
    case tooLarge(format: ImageFormat, width: Int, height: Int, limit: DecodeLimits)
    /// The data ends before the image does.
    case truncated(format: ImageFormat)
    /// The data is not a valid image of that format; `message` is the codec's explanation.
    case corrupt(format: ImageFormat, message: String)
    /// A valid image this decoder does not handle (e.g. 12-bit JPEG, CMYK JPEG 2000).
    case unsupported(format: ImageFormat, detail: String)
    /// The options are invalid for this image (e.g. a JPEG 2000 reduce level beyond its resolutions).
    case invalidOption(format: ImageFormat, detail: String)
    /// The file's container contradicts its own codestream (e.g. a JP2 `ihdr` box declaring another size or
    /// component count than the codestream's SIZ): `container` and `codestream` say what each declares.
    case contradictoryHeaders(format: ImageFormat, container: String, codestream: String)

    public var description: String {
        switch self {
        case .empty:
            return "image decode: the input is empty"
        case .unrecognisedFormat(let lead):
            let hex = lead.prefix(8).map { String($0, radix: 16, uppercase: true) }
                .map { $0.count == 1 ? "0" + $0 : $0 }.joined(separator: " ")
            return "image decode: not a JPEG, JP2, J2K or PNG image (leading bytes: \(hex.isEmpty ? "none" : hex))"
        case .inputTooLarge(let bytes, let limit):
            return "image decode: the input is \(bytes) bytes, more than the limit of \(limit) bytes"
        case .tooLarge(let format, let width, let height, let limit):
            return "\(format) decode: the header declares \(width)×\(height) pixels, beyond the limit (\(limit))"
        case .truncated(let format):
            return "\(format) decode: the data is truncated (it ends before the image does)"
        case .corrupt(let format, let message):
            return "\(format) decode: corrupt data: \(message)"
        case .unsupported(let format, let detail):
            return "\(format) decode: unsupported: \(detail)"
        case .invalidOption(let format, let detail):
            return "\(format) decode: invalid option: \(detail)"
        case .contradictoryHeaders(let format, let container, let codestream):
            return "\(format) decode: the container declares \(container) but its codestream declares \(codestream)"
        }
    }
}

/// Why an image could not be encoded.
public enum ImageEncodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The image or a parameter cannot be encoded (empty image, quality out of range, …).
    case invalidArgument(format: ImageFormat, detail: String)
    /// The codec library failed; `message` is its explanation.
    case library(format: ImageFormat, message: String)
    /// A JPEG 2000 encode could not fit in the requested byte budget; `smallest` is the smallest size reached.
    case budgetUnreachable(targetBytes: Int, smallest: Int)

    public var description: String {
        switch self {
        case .invalidArgument(let format, let detail):
            return "\(format) encode: invalid argument: \(detail)"
        case .library(let format, let message):
            return "\(format) encode: the codec failed: \(message)"
        case .budgetUnreachable(let target, let smallest):
            return "JPEG 2000 encode: cannot fit in \(target) bytes (smallest result \(smallest) bytes)"
        }
    }
}

/// What a header says about an image, read without decoding the pixels.
public struct ImageInfo: Sendable, Equatable {
    /// The detected format.
    public var format: ImageFormat
    /// Full-resolution width in pixels (before EXIF orientation; see `orientation`).
    public var width: Int
    /// Full-resolution height in pixels.
    public var height: Int
    /// Channels a full decode returns: 1 (grey) or 3 (RGB).
    public var channels: Int
    /// The EXIF orientation of a JPEG (1 when absent or another format).
    public var orientation: ExifOrientation

    /// Width and height after the orientation is applied, in pixels.
    public var uprightSize: (width: Int, height: Int) {
        orientation.swapsAxes ? (height, width) : (width, height)
    }

    public static func == (a: ImageInfo, b: ImageInfo) -> Bool {
        a.format == b.format && a.width == b.width && a.height == b.height && a.channels == b.channels
            && a.orientation == b.orientation
    }
}

/// The one entry point for still images: recognises JPEG / JP2 / J2K / PNG by content and decodes.
public enum ImageDecoder {
    /// Decodes `bytes` into an 8-bit `Image` (1 channel for greyscale sources, 3 for colour; alpha is dropped).
    ///
    /// - Throws: `ImageDecodeError` — `.empty`, `.inputTooLarge`, `.unrecognisedFormat`, `.tooLarge` (checked from
    ///   the header before allocating), `.truncated`, `.corrupt`, `.unsupported`, `.invalidOption`.
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws(ImageDecodeError)
        -> Image
    {
        try options.limits.check(inputBytes: bytes.count)
        guard let format = ImageFormat.detect(bytes) else {
            throw .unrecognisedFormat(leadingBytes: Array(bytes.prefix(8)))
        }
        switch format {
        case .jpeg: return try JPEGDecoder.decode(bytes, options: options)
        case .jp2, .j2k: return try JPEG2000Decoder.decode(bytes, options: options)
        case .png: return try PNGDecoder.decode(bytes, options: options)
        }
    }

    /// Reads format, size and channels from the header only (cheap: no pixel decode).
    ///
    /// - Throws: `ImageDecodeError` as `decode` does for the header (`.tooLarge` included).
    public static func probe(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws(ImageDecodeError)
        -> ImageInfo
    {
        try limits.check(inputBytes: bytes.count)
        guard let format = ImageFormat.detect(bytes) else {
            throw .unrecognisedFormat(leadingBytes: Array(bytes.prefix(8)))
        }
        switch format {
        case .jpeg: return try JPEGDecoder.probe(bytes, limits: limits)
        case .jp2, .j2k: return try JPEG2000Decoder.probe(bytes, limits: limits)
        case .png: return try PNGDecoder.probe(bytes, limits: limits)
        }
    }
}
