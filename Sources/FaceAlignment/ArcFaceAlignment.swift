import FaceImaging

/// A 2-D similarity transform `p ↦ s·R·p + t`, stored as `[[a, −b, tx], [b, a, ty]]` (`a = s·cos θ`, `b = s·sin θ`).
package struct SimilarityTransform2D: Sendable, Equatable {
    package var a: Double, b: Double, tx: Double, ty: Double

    package init(a: Double, b: Double, tx: Double, ty: Double) {
        self.a = a
        self.b = b
        self.tx = tx
        self.ty = ty
    }

    /// The 2×3 matrix, row-major: `[a, −b, tx, b, a, ty]`.
    package var matrix: [Double] { [a, -b, tx, b, a, ty] }

    /// The scale `s` (output pixels per input pixel).
    package var scale: Double { (a * a + b * b).squareRoot() }

    /// Maps a point.
    @inline(__always)
    package func apply(_ x: Double, _ y: Double) -> (Double, Double) {
        (a * x - b * y + tx, b * x + a * y + ty)
    }

    /// The inverse transform (nil when the scale is zero or not finite).
    package var inverse: SimilarityTransform2D? {
        let d = a * a + b * b
        guard d.isFinite, d > 0 else { return nil }
        let ia = a / d
        let ib = -b / d
        return SimilarityTransform2D(a: ia, b: ib, tx: -(ia * tx - ib * ty), ty: -(ib * tx + ia * ty))
    }

    /// The least-squares similarity transform taking `source[i]` to `target[i]` (Umeyama 1991, no reflection —
    /// what scikit-image's `SimilarityTransform.estimate` computes), in its closed 2-D form: with both point sets
    /// centred, `a = Σ(xs·xt + ys·yt) / Σ|ps|²` and `b = Σ(xs·yt − ys·xt) / Σ|ps|²`, then `t = μt − [[a, −b], [b, a]]·μs`.
    ///
    /// - Returns: nil for fewer than two points, different counts, or points that are all the same.
    package static func estimate(from source: [SIMD2<Double>], to target: [SIMD2<Double>]) -> SimilarityTransform2D? {
        let n = source.count
        guard n >= 2, target.count == n else { return nil }
        var ms = SIMD2<Double>()
        var mt = SIMD2<Double>()
        for i in 0..<n {
            ms += source[i]
            mt += target[i]
        }
        ms /= Double(n)
        mt /= Double(n)
        var p = 0.0
        var q = 0.0
        var v = 0.0
        for i in 0..<n {
            let s = source[i] - ms
            let t = target[i] - mt
            p += s.x * t.x + s.y * t.y
            q += s.x * t.y - s.y * t.x
            v += s.x * s.x + s.y * s.y
        }
        guard v.isFinite, v > 0 else { return nil }
        let a = p / v
        let b = q / v
        let result = SimilarityTransform2D(
            a: a, b: b, tx: mt.x - (a * ms.x - b * ms.y), ty: mt.y - (b * ms.x + a * ms.y))
        guard result.matrix.allSatisfy(\.isFinite) else { return nil }
        return result
    }
}

