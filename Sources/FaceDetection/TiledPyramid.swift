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

/// Builds the tiled pyramid tensor (3 planes of a ``PlaneGeometry``, zero outside the tiles): level 0 is
/// `(pixel − mean)/256`, every next level is dlib's float bilinear `resize_image` of the previous tile (the
/// SIMD path of `interpolation.h`, reproduced operation for operation).
///
/// The levels are computed as a cascade of rows: each level keeps its last two rows in a small ring, and
/// a row of level `i` pulls the rows of level `i − 1` it reads (dlib's `y` only grows, so each row is
/// computed once). Only the rows the network reads (``Plan``) are written into the tensor: a detection
/// that searches the small levels never stores the large ones it resamples through — those would be a
/// third of a frame's working memory. The three colour planes run in parallel.
enum PyramidBuilder {
    /// Plane memory shared by the channel workers (each writes its own plane only).
    private struct SharedFloats: @unchecked Sendable { let base: UnsafeMutablePointer<Float> }
    /// The image pixels, read by the channel workers.
    private struct SharedBytes: @unchecked Sendable { let base: UnsafePointer<UInt8> }

    /// One level of the cascade.
    struct Level: Sendable {
        /// The tile, in tensor coordinates.
        let rect: PixelRect
        /// Tensor offset of each of the level's columns (from the row's start in the tensor geometry).
        let out: [Int]
        /// How the level is resampled from the one above (nil for level 0).
        let table: ColumnTable?
        /// Tile rows (0-based) written into the tensor; nil when the network reads none.
        let storedRows: ClosedRange<Int>?
    }

    /// The cascade for one layout, geometry and set of needed cells (made once per frame size).
    struct Plan: Sendable {
        let levels: [Level]
        let geometry: PlaneGeometry
        /// Ring floats per channel: two rows of every level.
        let ringFloats: Int
        /// The tensor rectangles written (tiles clipped to their stored rows).
        var storedRects: [PixelRect] {
            levels.compactMap { l in
                l.storedRows.map { PixelRect(left: l.rect.left, top: l.rect.top + $0.lowerBound,
                                             right: l.rect.right, bottom: l.rect.top + $0.upperBound) }
            }
        }

        /// - Parameter needed: the tensor cells the network reads (nil: every tile row is stored).
        init(layout: PyramidLayout, geometry: PlaneGeometry, needed: CellMask?) {
            self.geometry = geometry
            var levels: [Level] = []
            var ring = 0
            // Rows of each tile holding a needed cell.
            var lo = [Int](repeating: Int.max, count: layout.rects.count), hi = [Int](repeating: -1, count: layout.rects.count)
            if let needed {
                for s in needed.spans {
                    for (i, r) in layout.rects.enumerated() where s.y >= r.top && s.y <= r.bottom && s.x0 <= r.right && s.x1 > r.left {
                        lo[i] = min(lo[i], s.y - r.top); hi[i] = max(hi[i], s.y - r.top)
                    }
                }
            }
            for (i, r) in layout.rects.enumerated() {
                let stored: ClosedRange<Int>? = needed == nil ? 0...(r.height - 1) : (hi[i] >= 0 ? lo[i]...hi[i] : nil)
                levels.append(Level(rect: r, out: (0..<r.width).map { geometry.columnOffset(r.left + $0) },
                                    table: i == 0 ? nil : ColumnTable(inColumns: layout.rects[i - 1].width, outColumns: r.width),
                                    storedRows: stored))
                ring += 2 * r.width
            }
            self.levels = levels
            ringFloats = ring
        }
    }

    /// Fills the stored rows of `plan` for `image`.
    /// - Parameters:
    ///   - planes: 3 planes of `plan.geometry`, zero outside the stored rows (which are overwritten whole).
    ///   - rings: `3 · plan.ringFloats` floats of working memory.
    static func fill(_ image: Image, plan: Plan, means: (r: Float, g: Float, b: Float),
                     into planes: UnsafeMutablePointer<Float>, rings: UnsafeMutablePointer<Float>) {
        guard let first = plan.levels.first else { return }
        precondition(first.rect.width == image.width && first.rect.height == image.height)
        let base = SharedFloats(base: planes), ringBase = SharedFloats(base: rings)
        let meanArray = [means.r, means.g, means.b]
        image.pixels.withUnsafeBufferPointer { px in
            let pixels = SharedBytes(base: px.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: 3) { c in
                var cascade = Cascade(plan: plan, channel: c, image: image, pixels: pixels.base, mean: meanArray[c],
                                      plane: base.base + c * plan.geometry.count,
                                      rings: ringBase.base + c * plan.ringFloats)
                cascade.run()
            }
        }
    }

    /// One colour plane's cascade: per level, how many rows are done and dlib's running `y`.
    private struct Cascade {
        let plan: Plan
        let channel: Int
        let image: Image
        let pixels: UnsafePointer<UInt8>
        let mean: Float
        let plane: UnsafeMutablePointer<Float>
        /// Two rows per level: row `k` of level `i` lives at `ring[i] + (k & 1) · width`.
        var ring: [UnsafeMutablePointer<Float>] = []
        var produced: [Int]
        var y: [Double]

        init(plan: Plan, channel: Int, image: Image, pixels: UnsafePointer<UInt8>, mean: Float,
             plane: UnsafeMutablePointer<Float>, rings: UnsafeMutablePointer<Float>) {
            self.plan = plan; self.channel = channel; self.image = image; self.pixels = pixels
            self.mean = mean; self.plane = plane
            var at = rings
            for l in plan.levels { ring.append(at); at += 2 * l.rect.width }
            produced = [Int](repeating: 0, count: plan.levels.count)
            y = plan.levels.indices.map { i in
                guard i > 0 else { return 0 }
                let inR = plan.levels[i - 1].rect.height, outR = plan.levels[i].rect.height
                return -Double(inR - 1) / Double(max(outR - 1, 1))
            }
        }

