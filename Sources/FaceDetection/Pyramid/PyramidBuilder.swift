import FaceImaging
import Foundation
import NeuralCore

/// Builds the tiled pyramid tensor (3 planes of a ``PlaneGeometry``, zero outside the tiles): level 0 is
/// `(pixel − mean)/256`, every next level is dlib's float bilinear `resize_image` of the previous tile (the
/// SIMD path of `interpolation.h`, reproduced operation for operation).
///
/// The levels are computed as a cascade of rows: each level keeps its last two rows in a small ring, and
/// a row of level `i` pulls the rows of level `i − 1` it reads (dlib's `y` only grows, so each row is
/// computed once). Only the rows the network reads (``Plan``) are written into the tensor: a detection
/// that searches the small levels never stores the large ones it resamples through — those would be a
/// third of a frame's working memory. The three colour planes run in parallel (on the detection's
/// ``WorkerTeam``). All per-level tables live
/// in flat arrays of the plan, read through raw pointers in the row loop.
enum PyramidBuilder {
    /// One level of the cascade (plain values: offsets into the plan's flat tables).
    struct Level: Sendable {
        /// The tile, in tensor coordinates.
        let rect: PixelRect
        /// Tile rows (0-based) written into the tensor; empty when the network reads none.
        let storedRows: Range<Int>
        /// Where this level's columns start in ``Plan/left`` and ``Plan/fraction``.
        let column0: Int
        /// Columns resampled by dlib's 4-wide SIMD loop (the rest by its scalar tail).
        let simdColumns: Int
        /// dlib's row step `(rows above − 1) / (rows − 1)`.
        let yScale: Double
    }

    /// The cascade for one layout, geometry and set of needed cells (made once per frame size).
    struct Plan: Sendable {
        let levels: [Level]
        let geometry: PlaneGeometry
        /// Per column of every level: the left source column and the right one's weight (dlib's `x` accumulated
        /// in float 4 columns at a time, then in double).
        let left: [Int32]
        let fraction: [Float]
        /// Ring floats per channel: two rows of every level.
        let ringFloats: Int
        /// The tensor rectangles written (tiles clipped to their stored rows).
        let storedRects: [PixelRect]
        /// For a greyscale image: plane 0 is the pyramid of `(pixel − mean.r)/256`, plane 1 the tile indicator
        /// (1 on the stored tile rows), plane 2 unused (``MMODModel/greyFirstLayer(_:means:)``).
        let grey: Bool

        /// - Parameters:
        ///   - needed: the tensor cells the network reads (nil: every tile row is stored).
        ///   - grey: build the greyscale planes (pyramid and tile indicator) instead of three colour planes.
        init(layout: PyramidLayout, geometry: PlaneGeometry, needed: CellMask?, grey: Bool = false) {
            self.init(rects: layout.rects, geometry: geometry, needed: needed, grey: grey)
        }

