import COpenJPEG
import Logging

// The one file that talks to OpenJPEG. Codecs, streams and images are created and destroyed here, on every
// path; OpenJPEG reads from / writes to Swift-owned memory through stream callbacks, and its messages go to
// the `mynaface.jpeg2000` logger (never to stderr).

/// OpenJPEG's info/warning/error messages (they describe the codestream, never pixel values).
///
/// Levels: OpenJPEG info → `.trace`; warnings → `.notice` when the image still decoded (recovered damage),
/// else `.debug`; errors → `.debug` (the thrown `ImageDecodeError` carries the last one).
let jpeg2000Logger = Logger(label: "mynaface.jpeg2000")

typealias OPJCodec = UnsafeMutablePointer<opj_codec_t?>
typealias OPJStream = UnsafeMutablePointer<opj_stream_t?>

/// JPEG 2000 decoding with OpenJPEG: JP2 files and raw J2K codestreams, greyscale and RGB (sYCC and
/// sub-sampled chroma converted to RGB), any precision 1…16 bits scaled to 8 bits, optional reduced resolution.
public enum JPEG2000Decoder {
    /// Decodes JP2 or J2K bytes (recognised by content).
    ///
    /// With `options.jpeg2000Reduce = r` each side is ⌈side / 2^r⌉. A second (alpha) component of a grey image
    /// and a fourth of a colour image are dropped.
    /// - Throws: `ImageDecodeError`: `.truncated` (codestream without its end-of-codestream marker, or a box
    ///   running past the end), `.tooLarge` (from SIZ, before decoding), `.unsupported` (CMYK, e-YCC, more than
    ///   4 components, precision above 16 bits), `.invalidOption` (reduce level not below the resolution count),
    ///   `.corrupt`.
    public static func decode(_ bytes: [UInt8], options: DecodeOptions = DecodeOptions()) throws(ImageDecodeError)
        -> Image
    {
        try options.limits.check(inputBytes: bytes.count)
        let result: Result<Image, ImageDecodeError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ImageDecodeError) { return .success(try decode(buffer, options: options)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads size and channels from the main header (SIZ) without decoding tiles.
    /// - Throws: `ImageDecodeError`.
    public static func probe(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws(ImageDecodeError)
        -> ImageInfo
    {
        try limits.check(inputBytes: bytes.count)
        let result: Result<ImageInfo, ImageDecodeError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ImageDecodeError) {
                let format = try formatOf(buffer)
                let layout = try jp2Layout(buffer, format: format)
                let siz = try readSIZ(buffer, codestream: layout.codestream, format: format, limits: limits)
                try layout.checkConsistent(with: siz)
                return .success(
                    ImageInfo(
                        format: format, width: siz.width, height: siz.height,
                        channels: siz.components >= 3 ? 3 : 1, orientation: .up))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    private static func formatOf(_ b: UnsafeBufferPointer<UInt8>) throws(ImageDecodeError) -> ImageFormat {
        guard !b.isEmpty else { throw .empty }
        switch ImageFormat.detect(b) {
        case .jp2: return .jp2
        case .j2k: return .j2k
        default: throw .unrecognisedFormat(leadingBytes: Array(b.prefix(8)))
        }
    }

    /// Finds the codestream: the `jp2c` box content of a JP2 (boxes walked with bounds checks), or everything
    /// for a J2K. A box running past the end, or no `jp2c` box, is `.truncated`.
    static func codestreamRange(_ b: UnsafeBufferPointer<UInt8>, format: ImageFormat) throws(ImageDecodeError) -> Range<
        Int
    > {
        try jp2Layout(b, format: format).codestream
    }

    /// What the JP2 boxes say: where the codestream is, the image header (`jp2h/ihdr`), and the colour space
    /// of `jp2h/colr` (enumerated method only: 16 sRGB, 17 greyscale, 18 sYCC), or nil.
    struct JP2Layout {
        var codestream: Range<Int>
        var enumeratedColourSpace: Int?
        var hasPalette: Bool
        /// `ihdr`'s width, height and component count (ISO/IEC 15444-1 I.5.3.1), when the box is present.
        var imageHeader: (width: Int, height: Int, components: Int)?

        /// Refuses a JP2 whose `ihdr` disagrees with the codestream's SIZ (size or component count): a container
        /// that contradicts its codestream is not trusted, whichever of the two is right.
        func checkConsistent(with siz: SIZ) throws(ImageDecodeError) {
            guard let ihdr = imageHeader else { return }
            guard ihdr.width == siz.width, ihdr.height == siz.height, ihdr.components == siz.components else {
                throw .contradictoryHeaders(
                    format: .jp2, container: "ihdr \(ihdr.width)×\(ihdr.height), \(ihdr.components) component(s)",
                    codestream: "SIZ \(siz.width)×\(siz.height), \(siz.components) component(s)")
            }
        }
    }

    /// Walks the top-level boxes (and `jp2h`'s children) with bounds checks.
    static func jp2Layout(_ b: UnsafeBufferPointer<UInt8>, format: ImageFormat) throws(ImageDecodeError) -> JP2Layout {
        guard format == .jp2 else {
            return JP2Layout(codestream: 0..<b.count, enumeratedColourSpace: nil, hasPalette: false)
        }
        var layout = JP2Layout(codestream: 0..<0, enumeratedColourSpace: nil, hasPalette: false)
        func type(_ at: Int, _ t: String) -> Bool {
            let u = Array(t.utf8)
            return b[at + 4] == u[0] && b[at + 5] == u[1] && b[at + 6] == u[2] && b[at + 7] == u[3]
        }
        func u32(_ at: Int) -> Int { Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3]) }
        var at = 0
        while at < b.count {
            guard at + 8 <= b.count else { throw .truncated(format: .jp2) }
            var length = Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
            let isCodestream = b[at + 4] == 0x6A && b[at + 5] == 0x70 && b[at + 6] == 0x32 && b[at + 7] == 0x63
            var header = 8
            if length == 1 {
                guard at + 16 <= b.count else { throw .truncated(format: .jp2) }
                var xl = 0
                for k in 8..<16 {
                    guard xl < 1 << 48 else { throw .truncated(format: .jp2) }
                    xl = xl << 8 | Int(b[at + k])
                }
                length = xl
                header = 16
            } else if length == 0 {
                length = b.count - at
            }
            guard length >= header else {
                throw .corrupt(format: .jp2, message: "box at byte \(at) declares length \(length)")
            }
            guard length <= b.count - at else { throw .truncated(format: .jp2) }
            if isCodestream {
                layout.codestream = (at + header)..<(at + length)
                return layout
            }
            if type(at, "jp2h") {
                var child = at + header
                let end = at + length
                while child + 8 <= end {
                    let childLength = u32(child)
                    guard childLength >= 8, childLength <= end - child else {
                        throw .corrupt(
                            format: .jp2, message: "box at byte \(child) inside jp2h declares length \(childLength)")
                    }
                    if type(child, "colr"), childLength >= 15, b[child + 8] == 1 {
                        layout.enumeratedColourSpace = u32(child + 11)
                    }
                    if type(child, "pclr") { layout.hasPalette = true }
                    if type(child, "ihdr") {
                        guard childLength >= 22 else {
                            throw .corrupt(
                                format: .jp2,
                                message: "ihdr box at byte \(child) has \(childLength) bytes (22 expected)")
                        }
                        layout.imageHeader = (
                            width: u32(child + 12), height: u32(child + 8),
                            components: Int(b[child + 16]) << 8 | Int(b[child + 17])
                        )
                    }
                    child += childLength
                }
            }
            at += length
        }
        throw .truncated(format: .jp2)
    }

    /// What the SIZ marker segment declares (ISO/IEC 15444-1 A.5.1).
    struct SIZ {
        var width: Int
        var height: Int
        var components: Int
        var tiles: Int
    }

    /// Most tiles accepted: OpenJPEG allocates per-tile state while reading the main header.
    static let maxTiles = 65_536

    /// Parses SIZ by hand BEFORE OpenJPEG sees the data, so that absurd sizes or tile counts never reach its
    /// allocator. Checks the limits, the tile count and the component count.
    static func readSIZ(
        _ b: UnsafeBufferPointer<UInt8>, codestream: Range<Int>, format: ImageFormat,
        limits: DecodeLimits
    ) throws(ImageDecodeError) -> SIZ {
        let s = codestream.lowerBound
        guard codestream.count >= 4 + 38 + 3 else { throw .truncated(format: format) }
        guard b[s] == 0xFF, b[s + 1] == 0x4F, b[s + 2] == 0xFF, b[s + 3] == 0x51 else {
            throw .corrupt(format: format, message: "the codestream does not start with SOC, SIZ")
        }
        func u16(_ at: Int) -> Int { Int(b[s + at]) << 8 | Int(b[s + at + 1]) }
        func u32(_ at: Int) -> Int { u16(at) << 16 | u16(at + 2) }
        let lsiz = u16(4)
        let xsiz = u32(8)
        let ysiz = u32(12)
        let xo = u32(16)
        let yo = u32(20)
        let xt = u32(24)
        let yt = u32(28)
        let xto = u32(32)
        let yto = u32(36)
        let csiz = u16(40)
        guard csiz >= 1, lsiz == 38 + 3 * csiz else {
            throw .corrupt(format: format, message: "SIZ length \(lsiz) does not match \(csiz) components")
        }
        guard xsiz > xo, ysiz > yo else {
            throw .corrupt(format: format, message: "SIZ declares an empty image area")
        }
        try limits.check(width: xsiz - xo, height: ysiz - yo, format: format)
        guard xt > 0, yt > 0, xto <= xo, yto <= yo, xto + xt > xo, yto + yt > yo else {
            throw .corrupt(format: format, message: "SIZ declares an invalid tile grid")
        }
        let tilesX = (xsiz - xto + xt - 1) / xt
        let tilesY = (ysiz - yto + yt - 1) / yt
        let (tiles, overflow) = tilesX.multipliedReportingOverflow(by: tilesY)
        guard !overflow, tiles <= maxTiles else {
            throw .unsupported(format: format, detail: "\(tilesX)×\(tilesY) tiles (at most \(maxTiles))")
        }
        guard csiz <= 4 else { throw .unsupported(format: format, detail: "\(csiz) components") }
        return SIZ(width: xsiz - xo, height: ysiz - yo, components: csiz, tiles: tiles)
    }

    /// A complete codestream ends with EOC (`FF D9`): OpenJPEG 2.5 decodes a cut codestream partially and only
    /// warns; for us it is `.truncated`.
    static func checkComplete(_ b: UnsafeBufferPointer<UInt8>, codestream: Range<Int>, format: ImageFormat)
        throws(ImageDecodeError)
    {
        let end = codestream.upperBound
        guard codestream.count >= 4, b[end - 2] == 0xFF, b[end - 1] == 0xD9 else { throw .truncated(format: format) }
    }

    private static func decode(_ b: UnsafeBufferPointer<UInt8>, options: DecodeOptions) throws(ImageDecodeError)
        -> Image
    {
        let format = try formatOf(b)
        guard options.jpeg2000Reduce >= 0, options.jpeg2000Reduce < 33 else {
            throw .invalidOption(format: format, detail: "reduce level \(options.jpeg2000Reduce)")
        }
        let layout = try jp2Layout(b, format: format)
        let range = layout.codestream
        let siz = try readSIZ(b, codestream: range, format: format, limits: options.limits)
        try layout.checkConsistent(with: siz)
        try checkComplete(b, codestream: range, format: format)
        if layout.hasPalette { throw .unsupported(format: format, detail: "palette (pclr) images") }
        let declared: ColourHandling?
        switch layout.enumeratedColourSpace {
        case nil: declared = nil
        case 16: declared = .rgb
        case 17: declared = .grey
        case 18: declared = .sycc
        case let other?: throw .unsupported(format: format, detail: "JP2 enumerated colour space \(other)")
        }
        // OpenJPEG reads the bare codestream (the J2K codec); the JP2 boxes were read above. This keeps
        // OpenJPEG's JP2 box reader, and its stream seeking, out of the path.
        let session = try DecodeSession(
            UnsafeBufferPointer(rebasing: b[range]), format: format,
            reduce: options.jpeg2000Reduce, declaredColour: declared)
        defer { session.close() }
        let header = try session.readHeader()
        try options.limits.check(width: header.width, height: header.height, format: format)
        try session.decodeTiles()
        let image = try session.convert(header)
        session.succeeded = true
        return image
    }

    struct Header {
        var width: Int
        var height: Int
        var channels: Int
        var colour: ColourHandling
    }

    enum ColourHandling { case grey, rgb, sycc }

    /// Owns one codec, one stream and (after `readHeader`) one image; `close()` frees them (callers `defer`).
    final class DecodeSession {
        let format: ImageFormat
        let codec: OPJCodec
        let stream: OPJStream
        let reader: MemoryReader
        let messages = MessageLog()
        var image: UnsafeMutablePointer<opj_image_t>?
        let reduce: Int

        let declaredColour: ColourHandling?

        /// `b` is a bare codestream (for a JP2, the content of its `jp2c` box); `format` is for messages.
        init(
            _ b: UnsafeBufferPointer<UInt8>, format: ImageFormat, reduce: Int,
            declaredColour: ColourHandling?
        ) throws(ImageDecodeError) {
            self.format = format
            self.reduce = reduce
            self.declaredColour = declaredColour
            reader = MemoryReader(b)
            guard let codec = opj_create_decompress(OPJ_CODEC_J2K) else {
                throw .corrupt(format: format, message: "OpenJPEG could not create a decoder")
            }
            guard let stream = opj_stream_create(64 * 1024, 1) else {
                opj_destroy_codec(codec)
                throw .corrupt(format: format, message: "OpenJPEG could not create a stream")
            }
            self.codec = codec
            self.stream = stream
            messages.install(on: codec)
            reader.install(on: stream)
            var parameters = opj_dparameters_t()
            opj_set_default_decoder_parameters(&parameters)
            parameters.cp_reduce = UInt32(reduce)
            guard opj_setup_decoder(codec, &parameters) != 0 else {
                close()
                throw .corrupt(format: format, message: messages.summary("decoder set-up failed"))
            }
            // Strict: a tile-part longer than the data is an error, never a partial decode.
            _ = opj_decoder_set_strict_mode(codec, 1)
        }

        private var closed = false
        func close() {
            guard !closed else { return }
            closed = true
            if let image { opj_image_destroy(image) }
            image = nil
            opj_stream_destroy(stream)
            opj_destroy_codec(codec)
            messages.flush(format: format, succeeded: succeeded)
        }

        /// Set once the pixels were converted: decides the log level of OpenJPEG's warnings.
        var succeeded = false

        func readHeader() throws(ImageDecodeError) -> Header {
            var img: UnsafeMutablePointer<opj_image_t>?
            let ok = opj_read_header(stream, codec, &img)
            image = img
            guard ok != 0, let img else { throw failure("cannot read the main header") }
            let x0 = Int(img.pointee.x0)
            let y0 = Int(img.pointee.y0)
            let x1 = Int(img.pointee.x1)
            let y1 = Int(img.pointee.y1)
            guard x1 > x0, y1 > y0 else {
                throw .corrupt(format: format, message: "empty image area (\(x0),\(y0))–(\(x1),\(y1))")
            }
            let n = Int(img.pointee.numcomps)
            guard n >= 1, let comps = img.pointee.comps else {
                throw .corrupt(format: format, message: "no components")
            }
            guard n <= 4 else { throw .unsupported(format: format, detail: "\(n) components") }
            for i in 0..<n {
                let c = comps[i]
                guard c.dx >= 1, c.dy >= 1 else {
                    throw .corrupt(format: format, message: "component \(i) sub-sampling 0")
                }
                guard (1...16).contains(c.prec) else {
                    throw .unsupported(
                        format: format, detail: "component \(i) has \(c.prec)-bit precision (1…16 supported)")
                }
            }
            let space = img.pointee.color_space
            let colour: ColourHandling
            if let declared = declaredColour {
                colour = n < 3 ? .grey : declared
            } else if space == OPJ_CLRSPC_CMYK || space == OPJ_CLRSPC_EYCC {
                throw .unsupported(
                    format: format, detail: space == OPJ_CLRSPC_CMYK ? "CMYK colour space" : "e-YCC colour space")
            } else if n < 3 || space == OPJ_CLRSPC_GRAY {
                colour = .grey
            } else if space == OPJ_CLRSPC_SYCC || (space != OPJ_CLRSPC_SRGB && (comps[1].dx > 1 || comps[1].dy > 1)) {
                // Sub-sampled chroma without a declared colour space is YCC in practice (as opj_decompress assumes).
                colour = .sycc
            } else {
                colour = .rgb
            }
            return Header(width: x1 - x0, height: y1 - y0, channels: colour == .grey ? 1 : 3, colour: colour)
        }

        func decodeTiles() throws(ImageDecodeError) {
            guard let image else { throw .corrupt(format: format, message: "no header") }
            guard opj_decode(codec, stream, image) != 0 else { throw failure("tile decoding failed") }
            guard opj_end_decompress(codec, stream) != 0 else { throw failure("end of decoding failed") }
            if messages.mentionsTruncation { throw .truncated(format: format) }
        }

        private func failure(_ what: String) -> ImageDecodeError {
            if messages.mentionsTruncation || reader.hitEnd { return .truncated(format: format) }
            if reduce > 0 && messages.contains("resolutions to remove") {
                return .invalidOption(
                    format: format, detail: "reduce level \(reduce) is not below the number of resolution levels")
            }
            return .corrupt(format: format, message: messages.summary(what))
        }

        /// Scales the decoded components to 8 bits and interleaves them (upsampling sub-sampled chroma).
        func convert(_ header: Header) throws(ImageDecodeError) -> Image {
            guard let img = image, let comps = img.pointee.comps else {
                throw .corrupt(format: format, message: "no image")
            }
            let used = header.colour == .grey ? 1 : 3
            let w = Int(comps[0].w)
            let h = Int(comps[0].h)
            guard w > 0, h > 0 else { throw .corrupt(format: format, message: "empty decoded component") }
            var planes: [Plane] = []
            for i in 0..<used {
                let c = comps[i]
                guard let data = c.data, c.w > 0, c.h > 0 else {
                    throw .corrupt(format: format, message: "component \(i) was not decoded")
                }
                planes.append(Plane(data: data, w: Int(c.w), h: Int(c.h), prec: Int(c.prec), signed: c.sgnd != 0))
            }
            let pixelCount = w * h
            let out = [UInt8](unsafeUninitializedCapacity: pixelCount * used) { dst, n in
                var xmap = [Int](repeating: 0, count: w)
                for (k, p) in planes.enumerated() {
                    let same = p.w == w && p.h == h
                    if !same { for x in 0..<w { xmap[x] = min(p.w - 1, x * p.w / w) } }
                    let offset = p.signed ? Int32(1 << (p.prec - 1)) : 0
                    let maxValue = Int32((1 << p.prec) - 1)
                    let fast = p.prec == 8
                    for y in 0..<h {
                        let sy = same ? y : min(p.h - 1, y * p.h / h)
                        let row = p.data + sy * p.w
                        var o = y * w * used + k
                        for x in 0..<w {
                            var v = row[same ? x : xmap[x]] &+ offset
                            v = v < 0 ? 0 : (v > maxValue ? maxValue : v)
                            if !fast { v = (v * 255 + maxValue / 2) / maxValue }
                            dst[o] = UInt8(truncatingIfNeeded: v)
                            o += used
                        }
                    }
                }
                if header.colour == .sycc {
                    for i in 0..<pixelCount {
                        let y = Float(dst[3 * i])
                        let cb = Float(dst[3 * i + 1]) - 128
                        let cr = Float(dst[3 * i + 2]) - 128
                        let r = y + 1.402 * cr
                        let g = y - 0.344136 * cb - 0.714136 * cr
                        let b = y + 1.772 * cb
                        dst[3 * i] = UInt8(max(0, min(255, r.rounded())))
                        dst[3 * i + 1] = UInt8(max(0, min(255, g.rounded())))
                        dst[3 * i + 2] = UInt8(max(0, min(255, b.rounded())))
                    }
                }
                n = pixelCount * used
            }
            return Image(width: w, height: h, channels: used, pixels: out)
        }
    }

    struct Plane {
        var data: UnsafeMutablePointer<Int32>
        var w: Int
        var h: Int
        var prec: Int
        var signed: Bool
    }
}

/// Collects OpenJPEG's messages during one operation, then sends them to `jpeg2000Logger`.
final class MessageLog {
    private(set) var entries: [(Logger.Level, String)] = []
    private var dropped = 0

    func install(on codec: OPJCodec) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        opj_set_info_handler(
            codec,
            { msg, client in
                guard let msg, let client else { return }
                Unmanaged<MessageLog>.fromOpaque(client).takeUnretainedValue().add(.trace, msg)
            }, me)
        opj_set_warning_handler(
            codec,
            { msg, client in
                guard let msg, let client else { return }
                Unmanaged<MessageLog>.fromOpaque(client).takeUnretainedValue().add(.notice, msg)  // warning
            }, me)
        opj_set_error_handler(
            codec,
            { msg, client in
                guard let msg, let client else { return }
                Unmanaged<MessageLog>.fromOpaque(client).takeUnretainedValue().add(.error, msg)
            }, me)
    }

    private func add(_ level: Logger.Level, _ msg: UnsafePointer<CChar>) {
        guard entries.count < 64 else {
            dropped += 1
            return
        }
        var text = String(cString: msg)
        while text.last == "\n" { text.removeLast() }
        entries.append((level, text))
    }

    var mentionsTruncation: Bool {
        entries.contains { e in
            e.0 != .trace
                && (e.1.contains("runcated") || e.1.contains("too short") || e.1.contains("Stream too short")
                    || e.1.contains("not enough") || e.1.contains("end of stream") || e.1.contains("Premature"))
        }
    }

    func contains(_ text: String) -> Bool { entries.contains { $0.1.contains(text) } }

    /// The last error message (or `fallback`), for `.corrupt`.
    func summary(_ fallback: String) -> String {
        if let e = entries.last(where: { $0.0 == .error }) { return "\(fallback): \(e.1)" }
        if let e = entries.last(where: { $0.0 == .notice }) { return "\(fallback): \(e.1)" }
        return fallback
    }

    /// Sends the collected messages to `jpeg2000Logger` (see its levels) and clears them.
    func flush(format: ImageFormat, succeeded: Bool) {
        for (kind, text) in entries {
            let level: Logger.Level = kind == .trace ? .trace : (kind == .notice && succeeded ? .notice : .debug)
            jpeg2000Logger.log(level: level, "\(text)", metadata: ["format": "\(format.rawValue)"])
        }
        if dropped > 0 {
            jpeg2000Logger.debug(
                "\(dropped) further OpenJPEG messages dropped", metadata: ["format": "\(format.rawValue)"])
        }
        entries.removeAll()
        dropped = 0
    }
}

/// A read-only OpenJPEG stream over borrowed memory (valid while the caller's buffer is).
final class MemoryReader {
    let base: UnsafePointer<UInt8>?
    let count: Int
    var position = 0
    var hitEnd = false

