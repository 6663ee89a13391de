import FaceImaging
import Foundation

/// Where and how to cut a face chip out of an image: dlib's `chip_details` for a square chip.
///
/// The chip's pixel `(0, 0)` lands on the rectangle's top-left corner and `(size − 1, size − 1)` on
/// its bottom-right corner, after rotating the rectangle by `angle` about its centre.
package struct ChipDetails: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Left edge of the (unrotated) chip rectangle in image pixels (inclusive convention, may be fractional).
    package var left: Double
    /// Top edge (pixels).
    package var top: Double
    /// Right edge, inclusive (pixels).
    package var right: Double
    /// Bottom edge, inclusive (pixels).
    package var bottom: Double
    /// Rotation of the rectangle about its centre, in radians (positive turns image x towards image y).
    package var angle: Double
    /// Side of the square chip (pixels).
    package var size: Int

    /// Creates chip details from a rectangle (pixels), an angle (radians) and a chip side (pixels).
    package init(left: Double, top: Double, right: Double, bottom: Double, angle: Double, size: Int) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
        self.angle = angle
        self.size = size
    }

    var rect: DRect { DRect(left: left, top: top, right: right, bottom: bottom) }

    package var description: String {
        "chip \(size)×\(size) from [(\(left), \(top)) (\(right), \(bottom))] at \(angle) rad"
    }
}

