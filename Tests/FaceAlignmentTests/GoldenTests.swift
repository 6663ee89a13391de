import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceAlignment

/// The synthetic image of `../shared/reference/dlib/golden`: `px(x, y) = ((x + 2y) & 255, (3x ^ y) & 255, (x·y >> 4) & 255)`.
func formulaImage(width: Int, height: Int) -> Image {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let o = (y * width + x) * 3
            pixels[o] = UInt8((x + 2 * y) & 255)
            pixels[o + 1] = UInt8((3 * x ^ y) & 255)
            pixels[o + 2] = UInt8(((x * y) >> 4) & 255)
        }
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
}

/// The predictor, loaded once per test process through a cache folder of the tests' own (a debug
/// build needs about 20 s to parse the dlib file; later runs load the compiled cache in milliseconds).
enum SharedPredictor {
    static let cacheDirectory = FileManager.default.temporaryDirectory
        .appendingPathComponent("mynaface-alignment-tests-cache")
    static let predictor: ShapePredictor? = {
        guard let url = TestEnvironment.model("shape_predictor_5_face_landmarks.dat") else { return nil }
        return try? ShapePredictor(contentsOf: url, cacheDirectory: cacheDirectory)
    }()
}

/// Values dlib 20.0.1 printed into `golden_sp_align.txt`.
struct GoldenAlign {
    var landmarks: [LandmarkPoint] = []
    var chip: (left: Double, top: Double, right: Double, bottom: Double, angle: Double) = (0, 0, 0, 0, 0)

    init?(directory: URL) {
        guard
            let text = try? String(contentsOf: directory.appendingPathComponent("golden_sp_align.txt"), encoding: .utf8)
        else { return nil }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.first == "landmark", f.count == 4, let x = Int(f[2]), let y = Int(f[3]) {
                landmarks.append(LandmarkPoint(x: x, y: y))
            } else if f.first == "chip_rect", f.count == 7,
                let l = Double(f[1]), let t = Double(f[2]), let r = Double(f[3]), let b = Double(f[4]),
                let a = Double(f[6])
            {
                chip = (l, t, r, b, a)
            }
        }
        guard landmarks.count == 5 else { return nil }
    }
}

@Suite("dlib golden values")
struct GoldenTests {
    static let fixedLandmarks = [(200, 100), (175, 102), (115, 98), (140, 101), (158, 140)]

    @Test(
        "landmarks on the 320×240 formula image equal dlib's",
        .enabled(if: TestEnvironment.dlibGolden != nil, Comment(rawValue: TestEnvironment.sharedAbsentMessage)),
        .enabled(
            if: TestEnvironment.model("shape_predictor_5_face_landmarks.dat") != nil,
            Comment(rawValue: TestEnvironment.modelsAbsentMessage)))
    func goldenLandmarks() throws {
        let golden = try #require(GoldenAlign(directory: TestEnvironment.dlibGolden!))
        let predictor = try #require(SharedPredictor.predictor)
        let image = formulaImage(width: 320, height: 240)
        let landmarks = predictor.landmarks(in: image, face: FaceRect(left: 80, top: 60, right: 239, bottom: 179))
        #expect(landmarks.points == golden.landmarks)
        #expect(
            landmarks.points == [
                LandmarkPoint(x: 200, y: 109), LandmarkPoint(x: 176, y: 107), LandmarkPoint(x: 121, y: 106),
                LandmarkPoint(x: 141, y: 106), LandmarkPoint(x: 147, y: 139),
            ])
    }

    @Test(
        "chip rectangle and angle for the fixed landmarks equal dlib's",
        .enabled(if: TestEnvironment.dlibGolden != nil, Comment(rawValue: TestEnvironment.sharedAbsentMessage)))
    func goldenChipDetails() throws {
        let golden = try #require(GoldenAlign(directory: TestEnvironment.dlibGolden!))
        let details = try FaceChip.details(for: FaceLandmarks(pairs: Self.fixedLandmarks))
        #expect(details.size == 150)
        // The golden file prints 12 significant digits.
        #expect(abs(details.left - golden.chip.left) < 1e-9)
        #expect(abs(details.top - golden.chip.top) < 1e-9)
        #expect(abs(details.right - golden.chip.right) < 1e-9)
        #expect(abs(details.bottom - golden.chip.bottom) < 1e-9)
        #expect(abs(details.angle - golden.chip.angle) < 1e-12)
    }

    @Test(
        "the chip of the fixed landmarks is byte-identical to dlib's",
        .enabled(if: TestEnvironment.dlibGolden != nil, Comment(rawValue: TestEnvironment.sharedAbsentMessage)))
    func goldenChip() throws {
        let expected = try [UInt8](
            Data(contentsOf: TestEnvironment.dlibGolden!.appendingPathComponent("golden_aligned_chip.rgb")))
        #expect(expected.count == 150 * 150 * 3)
        let image = formulaImage(width: 320, height: 240)
        let details = try FaceChip.details(for: FaceLandmarks(pairs: Self.fixedLandmarks))
        let chip = try FaceChip.extract(from: image, details: details)
        #expect(chip.width == 150 && chip.height == 150 && chip.channels == 3)
        let differing = zip(chip.pixels, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) chip bytes differ from dlib's")
    }
}