    init(_ b: UnsafeBufferPointer<UInt8>) {
        base = b.baseAddress
        count = b.count
    }

    func install(on stream: OPJStream) {
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        opj_stream_set_user_data_length(stream, UInt64(count))
        opj_stream_set_read_function(stream) { buffer, n, user in
            let r = Unmanaged<MemoryReader>.fromOpaque(user!).takeUnretainedValue()
            let remaining = r.count - r.position
            guard remaining > 0, let buffer, let base = r.base else {
                r.hitEnd = true
                return -1
            }  // (OPJ_SIZE_T)-1 = end of stream; size_t imports as Int, so -1, NOT .max
            let k = min(Int(n), remaining)
            buffer.copyMemory(from: base + r.position, byteCount: k)
            r.position += k
            return OPJ_SIZE_T(k)
        }
        opj_stream_set_skip_function(stream) { n, user in
            let r = Unmanaged<MemoryReader>.fromOpaque(user!).takeUnretainedValue()
            guard n >= 0 else {
                let back = Int(max(-Int64(r.position), n))
                r.position += back
                return OPJ_OFF_T(back)
            }
            let remaining = r.count - r.position
            if Int64(remaining) < n { r.hitEnd = true }
            let k = Int(min(Int64(remaining), n))
            r.position += k
            return OPJ_OFF_T(k)
        }
        opj_stream_set_seek_function(stream) { n, user in
            let r = Unmanaged<MemoryReader>.fromOpaque(user!).takeUnretainedValue()
            guard n >= 0, n <= Int64(r.count) else {
                r.hitEnd = true
                return 0
            }
            r.position = Int(n)
            return 1
        }
    }
}

/// A growable OpenJPEG output stream (the JP2 writer seeks back to patch box lengths).
final class MemoryWriter {
    var data: [UInt8] = []
    var position = 0

