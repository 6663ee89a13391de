import FaceAlignment
import FaceDetection
import FaceEmbedding
import FaceImaging
import Foundation
import NeuralCore

/// One face found in an image: where it is, how sure the detector is, its 5 landmarks and its aligned chip.
public struct DetectedFace: Sendable, Equatable {
    /// The detector's box (inclusive pixel coordinates, dlib's `rectangle`).
    public var box: FaceRect
    /// The MMOD detection score (> 0; higher is surer).
    public var score: Double
    /// dlib's 5 landmarks, in image pixels.
    public var landmarks: FaceLandmarks
    /// The 150×150 chip aligned as dlib's `get_face_chip(size 150, padding 0.25)` (grey or RGB as the image).
    public var chip: Image
}

/// The faces in one image, largest first, with what the detector did.
public struct FaceAnalysis: Sendable, Equatable {
    /// Every face, largest box first.
    public var faces: [DetectedFace]
    /// The detector's pyramid levels that ran (nil when the image was too small for any).
    public var levelsUsed: ClosedRange<Int>?
    /// Image size, pixels.
    public var imageWidth: Int, imageHeight: Int
    /// Milliseconds spent detecting, finding landmarks and aligning.
    public var detectMilliseconds: Double, landmarksMilliseconds: Double, alignMilliseconds: Double
}

/// A failure of the analysis pipeline that is not about the person in front of the camera.
public enum FaceAnalyzerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A model could not be loaded (missing, corrupt): the message names the fix.
    case model(String)
    /// The detector, landmark or alignment stage rejected the input.
    case stage(String)

    public var description: String {
        switch self {
        case .model(let m): return "face models: \(m)"
        case .stage(let m): return m
        }
    }
}

/// detect → landmarks → align → embed, with dlib's three models loaded once.
///
/// `FaceAnalyzer` is `Sendable`: one instance serves concurrent callers.
public struct FaceAnalyzer: Sendable {
    /// The MMOD CNN face detector.
    public let detector: FaceDetector
    /// The 5-point shape predictor.
    public let predictor: ShapePredictor
    /// The ResNet embedder (settable, e.g. to change its ``FaceEmbedder/threads``).
    public var embedder: FaceEmbedder

    /// Loads the three models from `store` (default: `$MYNAFACE_MODELS` or `~/.cache/mynaface/models`).
    /// - Throws: ``FaceAnalyzerError/model(_:)`` naming the missing or corrupt file and the command that fixes it.
    public init(store: ModelStore = ModelStore()) throws(FaceAnalyzerError) {
        do {
            detector = try FaceDetector(store: store)
            let spURL = try store.url(for: ModelStore.shapePredictor5)
            predictor = try ShapePredictor(contentsOf: spURL)
            embedder = try FaceEmbedder(modelURL: try store.url(for: ModelStore.faceRecognitionResNet))
        } catch {
            throw .model(String(describing: error))
        }
    }

    /// Finds every face in `image` and aligns it.
    /// - Parameter options: the detector's options (minimum face size; default 15% of the image width).
    /// - Returns: the faces, largest first (possibly none).
    /// - Throws: ``FaceAnalyzerError/stage(_:)`` for an image the detector cannot take (empty, too large).
    public func analyze(_ image: Image, options: DetectionOptions = DetectionOptions()) throws(FaceAnalyzerError) -> FaceAnalysis {
        let t0 = DispatchTime.now()
        let detection: DetectionResult
        do { detection = try detector.detect(in: image, options: options) } catch { throw .stage(error.description) }
        let t1 = DispatchTime.now()
        let ordered = detection.faces.sorted { a, b in
            a.box.area != b.box.area ? a.box.area > b.box.area : a.score > b.score
        }
        var landmarkNanos: UInt64 = 0, alignNanos: UInt64 = 0
        var faces: [DetectedFace] = []
        faces.reserveCapacity(ordered.count)
        for d in ordered {
            let rect = d.box
            let a = DispatchTime.now()
            let landmarks = predictor.landmarks(in: image, face: rect)
            let b = DispatchTime.now()
            let chip: Image
            do {
                chip = try FaceChip.extract(from: image, details: try FaceChip.details(for: landmarks))
            } catch { throw .stage(error.description) }
            let c = DispatchTime.now()
            landmarkNanos += b.uptimeNanoseconds - a.uptimeNanoseconds
            alignNanos += c.uptimeNanoseconds - b.uptimeNanoseconds
            faces.append(DetectedFace(box: rect, score: d.score, landmarks: landmarks, chip: chip))
        }
        return FaceAnalysis(faces: faces, levelsUsed: detection.levelsUsed,
                            imageWidth: image.width, imageHeight: image.height,
                            detectMilliseconds: Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6,
                            landmarksMilliseconds: Double(landmarkNanos) / 1e6,
                            alignMilliseconds: Double(alignNanos) / 1e6)
    }

    /// The 128-D descriptor of a detected face (dlib's ResNet on its chip).
    /// - Throws: ``FaceAnalyzerError/stage(_:)`` if the chip is not 150×150.
    public func embedding(of face: DetectedFace) throws(FaceAnalyzerError) -> FaceEmbedding {
        do { return try embedder.embedding(ofChip: face.chip) } catch { throw .stage(error.description) }
    }
}
