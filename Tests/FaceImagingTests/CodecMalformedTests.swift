import Foundation
import TestSupport
import Testing

@testable import FaceImaging

@Suite("Decoders on malformed input")
struct CodecMalformedTests {
    @Test("every fixture decodes and is recognised by content", arguments: CodecFixtures.all)
    func fixtureDecodes(name: String) throws {
        let bytes = try CodecFixtures.bytes(name)
        let expected: ImageFormat =
            name.hasSuffix(".jpg") ? .jpeg : name.hasSuffix(".jp2") ? .jp2 : name.hasSuffix(".j2k") ? .j2k : .png
        #expect(ImageFormat.detect(bytes) == expected)
        let image = try ImageDecoder.decode(bytes)
        let info = try ImageDecoder.probe(bytes)
        #expect(info.format == expected)
        #expect(info.uprightSize.width == image.width && info.uprightSize.height == image.height)
        #expect(info.channels == image.channels)
    }

    @Test("truncated at every sixteenth of its length: a typed error, never an image", arguments: CodecFixtures.all)
    func truncations(name: String) throws {
        let bytes = try CodecFixtures.bytes(name)
        for k in 1..<16 {
            let cut = Array(bytes.prefix(bytes.count * k / 16))
            do {
                let image = try ImageDecoder.decode(cut)
                Issue.record("\(name) cut at \(k)/16 (\(cut.count) bytes) decoded to \(image.width)×\(image.height)")
            } catch {
                // Typed: ImageDecodeError (the only error decode can throw). Truncation deep in the data says so.
                if k >= 4 {
                    let ok: Bool
                    switch error {
                    case .truncated, .corrupt: ok = true
                    default: ok = false
                    }
                    #expect(ok, "\(name) cut at \(k)/16: \(error)")
                }
            }
        }
    }