    func install(on stream: OPJStream) {
        opj_stream_set_user_data(stream, Unmanaged.passUnretained(self).toOpaque(), nil)
        opj_stream_set_write_function(stream) { buffer, n, user in
            let w = Unmanaged<MemoryWriter>.fromOpaque(user!).takeUnretainedValue()
            guard let buffer else { return -1 }  // (OPJ_SIZE_T)-1 = end of stream; size_t imports as Int, so -1, NOT .max
            let bytes = UnsafeRawBufferPointer(start: buffer, count: Int(n))
            w.write(bytes)
            return n
        }
        opj_stream_set_skip_function(stream) { n, user in
            let w = Unmanaged<MemoryWriter>.fromOpaque(user!).takeUnretainedValue()
            let target = Int64(w.position) + n
            guard target >= 0, target < 1 << 31 else { return -1 }
            w.position = Int(target)
            if w.position > w.data.count {
                w.data.append(contentsOf: repeatElement(0, count: w.position - w.data.count))
            }
            return n
        }
        opj_stream_set_seek_function(stream) { n, user in
            let w = Unmanaged<MemoryWriter>.fromOpaque(user!).takeUnretainedValue()
            guard n >= 0, n < 1 << 31 else { return 0 }
            w.position = Int(n)
            if w.position > w.data.count {
                w.data.append(contentsOf: repeatElement(0, count: w.position - w.data.count))
            }
            return 1
        }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) {
        let overlap = min(bytes.count, data.count - position)
        if overlap > 0 {
            for i in 0..<overlap { data[position + i] = bytes[i] }
        }
        if overlap < bytes.count { data.append(contentsOf: bytes[max(0, overlap)...]) }
        position += bytes.count
    }
}

/// JPEG 2000 encoding with OpenJPEG, for the chip simulation and the fixtures.
public enum JPEG2000Encoder {
    /// The container written.
    public enum Format: Sendable, Equatable {
        /// A JP2 file (signature, header boxes, codestream box).
        case jp2
        /// A bare J2K codestream.
        case j2k
    }

