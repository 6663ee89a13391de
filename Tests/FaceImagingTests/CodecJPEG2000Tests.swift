import Foundation
import Testing

@testable import FaceImaging

@Suite("JPEG 2000 codec")
struct CodecJPEG2000Tests {
    static let opjPresent = ReferenceTools.available("opj_decompress")

    @Test(
        "decodes like opj_decompress, byte for byte",
        .enabled(if: opjPresent, "opj_decompress (libopenjp2-tools) is absent"),
        arguments: [("grey.jp2", 1), ("rgb.jp2", 3), ("grey.j2k", 1), ("rgb.j2k", 3), ("portrait-240x320.jp2", 1)])
    func matchesOpjDecompress(name: String, channels: Int) throws {
        let image = try ImageDecoder.decode(try CodecFixtures.bytes(name))
        let reference = try #require(try ReferenceTools.opjDecompress(name, channels: channels))
        #expect(image.width == reference.width && image.height == reference.height && image.channels == channels)
        #expect(image.pixels == reference.pixels)
    }

    @Test("lossless fixtures decode exactly to the synthetic pattern")
    func lossless() throws {
        #expect(try ImageDecoder.decode(try CodecFixtures.bytes("grey.jp2")) == CodecFixtures.patternGrey)
        #expect(try ImageDecoder.decode(try CodecFixtures.bytes("grey.j2k")) == CodecFixtures.patternGrey)
        #expect(try ImageDecoder.decode(try CodecFixtures.bytes("rgb.jp2")) == CodecFixtures.patternRGB)
    }

    @Test(
        "reduced-resolution decode: size ⌈side / 2^r⌉, pixels as opj_decompress -r",
        .enabled(if: opjPresent, "opj_decompress (libopenjp2-tools) is absent"),
        arguments: [(1, 48, 32), (2, 24, 16), (3, 12, 8)])
    func reduce(level: Int, width: Int, height: Int) throws {
        let image = try ImageDecoder.decode(
            try CodecFixtures.bytes("rgb.jp2"), options: DecodeOptions(jpeg2000Reduce: level))
        #expect(image.width == width && image.height == height)
        let reference = try #require(try ReferenceTools.opjDecompress("rgb.jp2", channels: 3, reduce: level))
        #expect(image.pixels == reference.pixels)
    }

    @Test("a reduce level at or beyond the resolution count is a typed error")
    func reduceTooFar() throws {
        let bytes = try CodecFixtures.bytes("grey.jp2")  // 6 resolution levels
        for level in [6, 9, -1, 40] {
            do {
                _ = try ImageDecoder.decode(bytes, options: DecodeOptions(jpeg2000Reduce: level))
                Issue.record("reduce \(level) decoded")
            } catch {
                guard case .invalidOption(.jp2, _) = error else {
                    Issue.record("reduce \(level): \(error)")
                    continue
                }
            }
        }
        // The last valid level gives ⌈96 / 32⌉ × ⌈64 / 32⌉.
        let smallest = try ImageDecoder.decode(bytes, options: DecodeOptions(jpeg2000Reduce: 5))
        #expect(smallest.width == 3 && smallest.height == 2)
    }

    @Test("the card-like portrait fixture is 240×320 grey and 10–15 KB")
    func portrait() throws {
        let bytes = try CodecFixtures.bytes("portrait-240x320.jp2")
        #expect((10_000...15_000).contains(bytes.count))
        let info = try ImageDecoder.probe(bytes)
        #expect(info == ImageInfo(format: .jp2, width: 240, height: 320, channels: 1, orientation: .up))
    }

