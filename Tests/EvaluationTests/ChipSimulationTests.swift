import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import Evaluation

@Suite("chip simulation")
struct ChipSimulationTests {
    @Test(
        "a sample photo becomes a grey 240×320 JPEG 2000 portrait within 10 000 bytes, read back from a card-face file",
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
