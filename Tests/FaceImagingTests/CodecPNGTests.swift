import Foundation
import Testing

@testable import FaceImaging

@Suite("PNG codec")
struct CodecPNGTests {
    @Test(
        "grey, 16-bit grey and grey+alpha decode exactly to the grey pattern (alpha dropped)",
        arguments: ["grey.png", "grey16.png", "grey-alpha.png"])
    func grey(name: String) throws {
        #expect(try ImageDecoder.decode(try CodecFixtures.bytes(name)) == CodecFixtures.patternGrey)
    }

    @Test(
        "RGB and RGBA decode exactly to the colour pattern (alpha dropped, not composited)",
        arguments: ["rgb.png", "rgba.png"])
    func colour(name: String) throws {
        #expect(try ImageDecoder.decode(try CodecFixtures.bytes(name)) == CodecFixtures.patternRGB)
    }

    @Test("palette decodes to the palette colours")
    func palette() throws {
        let image = try ImageDecoder.decode(try CodecFixtures.bytes("palette.png"))
        #expect(image.channels == 3 && image.width == 96 && image.height == 64)
        for (x, y) in [(0, 0), (7, 3), (95, 63), (40, 20)] {
            let i = (x / 6 + y / 4) % 16
            let at = (y * 96 + x) * 3
            #expect(Array(image.pixels[at..<(at + 3)]) == [UInt8(16 * i), UInt8(255 - 16 * i), UInt8((37 * i) & 255)])
        }
    }

    @Test("encoder round trip is lossless (grey and RGB)")
    func roundTrip() throws {
        for source in [CodecFixtures.patternGrey, CodecFixtures.patternRGB] {
            let bytes = try PNGEncoder.encode(source)
            #expect(ImageFormat.detect(bytes) == .png)
            #expect(try ImageDecoder.decode(bytes) == source)
        }
        #expect(throws: ImageEncodeError.self) { try PNGEncoder.encode(Image(width: 0, height: 5, channels: 1)) }
    }
}
