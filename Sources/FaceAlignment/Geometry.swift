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
///
/// The points are stored inline, so a landmark set is made, copied and read through
/// ``subscript(_:)`` without a heap allocation.
public struct FaceLandmarks: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The number of points in a 5-point shape.
    public static let count = 5

    /// Five points in a row, as ``points`` lists them.
    typealias Storage = (LandmarkPoint, LandmarkPoint, LandmarkPoint, LandmarkPoint, LandmarkPoint)

    private let storage: Storage

    /// The five points, in dlib's order, as a new array (``subscript(_:)`` reads one point without one).
    public var points: [LandmarkPoint] { [storage.0, storage.1, storage.2, storage.3, storage.4] }

    /// Creates landmarks from exactly five points in dlib's order.
    /// - Throws: ``AlignmentError/wrongLandmarkCount(_:)`` when `points.count != 5`.
    public init(_ points: [LandmarkPoint]) throws(AlignmentError) {
        guard points.count == Self.count else { throw .wrongLandmarkCount(points.count) }
        self.init(points: (points[0], points[1], points[2], points[3], points[4]))
    }

    /// Creates landmarks from five `(x, y)` pixel pairs in dlib's order.
    /// - Throws: ``AlignmentError/wrongLandmarkCount(_:)`` when `pairs.count != 5`.
    public init(pairs: [(Int, Int)]) throws(AlignmentError) {
        try self.init(pairs.map { LandmarkPoint(x: $0.0, y: $0.1) })
    }

    /// Decodes five points, rejecting any other count.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode([LandmarkPoint].self))
    }

    /// Encodes the five points as an array of `{x, y}` objects.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(points)
    }

    /// Creates landmarks from the five points in dlib's order.
    init(points: Storage) {
        self.storage = points
    }

    /// The `i`-th point (0…4; any other index traps).
    public subscript(_ i: Int) -> LandmarkPoint {
        switch i {
        case 0: storage.0
        case 1: storage.1
        case 2: storage.2
        case 3: storage.3
        case 4: storage.4
        default: fatalError("landmark index \(i) outside 0…4")
        }
    }

    /// Two landmark sets are equal when their five points are, in order.
    public static func == (a: FaceLandmarks, b: FaceLandmarks) -> Bool {
        a.storage.0 == b.storage.0 && a.storage.1 == b.storage.1 && a.storage.2 == b.storage.2
            && a.storage.3 == b.storage.3 && a.storage.4 == b.storage.4
    }

    /// Hashes the five points in order.
    public func hash(into hasher: inout Hasher) {
        for i in 0..<Self.count { hasher.combine(self[i]) }
    }

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