    @Test("random bit flips (seeded): a typed error or a valid image, never a crash", arguments: CodecFixtures.all)
    func bitFlips(name: String) throws {
        let bytes = try CodecFixtures.bytes(name)
        var rng = SplitMix64(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        var decoded = 0
        var rejected = 0
        for _ in 0..<40 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<mutated.count, using: &rng)
                mutated[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            }
            do {
                let image = try ImageDecoder.decode(mutated)
                #expect(image.pixels.count == image.width * image.height * image.channels)
                decoded += 1
            } catch {
                #expect(!error.description.isEmpty)
                rejected += 1
            }
        }
        #expect(decoded + rejected == 40)
    }

    @Test("headers claiming 60000×60000 pixels are rejected as tooLarge before allocating")
    func hugeHeaders() throws {
        // JPEG: patch the SOF height and width.
        var jpeg = try CodecFixtures.bytes("grey.jpg")
        let sof = try #require(firstIndex(of: [0xFF, 0xC0], in: jpeg))
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60])
        // PNG: patch IHDR and recompute its CRC so only the size is hostile.
        var png = try CodecFixtures.bytes("rgb.png")
        png.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
        let crc: UInt32 = crc32(Array(png[12..<29]))
        png.replaceSubrange(
            29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 255), UInt8(crc >> 8 & 255), UInt8(crc & 255)])
        // J2K / JP2: patch Xsiz and Ysiz in SIZ.
        func patchSIZ(_ b: inout [UInt8]) throws {
            let soc = try #require(firstIndex(of: [0xFF, 0x4F, 0xFF, 0x51], in: b))
            b.replaceSubrange((soc + 8)..<(soc + 16), with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
        }
        var j2k = try CodecFixtures.bytes("grey.j2k")
        try patchSIZ(&j2k)
        var jp2 = try CodecFixtures.bytes("rgb.jp2")
        try patchSIZ(&jp2)
        for (bytes, format) in [(jpeg, ImageFormat.jpeg), (png, .png), (j2k, .j2k), (jp2, .jp2)] {
            let start = Date()
            #expect(
                throws: ImageDecodeError.tooLarge(format: format, width: 60000, height: 60000, limit: DecodeLimits())
            ) {
                try ImageDecoder.decode(bytes)
            }
            #expect(
                throws: ImageDecodeError.tooLarge(format: format, width: 60000, height: 60000, limit: DecodeLimits())
            ) {
                try ImageDecoder.probe(bytes)
            }
            #expect(Date().timeIntervalSince(start) < 5)  // header-only rejection; generous for a loaded CI machine
        }
    }

    @Test("regression: a damaged J2K whose decoder reads up to the end of the stream gets a typed result, not an abort")
    func endOfStreamRegression() throws {
        // Seven bit flips in rgb.j2k (found by a 48 000-input mutation run) made OpenJPEG read past the end of the
        // stream. The cause was ours: (OPJ_SIZE_T)-1 (end of stream) must be -1, size_t imports into Swift as Int,
        // and returning Int.max instead made libopenjp2 take garbage for data and abort on an assertion.
        var bytes = try CodecFixtures.bytes("rgb.j2k")
        let patches: [(Int, UInt8, UInt8)] = [
            (45, 0x07, 0x03), (150, 0x40, 0x41), (609, 0x45, 0xC5), (1012, 0x24, 0x2C),
            (1341, 0xA0, 0xA8), (1404, 0xFD, 0xED), (2156, 0xA6, 0x26),
        ]
        for (at, before, after) in patches {
            try #require(bytes[at] == before, "fixture rgb.j2k changed; regenerate this case")
            bytes[at] = after
        }
        #expect(throws: ImageDecodeError.self) { try ImageDecoder.decode(bytes) }
    }

    @Test("a J2K with an absurd tile grid is rejected before OpenJPEG allocates it")
    func hostileTiles() throws {
        var j2k = try CodecFixtures.bytes("grey.j2k")
        // 4000×4000 image (within limits) cut into 1×1 tiles: 16 million tiles.
        j2k.replaceSubrange(8..<16, with: [0, 0, 0x0F, 0xA0, 0, 0, 0x0F, 0xA0])
        j2k.replaceSubrange(24..<32, with: [0, 0, 0, 1, 0, 0, 0, 1])
        do {
            _ = try ImageDecoder.decode(j2k)
            Issue.record("decoded")
        } catch {
            guard case .unsupported(.j2k, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
        }
    }

    @Test("empty input, oversized input, random bytes, magic followed by garbage")
    func garbage() throws {
        #expect(throws: ImageDecodeError.empty) { try ImageDecoder.decode([]) }
        let bytes = try CodecFixtures.bytes("rgb-baseline.jpg")
        #expect(throws: ImageDecodeError.inputTooLarge(bytes: bytes.count, limit: 100)) {
            try ImageDecoder.decode(bytes, options: DecodeOptions(limits: DecodeLimits(maxInputBytes: 100)))
        }
        #expect(
            throws: ImageDecodeError.tooLarge(
                format: .jpeg, width: 96, height: 64, limit: DecodeLimits(maxPixels: 1000))
        ) {
            try ImageDecoder.decode(bytes, options: DecodeOptions(limits: DecodeLimits(maxPixels: 1000)))
        }
        #expect(throws: ImageDecodeError.unrecognisedFormat(leadingBytes: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61])) {
            try ImageDecoder.decode(Array("GIF89a".utf8))
        }
        var rng = SplitMix64(seed: 42)
        let magics: [[UInt8]] = [
            [], [0xFF, 0xD8, 0xFF], [0xFF, 0x4F, 0xFF, 0x51],
            [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A],
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
        ]
        for magic in magics {
            for length in [0, 1, 7, 64, 1000, 5000] {
                let input = magic + (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if input.isEmpty { continue }
                do {
                    let image = try ImageDecoder.decode(input)
                    Issue.record("random bytes decoded to \(image.width)×\(image.height)")
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
        }
    }

    @Test("error messages say what was wrong")
    func descriptions() {
        #expect(
            ImageDecodeError.truncated(format: .jp2).description
                == "JPEG 2000 (JP2) decode: the data is truncated (it ends before the image does)")
        #expect(
            ImageDecodeError.unrecognisedFormat(leadingBytes: [0x47, 0x49, 0x46]).description
                == "image decode: not a JPEG, JP2, J2K or PNG image (leading bytes: 47 49 46)")
        #expect(
            ImageDecodeError.tooLarge(format: .png, width: 60000, height: 60000, limit: DecodeLimits()).description
                == "PNG decode: the header declares 60000×60000 pixels, beyond the limit (at most 20000 pixels a side and 40000000 pixels in all)"
        )
    }

    private func firstIndex(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        for i in 0...(bytes.count - pattern.count) where Array(bytes[i..<(i + pattern.count)]) == pattern { return i }
        return nil
    }

    private func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
