import FaceImaging
import Testing

@testable import MynaCard

@Suite("chip portrait rendering")
struct ChipPortraitEncoderTests {
    @Test("crop to the portrait aspect, then scale: sizes and centring")
    func fitGeometry() throws {
        // 8×4 grey ramp (value = column): cropping to 3:4 keeps the centred 3×4 block (columns 2…4 → 3 wide).
        let ramp = Image(width: 8, height: 4, channels: 1, pixels: (0..<32).map { UInt8($0 % 8 * 10) })
        let fitted = try ChipPortraitEncoder.fit(ramp, width: 3, height: 4)
        #expect(fitted.width == 3 && fitted.height == 4 && fitted.channels == 1)
        #expect(Array(fitted.pixels[0..<3]) == [20, 30, 40])
        // A large image is box-halved first: 40×40 → crop 30×40 → 15×20 (one halving, 15 < 2·6) → 6×8.
        let big = Image(width: 40, height: 40, channels: 1, pixels: [UInt8](repeating: 77, count: 1600))
        let small = try ChipPortraitEncoder.fit(big, width: 6, height: 8)
        #expect(small.width == 6 && small.height == 8 && small.pixels.allSatisfy { $0 == 77 })
        let halved = ChipPortraitEncoder.halved(Image(width: 2, height: 2, channels: 1, pixels: [0, 1, 2, 4]))
        #expect(halved.pixels == [2])  // (0+1+2+4+2)/4 = 2
    }

    @Test("an empty image is a typed error")
    func emptyImage() {
        #expect(throws: ChipPortraitEncoder.Failure.emptyImage) {
            try ChipPortraitEncoder().portraitImage(from: Image(width: 0, height: 0, channels: 1))
        }
    }
}
