import FaceImaging

/// dlib's `pyramid_down<2>`: a 5×5 Gaussian ([1 4 6 4 1] ⊗ [1 4 6 4 1] / 256, integer arithmetic,
/// truncating division) followed by dropping every other row and column.
///
/// Output size: `(height − 3) / 2` rows × `(width − 3) / 2` columns (integer division); an input of
/// 8 or fewer rows or columns gives an empty image. Output pixel `(r, c)` is centred on input pixel
/// `(2r + 2, 2c + 2)`, so a point maps down as `p / 2 − (1.25, 0.75)` (dlib's `point_down`).
enum PyramidDown2 {
    /// Downsamples `input` by two (see the type's documentation for the exact sizes).
    static func apply(_ input: Image) -> Image {
        apply(input, x0: 0, y0: 0, width: input.width, height: input.height)
    }

    /// Downsamples the window of `input` with top-left `(x0, y0)` and the given size (which must lie
    /// inside the image) by two, as dlib does on a `sub_image`.
    static func apply(_ input: Image, x0: Int, y0: Int, width w: Int, height h: Int) -> Image {
        let ch = input.channels
        guard w > 8, h > 8 else { return Image(width: 0, height: 0, channels: ch) }
        let tw = (w - 3) / 2
        let outW = (w - 3) / 2, outH = (h - 3) / 2
        let srcStride = input.width * ch
        let rowLen = tw * ch
        // Row filter into a temporary of h rows × tw columns (sums ≤ 16·255, fit in UInt16).
        var temp = [UInt16](repeating: 0, count: h * rowLen)
        input.pixels.withUnsafeBufferPointer { src in
            temp.withUnsafeMutableBufferPointer { dst in
                for r in 0..<h {
                    let rowIn = (y0 + r) * srcStride + x0 * ch
                    let rowOut = r * rowLen
                    if ch == 3 {
                        for c in 0..<tw {
                            let o = rowIn + 6 * c
                            let d = rowOut + 3 * c
                            for k in 0..<3 {
                                let s = UInt16(src[o + k]) + 4 * UInt16(src[o + 3 + k]) + 6 * UInt16(src[o + 6 + k])
                                    + 4 * UInt16(src[o + 9 + k]) + UInt16(src[o + 12 + k])
                                dst[d + k] = s
                            }
                        }
                    } else {
                        for c in 0..<tw {
                            let o = rowIn + 2 * c
                            dst[rowOut + c] = UInt16(src[o]) + 4 * UInt16(src[o + 1]) + 6 * UInt16(src[o + 2])
                                + 4 * UInt16(src[o + 3]) + UInt16(src[o + 4])
                        }
                    }
                }
            }
        }
        // Column filter on every other row (sums ≤ 256·255 = 65280).
        var out = [UInt8](repeating: 0, count: outW * outH * ch)
        temp.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { dst in
                for dr in 0..<outH {
                    let b0 = 2 * dr * rowLen
                    let b1 = b0 + rowLen, b2 = b1 + rowLen, b3 = b2 + rowLen, b4 = b3 + rowLen
                    let o = dr * rowLen
                    for i in 0..<rowLen {
                        let s = UInt32(t[b0 + i]) + 4 * UInt32(t[b1 + i]) + 6 * UInt32(t[b2 + i])
                            + 4 * UInt32(t[b3 + i]) + UInt32(t[b4 + i])
                        dst[o + i] = UInt8(truncatingIfNeeded: s >> 8)
                    }
                }
            }
        }
        return Image(width: outW, height: outH, channels: ch, pixels: out)
    }

    /// dlib's `pyramid_down<2>::point_down`: `p / 2 − (1.25, 0.75)`.
    @inline(__always)
    static func pointDown(_ x: Double, _ y: Double) -> (Double, Double) {
        (x / 2.0 - 1.25, y / 2.0 - 0.75)
    }

    /// dlib's `rect_down`: both corners mapped down, then the bounding rectangle of the two.
    static func rectDown(_ r: DRect) -> DRect {
        let (x0, y0) = pointDown(r.left, r.top)
        let (x1, y1) = pointDown(r.right, r.bottom)
        return DRect(point: (x0, y0)).union(DRect(point: (x1, y1)))
    }
}

/// dlib's `drectangle`: double edges, inclusive convention (`width = right − left + 1`).
struct DRect: Sendable, Equatable {
    var left: Double, top: Double, right: Double, bottom: Double

    init(left: Double, top: Double, right: Double, bottom: Double) {
        self.left = left; self.top = top; self.right = right; self.bottom = bottom
    }
    /// The empty rectangle dlib default-constructs: (0, 0, −1, −1).
    static let empty = DRect(left: 0, top: 0, right: -1, bottom: -1)
    init(point p: (Double, Double)) { self.init(left: p.0, top: p.1, right: p.0, bottom: p.1) }

    var isEmpty: Bool { top > bottom || left > right }
    var width: Double { isEmpty ? 0 : right - left + 1 }
    var height: Double { isEmpty ? 0 : bottom - top + 1 }
    var area: Double { width * height }
    /// dlib's `center`: `((l + r) / 2, (t + b) / 2)`.
    var center: (Double, Double) { ((left + right) / 2.0, (top + bottom) / 2.0) }

    func union(_ o: DRect) -> DRect {
        if o.isEmpty { return self }
        if isEmpty { return o }
        return DRect(left: min(left, o.left), top: min(top, o.top), right: max(right, o.right), bottom: max(bottom, o.bottom))
    }
    func intersect(_ o: DRect) -> DRect {
        DRect(left: max(left, o.left), top: max(top, o.top), right: min(right, o.right), bottom: min(bottom, o.bottom))
    }
    func grown(by n: Double) -> DRect {
        DRect(left: left - n, top: top - n, right: right + n, bottom: bottom + n)
    }
}
