import Foundation
import TestSupport
import Testing

@testable import FaceImaging

@Suite("JPEG codec")
struct CodecJPEGTests {
    static let djpegPresent = ReferenceTools.available("djpeg")

    @Test(
        "decodes like djpeg, byte for byte", .enabled(if: djpegPresent, "djpeg (libjpeg-turbo-progs) is absent"),
        arguments: ["rgb-baseline.jpg", "rgb-progressive.jpg", "grey.jpg"] + (1...8).map { "orientation-\($0).jpg" })
    func matchesDjpeg(name: String) throws {
        let image = try JPEGDecoder.decode(
            try CodecFixtures.bytes(name), options: DecodeOptions(applyOrientation: false))
        let reference = try #require(try ReferenceTools.djpeg(name))
        #expect(
            image.width == reference.width && image.height == reference.height && image.channels == reference.channels)
        #expect(image.pixels == reference.pixels)
    }

    @Test(
        "real camera photos (face_recognition samples) decode like djpeg, full and 1/2 scale",
        .enabled(if: djpegPresent, "djpeg (libjpeg-turbo-progs) is absent"),
        arguments: ["obama.jpg", "biden.jpg"])
    func samplePhotos(name: String) throws {
        guard let url = TestEnvironment.sample(name) else {
            print("skipped: sample photo \(name) not fetched (~/.cache/mynaface/samples or $MYNAFACE_SAMPLES)")
            return
        }
        let bytes = [UInt8](try Data(contentsOf: url))
        for scale in [JPEGScale.full, .half] {
            let image = try ImageDecoder.decode(
                bytes, options: DecodeOptions(jpegScale: scale, applyOrientation: false))
            let reference = try #require(try ReferenceTools.djpeg(path: url.path, scale: scale.rawValue))
            #expect(image.width == reference.width && image.height == reference.height)
            #expect(image.pixels == reference.pixels)
        }
    }

    @Test(
        "DCT-scaled decode has the expected size and matches djpeg -scale",
        .enabled(if: djpegPresent, "djpeg (libjpeg-turbo-progs) is absent"),
        arguments: [(JPEGScale.half, 48, 32), (.quarter, 24, 16), (.eighth, 12, 8)])
    func scaled(scale: JPEGScale, width: Int, height: Int) throws {
        let image = try ImageDecoder.decode(
            try CodecFixtures.bytes("rgb-baseline.jpg"), options: DecodeOptions(jpegScale: scale))
        #expect(image.width == width && image.height == height && image.channels == 3)
        let reference = try #require(try ReferenceTools.djpeg("rgb-baseline.jpg", scale: scale.rawValue))
        #expect(image.pixels == reference.pixels)
    }

    @Test("the colour and grey fixtures decode close to the synthetic pattern")
    func closeToPattern() throws {
        let rgb = try ImageDecoder.decode(try CodecFixtures.bytes("orientation-1.jpg"))
        #expect(rgb.width == 96 && rgb.height == 64 && rgb.channels == 3)
        let grey = try ImageDecoder.decode(try CodecFixtures.bytes("grey.jpg"))
        #expect(grey.channels == 1)
        // JPEG is lossy: mean absolute error, not exact.
        func mae(_ a: Image, _ b: Image) -> Double {
            zip(a.pixels, b.pixels).reduce(0.0) { $0 + Double(abs(Int($1.0) - Int($1.1))) } / Double(a.pixels.count)
        }
        #expect(mae(rgb, CodecFixtures.patternRGB) < 6)
        #expect(mae(grey, CodecFixtures.patternGrey) < 3)
    }

    @Test("every EXIF orientation decodes upright to the same picture", arguments: 1...8)
    func orientation(n: Int) throws {
        let bytes = try CodecFixtures.bytes("orientation-\(n).jpg")
        let info = try ImageDecoder.probe(bytes)
        #expect(info.orientation.rawValue == n)
        let upright = try ImageDecoder.decode(bytes)
        #expect(upright.width == 96 && upright.height == 64)
        let reference = try ImageDecoder.decode(try CodecFixtures.bytes("orientation-1.jpg"))
        // jpegtran's transforms are lossless on the DCT coefficients, but libjpeg's integer IDCT rounds after
        // its column pass, so a transposed block (5…8) can differ by a few levels; a flip (2…4) by at most one.
        #expect(maxDifference(upright, reference) <= (n >= 5 ? 4 : 1))
        let meanDifference =
            zip(upright.pixels, reference.pixels)
            .reduce(0.0) { $0 + Double(abs(Int($1.0) - Int($1.1))) } / Double(upright.pixels.count)
        #expect(meanDifference < 0.5)
        // Without orientation the stored (rotated) picture comes back as stored.
        let stored = try ImageDecoder.decode(bytes, options: DecodeOptions(applyOrientation: false))
        #expect(stored.width == (n >= 5 ? 64 : 96))
        #expect(stored.applying(ExifOrientation(rawValue: n)!) == upright)
    }

    @Test(
        "Adobe CMYK and YCCK JPEGs decode to RGB = C·K/255 of the stored (inverted) samples",
        arguments: ["cmyk-adobe.jpg", "ycck-adobe.jpg"])
    func cmyk(name: String) throws {
        let image = try ImageDecoder.decode(try CodecFixtures.bytes(name))
        #expect(image.width == 96 && image.height == 64 && image.channels == 3)
        var total = 0
        for y in 0..<64 {
            for x in 0..<96 {
                let p = CodecFixtures.rgb(x, y)
                let k = x < 48 ? 255 : 127
                let expected = [p.0, p.1, p.2].map { (Int($0) * k + 127) / 255 }
                for c in 0..<3 { total += abs(Int(image.pixels[(y * 96 + x) * 3 + c]) - expected[c]) }
            }
        }
        // Lossy at quality 95 on a high-frequency pattern: a mean error of a few levels; an inverted or
        // uninverted mistake would give ~100.
        #expect(Double(total) / Double(96 * 64 * 3) < 8)
    }

    @Test("encoder round trip: size, channels and content survive at quality 95")
    func encodeRoundTrip() throws {
        for source in [CodecFixtures.patternRGB, CodecFixtures.patternGrey] {
            for progressive in [false, true] {
                let bytes = try JPEGEncoder.encode(
                    source, quality: 95, progressive: progressive, subsampleChroma: false)
                #expect(ImageFormat.detect(bytes) == .jpeg)
                let back = try ImageDecoder.decode(bytes)
                #expect(back.width == source.width && back.height == source.height && back.channels == source.channels)
                let mae =
                    zip(back.pixels, source.pixels).reduce(0.0) { $0 + Double(abs(Int($1.0) - Int($1.1))) }
                    / Double(source.pixels.count)
                #expect(mae < 4)
            }
        }
        #expect(throws: ImageEncodeError.self) { try JPEGEncoder.encode(CodecFixtures.patternGrey, quality: 0) }
        #expect(throws: ImageEncodeError.self) { try JPEGEncoder.encode(Image(width: 0, height: 0, channels: 1)) }
    }
}
