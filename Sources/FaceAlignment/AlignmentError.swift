import NeuralCore

/// A failure of the landmark or alignment stage. Each case says what was wrong and where.
public enum AlignmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A landmark set did not hold the expected number of points (5, or 68 for a ``FaceShape``).
    case wrongLandmarkCount(Int)
    /// The shape-predictor file is missing from its folder or unreadable.
    case missingModel(ModelFileError)
    /// The shape-predictor file could not be read from disk.
    case unreadableModel(path: String, reason: String)
    /// The shape-predictor file is not a valid dlib `shape_predictor` serialization.
    case invalidModel(DlibFormatError)
    /// The shape-predictor file is well formed but its content is not a usable 5- or 68-point predictor (or not the one asked for).
    case unsupportedModel(String)
    /// A chip size or padding outside the accepted range (size 1…4096 pixels, padding 0…10, finite).
    case invalidChipParameters(size: Int, padding: Double)
    /// Chip details whose rectangle or angle is not finite, is empty, or is absurdly large.
    case invalidChipDetails(String)

    public var description: String {
        switch self {
        case .wrongLandmarkCount(let n):
            return "face landmarks must have exactly 5 (or 68) points, got \(n)"
        case .missingModel(let error):
            return "shape predictor: \(error)"
        case .unreadableModel(let path, let reason):
            return "cannot read the shape predictor at \(path): \(reason)"
        case .invalidModel(let error):
            return "the shape predictor file is invalid: \(error)"
        case .unsupportedModel(let detail):
            return "the shape predictor file is not a supported 5- or 68-point predictor: \(detail)"
        case .invalidChipParameters(let size, let padding):
            return
                "invalid face chip parameters: size \(size) (must be 1…4096 pixels), padding \(padding) (must be 0…10)"
        case .invalidChipDetails(let detail):
            return "invalid face chip details: \(detail)"
        }
    }
}
