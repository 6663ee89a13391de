/// The smallest face the detector looks for; larger pyramid levels, which can only hold smaller faces, are skipped.
public enum MinimumFaceSize: Sendable, Equatable {
    /// A fraction of the image width (0…1), e.g. 0.15 for a reader camera where the face fills the frame.
    case fractionOfWidth(Double)
    /// A box width in pixels (dlib box widths: 80 px at full resolution, ×1.2 per pyramid level).
    case pixels(Int)
    /// Search every pyramid level, exactly as dlib's full run (slowest; finds faces down to 80 px).
    case none
}

/// How ``FaceDetector/detect(in:options:)`` searches.
public struct DetectionOptions: Sendable, Equatable {
    /// The smallest face searched. Default: 15% of the frame width (a reader camera).
    public var minimumFaceSize: MinimumFaceSize
    /// Score-map values above this become candidate boxes (dlib's `adjust_threshold`, default 0).
    public var adjustThreshold: Double

    /// Creates options.
    public init(minimumFaceSize: MinimumFaceSize = .fractionOfWidth(0.15), adjustThreshold: Double = 0) {
        self.minimumFaceSize = minimumFaceSize
        self.adjustThreshold = adjustThreshold
    }

    /// Every pyramid level: dlib's `cnn_face_detection_model_v1(img, 0)` result.
    public static let fullPyramid = DetectionOptions(minimumFaceSize: .none)
}
