import FaceImaging
import Foundation
import TestSupport
import Testing

@testable import FaceDetection

/// The detector, loaded once for all tests (nil when the model has not been fetched).
let sharedDetector: FaceDetector? = {
    guard let url = TestEnvironment.model("mmod_human_face_detector.dat") else { return nil }
    return try? FaceDetector(modelURL: url)
}()

/// A dlib reference detection: box (left, top, right, bottom) and confidence.
struct DlibBox: Sendable {
    let l, t, r, b: Int
    let score: Double
    init(_ l: Int, _ t: Int, _ r: Int, _ b: Int, _ score: Double) {
        self.l = l
        self.t = t
        self.r = r
        self.b = b
        self.score = score
    }
    var rect: PixelRect { PixelRect(left: l, top: t, right: r, bottom: b) }
}

/// Intersection over union of two boxes (pixel areas, inclusive corners).
func iou(_ a: PixelRect, _ b: PixelRect) -> Double {
    let inner = Double(a.intersection(b).area)
    return inner == 0 ? 0 : inner / (Double(a.area) + Double(b.area) - inner)
}

func loadImage(_ url: URL) throws -> Image {
    try ImageDecoder.decode([UInt8](try Data(contentsOf: url)))
}

/// Side by side on a black canvas (tops aligned), as numpy's hstack of the two padded to the same height.
func sideBySide(_ a: Image, _ b: Image) -> Image {
    precondition(a.channels == 3 && b.channels == 3)
    let w = a.width + b.width
    let h = max(a.height, b.height)
    var out = Image(width: w, height: h, channels: 3)
    for y in 0..<h {
        for x in 0..<w {
            let (src, sx) = x < a.width ? (a, x) : (b, x - a.width)
            guard y < src.height else { continue }
            for c in 0..<3 { out.pixels[(y * w + x) * 3 + c] = src.pixels[(y * src.width + sx) * 3 + c] }
        }
    }
    return out
}
