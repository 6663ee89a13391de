import Foundation
import FaceImaging

/// The geometry of dlib's tiled image pyramid (`compute_tiled_image_pyramid_details` with `pyramid_down<6>`):
/// level 0 is the image, each next level `floor(5/6 ·)` of the previous one in both axes, down to the last
/// level at least 5 rows high; levels are stacked in a first column under the image and then, right-aligned,
/// upward in a second column; `padding` pixels between tiles and `outerPadding` around.
struct PyramidLayout: Sendable, Equatable {
    /// One rectangle per level, in tensor coordinates.
    let rects: [PixelRect]
    /// Tensor rows and columns.
    let rows: Int
    let columns: Int

    init(imageRows: Int, imageColumns: Int, padding: Int, outerPadding: Int) {
        var sizes: [(w: Int, h: Int)] = []
        var nr = imageRows, nc = imageColumns
        guard nr > 0, nc > 0 else { rects = []; rows = 0; columns = 0; return }
        sizes.append((nc, nr))
        let rate = 5.0 / 6.0
        while true {
            nr = Int((rate * Double(nr)).rounded(.down))
            nc = Int((rate * Double(nc)).rounded(.down))
            if nr * nc == 0 || nr < 5 { break }
            sizes.append((nc, nr))
        }
        var totalHeight = 0
        for s in sizes { totalHeight += s.h + padding }
        totalHeight -= padding * 2
        var height = 0, prevWidth = 0
        let w0 = sizes[0].w, h0 = sizes[0].h
        for s in sizes {
            if s.w <= w0 - prevWidth - padding && (height - h0) * 2 >= (totalHeight - h0) { break }
            height += s.h + padding
            prevWidth = s.w
        }
        height -= padding
        rows = height + outerPadding * 2
        columns = w0 + outerPadding * 2
        var out: [PixelRect] = []
        var y = outerPadding
        var i = 0
        while y < height + outerPadding && i < sizes.count {
            out.append(PixelRect(left: outerPadding, top: y, right: outerPadding + sizes[i].w - 1, bottom: y + sizes[i].h - 1))
            y += sizes[i].h + padding
            i += 1
        }
        y -= padding
        while i < sizes.count {
            let r = outerPadding + w0 - 1, b = y - 1
            // dlib builds rectangle(p1, p1 − br_corner) with br_corner = (w − 1, h − 1).
            let fixed = PixelRect(left: r - (sizes[i].w - 1), top: b - (sizes[i].h - 1), right: r, bottom: b)
            if !out[0].intersection(fixed).isEmpty { break }
            out.append(fixed)
            y -= sizes[i].h + padding
            i += 1
        }
        rects = out
    }

    /// dlib's `nearest_rect`: the first level containing the point, else the nearest one.
    func nearestLevel(x: Int, y: Int) -> Int {
        var best = 0
        var bestDistance = Double.infinity
        for (i, r) in rects.enumerated() {
            if r.contains(x: x, y: y) { return i }
            let nx = min(max(x, r.left), r.right), ny = min(max(y, r.top), r.bottom)
            let dx = Double(nx - x), dy = Double(ny - y)
            let d = (dx * dx + dy * dy).squareRoot()
            if d < bestDistance { bestDistance = d; best = i }
        }
        return best
    }

    /// Maps a tensor-space rectangle (doubles) back to the image (`tiled_pyramid_to_image` + `lround`).
    func tensorToImage(left: Double, top: Double, right: Double, bottom: Double) -> (level: Int, rect: PixelRect) {
        let cx = (left + right) / 2, cy = (top + bottom) / 2
        let level = nearestLevel(x: Int((cx + 0.5).rounded(.down)), y: Int((cy + 0.5).rounded(.down)))
        let ox = Double(rects[level].left), oy = Double(rects[level].top)
        var l = left - ox, t = top - oy, r = right - ox, b = bottom - oy
        let ratio = 6.0 / 5.0
        for _ in 0..<level {
            l = l * ratio + 0.3; t = t * ratio + 0.3
            r = r * ratio + 0.3; b = b * ratio + 0.3
        }
        return (level, PixelRect(left: Int(l.rounded(.toNearestOrAwayFromZero)), top: Int(t.rounded(.toNearestOrAwayFromZero)),
                                 right: Int(r.rounded(.toNearestOrAwayFromZero)), bottom: Int(b.rounded(.toNearestOrAwayFromZero))))
    }
}

/// Builds the tiled pyramid tensor (3 planes of `geometry`, zero outside the tiles):
/// level 0 is `(pixel − mean)/256`, every next level is dlib's float bilinear `resize_image` of the previous
/// tile (the SIMD path of `interpolation.h`, reproduced operation for operation).
///
/// Levels are built one after another (each reads the previous one); inside a level the rows are split
/// between the cores, all three planes per row. The column positions and weights of a level are the same
/// for every row, so they are computed once per level (``ColumnTable``), as memory offsets in the
/// tensor's geometry — the detector keeps the pyramid as phase planes, which its first, stride-2 layer reads.
enum PyramidBuilder {
    /// Plane memory shared by the row workers (each writes its own rows only).
    private struct SharedFloats: @unchecked Sendable { let base: UnsafeMutablePointer<Float> }
    /// The image pixels, read by the row workers.
    private struct SharedBytes: @unchecked Sendable { let base: UnsafePointer<UInt8> }

