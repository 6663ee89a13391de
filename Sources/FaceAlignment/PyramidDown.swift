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
    /// inside the image) `levels` times (at least once), as dlib does on a `sub_image`.
    ///
    /// All levels are computed in place in the pixel array of the result (each level is smaller than the
    /// one before; see `downsample`) and need no other memory, so the returned pixels are the only
    /// allocation whatever the depth.
    static func apply(_ input: Image, x0: Int, y0: Int, width w: Int, height h: Int, levels: Int = 1) -> Image {
        precondition(levels >= 1, "at least one pyramid level")
        let ch = input.channels
        guard w > 8, h > 8 else { return Image(width: 0, height: 0, channels: ch) }
        var size = (width: (w - 3) / 2, height: (h - 3) / 2)
        let pixels = [UInt8](unsafeUninitializedCapacity: size.width * size.height * ch) { buffer, initialized in
            let dst = buffer.baseAddress!
            input.pixels.withUnsafeBufferPointer { src in
                let stride = input.width * ch
                downsample(
                    src.baseAddress! + y0 * stride + x0 * ch, stride: stride, width: w, height: h, channels: ch,
                    into: dst)
            }
            for _ in 1..<levels {
                guard size.width > 8, size.height > 8 else {
                    size = (0, 0)
                    break
                }
                downsample(
                    dst, stride: size.width * ch, width: size.width, height: size.height, channels: ch, into: dst)
                size = ((size.width - 3) / 2, (size.height - 3) / 2)
            }
            initialized = size.width * size.height * ch
        }
        return Image(width: size.width, height: size.height, channels: ch, pixels: pixels)
    }

    /// Column sums computed at a time by `downsample`: 512 UInt16 (1 KiB), a buffer small enough to
    /// always be on the stack.
    private static let sumsCapacity = 512

    /// One `pyramid_down<2>` step of the `width × height` image at `src` (rows `stride` samples apart,
    /// both sizes above 8) into packed rows at `dst`.
    ///
    /// Output pixel `(r, c)` is the [1 4 6 4 1] row filter of the [1 4 6 4 1] column sums of input
    /// columns `2c … 2c + 4` over rows `2r … 2r + 4` (a column sum is at most 16·255, so UInt16 holds
    /// it), shifted right by 8: the same integers, hence the same bytes, as dlib's rows-then-columns
    /// order. Each output row goes in chunks of pixels whose `2n + 3` input columns' sums fit a small
    /// stack buffer.
    ///
    /// `dst` may be `src` (with `stride = width · channels`): output sample `i` of row `r` lies before
    /// input row `2r` for `r ≥ 1`; in row 0 it is input sample `i` of row 0 itself, which the chunk
    /// holding output column `c` has read (its input columns start at `2c`) before writing it, and
    /// later chunks start reading beyond it.
    private static func downsample(
        _ src: UnsafePointer<UInt8>, stride: Int, width w: Int, height h: Int, channels ch: Int,
        into dst: UnsafeMutablePointer<UInt8>
    ) {
        let outW = (w - 3) / 2
        let outH = (h - 3) / 2
        let chunk = (sumsCapacity / ch - 3) / 2  // output pixels per chunk
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: sumsCapacity) { sums in
            for r in 0..<outH {
                let p0 = src + 2 * r * stride
                let p1 = p0 + stride
                let p2 = p1 + stride
                let p3 = p2 + stride
                let p4 = p3 + stride
                let out = dst + r * outW * ch
                var c0 = 0
                while c0 < outW {
                    let n = min(chunk, outW - c0)
                    let first = 2 * c0 * ch
                    for i in 0..<((2 * n + 3) * ch) {
                        let j = first + i
                        sums[i] =
                            UInt16(p0[j]) + 4 * UInt16(p1[j]) + 6 * UInt16(p2[j]) + 4 * UInt16(p3[j]) + UInt16(p4[j])
                    }
                    let o = out + c0 * ch
                    if ch == 3 {
                        for c in 0..<n {
                            let b = 6 * c
                            for k in 0..<3 {
                                let s =
                                    UInt32(sums[b + k]) + 4 * UInt32(sums[b + 3 + k]) + 6 * UInt32(sums[b + 6 + k])
                                    + 4 * UInt32(sums[b + 9 + k]) + UInt32(sums[b + 12 + k])
                                o[3 * c + k] = UInt8(truncatingIfNeeded: s >> 8)
                            }
                        }
                    } else {
                        for c in 0..<n {
                            let b = 2 * c
                            let s =
                                UInt32(sums[b]) + 4 * UInt32(sums[b + 1]) + 6 * UInt32(sums[b + 2])
                                + 4 * UInt32(sums[b + 3]) + UInt32(sums[b + 4])
                            o[c] = UInt8(truncatingIfNeeded: s >> 8)
                        }
                    }
                    c0 += n
                }
            }
        }
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
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
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
        return DRect(
            left: min(left, o.left), top: min(top, o.top), right: max(right, o.right), bottom: max(bottom, o.bottom))
    }
    func intersect(_ o: DRect) -> DRect {
        DRect(left: max(left, o.left), top: max(top, o.top), right: min(right, o.right), bottom: min(bottom, o.bottom))
    }
    func grown(by n: Double) -> DRect {
        DRect(left: left - n, top: top - n, right: right + n, bottom: bottom + n)
    }
}