        /// The cascade over tiles `rects` (level `i + 1` resampled from level `i`).
        init(rects: [PixelRect], geometry: PlaneGeometry, needed: CellMask? = nil, grey: Bool = false) {
            self.geometry = geometry
            self.grey = grey
            // Rows of each tile holding a needed cell.
            var lo = [Int](repeating: Int.max, count: rects.count)
            var hi = [Int](repeating: -1, count: rects.count)
            if let needed {
                for s in needed.spans {
                    for (i, r) in rects.enumerated()
                    where s.y >= r.top && s.y <= r.bottom && s.x0 <= r.right && s.x1 > r.left {
                        lo[i] = min(lo[i], s.y - r.top)
                        hi[i] = max(hi[i], s.y - r.top)
                    }
                }
            }
            var levels: [Level] = []
            var left: [Int32] = []
            var fraction: [Float] = []
            var ring = 0
            for (i, r) in rects.enumerated() {
                let stored = needed == nil ? 0..<r.height : (hi[i] >= 0 ? lo[i]..<(hi[i] + 1) : 0..<0)
                var simd = 0
                var yScale = 0.0
                if i == 0 {
                    left.append(contentsOf: repeatElement(0, count: r.width))
                    fraction.append(contentsOf: repeatElement(0, count: r.width))
                } else {
                    let inC = rects[i - 1].width
                    let outC = r.width
                    yScale = Double(rects[i - 1].height - 1) / Double(max(r.height - 1, 1))
                    let xScale = Double(inC - 1) / Double(max(outC - 1, 1))
                    let x = -4 * xScale
                    let step = Float(4 * xScale)
                    var vx = SIMD4<Float>(Float(x), Float(x + xScale), Float(x + 2 * xScale), Float(x + 3 * xScale))
                    while true {
                        vx += SIMD4<Float>(repeating: step)
                        // x ≥ 0, so truncation (cvttps2dq in dlib) is floor.
                        let l = SIMD4<Int32>(Int32(vx[0]), Int32(vx[1]), Int32(vx[2]), Int32(vx[3]))
                        if Int(l[3]) + 1 >= inC { break }
                        let lr = vx - SIMD4<Float>(Float(l[0]), Float(l[1]), Float(l[2]), Float(l[3]))
                        for j in 0..<4 {
                            left.append(l[j])
                            fraction.append(lr[j])
                        }
                        simd += 4
                    }
                    var xs = -xScale + Double(simd) * xScale
                    for _ in simd..<outC {
                        xs += xScale
                        let l = Int(xs.rounded(.down))
                        left.append(Int32(l))
                        fraction.append(Float(xs - Double(l)))
                    }
                }
                levels.append(
                    Level(rect: r, storedRows: stored, column0: left.count - r.width, simdColumns: simd, yScale: yScale)
                )
                ring += 2 * r.width
            }
            self.levels = levels
            storedRects = levels.compactMap { l in
                l.storedRows.isEmpty
                    ? nil
                    : PixelRect(
                        left: l.rect.left, top: l.rect.top + l.storedRows.lowerBound,
                        right: l.rect.right, bottom: l.rect.top + l.storedRows.upperBound - 1)
            }
            self.left = left
            self.fraction = fraction
            ringFloats = ring
        }
    }

    /// Fills the stored rows of `plan` for `image`, the three colour planes shared out between the threads of
    /// `team` — or, for a greyscale plan, the one pyramid on one thread and the tile indicator on another.
    /// - Parameters:
    ///   - planes: 3 planes of `plan.geometry`, zero outside the stored rows (which are overwritten whole).
    ///   - rings: `3 · plan.ringFloats` floats of working memory.
    static func fill(
        _ image: Image, plan: Plan, means: (r: Float, g: Float, b: Float),
        into planes: UnsafeMutablePointer<Float>, rings: UnsafeMutablePointer<Float>, team: WorkerTeam
    ) {
        guard let first = plan.levels.first else { return }
        precondition(first.rect.width == image.width && first.rect.height == image.height)
        image.pixels.withUnsafeBufferPointer { px in
            team.run(
                Fill(
                    plan: plan, image: px.baseAddress!, width: image.width, channels: image.channels,
                    means: SIMD4(means.r, means.g, means.b, 0), planes: planes, rings: rings))
        }
    }

    /// The pyramid as one region of a ``WorkerTeam``: each thread runs the cascades of its colour planes.
    private struct Fill: TeamWork {
        let plan: Plan
        let image: UnsafePointer<UInt8>
        let width: Int, channels: Int
        let means: SIMD4<Float>
        let planes: UnsafeMutablePointer<Float>, rings: UnsafeMutablePointer<Float>

        func run(_ context: TeamContext) {
            guard plan.grey else {
                for c in context.range(3) { cascade(c) }
                return
            }
            let parts = context.part.count
            if context.isFirst { cascade(0) }
            if context.part.index == (parts > 1 ? 1 : 0) { indicator(plane: planes + plan.geometry.count) }
        }

        /// Writes 1 at every stored tile cell of `plane` (the cascade writes its values at the same cells).
        func indicator(plane: UnsafeMutablePointer<Float>) {
            let g = plan.geometry
            for level in plan.levels where !level.storedRows.isEmpty {
                let x0 = level.rect.left
                let w = level.rect.width
                for r in level.storedRows {
                    let dst = plane + g.rowOffset(level.rect.top + r)
                    if g.phased {
                        (dst + g.columnOffset(x0)).update(repeating: 1, count: (w + 1) / 2)
                        (dst + g.columnOffset(x0 + 1)).update(repeating: 1, count: w / 2)
                    } else {
                        (dst + g.columnOffset(x0)).update(repeating: 1, count: w)
                    }
                }
            }
        }

