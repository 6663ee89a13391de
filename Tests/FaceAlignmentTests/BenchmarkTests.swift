import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceAlignment

/// Timing of landmarks and alignment on real photos. Runs only with `MYNAFACE_BENCH=1` (meaningful in a
/// release build: `swift test -c release --filter FaceAlignmentTests.BenchmarkTests`).
@Suite("alignment timing (MYNAFACE_BENCH=1)")
struct BenchmarkTests {
    static let enabled =
        ProcessInfo.processInfo.environment["MYNAFACE_BENCH"] == "1"
        && TestEnvironment.faceData != nil
        && TestEnvironment.model("shape_predictor_5_face_landmarks.dat") != nil

    static func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()[runs / 2]
    }

    @Test(
        "median milliseconds per face",
        .enabled(if: enabled, "set MYNAFACE_BENCH=1 (and have ../shared and the models)"))
    func timing() throws {
        let model = TestEnvironment.model("shape_predictor_5_face_landmarks.dat")!
        let cacheDir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaface-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cacheDir) }
        let parse = try Self.median(1) { _ = try ShapePredictor(contentsOf: model, cacheDirectory: cacheDir) }
        let cached = try Self.median(5) { _ = try ShapePredictor(contentsOf: model, cacheDirectory: cacheDir) }
        print(
            "shape predictor load: parse .dat + write cache \(String(format: "%.1f", parse)) ms, from cache \(String(format: "%.2f", cached)) ms"
        )
        let predictor = try ShapePredictor(contentsOf: model, cacheDirectory: cacheDir)

        for c in photoCases
        where [
            "fr/fr_obama/obama.jpg", "fr/fr_biden/biden.jpg", "deepface/deepface_Scarlett_Johansson/img49.jpg",
            "lfw/Ariel_Sharon/Ariel_Sharon_0001.jpg",
        ].contains(c.path) {
            let bytes = try [UInt8](Data(contentsOf: TestEnvironment.faceData!.appendingPathComponent(c.path)))
            let image = try ImageDecoder.decode(bytes, options: DecodeOptions(applyOrientation: false))
            var landmarks = predictor.landmarks(in: image, face: c.rect)
            let tLandmarks = Self.median(200) { landmarks = predictor.landmarks(in: image, face: c.rect) }
            let details = try FaceChip.details(for: landmarks)
            var chip = try FaceChip.extract(from: image, details: details)
            let tAlign = try Self.median(50) {
                chip = try FaceChip.extract(from: image, details: try FaceChip.details(for: landmarks))
            }
            #expect(chip.width == 150)
            print(
                "\(c.path) \(image.width)×\(image.height), face \(c.rect.width) px, chip rect \(Int(details.right - details.left + 1)) px: "
                    + "landmarks \(String(format: "%.3f", tLandmarks)) ms, alignment \(String(format: "%.3f", tAlign)) ms"
            )
        }
    }
}
