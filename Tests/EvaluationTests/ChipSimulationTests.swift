import FaceImaging
import Foundation
import Testing
import TestSupport
@testable import Evaluation

@Suite("chip simulation")
struct ChipSimulationTests {
    @Test("crop to the portrait aspect, then scale: sizes and centring")
    func fitGeometry() throws {
        // 8×4 grey ramp (value = column): cropping to 3:4 keeps the centred 3×4 block (columns 2…4 → 3 wide).
        let ramp = Image(width: 8, height: 4, channels: 1, pixels: (0..<32).map { UInt8($0 % 8 * 10) })
        let fitted = try CardFaceChipSimulator.fit(ramp, width: 3, height: 4)
        #expect(fitted.width == 3 && fitted.height == 4 && fitted.channels == 1)
        #expect(Array(fitted.pixels[0..<3]) == [20, 30, 40])
        // A large image is box-halved first: 40×40 → crop 30×40 → 15×20 (one halving, 15 < 2·6) → 6×8.
        let big = Image(width: 40, height: 40, channels: 1, pixels: [UInt8](repeating: 77, count: 1600))
        let small = try CardFaceChipSimulator.fit(big, width: 6, height: 8)
        #expect(small.width == 6 && small.height == 8 && small.pixels.allSatisfy { $0 == 77 })
        let halved = CardFaceChipSimulator.halved(Image(width: 2, height: 2, channels: 1, pixels: [0, 1, 2, 4]))
        #expect(halved.pixels == [2])  // (0+1+2+4+2)/4 = 2
    }

    @Test("a sample photo becomes a grey 240×320 JPEG 2000 portrait within 10 000 bytes, read back from a card-face file",
          .enabled(if: TestEnvironment.sample("obama.jpg") != nil))
    func samplePhoto() throws {
        let url = try #require(TestEnvironment.sample("obama.jpg"))
        let photo = [UInt8](try Data(contentsOf: url))
        let simulator = CardFaceChipSimulator()
        let portrait = try simulator.chipPortrait(from: photo)
        #expect(portrait.count <= 10_000)
        #expect(ImageFormat.detect(portrait) == .jp2)
        let decoded = try ImageDecoder.decode(portrait)
        #expect(decoded.width == 240 && decoded.height == 320 && decoded.channels == 1)
        // The portrait is a lossy copy of the grey, fitted photo: close on average.
        let reference = try simulator.portraitImage(from: photo)
        var sum = 0
        for i in 0..<reference.pixels.count { sum += abs(Int(reference.pixels[i]) - Int(decoded.pixels[i])) }
        let meanError = Double(sum) / Double(reference.pixels.count)
        #expect(meanError < 8, "mean absolute error \(meanError)")
        #expect(simulator.settingsIdentity == "cardface-jp2-v1:240x320:10000")
    }

    @Test("an undecodable photo is a typed error")
    func badPhoto() {
        #expect(throws: EvaluationError.self) { try CardFaceChipSimulator().chipPortrait(from: [1, 2, 3]) }
    }
}