    /// Fewest output pixels per worker worth a thread of its own.
    static let minimumPixelsPerWorker = 16_384

    /// - Precondition: `planes` holds 3 planes of `geometry` (`layout.rows × layout.columns`), zero outside
    ///   the tiles of `layout` (every tile is overwritten whole).
    /// The column tables of every level after the first (index `i − 1` for level `i`), for ``fill(_:layout:geometry:tables:means:into:)``.
    static func columnTables(_ layout: PyramidLayout, geometry: PlaneGeometry) -> [ColumnTable] {
        (1..<max(1, layout.rects.count)).map { ColumnTable(src: layout.rects[$0 - 1], dst: layout.rects[$0], geometry: geometry) }
    }

    /// The level-0 column offsets (one per image column).
    static func levelZeroOffsets(_ layout: PyramidLayout, geometry: PlaneGeometry) -> [Int] {
        guard let r0 = layout.rects.first else { return [] }
        return (0..<r0.width).map { geometry.columnOffset(r0.left + $0) }
    }

    /// - Parameter tables: ``columnTables(_:geometry:)`` and ``levelZeroOffsets(_:geometry:)`` of this layout
    ///   and geometry (computed once per frame size).
    static func fill(_ image: Image, layout: PyramidLayout, geometry: PlaneGeometry,
                     tables: (levelZero: [Int], levels: [ColumnTable]), means: (r: Float, g: Float, b: Float),
                     into planes: UnsafeMutableBufferPointer<Float>) {
        precondition(geometry.rows == layout.rows && geometry.columns == layout.columns)
        let plane = geometry.count
        precondition(planes.count >= 3 * plane)
        guard let r0 = layout.rects.first else { return }
        let base = SharedFloats(base: planes.baseAddress!)
        let m = SIMD4<Float>(means.r, means.g, means.b, 0)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let rects = layout.rects
        let out0 = tables.levelZero
        precondition(out0.count == image.width && tables.levels.count == max(0, rects.count - 1))
        image.pixels.withUnsafeBufferPointer { px in
            let pixels = SharedBytes(base: px.baseAddress!)
            let ch = image.channels, width = image.width, height = image.height
            // Level 0: rows split between the workers, three planes per row.
            let parts0 = max(1, min(workers, width * height / minimumPixelsPerWorker))
            DispatchQueue.concurrentPerform(iterations: parts0) { p in
                out0.withUnsafeBufferPointer { o in
                    for y in (height * p / parts0)..<(height * (p + 1) / parts0) {
                        let rr = base.base + geometry.rowOffset(r0.top + y), rg = rr + plane, rb = rg + plane
                        var s = y * width * ch
                        if ch == 1 {
                            for x in 0..<width {
                                let v = Float(pixels.base[s]), d = o[x]
                                rr[d] = (v - m[0]) / 256; rg[d] = (v - m[1]) / 256; rb[d] = (v - m[2]) / 256
                                s += 1
                            }
                        } else {
                            for x in 0..<width {
                                let d = o[x]
                                rr[d] = (Float(pixels.base[s]) - m[0]) / 256
                                rg[d] = (Float(pixels.base[s + 1]) - m[1]) / 256
                                rb[d] = (Float(pixels.base[s + 2]) - m[2]) / 256
                                s += ch
                            }
                        }
                    }
                }
            }
        }
        // Every next level from the one above, rows split between the workers.
        for i in 1..<max(1, rects.count) {
            let src = rects[i - 1], dst = rects[i]
            let table = tables.levels[i - 1]
            let parts = max(1, min(workers, dst.width * dst.height * 3 / minimumPixelsPerWorker))
            let work = { @Sendable (p: Int) in
                let rows = (dst.height * p / parts)..<(dst.height * (p + 1) / parts)
                for c in 0..<3 {
                    resize(base.base + c * plane, src: src, dst: dst, geometry: geometry, rows: rows, table: table)
                }
            }
            if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
        }
    }

    /// The column positions and weights of one level's resampling, shared by all its rows, as offsets from
    /// a row's start in the tensor's geometry: dlib's SIMD loop (4 columns at a time, x advanced by repeated
    /// float additions) up to `simdColumns`, then its scalar tail in double.
    struct ColumnTable: Sendable {
        /// Offsets of the left and right source columns, and of the output column, per output column.
        let left: [Int]
        let right: [Int]
        let out: [Int]
        let fraction: [Float]
        let simdColumns: Int

