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
        var nr = imageRows
        var nc = imageColumns
        guard nr > 0, nc > 0 else {
            rects = []
            rows = 0
            columns = 0
            return
        }
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
        var height = 0
        var prevWidth = 0
        let w0 = sizes[0].w
        let h0 = sizes[0].h
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
            out.append(
                PixelRect(left: outerPadding, top: y, right: outerPadding + sizes[i].w - 1, bottom: y + sizes[i].h - 1))
            y += sizes[i].h + padding
            i += 1
        }
        y -= padding
        while i < sizes.count {
            let r = outerPadding + w0 - 1
            let b = y - 1
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
            let nx = min(max(x, r.left), r.right)
            let ny = min(max(y, r.top), r.bottom)
            let dx = Double(nx - x)
            let dy = Double(ny - y)
            let d = (dx * dx + dy * dy).squareRoot()
            if d < bestDistance {
                bestDistance = d
                best = i
            }
        }
        return best
    }

    /// Maps a tensor-space rectangle (doubles) back to the image (`tiled_pyramid_to_image` + `lround`).
    func tensorToImage(left: Double, top: Double, right: Double, bottom: Double) -> (level: Int, rect: PixelRect) {
        let cx = (left + right) / 2
        let cy = (top + bottom) / 2
        let level = nearestLevel(x: Int((cx + 0.5).rounded(.down)), y: Int((cy + 0.5).rounded(.down)))
        let ox = Double(rects[level].left)
        let oy = Double(rects[level].top)
        var l = left - ox
        var t = top - oy
        var r = right - ox
        var b = bottom - oy
        let ratio = 6.0 / 5.0
        for _ in 0..<level {
            l = l * ratio + 0.3
            t = t * ratio + 0.3
            r = r * ratio + 0.3
            b = b * ratio + 0.3
        }
        return (
            level,
            PixelRect(
                left: Int(l.rounded(.toNearestOrAwayFromZero)), top: Int(t.rounded(.toNearestOrAwayFromZero)),
                right: Int(r.rounded(.toNearestOrAwayFromZero)), bottom: Int(b.rounded(.toNearestOrAwayFromZero)))
        )
    }
}
