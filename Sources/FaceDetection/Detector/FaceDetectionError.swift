/// A failure of the face detector: its model file, or an image or option it cannot take. Public: it is the cause
/// nested in `FaceAnalyzerError`.
public enum FaceDetectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model file could not be found or read (the detail names the path and the fix).
    case modelFile(String)
    /// The model file parsed but is not dlib's MMOD detector network (the detail names what was found).
    case invalidModel(String)
    /// The image has no pixels.
    case emptyImage
    /// The image is larger than the detector accepts (its tiled pyramid would need too much memory).
    case imageTooLarge(width: Int, height: Int, maxPixels: Int)
    /// An option is out of range (the detail names it).
    case invalidOptions(String)

    public var description: String {
        switch self {
        case .modelFile(let d): return "face detector model: \(d)"
        case .invalidModel(let d): return "face detector model is not dlib's MMOD face detector: \(d)"
        case .emptyImage: return "face detection: the image is empty (0 pixels)"
        case .imageTooLarge(let w, let h, let m):
            return
                "face detection: the image is \(w)×\(h) pixels, more than the \(m) the detector accepts; downscale it first"
        case .invalidOptions(let d): return "face detection options: \(d)"
        }
    }
}

/// No usable face could be acquired from a frame (a failure-to-acquire in ISO/IEC 19795-1 terms).
package enum FaceAcquisitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The detector found no face at or above the minimum face size.
    /// - Parameters: the frame size (pixels), the minimum face size searched (pixels), the pyramid levels searched.
    case noFace(imageWidth: Int, imageHeight: Int, minimumFaceSize: Int, levels: ClosedRange<Int>?)

    package var description: String {
        switch self {
        case .noFace(let w, let h, let m, let levels):
            let searched = levels.map { "pyramid levels \($0.lowerBound)…\($0.upperBound)" } ?? "no pyramid level"
            return
                "no face found in the \(w)×\(h) frame (faces of at least \(m) px searched, \(searched)); ask the person to face the camera"
        }
    }
}