/// The alignment of the ArcFace family (insightface's `norm_crop`): five points — eye centres, nose tip, mouth
/// corners — mapped by a least-squares similarity onto the standard 112×112 template, then a bilinear warp.
package enum ArcFaceAlignment {
    /// The standard template for a 112×112 input (pixels; image-left eye, image-right eye, nose tip, image-left
    /// mouth corner, image-right mouth corner).
    package static let template112: [SIMD2<Double>] = [
        SIMD2(38.2946, 51.6963), SIMD2(73.5318, 51.5014), SIMD2(56.0252, 71.7366), SIMD2(41.5493, 92.3655),
        SIMD2(70.7299, 92.2041),
    ]

    /// The largest input side accepted (pixels).
    package static let maximumSize = 1024

    /// The template for a `width × height` input: ``template112`` scaled by `width/112` and `height/112`.
    package static func template(width: Int, height: Int) -> [SIMD2<Double>] {
        let k = SIMD2(Double(width) / 112, Double(height) / 112)
        return template112.map { $0 * k }
    }

    /// The five points from dlib's 68 landmarks (iBUG 300-W order), in the template's order: the mean of 36–41
    /// (eye on the image's left), the mean of 42–47, the nose tip 30, the mouth corners 48 and 54.
    /// - Throws: ``AlignmentError/wrongLandmarkCount(_:)`` unless there are exactly 68 points.
    package static func fivePoints(from shape: [LandmarkPoint]) throws(AlignmentError) -> [SIMD2<Double>] {
        guard shape.count == 68 else { throw .wrongLandmarkCount(shape.count) }
        func point(_ i: Int) -> SIMD2<Double> { SIMD2(Double(shape[i].x), Double(shape[i].y)) }
        func mean(_ r: ClosedRange<Int>) -> SIMD2<Double> { r.reduce(SIMD2<Double>()) { $0 + point($1) } / 6 }
        return [mean(36...41), mean(42...47), point(30), point(48), point(54)]
    }

    /// The similarity taking the five image points onto the template of a `width × height` input.
    /// - Throws: ``AlignmentError/invalidChipParameters(size:padding:)`` for a size outside 1…1024;
    ///   ``AlignmentError/invalidChipDetails(_:)`` for points that give no usable transform (all equal, not finite).
    package static func transform(points: [SIMD2<Double>], width: Int, height: Int) throws(AlignmentError)
        -> SimilarityTransform2D
    {
        guard (1...maximumSize).contains(width) else { throw .invalidChipParameters(size: width, padding: 0) }
        guard (1...maximumSize).contains(height) else { throw .invalidChipParameters(size: height, padding: 0) }
        guard points.count == 5 else { throw .wrongLandmarkCount(points.count) }
        guard let t = SimilarityTransform2D.estimate(from: points, to: template(width: width, height: height)),
            t.scale > 1e-6, t.scale < 1e6
        else { throw .invalidChipDetails("the five ArcFace points give no usable similarity transform") }
        return t
    }

    /// Warps `image` by `transform` (image pixels → output pixels) into a `width × height` image with its channels.
    ///
    /// Each output pixel `(u, v)` samples the image at `transform⁻¹(u, v)` (pixel centres at integer coordinates) by
    /// bilinear interpolation in double precision; neighbours outside the image count as 0 (black), as
    /// `cv2.warpAffine`'s default border. The result is rounded to the nearest grey level (OpenCV quantises the
    /// sample position to 1/32 pixel, so its warp can differ by one level).
    /// - Throws: ``AlignmentError/invalidChipDetails(_:)`` when the transform cannot be inverted;
    ///   ``AlignmentError/invalidChipParameters(size:padding:)`` for a size outside 1…1024.
    package static func warp(_ image: Image, transform: SimilarityTransform2D, width: Int, height: Int)
        throws(AlignmentError) -> Image
    {
        guard (1...maximumSize).contains(width) else { throw .invalidChipParameters(size: width, padding: 0) }
        guard (1...maximumSize).contains(height) else { throw .invalidChipParameters(size: height, padding: 0) }
        guard let inv = transform.inverse else { throw .invalidChipDetails("the alignment transform is singular") }
        let c = image.channels
        let w = image.width
        let h = image.height
        var out = [UInt8](repeating: 0, count: width * height * c)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for v in 0..<height {
                    for u in 0..<width {
                        let (x, y) = inv.apply(Double(u), Double(v))
                        let x0f = x.rounded(.down)
                        let y0f = y.rounded(.down)
                        // Wholly outside (or not finite): stays 0.
                        guard x0f >= -1, y0f >= -1, x0f < Double(w), y0f < Double(h) else { continue }
                        let x0 = Int(x0f)
                        let y0 = Int(y0f)
                        let fx = x - x0f
                        let fy = y - y0f
                        let weights = (
                            (1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy
                        )
                        let in00 = x0 >= 0 && y0 >= 0
                        let in10 = x0 + 1 < w && y0 >= 0
                        let in01 = x0 >= 0 && y0 + 1 < h
                        let in11 = x0 + 1 < w && y0 + 1 < h
                        let base = (v * width + u) * c
                        for k in 0..<c {
                            var acc = 0.0
                            if in00 { acc += weights.0 * Double(src[(y0 * w + x0) * c + k]) }
                            if in10 { acc += weights.1 * Double(src[(y0 * w + x0 + 1) * c + k]) }
                            if in01 { acc += weights.2 * Double(src[((y0 + 1) * w + x0) * c + k]) }
                            if in11 { acc += weights.3 * Double(src[((y0 + 1) * w + x0 + 1) * c + k]) }
                            dst[base + k] = UInt8(min(255, max(0, (acc + 0.5).rounded(.down))))
                        }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }

    /// Aligns the face whose 68 landmarks are `shape` to a `width × height` ArcFace input.
    /// - Throws: as ``fivePoints(from:)``, ``transform(points:width:height:)`` and ``warp(_:transform:width:height:)``.
    package static func align(_ image: Image, shape: [LandmarkPoint], width: Int = 112, height: Int = 112)
        throws(AlignmentError) -> Image
    {
        let t = try transform(points: try fivePoints(from: shape), width: width, height: height)
        return try warp(image, transform: t, width: width, height: height)
    }
}