    /// Encodes a grey or RGB image, lossy to fit `targetBytes`, or losslessly (5/3 wavelet) when nil.
    ///
    /// Lossy: 9/7 wavelet, one quality layer, rate = raw bytes / budget (OpenJPEG `tcp_rates`); the result is
    /// checked against the budget and re-encoded with a tighter rate (up to 8 times) when the headers overshoot.
    /// - Parameters:
    ///   - targetBytes: the size budget of the whole output (JP2 boxes included), in bytes.
    ///   - resolutions: wavelet resolution levels (1…10, clamped so the smallest level is at least 1 pixel).
    /// - Throws: `ImageEncodeError.invalidArgument` (empty image, budget under 64 bytes),
    ///   `.budgetUnreachable`, `.library`.
    public static func encode(
        _ image: Image, format: Format = .jp2, targetBytes: Int? = nil,
        resolutions: Int = 6
    ) throws(ImageEncodeError) -> [UInt8] {
        let imageFormat: ImageFormat = format == .jp2 ? .jp2 : .j2k
        guard image.width > 0, image.height > 0, image.width < 1 << 24, image.height < 1 << 24 else {
            throw .invalidArgument(format: imageFormat, detail: "image size \(image.width)×\(image.height)")
        }
        var levels = max(1, min(10, resolutions))
        while levels > 1 && (image.width >> (levels - 1) < 1 || image.height >> (levels - 1) < 1) { levels -= 1 }
        guard let target = targetBytes else {
            return try encodeOnce(image, format: format, rate: 0, levels: levels)
        }
        guard target >= 64 else { throw .invalidArgument(format: imageFormat, detail: "budget of \(target) bytes") }
        let raw = Double(image.width * image.height * image.channels)
        var aim = Double(target) - (format == .jp2 ? 90 : 10)
        var smallest = Int.max
        for _ in 0..<8 {
            let rate = aim > 0 ? raw / aim : 0
            if rate <= 1 {
                let lossless = try encodeOnce(image, format: format, rate: 0, levels: levels)
                if lossless.count <= target { return lossless }
                aim = min(aim, raw * 0.95)
                continue
            }
            let bytes = try encodeOnce(image, format: format, rate: Float(rate), levels: levels)
            if bytes.count <= target { return bytes }
            smallest = min(smallest, bytes.count)
            aim -= Double(bytes.count - target) + 16
            if aim < 16 { break }
        }
        throw .budgetUnreachable(targetBytes: target, smallest: smallest == .max ? 0 : smallest)
    }

