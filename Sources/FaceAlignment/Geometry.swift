// The small geometric value types of the alignment stage: dlib's integer `rectangle`, integer
// landmark points, and the double-precision helpers (similarity and affine transforms) that
// reproduce dlib's `point_transforms.h` arithmetic.

import FaceImaging

/// A face box: inclusive pixel corners, like dlib's `rectangle` — the same type the detector reports.
public typealias FaceRect = PixelRect

/// One landmark: an integer pixel position, like dlib's `point` (rounded with `floor(v + 0.5)`).
public struct LandmarkPoint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Column (pixels).
    public var x: Int
    /// Row (pixels).
    public var y: Int

    /// Creates a point from its pixel coordinates.
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }

    public var description: String { "(\(x), \(y))" }
}

/// The five landmarks of dlib's `shape_predictor_5_face_landmarks`, in dlib's order:
/// 0–1 the eye on the image's right side (outer corner, inner corner), 2–3 the eye on the image's
/// left side (outer corner, inner corner), 4 the base of the nose. Coordinates are image pixels.
public struct FaceLandmarks: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The number of points in a 5-point shape.
    public static let count = 5

    /// The five points, in dlib's order.
    public let points: [LandmarkPoint]

    /// Creates landmarks from exactly five points in dlib's order.
    /// - Throws: ``AlignmentError/wrongLandmarkCount(_:)`` when `points.count != 5`.
    public init(_ points: [LandmarkPoint]) throws(AlignmentError) {
        guard points.count == Self.count else { throw .wrongLandmarkCount(points.count) }
        self.points = points
    }

    /// Creates landmarks from five `(x, y)` pixel pairs in dlib's order.
    /// - Throws: ``AlignmentError/wrongLandmarkCount(_:)`` when `pairs.count != 5`.
    public init(pairs: [(Int, Int)]) throws(AlignmentError) {
        try self.init(pairs.map { LandmarkPoint(x: $0.0, y: $0.1) })
    }

    /// Decodes five points, rejecting any other count.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let points = try container.decode([LandmarkPoint].self)
        guard points.count == Self.count else { throw AlignmentError.wrongLandmarkCount(points.count) }
        self.points = points
    }

    /// Encodes the five points as an array of `{x, y}` objects.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(points)
    }

    /// Internal initializer for a shape whose count is already known to be five.
    init(unchecked points: [LandmarkPoint]) {
        self.points = points
    }

    /// The `i`-th point (0…4).
    public subscript(_ i: Int) -> LandmarkPoint { points[i] }

    public var description: String { points.map(\.description).joined(separator: " ") }
}

// MARK: - dlib arithmetic helpers (internal)

/// A 2-D affine map `p ↦ M·p + b` in double precision, evaluated in dlib's order
/// (`(m00·x + m01·y) + b0`).
struct Affine2D: Sendable, Equatable {
    var m00, m01, m10, m11, b0, b1: Double

    @inline(__always)
    func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        ((m00 * x + m01 * y) + b0, (m10 * x + m11 * y) + b1)
    }
}

/// dlib's conversion of a double coordinate to an integer `point`: `floor(v + 0.5)`, clamped so that
/// absurd inputs cannot trap the conversion.
@inline(__always)
func dlibRound(_ v: Double) -> Int {
    let r = (v + 0.5).rounded(.down)
    if r.isNaN { return 0 }
    return Int(min(max(r, -4.0e15), 4.0e15))
}
