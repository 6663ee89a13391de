/// An integer rectangle with inclusive corners, in pixels — dlib's `rectangle` (width = right − left + 1).
///
/// The one box type of the pipeline: the detector reports faces with it, the landmark predictor and the
/// quality gate take it (FaceAlignment calls it `FaceRect`), and the pyramid layout uses it for tiles.
public struct PixelRect: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Left column (pixels, inclusive).
    public var left: Int
    /// Top row (pixels, inclusive).
    public var top: Int
    /// Right column (pixels, inclusive).
    public var right: Int
    /// Bottom row (pixels, inclusive).
    public var bottom: Int

    /// Creates a rectangle from inclusive corners, as `dlib.rectangle(left, top, right, bottom)`.
    public init(left: Int, top: Int, right: Int, bottom: Int) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    /// `right − left + 1`, or 0 when empty (pixels; wrapping arithmetic, so absurd boxes never trap).
    public var width: Int { right < left ? 0 : right &- left &+ 1 }
    /// `bottom − top + 1`, or 0 when empty (pixels).
    public var height: Int { bottom < top ? 0 : bottom &- top &+ 1 }
    /// `width · height` (pixels²).
    public var area: Int { width &* height }
    /// True when the rectangle holds no pixel (dlib's `is_empty`).
    public var isEmpty: Bool { right < left || bottom < top }

    /// The common part (may be empty).
    public func intersection(_ o: PixelRect) -> PixelRect {
        PixelRect(
            left: max(left, o.left), top: max(top, o.top), right: min(right, o.right), bottom: min(bottom, o.bottom))
    }

    /// The smallest rectangle holding both (dlib's `a + b`).
    public func union(_ o: PixelRect) -> PixelRect {
        if isEmpty { return o }
        if o.isEmpty { return self }
        return PixelRect(
            left: min(left, o.left), top: min(top, o.top), right: max(right, o.right), bottom: max(bottom, o.bottom))
    }

    /// True when pixel (x, y) lies inside.
    public func contains(x: Int, y: Int) -> Bool { x >= left && x <= right && y >= top && y <= bottom }

    public var description: String { "[\(left), \(top), \(right), \(bottom)]" }
}