/// dlib's face alignment: `get_face_chip_details` and `extract_image_chip`, byte-identical to dlib.
package enum FaceChip {
    /// dlib's 5-point template (normalised chip coordinates of the landmarks, in dlib's order).
    static let template: [(Double, Double)] = [
        (0.8595674595992, 0.2134981538014),
        (0.6460604764104, 0.2289674387677),
        (0.1205750620789, 0.2137274526848),
        (0.3340850613712, 0.2290642403242),
        (0.4901123135679, 0.6277975316475),
    ]

    /// The largest chip side accepted (pixels).
    package static let maximumSize = 4096

    /// dlib's `get_face_chip_details(det, size, padding)` for five landmarks.
    ///
    /// Each template point becomes the chip point `(padding + p) / (1 + 2·padding) · size`; the
    /// least-squares similarity (Umeyama) from those chip points to the landmarks gives the angle
    /// (`atan2` of `M·(1, 0)`) and scale `s = |M·(1, 0)|`, and the rectangle is
    /// `centered_drect(M·(size/2, size/2) + t, size·s, size·s)` (dlib's `centered_drect` subtracts 1
    /// from width and height).
    ///
    /// - Parameters:
    ///   - landmarks: the five landmarks from ``ShapePredictor/landmarks(in:face:)`` (pixels).
    ///   - size: the chip side in pixels (1…4096); 150 for the ResNet embedder.
    ///   - padding: extra border as a fraction of the template face (0…10); 0.25 for the embedder.
    /// - Throws: ``AlignmentError/invalidChipParameters(size:padding:)`` for a size or padding out of range.
    package static func details(for landmarks: FaceLandmarks, size: Int = 150, padding: Double = 0.25)
        throws(AlignmentError) -> ChipDetails
    {
        guard (1...maximumSize).contains(size), padding.isFinite, padding >= 0, padding <= 10 else {
            throw .invalidChipParameters(size: size, padding: padding)
        }
        let n = FaceLandmarks.count
        let s = Double(size)
        // dlib evaluates `(padding + p) / (2·padding + 1)` as a matrix expression, i.e. multiplication by the
        // reciprocal, then scales the point by `size`.
        let reciprocal = 1 / (2 * padding + 1)
        // The interleaved chip points and landmarks, in a scoped (stack) buffer.
        let m = withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * n) { buffer in
            let from = UnsafeMutableBufferPointer(rebasing: buffer[0..<(2 * n)])
            let to = UnsafeMutableBufferPointer(rebasing: buffer[(2 * n)..<(4 * n)])
            for i in 0..<n {
                from[2 * i] = (padding + template[i].0) * reciprocal * s
                from[2 * i + 1] = (padding + template[i].1) * reciprocal * s
                to[2 * i] = Double(landmarks[i].x)
                to[2 * i + 1] = Double(landmarks[i].y)
            }
            return dlibSimilarityTransform(from: UnsafeBufferPointer(from), to: UnsafeBufferPointer(to), count: n)
        }
        // p = M·(1, 0)
        let px = m.m00 * 1 + m.m01 * 0
        let py = m.m10 * 1 + m.m11 * 0
        let angle = atan2(py, px)
        let scale = (px * px + py * py).squareRoot()
        let (cx, cy) = m.apply(s / 2.0, s / 2.0)
        let w = s * scale - 1
        let h = s * scale - 1
        return ChipDetails(
            left: cx - w / 2, top: cy - h / 2, right: cx + w / 2, bottom: cy + h / 2,
            angle: angle, size: size)
    }

    /// dlib's `extract_image_chip(img, details, chip)` with bilinear interpolation.
    ///
    /// Chip pixels `(0, 0)`, `(size − 1, 0)` and `(0, size − 1)` map exactly onto the rotated
    /// rectangle's corners; each chip pixel is sampled bilinearly, **truncated** to 8 bits, and is
    /// black where its 2×2 neighbourhood leaves the image. When the rectangle is large compared with
    /// the chip (`rect_down(rect).area > size²`, i.e. wider than about 2·size + 4 pixels), the image
    /// is first reduced with `pyramid_down<2>` (on the crop dlib uses) as many times as dlib does.
    ///
    /// - Parameters:
    ///   - image: an RGB or greyscale image; the chip has the same number of channels.
    ///   - details: from ``details(for:size:padding:)``.
    /// - Returns: a `size × size` chip (only when `angle == 0` and the rectangle is exactly
    ///   `size × size` does dlib copy the rounded rectangle instead, which is what this does too).
    /// - Throws: ``AlignmentError/invalidChipDetails(_:)`` when the rectangle or angle is not finite,
    ///   the rectangle is empty or its edges exceed ±10⁷ pixels, or the size is outside 1…4096.
    package static func extract(from image: Image, details: ChipDetails) throws(AlignmentError) -> Image {
        let size = details.size
        guard (1...maximumSize).contains(size) else {
            throw .invalidChipDetails("size \(size) outside 1…\(maximumSize)")
        }
        let limit = 1.0e7
        func checkEdge(_ v: Double) throws(AlignmentError) {
            guard v.isFinite, abs(v) <= limit else {
                throw .invalidChipDetails("rectangle edge \(v) is not finite or exceeds ±\(limit) pixels")
            }
        }
        try checkEdge(details.left)
        try checkEdge(details.top)
        try checkEdge(details.right)
        try checkEdge(details.bottom)
        guard details.angle.isFinite else { throw .invalidChipDetails("angle \(details.angle) is not finite") }
        let chipRect = details.rect
        guard !chipRect.isEmpty else { throw .invalidChipDetails("empty rectangle \(details)") }
        let ch = image.channels
        let chipArea = Double(size * size)

        // Fast copy when there is neither rotation nor scaling.
        if details.angle == 0, Double(size) == chipRect.height, Double(size) == chipRect.width {
            return basicExtract(
                image, left: lround(details.left), top: lround(details.top),
                right: lround(details.right), bottom: lround(details.bottom))
        }

        // Pyramid depth and the crop dlib works on.
        var depth = 0
        var grow = 2.0
        var down = PyramidDown2.rectDown(chipRect)
        while down.area > chipArea {
            down = PyramidDown2.rectDown(down)
            depth += 1
            grow = grow * 2 + 2
        }
        let centre = chipRect.center
        let cosA = cos(details.angle)
        let sinA = sin(details.angle)
        func rotate(_ c: (Double, Double), _ p: (Double, Double)) -> (Double, Double) {
            let dx = p.0 - c.0
            let dy = p.1 - c.1
            let x = cosA * dx - sinA * dy
            let y = sinA * dx + cosA * dy
            return (x + c.0, y + c.1)
        }
        let rotated = DRect.empty
            .union(DRect(point: rotate(centre, (chipRect.left, chipRect.top))))
            .union(DRect(point: rotate(centre, (chipRect.right, chipRect.top))))
            .union(DRect(point: rotate(centre, (chipRect.left, chipRect.bottom))))
            .union(DRect(point: rotate(centre, (chipRect.right, chipRect.bottom))))
        let imageRect = DRect(left: 0, top: 0, right: Double(image.width - 1), bottom: Double(image.height - 1))
        let grown = rotated.grown(by: grow).intersect(imageRect)
        // rectangle += drectangle: lround of each edge; an empty result leaves dlib's empty rectangle.
        var box = (
            left: lround(grown.left), top: lround(grown.top), right: lround(grown.right), bottom: lround(grown.bottom)
        )
        if box.right < box.left || box.bottom < box.top { box = (0, 0, -1, -1) }

        // Which level to sample from, and the rectangle in that level's coordinates.
        var rect = DRect(
            left: chipRect.left + Double(-box.left), top: chipRect.top + Double(-box.top),
            right: chipRect.right + Double(-box.left), bottom: chipRect.bottom + Double(-box.top))
        var level = -1
        while PyramidDown2.rectDown(rect).area > chipArea {
            level += 1
            rect = PyramidDown2.rectDown(rect)
        }
        // Sample from the crop itself (a window of the image) or from a pyramid level built on it.
        var source = image
        var window = (
            x: max(box.left, 0), y: max(box.top, 0), width: box.right - box.left + 1, height: box.bottom - box.top + 1
        )
        if level >= 0 {
            source = PyramidDown2.apply(
                image, x0: window.x, y0: window.y, width: window.width, height: window.height,
                levels: level + 1)
            window = (0, 0, source.width, source.height)
        }

        // The affine from chip corners (0,0), (size−1,0), (0,size−1) to the rotated rect corners, solved as dlib does.
        let c = rect.center
        let last = Double(size - 1)
        let map = dlibAffineTransform(
            from: ((0, 0), (last, 0), (0, last)),
            to: (
                rotate(c, (rect.left, rect.top)), rotate(c, (rect.right, rect.top)), rotate(c, (rect.left, rect.bottom))
            ))
        return sampleBilinear(source, window: window, size: size, map: map, channels: ch)
    }

    /// dlib's `transform_image` with `interpolate_bilinear` and a black background.
    /// `window` is the sub-image (dlib's `sub_image`) that chip coordinates refer to: `(x, y)` is its
    /// top-left pixel in `src`, and sampling outside it is black.
    private static func sampleBilinear(
        _ src: Image, window: (x: Int, y: Int, width: Int, height: Int), size: Int,
        map: Affine2D, channels ch: Int
    ) -> Image {
        var out = [UInt8](repeating: 0, count: size * size * ch)
        let w = window.width
        let h = window.height
        let stride = src.width * ch
        let base = window.y * stride + window.x * ch
        src.pixels.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<size {
                    for c in 0..<size {
                        let (x, y) = map.apply(Double(c), Double(r))
                        let fl = x.rounded(.down)
                        let ft = y.rounded(.down)
                        // Outside (including NaN): keep black.
                        guard fl >= 0, ft >= 0, fl + 1 < Double(w), ft + 1 < Double(h) else { continue }
                        let left = Int(fl)
                        let top = Int(ft)
                        let lr = x - Double(left)
                        let tb = y - Double(top)
                        let o00 = base + top * stride + left * ch
                        let o01 = o00 + ch
                        let o10 = o00 + stride
                        let o11 = o10 + ch
                        let d = (r * size + c) * ch
                        for k in 0..<ch {
                            let tl = Double(px[o00 + k])
                            let tr = Double(px[o01 + k])
                            let bl = Double(px[o10 + k])
                            let br = Double(px[o11 + k])
                            let v = (1 - tb) * ((1 - lr) * tl + lr * tr) + tb * ((1 - lr) * bl + lr * br)
                            dst[d + k] = truncateToByte(v)
                        }
                    }
                }
            }
        }
        return Image(width: size, height: size, channels: ch, pixels: out)
    }

    /// C's `static_cast<unsigned char>(double)` for values in the bilinear range: truncation toward zero.
    @inline(__always)
    private static func truncateToByte(_ v: Double) -> UInt8 {
        let t = v.rounded(.towardZero)
        return t <= 0 ? 0 : (t >= 255 ? 255 : UInt8(t))
    }

    /// dlib's `basic_extract_image_chip`: copy the integer rectangle, black where it leaves the image.
    private static func basicExtract(_ image: Image, left: Int, top: Int, right: Int, bottom: Int) -> Image {
        let ch = image.channels
        let w = max(0, right - left + 1)
        let h = max(0, bottom - top + 1)
        var out = [UInt8](repeating: 0, count: w * h * ch)
        let x0 = max(left, 0)
        let x1 = min(right, image.width - 1)
        let y0 = max(top, 0)
        let y1 = min(bottom, image.height - 1)
        if x0 <= x1, y0 <= y1 {
            image.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in y0...y1 {
                        for x in x0...x1 {
                            for k in 0..<ch {
                                dst[((y - top) * w + (x - left)) * ch + k] = src[(y * image.width + x) * ch + k]
                            }
                        }
                    }
                }
            }
        }
        return Image(width: w, height: h, channels: ch, pixels: out)
    }
}
