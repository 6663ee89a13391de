import Testing

@testable import FaceImaging

@Suite("Image transforms")
struct TransformTests {
    /// 3×2 grey: rows [1 2 3] [4 5 6].
    let small = Image(width: 3, height: 2, channels: 1, pixels: [1, 2, 3, 4, 5, 6])

    @Test(
        "EXIF orientations move pixels as EXIF 2.3 defines",
        arguments: [
            (1, 3, 2, [1, 2, 3, 4, 5, 6] as [UInt8]),
            (2, 3, 2, [3, 2, 1, 6, 5, 4]),
            (3, 3, 2, [6, 5, 4, 3, 2, 1]),
            (4, 3, 2, [4, 5, 6, 1, 2, 3]),
            (5, 2, 3, [1, 4, 2, 5, 3, 6]),
            (6, 2, 3, [4, 1, 5, 2, 6, 3]),
            (7, 2, 3, [6, 3, 5, 2, 4, 1]),
            (8, 2, 3, [3, 6, 2, 5, 1, 4]),
        ])
    func orientation(raw: Int, width: Int, height: Int, pixels: [UInt8]) throws {
        let out = small.applying(try #require(ExifOrientation(rawValue: raw)))
        #expect(out == Image(width: width, height: height, channels: 1, pixels: pixels))
        // RGB moves whole pixels.
        let rgb = small.rgb().applying(ExifOrientation(rawValue: raw)!)
        #expect(rgb == out.rgb())
    }

    @Test("greyscale uses BT.601 weights in libjpeg's 16-bit fixed point")
    func greyscale() {
        let rgb = Image(
            width: 5, height: 1, channels: 3,
            pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 200, 30])
        // (19595·R + 38470·G + 7471·B + 32768) >> 16
        #expect(rgb.greyscale().pixels == [76, 150, 29, 255, 124])
        #expect(small.greyscale() == small)
        #expect(small.rgb().pixels == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6])
        #expect(small.rgb().greyscale() == small)
    }

    @Test("bilinear resize with aligned pixel centres")
    func resize() throws {
        let row = Image(width: 2, height: 1, channels: 1, pixels: [0, 100])
        #expect(try row.resized(width: 4, height: 1).pixels == [0, 25, 75, 100])
        let block = Image(width: 4, height: 2, channels: 1, pixels: [0, 10, 20, 30, 40, 50, 60, 70])
        // Halving averages each 2×2 block.
        #expect(try block.resized(width: 2, height: 1).pixels == [25, 45])
        #expect(try small.resized(width: 3, height: 2) == small)
        #expect(throws: ImageTransformError.invalidSize(width: 0, height: 4)) { try small.resized(width: 0, height: 4) }
        let rgb = try CodecFixtures.patternRGB.resized(width: 48, height: 32)
        #expect(rgb.width == 48 && rgb.height == 32 && rgb.channels == 3)
    }

    @Test("crop is clamped to the image; an empty overlap is a typed error")
    func crop() throws {
        #expect(try small.cropped(x: 1, y: 0, width: 2, height: 2).pixels == [2, 3, 5, 6])
        #expect(try small.cropped(x: -5, y: 1, width: 7, height: 10).pixels == [4, 5])
        #expect(throws: ImageTransformError.self) { try small.cropped(x: 3, y: 0, width: 2, height: 2) }
        #expect(throws: ImageTransformError.self) { try small.cropped(x: 0, y: 0, width: 0, height: 2) }
        #expect(throws: ImageTransformError.self) { try small.cropped(x: Int.max, y: 0, width: Int.max, height: 2) }
    }

    @Test("planar tensor is CHW with per-channel normalisation")
    func tensor() throws {
        let rgb = Image(width: 2, height: 1, channels: 3, pixels: [10, 20, 30, 40, 50, 60])
        #expect(try rgb.planarTensor(.identity) == [10, 40, 20, 50, 30, 60])
        let t = try rgb.planarTensor(TensorNormalization(mean: [10, 20, 30], scale: [1, 0.5, 0.25]))
        #expect(t == [0, 30, 0, 15, 0, 7.5])
        #expect(abs(try small.planarTensor(.unit)[5] - Float(6) / 255) < 1e-7)
        #expect(throws: ImageTransformError.channelMismatch(expected: 3, got: 2)) {
            try rgb.planarTensor(TensorNormalization(mean: [0, 0], scale: [1]))
        }
    }
}