    private static func encodeOnce(_ image: Image, format: Format, rate: Float, levels: Int) throws(ImageEncodeError)
        -> [UInt8]
    {
        let imageFormat: ImageFormat = format == .jp2 ? .jp2 : .j2k
        let n = image.channels
        var parms = [opj_image_cmptparm_t](repeating: opj_image_cmptparm_t(), count: n)
        for i in 0..<n {
            parms[i].dx = 1
            parms[i].dy = 1
            parms[i].w = UInt32(image.width)
            parms[i].h = UInt32(image.height)
            parms[i].prec = 8
            parms[i].sgnd = 0
        }
        guard let opjImage = opj_image_create(UInt32(n), &parms, n == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY) else {
            throw .library(format: imageFormat, message: "cannot create the image")
        }
        defer { opj_image_destroy(opjImage) }
        opjImage.pointee.x0 = 0
        opjImage.pointee.y0 = 0
        opjImage.pointee.x1 = UInt32(image.width)
        opjImage.pointee.y1 = UInt32(image.height)
        let count = image.width * image.height
        image.pixels.withUnsafeBufferPointer { px in
            for k in 0..<n {
                guard let data = opjImage.pointee.comps[k].data else { continue }
                for i in 0..<count { data[i] = Int32(px[i * n + k]) }
            }
        }
        var parameters = opj_cparameters_t()
        opj_set_default_encoder_parameters(&parameters)
        parameters.tcp_numlayers = 1
        parameters.cp_disto_alloc = 1
        parameters.tcp_rates.0 = rate
        parameters.irreversible = rate > 0 ? 1 : 0
        parameters.tcp_mct = n == 3 ? 1 : 0
        parameters.numresolution = Int32(levels)
        guard let codec = opj_create_compress(format == .jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K) else {
            throw .library(format: imageFormat, message: "cannot create the encoder")
        }
        defer { opj_destroy_codec(codec) }
        let messages = MessageLog()
        var encoded = false
        defer { messages.flush(format: imageFormat, succeeded: encoded) }
        messages.install(on: codec)
        guard opj_setup_encoder(codec, &parameters, opjImage) != 0 else {
            throw .library(format: imageFormat, message: messages.summary("encoder set-up failed"))
        }
        guard let stream = opj_stream_create(64 * 1024, 0) else {
            throw .library(format: imageFormat, message: "cannot create the output stream")
        }
        defer { opj_stream_destroy(stream) }
        let writer = MemoryWriter()
        writer.install(on: stream)
        let ok = withExtendedLifetime(writer) {
            opj_start_compress(codec, opjImage, stream) != 0 && opj_encode(codec, stream) != 0
                && opj_end_compress(codec, stream) != 0
        }
        guard ok else { throw .library(format: imageFormat, message: messages.summary("encoding failed")) }
        encoded = true
        return writer.data
    }
}
