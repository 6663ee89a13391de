import FaceImaging

/// What detecting in a frame of one size involves, worked out once and reused for every frame of that size
/// (a reader's camera sends frames of one size): dlib's tiled-pyramid layout, the levels searched, the cells
/// of every layer the kept levels need, and how the work is split between the cores.
struct DetectionPlan: Sendable {
    /// What a plan depends on.
    struct Key: Equatable, Sendable {
        let width: Int
        let height: Int
        /// Minimum face size, pixels (box width).
        let minimumFace: Int
        /// A greyscale image: the pyramid has one plane and the tile indicator (``MMODModel/greyLayers``).
        let grey: Bool
    }

    let key: Key
    let layout: PyramidLayout
    /// The levels searched (nil when the image is too small for any level).
    let levels: ClosedRange<Int>?
    /// How the pyramid is built (its tensor's geometry: phase planes when the first layer has stride 2) and
    /// which of its rows are stored.
    let pyramid: PyramidBuilder.Plan
    /// Score-map cells whose window centre lies on (or near) a kept tile, row by row.
    let scoreSpans: [(y: Int, x0: Int, x1: Int)]
    /// The network's plan (nil when there is nothing to compute).
    let network: MaskedNetwork.Plan?
}

extension FaceDetector {
    /// Works out the plan for `key`.
    /// - Throws: ``FaceDetectionError/imageTooLarge(width:height:maxPixels:)`` when the tiled pyramid would
    ///   exceed ``maxTensorPixels`` (checked from the layout, before any memory is taken).
    func plan(for key: DetectionPlan.Key) throws(FaceDetectionError) -> DetectionPlan {
        guard key.width <= 1 << 16, key.height <= 1 << 16 else {
            throw .imageTooLarge(width: key.width, height: key.height, maxPixels: Self.maxTensorPixels)
        }
        let layout = PyramidLayout(
            imageRows: key.height, imageColumns: key.width,
            padding: model.pyramidPadding, outerPadding: model.pyramidOuterPadding)
        guard layout.rows * layout.columns <= Self.maxTensorPixels else {
            throw .imageTooLarge(width: key.width, height: key.height, maxPixels: Self.maxTensorPixels)
        }
        let layers = model.layers(grey: key.grey)
        let geometry = PlaneGeometry(
            rows: layout.rows, columns: layout.columns,
            phased: MaskedNetwork.work(for: layers).first?.readsPhasePlanes ?? false)
        let levelCount = layout.rects.count
        var firstLevel = 0
        while firstLevel < levelCount - 1 && boxWidth(atLevel: firstLevel) < key.minimumFace { firstLevel += 1 }
        let levels: ClosedRange<Int>? = levelCount > 0 ? firstLevel...(levelCount - 1) : nil

        var gridRows = [layout.rows]
        var gridColumns = [layout.columns]
        for layer in layers {
            gridRows.append(layer.outputCount(gridRows.last!))
            gridColumns.append(layer.outputCount(gridColumns.last!))
        }
        let outRows = gridRows.last!
        let outColumns = gridColumns.last!
        guard let levels, outRows > 0, outColumns > 0 else {
            return DetectionPlan(
                key: key, layout: layout, levels: levels,
                pyramid: PyramidBuilder.Plan(layout: layout, geometry: geometry, needed: nil, grey: key.grey),
                scoreSpans: [], network: nil)
        }
        // Score-map cells whose window centre lies on (or within `margin` of) a kept tile.
        let origin = model.outputToInput(0)
        let step = model.outputToInput(1) - origin
        var outMask = CellMask(rows: outRows, columns: outColumns)
        if levels.lowerBound == 0 {
            outMask.mark(x0: 0, x1: outColumns, y0: 0, y1: outRows)
        } else {
            let margin = Double(model.pyramidPadding + model.pyramidOuterPadding)
            for level in levels {
                let r = layout.rects[level]
                let c0 = Int(((Double(r.left) - margin - origin) / step).rounded(.up))
                let c1 = Int(((Double(r.right) + margin - origin) / step).rounded(.down))
                let r0 = Int(((Double(r.top) - margin - origin) / step).rounded(.up))
                let r1 = Int(((Double(r.bottom) + margin - origin) / step).rounded(.down))
                outMask.mark(x0: c0, x1: c1 + 1, y0: r0, y1: r1 + 1)
            }
        }
        // Every earlier layer on the union of the receptive fields (Winograd outputs in whole tiles).
        let masks = MaskedNetwork.masks(
            for: layers, scoreMask: outMask,
            grids: zip(gridRows, gridColumns).map { (h: $0, w: $1) })
        // The pyramid stores only the rows the first layer reads.
        let pyramid = PyramidBuilder.Plan(layout: layout, geometry: geometry, needed: masks[0], grey: key.grey)
        return DetectionPlan(
            key: key, layout: layout, levels: levels, pyramid: pyramid,
            scoreSpans: outMask.spans,
            network: MaskedNetwork.Plan(layers: layers, geometry: geometry, masks: masks))
    }
}