        /// Runs colour plane `c`'s cascade.
        func cascade(_ c: Int) {
            plan.levels.withUnsafeBufferPointer { levels in
                plan.left.withUnsafeBufferPointer { left in
                    plan.fraction.withUnsafeBufferPointer { fraction in
                        withUnsafeTemporaryAllocation(of: Int.self, capacity: levels.count) { produced in
                            withUnsafeTemporaryAllocation(of: Double.self, capacity: levels.count) { y in
                                withUnsafeTemporaryAllocation(
                                    of: UnsafeMutablePointer<Float>.self, capacity: levels.count
                                ) { ring in
                                    var at = rings + c * plan.ringFloats
                                    for i in 0..<levels.count {
                                        produced[i] = 0
                                        y[i] = -levels[i].yScale
                                        ring[i] = at
                                        at += 2 * levels[i].rect.width
                                    }
                                    let cascade = Cascade(
                                        levels: levels, left: left.baseAddress!,
                                        fraction: fraction.baseAddress!, geometry: plan.geometry,
                                        image: image, width: width, channels: channels,
                                        channel: c, mean: means[c], plane: planes + c * plan.geometry.count,
                                        ring: ring.baseAddress!, produced: produced.baseAddress!, y: y.baseAddress!)
                                    cascade.run()
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One colour plane's cascade: raw views of the plan and of this plane's state.
    private struct Cascade {
        let levels: UnsafeBufferPointer<Level>
        let left: UnsafePointer<Int32>, fraction: UnsafePointer<Float>
        let geometry: PlaneGeometry
        let image: UnsafePointer<UInt8>
        let width: Int, channels: Int, channel: Int
        let mean: Float
        let plane: UnsafeMutablePointer<Float>
        /// Two rows per level: row `k` of level `i` lives at `ring[i] + (k & 1) · width`.
        let ring: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
        /// Rows done per level, and dlib's running `y` per level.
        let produced: UnsafeMutablePointer<Int>
        let y: UnsafeMutablePointer<Double>

        func run() {
            // Pull every row of the last level (which pulls the rows above it), then any rows left above.
            for i in stride(from: levels.count - 1, through: 0, by: -1) {
                while produced[i] < levels[i].rect.height { produce(i) }
            }
        }

        /// Computes the next row of level `i` into its ring (and into the tensor when stored).
        func produce(_ i: Int) {
            let level = levels[i]
            let r = produced[i]
            let w = level.rect.width
            let row = ring[i] + (r & 1) * w
            if i == 0 {
                let src = channel < channels ? channel : 0
                var s = r * width * channels + src
                for x in 0..<w {
                    row[x] = (Float(image[s]) - mean) / 256
                    s += channels
                }
            } else {
                let above = levels[i - 1].rect
                y[i] += level.yScale  // dlib accumulates y row by row
                let top = Int(y[i].rounded(.down))
                let bottom = min(top + 1, above.height - 1)
                while produced[i - 1] <= bottom { produce(i - 1) }
                let aw = above.width
                PyramidBuilder.resizeRow(
                    top: ring[i - 1] + (top & 1) * aw, bottom: ring[i - 1] + (bottom & 1) * aw,
                    fraction: y[i] - Double(top), left: left + level.column0,
                    weights: fraction + level.column0, simdColumns: level.simdColumns,
                    columns: w, sourceColumns: aw, into: row)
            }
            if level.storedRows.contains(r) {
                let dst = plane + geometry.rowOffset(level.rect.top + r)
                let x0 = level.rect.left
                if geometry.phased {
                    // Columns of one parity are consecutive floats: row[0], row[2], … go to column x0's phase,
                    // row[1], row[3], … to the other.
                    let first = dst + geometry.columnOffset(x0)
                    let second = dst + geometry.columnOffset(x0 + 1)
                    var k = 0
                    while k + 16 <= w {
                        let v = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(first + k / 2).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(second + k / 2).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                        k += 16
                    }
                    while k < w {
                        (k & 1 == 0 ? first : second)[k / 2] = row[k]
                        k += 1
                    }
                } else {
                    (dst + geometry.columnOffset(x0)).update(from: row, count: w)
                }
            }
            produced[i] = r + 1
        }
    }

    /// One output row of dlib's bilinear `resize_image` from two source rows (`fraction` is the weight of
    /// the bottom one): its SSE loop, 4 columns at a time with the same operations in the same order
    /// (bit-identical), then its scalar tail in double.
    @inline(__always)
    static func resizeRow(
        top topRow: UnsafePointer<Float>, bottom bottomRow: UnsafePointer<Float>, fraction tbFrac: Double,
        left: UnsafePointer<Int32>, weights: UnsafePointer<Float>, simdColumns: Int, columns: Int,
        sourceColumns: Int, into outRow: UnsafeMutablePointer<Float>
    ) {
        let tb = SIMD4<Float>(repeating: Float(tbFrac))
        let invTb = SIMD4<Float>(repeating: Float(1 - tbFrac))
        var c = 0
        while c < simdColumns {
            let lr = UnsafeRawPointer(weights + c).loadUnaligned(as: SIMD4<Float>.self)
            let invLr = SIMD4<Float>(repeating: 1) - lr
            let tlf = invTb * invLr
            let trf = invTb * lr
            let blf = tb * invLr
            let brf = tb * lr
            let l0 = Int(left[c])
            let l1 = Int(left[c + 1])
            let l2 = Int(left[c + 2])
            let l3 = Int(left[c + 3])
            let tl = SIMD4(topRow[l0], topRow[l1], topRow[l2], topRow[l3])
            let tr = SIMD4(topRow[l0 + 1], topRow[l1 + 1], topRow[l2 + 1], topRow[l3 + 1])
            let bl = SIMD4(bottomRow[l0], bottomRow[l1], bottomRow[l2], bottomRow[l3])
            let br = SIMD4(bottomRow[l0 + 1], bottomRow[l1 + 1], bottomRow[l2 + 1], bottomRow[l3 + 1])
            let v = tlf * tl + trf * tr + blf * bl + brf * br
            UnsafeMutableRawPointer(outRow + c).storeBytes(of: v, as: SIMD4<Float>.self)
            c += 4
        }
        while c < columns {
            let l = Int(left[c])
            let rr = min(l + 1, sourceColumns - 1)
            let lrFrac = weights[c]
            let tl = topRow[l]
            let tr = topRow[rr]
            let bl = bottomRow[l]
            let br = bottomRow[rr]
            let upper = (1 - lrFrac) * tl + lrFrac * tr
            let lower = (1 - lrFrac) * bl + lrFrac * br
            outRow[c] = Float((1 - tbFrac) * Double(upper) + tbFrac * Double(lower))
            c += 1
        }
    }

    /// dlib's grayscale `resize_image(in, out, interpolate_bilinear)` for float images, between two tiles of
    /// one row-major plane with `stride` floats per row.
    static func resize(
        from srcBase: UnsafeMutablePointer<Float>, src: PixelRect,
        to dstBase: UnsafeMutablePointer<Float>, dst: PixelRect, stride: Int
    ) {
        let inR = src.height
        let inC = src.width
        let outR = dst.height
        let outC = dst.width
        guard inR > 0, inC > 0, outR > 0, outC > 0 else { return }
        // The plan of a two-level layout gives the column table of this pair of sizes.
        let pair = Plan(
            rects: [src, dst], geometry: PlaneGeometry(rows: max(src.bottom, dst.bottom) + 1, columns: stride))
        let level = pair.levels[1]
        var y = -level.yScale
        pair.left.withUnsafeBufferPointer { left in
            pair.fraction.withUnsafeBufferPointer { weights in
                for r in 0..<outR {
                    y += level.yScale
                    let top = Int(y.rounded(.down))
                    let bottom = min(top + 1, inR - 1)
                    resizeRow(
                        top: srcBase + (src.top + top) * stride + src.left,
                        bottom: srcBase + (src.top + bottom) * stride + src.left,
                        fraction: y - Double(top), left: left.baseAddress! + level.column0,
                        weights: weights.baseAddress! + level.column0, simdColumns: level.simdColumns,
                        columns: outC, sourceColumns: inC, into: dstBase + (dst.top + r) * stride + dst.left)
                }
            }
        }
    }
}
