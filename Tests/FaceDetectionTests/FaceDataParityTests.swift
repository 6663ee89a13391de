import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceDetection

/// Parity with dlib's MMOD on the shared face photos (skipped when `../shared` is absent).
@Suite("MMOD parity on ../shared/facedata")
struct FaceDataParityTests {
    static let available = sharedDetector != nil && TestEnvironment.faceData != nil

    @Test(
        "every dlib box found (IoU ≥ 0.9, aim equal) with a close score; recall reported",
        .enabled(if: available, "\(TestEnvironment.sharedAbsentMessage) (or models not fetched)"))
    func parityAndRecall() throws {
        let detector = try #require(sharedDetector)
        let root = try #require(TestEnvironment.faceData)
        var dlibFaces = 0
        var matched = 0
        var equal = 0
        var extra = 0
        var worstScore = 0.0
        for (path, expected) in dlibFaceDataReferences {
            let image = try loadImage(root.appendingPathComponent(path))
            let result = try detector.detect(in: image, options: .fullPyramid)
            dlibFaces += expected.count
            extra += max(0, result.faces.count - expected.count)
            for e in expected {
                guard let best = result.faces.max(by: { iou($0.box, e.rect) < iou($1.box, e.rect) }),
                    iou(best.box, e.rect) >= 0.9
                else {
                    Issue.record("\(path): dlib face \(e.rect) not found; ours: \(result.faces.map(\.box))")
                    continue
                }
                matched += 1
                if best.box == e.rect { equal += 1 }
                worstScore = max(worstScore, abs(best.score - e.score))
                #expect(abs(best.score - e.score) < 1e-3, "\(path): score \(best.score) vs dlib \(e.score)")
            }
            #expect(
                result.faces.count == expected.count, "\(path): \(result.faces.count) faces, dlib \(expected.count)")
        }
        let recall = Double(matched) / Double(max(dlibFaces, 1))
        print(
            "facedata MMOD parity: \(dlibFaceReferencesCount) photos, dlib faces \(dlibFaces), recall \(recall), "
                + "identical boxes \(equal)/\(matched), extra faces \(extra), worst |Δscore| \(worstScore)")
        #expect(dlibFaces > 0)
        #expect(recall == 1)
        #expect(equal == matched)
    }

    @Test(
        "scale-aware search finds every face at or above the minimum exactly as the full pyramid",
        .enabled(if: available, "\(TestEnvironment.sharedAbsentMessage) (or models not fetched)"),
        arguments: [96, 130])
    func scaleAwareEqualsFull(minimum: Int) throws {
        let detector = try #require(sharedDetector)
        let root = try #require(TestEnvironment.faceData)
        var compared = 0
        // Photos holding a dlib face at or above the minimum (the others would compare nothing).
        let photos = dlibFaceDataReferences.filter { $0.faces.contains { $0.r - $0.l + 1 >= minimum } }.prefix(20)
        for (path, _) in photos {
            let image = try loadImage(root.appendingPathComponent(path))
            let full = try detector.detect(in: image, options: .fullPyramid)
            let fast = try detector.detect(in: image, options: DetectionOptions(minimumFaceSize: .pixels(minimum)))
            #expect(fast.multiplyAdds < full.multiplyAdds)
            for face in full.faces where face.box.width >= minimum {
                compared += 1
                let same = fast.faces.first { $0.box == face.box }
                #expect(same != nil, "\(path): \(face.box) lost with minimum \(minimum)")
                #expect(abs((same?.score ?? 0) - face.score) < 1e-5)
                #expect(same?.level == face.level)
            }
            for face in fast.faces { #expect(face.box.width >= minimum - 1, "\(path): \(face.box) below the minimum") }
        }
        print("scale-aware (minimum \(minimum) px): \(compared) faces compared")
        #expect(compared > 0)
    }

    @Test(
        "two people side by side: both found as dlib finds them, the second one reported",
        .enabled(if: available, "\(TestEnvironment.sharedAbsentMessage) (or models not fetched)"))
    func twoFaces() throws {
        let detector = try #require(sharedDetector)
        let root = try #require(TestEnvironment.faceData)
        let a = try loadImage(root.appendingPathComponent("lfw/Ariel_Sharon/Ariel_Sharon_0001.jpg"))
        let b = try loadImage(root.appendingPathComponent("lfw/Arnold_Schwarzenegger/Arnold_Schwarzenegger_0001.jpg"))
        let frame = sideBySide(a, b)
        let result = try detector.detect(in: frame)
        // dlib on numpy.concatenate([a, b], axis=1):
        let expected = [DlibBox(62, 77, 157, 171, 1.0652153491973877), DlibBox(305, 78, 419, 191, 1.0261656045913696)]
        #expect(result.faces.map(\.box) == expected.map(\.rect))
        for (f, e) in zip(result.faces, expected) { #expect(abs(f.score - e.score) < 1e-4) }
        let selection = try result.selectFace()
        #expect(selection.primary.box == expected[1].rect)  // the larger box
        #expect(selection.otherFaces.map(\.box) == [expected[0].rect])
    }
}

let dlibFaceReferencesCount = dlibFaceDataReferences.count