        init(src: PixelRect, dst: PixelRect, geometry: PlaneGeometry) {
            let inC = src.width, outC = dst.width
            let xScale = Double(inC - 1) / Double(max(outC - 1, 1))
            var left: [Int] = [], right: [Int] = [], fraction: [Float] = []
            left.reserveCapacity(outC); right.reserveCapacity(outC); fraction.reserveCapacity(outC)
            let x = -4 * xScale
            let step = Float(4 * xScale)
            var vx = SIMD4<Float>(Float(x), Float(x + xScale), Float(x + 2 * xScale), Float(x + 3 * xScale))
            var c = 0
            while inC > 0 && outC > 0 {
                vx += SIMD4<Float>(repeating: step)
                // x ≥ 0, so truncation (cvttps2dq in dlib) is floor.
                let l = SIMD4<Int32>(Int32(vx[0]), Int32(vx[1]), Int32(vx[2]), Int32(vx[3]))
                if Int(l[3]) + 1 >= inC { break }
                let lr = vx - SIMD4<Float>(Float(l[0]), Float(l[1]), Float(l[2]), Float(l[3]))
                for j in 0..<4 {
                    left.append(geometry.columnOffset(src.left + Int(l[j])))
                    right.append(geometry.columnOffset(src.left + Int(l[j]) + 1))
                    fraction.append(lr[j])
                }
                c += 4
            }
            simdColumns = c
            var xs = -xScale + Double(c) * xScale
            while c < outC {
                xs += xScale
                let l = Int(xs.rounded(.down))
                left.append(geometry.columnOffset(src.left + l))
                right.append(geometry.columnOffset(src.left + min(l + 1, inC - 1)))
                fraction.append(Float(xs - Double(l)))
                c += 1
            }
            self.left = left; self.right = right; self.fraction = fraction
            out = (0..<outC).map { geometry.columnOffset(dst.left + $0) }
        }
    }

    /// dlib's grayscale `resize_image(in, out, interpolate_bilinear)` for float images (all rows), on a
    /// row-major plane with `stride` floats per row.
    static func resize(from srcBase: UnsafeMutablePointer<Float>, src: PixelRect,
                       to dstBase: UnsafeMutablePointer<Float>, dst: PixelRect, stride: Int) {
        guard src.height > 0, src.width > 0, dst.height > 0, dst.width > 0 else { return }
        precondition(srcBase == dstBase, "source and destination tiles share one plane")
        let geometry = PlaneGeometry(rows: max(src.bottom, dst.bottom) + 1, columns: stride)
        resize(srcBase, src: src, dst: dst, geometry: geometry, rows: 0..<dst.height,
               table: ColumnTable(src: src, dst: dst, geometry: geometry))
    }

    /// Rows `rows` of dlib's grayscale `resize_image(in, out, interpolate_bilinear)` for float images, from
    /// tile `src` to tile `dst` of one plane of `geometry`.
    static func resize(_ planeBase: UnsafeMutablePointer<Float>, src: PixelRect, dst: PixelRect,
                       geometry: PlaneGeometry, rows: Range<Int>, table: ColumnTable) {
        let inR = src.height, inC = src.width, outR = dst.height, outC = dst.width
        guard inR > 0, inC > 0, outR > 0, outC > 0 else { return }
        let yScale = Double(inR - 1) / Double(max(outR - 1, 1))
        var y = -yScale
        for _ in 0..<rows.lowerBound { y += yScale }  // dlib accumulates y row by row
        table.left.withUnsafeBufferPointer { left in
        table.right.withUnsafeBufferPointer { right in
        table.out.withUnsafeBufferPointer { out in
        table.fraction.withUnsafeBufferPointer { fraction in
            for r in rows {
                y += yScale
                let top = Int(y.rounded(.down))
                let bottom = min(top + 1, inR - 1)
                let tbFrac = y - Double(top)
                let topRow = UnsafePointer(planeBase + geometry.rowOffset(src.top + top))
                let bottomRow = UnsafePointer(planeBase + geometry.rowOffset(src.top + bottom))
                let outRow = planeBase + geometry.rowOffset(dst.top + r)
                let tb = Float(tbFrac), invTb = Float(1 - tbFrac)
                var c = 0
                while c < table.simdColumns {
                    let lr = SIMD4<Float>(fraction[c], fraction[c + 1], fraction[c + 2], fraction[c + 3])
                    let invLr = SIMD4<Float>(repeating: 1) - lr
                    let tlf = invTb * invLr, trf = invTb * lr, blf = tb * invLr, brf = tb * lr
                    for j in 0..<4 {
                        let l = left[c + j], rr = right[c + j]
                        outRow[out[c + j]] = tlf[j] * topRow[l] + trf[j] * topRow[rr] + blf[j] * bottomRow[l]
                            + brf[j] * bottomRow[rr]
                    }
                    c += 4
                }
                while c < outC {
                    let l = left[c], rr = right[c]
                    let lrFrac = fraction[c]
                    let tl = topRow[l], tr = topRow[rr], bl = bottomRow[l], br = bottomRow[rr]
                    let upper = (1 - lrFrac) * tl + lrFrac * tr
                    let lower = (1 - lrFrac) * bl + lrFrac * br
                    outRow[out[c]] = Float((1 - tbFrac) * Double(upper) + tbFrac * Double(lower))
                    c += 1
                }
            }
        }
        }
        }
        }
    }
}