        mutating func run() {
            // Pull every row of the last level (which pulls the rows above it), then any rows left above.
            for i in stride(from: plan.levels.count - 1, through: 0, by: -1) {
                while produced[i] < plan.levels[i].rect.height { produce(i) }
            }
        }

        /// Computes the next row of level `i` into its ring (and into the tensor when stored).
        mutating func produce(_ i: Int) {
            let level = plan.levels[i]
            let r = produced[i], width = level.rect.width
            let row = ring[i] + (r & 1) * width
            if i == 0 {
                let ch = image.channels, src = channel < ch ? channel : 0
                var s = r * image.width * ch + src
                for x in 0..<width { row[x] = (Float(pixels[s]) - mean) / 256; s += ch }
            } else {
                let above = plan.levels[i - 1].rect
                let yScale = Double(above.height - 1) / Double(max(level.rect.height - 1, 1))
                y[i] += yScale  // dlib accumulates y row by row
                let top = Int(y[i].rounded(.down))
                let bottom = min(top + 1, above.height - 1)
                while produced[i - 1] <= bottom { produce(i - 1) }
                let w = above.width
                PyramidBuilder.resizeRow(top: ring[i - 1] + (top & 1) * w, bottom: ring[i - 1] + (bottom & 1) * w,
                                         fraction: y[i] - Double(top), table: level.table!, into: row)
            }
            if let stored = level.storedRows, stored.contains(r) {
                let out = plane + plan.geometry.rowOffset(level.rect.top + r)
                level.out.withUnsafeBufferPointer { o in
                    for x in 0..<width { out[o[x]] = row[x] }
                }
            }
            produced[i] = r + 1
        }
    }

    /// The column positions and weights of one level's resampling, shared by all its rows: dlib's SIMD loop
    /// (4 columns at a time, x advanced by repeated float additions) up to `simdColumns`, then its scalar
    /// tail in double.
    struct ColumnTable: Sendable {
        /// Left and right source columns and the weight of the right one, per output column.
        let left: [Int]
        let right: [Int]
        let fraction: [Float]
        let simdColumns: Int

        init(inColumns inC: Int, outColumns outC: Int) {
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
                for j in 0..<4 { left.append(Int(l[j])); right.append(Int(l[j]) + 1); fraction.append(lr[j]) }
                c += 4
            }
            simdColumns = c
            var xs = -xScale + Double(c) * xScale
            while c < outC {
                xs += xScale
                let l = Int(xs.rounded(.down))
                left.append(l); right.append(min(l + 1, inC - 1)); fraction.append(Float(xs - Double(l)))
                c += 1
            }
            self.left = left; self.right = right; self.fraction = fraction
        }
    }

    /// One output row of dlib's bilinear `resize_image` from two source rows (`fraction` is the weight of
    /// the bottom one).
    @inline(__always)
    static func resizeRow(top topRow: UnsafePointer<Float>, bottom bottomRow: UnsafePointer<Float>, fraction tbFrac: Double,
                          table: ColumnTable, into outRow: UnsafeMutablePointer<Float>) {
        let tb = Float(tbFrac), invTb = Float(1 - tbFrac)
        table.left.withUnsafeBufferPointer { left in
        table.right.withUnsafeBufferPointer { right in
        table.fraction.withUnsafeBufferPointer { fraction in
            var c = 0
            while c < table.simdColumns {
                let lr = SIMD4<Float>(fraction[c], fraction[c + 1], fraction[c + 2], fraction[c + 3])
                let invLr = SIMD4<Float>(repeating: 1) - lr
                let tlf = invTb * invLr, trf = invTb * lr, blf = tb * invLr, brf = tb * lr
                for j in 0..<4 {
                    let l = left[c + j], rr = right[c + j]
                    outRow[c + j] = tlf[j] * topRow[l] + trf[j] * topRow[rr] + blf[j] * bottomRow[l] + brf[j] * bottomRow[rr]
                }
                c += 4
            }
            while c < left.count {
                let l = left[c], rr = right[c]
                let lrFrac = fraction[c]
                let tl = topRow[l], tr = topRow[rr], bl = bottomRow[l], br = bottomRow[rr]
                let upper = (1 - lrFrac) * tl + lrFrac * tr
                let lower = (1 - lrFrac) * bl + lrFrac * br
                outRow[c] = Float((1 - tbFrac) * Double(upper) + tbFrac * Double(lower))
                c += 1
            }
        }
        }
        }
    }

    /// dlib's grayscale `resize_image(in, out, interpolate_bilinear)` for float images, between two tiles of
    /// one row-major plane with `stride` floats per row.
    static func resize(from srcBase: UnsafeMutablePointer<Float>, src: PixelRect,
                       to dstBase: UnsafeMutablePointer<Float>, dst: PixelRect, stride: Int) {
        let inR = src.height, inC = src.width, outR = dst.height, outC = dst.width
        guard inR > 0, inC > 0, outR > 0, outC > 0 else { return }
        let table = ColumnTable(inColumns: inC, outColumns: outC)
        let yScale = Double(inR - 1) / Double(max(outR - 1, 1))
        var y = -yScale
        for r in 0..<outR {
            y += yScale
            let top = Int(y.rounded(.down))
            let bottom = min(top + 1, inR - 1)
            resizeRow(top: srcBase + (src.top + top) * stride + src.left, bottom: srcBase + (src.top + bottom) * stride + src.left,
                      fraction: y - Double(top), table: table, into: dstBase + (dst.top + r) * stride + dst.left)
        }
    }
}