    @Test(
        "encoder: JP2 and J2K within the byte budget, decodable, close to the source",
        arguments: [(JPEG2000Encoder.Format.jp2, 10_000), (.jp2, 4_000), (.j2k, 10_000), (.j2k, 2_000)])
    func encodeBudget(format: JPEG2000Encoder.Format, budget: Int) throws {
        let source = try ImageDecoder.decode(try CodecFixtures.bytes("portrait-240x320.jp2"))
        let bytes = try JPEG2000Encoder.encode(source, format: format, targetBytes: budget)
        #expect(bytes.count <= budget)
        #expect(bytes.count >= budget / 2)  // rate control uses the budget, it does not collapse
        #expect(ImageFormat.detect(bytes) == (format == .jp2 ? .jp2 : .j2k))
        let back = try ImageDecoder.decode(bytes)
        #expect(back.width == 240 && back.height == 320 && back.channels == 1)
        let mae =
            zip(back.pixels, source.pixels).reduce(0.0) { $0 + Double(abs(Int($1.0) - Int($1.1))) }
            / Double(source.pixels.count)
        #expect(mae < 8)
    }

    @Test("encoder: lossless when no budget is given (grey and RGB round-trip exactly)")
    func encodeLossless() throws {
        for source in [CodecFixtures.patternGrey, CodecFixtures.patternRGB] {
            for format in [JPEG2000Encoder.Format.jp2, .j2k] {
                let bytes = try JPEG2000Encoder.encode(source, format: format)
                #expect(try ImageDecoder.decode(bytes) == source)
            }
        }
        let tiny = Image(width: 3, height: 2, channels: 1, pixels: [0, 50, 100, 150, 200, 250])
        #expect(try ImageDecoder.decode(try JPEG2000Encoder.encode(tiny)) == tiny)
    }

    @Test("encoder: an unreachable budget or an empty image is a typed error")
    func encodeErrors() throws {
        #expect(throws: ImageEncodeError.self) {
            try JPEG2000Encoder.encode(CodecFixtures.patternRGB, targetBytes: 10)
        }
        #expect(throws: ImageEncodeError.self) { try JPEG2000Encoder.encode(Image(width: 0, height: 0, channels: 3)) }
    }
}

@Suite("JPEG 2000 container consistency")
struct JP2ContainerConsistencyTests {
    /// The fixture with its `ihdr` box's height, width and component count replaced.
    static func withImageHeader(_ bytes: [UInt8], height: UInt32, width: UInt32, components: UInt16) throws -> [UInt8] {
        let ihdr = Array("ihdr".utf8)
        let at = try #require((0..<(bytes.count - 4)).first { Array(bytes[$0..<$0 + 4]) == ihdr })
        var out = bytes
        for (k, byte) in withUnsafeBytes(of: height.bigEndian, Array.init).enumerated() { out[at + 4 + k] = byte }
        for (k, byte) in withUnsafeBytes(of: width.bigEndian, Array.init).enumerated() { out[at + 8 + k] = byte }
        for (k, byte) in withUnsafeBytes(of: components.bigEndian, Array.init).enumerated() { out[at + 12 + k] = byte }
        return out
    }

    @Test("the fixture's own ihdr agrees with its codestream (320 rows, 240 columns, 1 component)")
    func consistentFixtureDecodes() throws {
        let bytes = try CodecFixtures.bytes("portrait-240x320.jp2")
        let same = try Self.withImageHeader(bytes, height: 320, width: 240, components: 1)
        #expect(same == bytes)
        let image = try ImageDecoder.decode(same)
        #expect(image.width == 240 && image.height == 320)
    }

    @Test(
        "an ihdr that contradicts the codestream is refused by decode and probe",
        arguments: [(UInt32(60000), UInt32(60000), UInt16(1)), (320, 241, 1), (321, 240, 1), (320, 240, 3)])
    func contradictoryIhdrRefused(height: UInt32, width: UInt32, components: UInt16) throws {
        let hostile = try Self.withImageHeader(
            try CodecFixtures.bytes("portrait-240x320.jp2"), height: height, width: width,
            components: components)
        let expected = ImageDecodeError.contradictoryHeaders(
            format: .jp2, container: "ihdr \(width)×\(height), \(components) component(s)",
            codestream: "SIZ 240×320, 1 component(s)")
        #expect(throws: expected) { try ImageDecoder.decode(hostile) }
        #expect(throws: expected) { try ImageDecoder.probe(hostile) }
    }
}
