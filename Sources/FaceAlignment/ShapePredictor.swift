import FaceImaging
import NeuralCore

/// dlib's face landmark predictor — the 5-point `shape_predictor_5_face_landmarks.dat` or the 68-point
/// `shape_predictor_68_face_landmarks.dat`: a cascade of regression-tree forests (Kazemi & Sullivan) whose output is
/// identical to dlib's `shape_predictor`.
///
/// Load it once with ``init(contentsOf:sha256:cacheDirectory:)`` (which converts the slow dlib
/// serialization into a compact cache on first use) and share it freely: it is an immutable value.
///
/// The 5-point file holds 15 cascades of 500 trees of depth 4, with 800 feature pixels per cascade; the 68-point
/// file 10 cascades of 500 trees of depth 5, with 500 feature pixels per cascade.
package struct ShapePredictor: Sendable {
    /// The landmark counts this type runs: dlib's 5-point and 68-point models.
    package static let supportedPartCounts: Set<Int> = [FaceLandmarks.count, FaceShape.pointCount]

    /// Number of landmarks (5 or 68).
    package let partCount: Int
    /// Number of cascades (15 in the 5-point file).
    package let cascadeCount: Int
    /// Trees per cascade (500 in the 5-point file).
    package let treesPerCascade: Int
    /// Split nodes per tree (15 for depth 4); leaves per tree are `splitsPerTree + 1`.
    package let splitsPerTree: Int
    /// Feature pixels per cascade (800 in the 5-point file).
    package let featuresPerCascade: Int

    /// The mean shape, normalised to the face box: `x0, y0, x1, y1, …` (0…1 spans the box).
    let initialShape: [Float]
    /// Per split node: `idx1, idx2` (feature indices), cascade-major, then tree, then node.
    let splitFeatures: [UInt16]
    /// Per split node: the threshold on `f[idx1] − f[idx2]`.
    let thresholds: [Float]
    /// Per leaf: `2·partCount` shape increments, cascade-major, then tree, then leaf.
    let leaves: [Float]
    /// Per feature pixel: the index of its anchor landmark, cascade-major.
    let anchors: [UInt8]
    /// Per feature pixel: the offset `(dx, dy)` from its anchor in the initial shape, cascade-major.
    let deltas: [Float]

    var leavesPerTree: Int { splitsPerTree + 1 }

    // MARK: - Loading

    /// Parses a dlib `shape_predictor` serialization (the bytes of a `.dat` file) directly.
    ///
    /// This is slow (about 0.3 s in a release build, 20 s in a debug build: dlib stores every float in a
    /// portable variable-length form); prefer ``init(contentsOf:sha256:cacheDirectory:)``, which caches.
    /// - Throws: ``AlignmentError/invalidModel(_:)`` for malformed bytes,
    ///   ``AlignmentError/unsupportedModel(_:)`` for a well-formed predictor that is not a 5- or 68-point one
    ///   or whose indices are inconsistent.
    package init(serialized bytes: [UInt8]) throws(AlignmentError) {
        do {
            self = try Self.parseDlib(bytes)
        } catch let error as DlibFormatError {
            throw .invalidModel(error)
        } catch let error as AlignmentError {
            throw error
        } catch {
            throw .unsupportedModel("\(error)")
        }
    }

    /// Assembles and validates a predictor from its arrays.
    init(
        partCount: Int, cascadeCount: Int, treesPerCascade: Int, splitsPerTree: Int, featuresPerCascade: Int,
        initialShape: [Float], splitFeatures: [UInt16], thresholds: [Float], leaves: [Float],
        anchors: [UInt8], deltas: [Float]
    ) throws(AlignmentError) {
        guard Self.supportedPartCounts.contains(partCount) else {
            throw .unsupportedModel("\(partCount) landmarks, expected 5 or 68")
        }
        guard cascadeCount >= 1, treesPerCascade >= 1, featuresPerCascade >= 1, featuresPerCascade <= 65_535,
            splitsPerTree >= 1, splitsPerTree <= 1023, (splitsPerTree + 1) & splitsPerTree == 0
        else {
            throw .unsupportedModel(
                "sizes: \(cascadeCount) cascades, \(treesPerCascade) trees, \(splitsPerTree) splits, \(featuresPerCascade) features"
            )
        }
        let nodes = cascadeCount * treesPerCascade * splitsPerTree
        let leafCount = cascadeCount * treesPerCascade * (splitsPerTree + 1)
        let features = cascadeCount * featuresPerCascade
        guard initialShape.count == 2 * partCount, splitFeatures.count == 2 * nodes, thresholds.count == nodes,
            leaves.count == leafCount * 2 * partCount, anchors.count == features, deltas.count == 2 * features
        else {
            throw .unsupportedModel("array sizes do not match the declared structure")
        }
        guard splitFeatures.allSatisfy({ Int($0) < featuresPerCascade }) else {
            throw .unsupportedModel("a split refers to a feature pixel beyond \(featuresPerCascade)")
        }
        guard anchors.allSatisfy({ Int($0) < partCount }) else {
            throw .unsupportedModel("a feature pixel is anchored to a landmark beyond \(partCount)")
        }
        guard initialShape.allSatisfy(\.isFinite), thresholds.allSatisfy({ !$0.isNaN }),
            leaves.allSatisfy(\.isFinite), deltas.allSatisfy(\.isFinite)
        else {
            throw .unsupportedModel("non-finite values")
        }
        self.partCount = partCount
        self.cascadeCount = cascadeCount
        self.treesPerCascade = treesPerCascade
        self.splitsPerTree = splitsPerTree
        self.featuresPerCascade = featuresPerCascade
        self.initialShape = initialShape
        self.splitFeatures = splitFeatures
        self.thresholds = thresholds
        self.leaves = leaves
        self.anchors = anchors
        self.deltas = deltas
    }

    /// Reads the dlib layout (`shape_predictor.h` `serialize`): int 1; matrix initial_shape;
    /// forests as vector<vector<tree>> with tree = vector<{ulong idx1, ulong idx2, float thresh}> and
    /// vector<matrix<float,0,1>> leaves; anchor_idx as vector<vector<ulong>>; deltas as
    /// vector<vector<vector<float,2>>>.
    private static func parseDlib(_ bytes: [UInt8]) throws -> ShapePredictor {
        var r = DlibReader(bytes: bytes)
        let versionOffset = r.offset
        let version = try r.int64()
        guard version == 1 else {
            throw DlibFormatError.unsupported(offset: versionOffset, detail: "shape_predictor version \(version)")
        }

        // initial_shape: a column vector of 2·parts floats.
        let shapeOffset = r.offset
        let nr = -(try r.int64())
        let nc = -(try r.int64())
        guard nc == 1, nr >= 2, nr <= 2 * 255, nr % 2 == 0 else {
            throw DlibFormatError.invalidShape(offset: shapeOffset, detail: "initial shape \(nr)×\(nc)")
        }
        let partCount = Int(nr) / 2
        var initialShape = [Float]()
        initialShape.reserveCapacity(Int(nr))
        for _ in 0..<nr { initialShape.append(try r.float()) }
        guard Self.supportedPartCounts.contains(partCount) else {
            throw AlignmentError.unsupportedModel("\(partCount) landmarks, expected 5 or 68")
        }

        // Counts are bounded by the bytes left so a hostile count cannot cause a giant allocation.
        func count(_ r: inout DlibReader, _ what: String) throws -> Int {
            let o = r.offset
            let n = try r.int64()
            guard n >= 0, n <= Int64(r.remaining) else {
                throw DlibFormatError.invalidShape(offset: o, detail: "\(what) count \(n)")
            }
            return Int(n)
        }

        let cascadeCount = try count(&r, "cascade")
        var treesPerCascade = -1
        var splitsPerTree = -1
        var splitFeatures: [UInt16] = []
        var thresholds: [Float] = []
        var leaves: [Float] = []
        for _ in 0..<cascadeCount {
            let trees = try count(&r, "tree")
            if treesPerCascade < 0 {
                treesPerCascade = trees
            } else if trees != treesPerCascade {
                throw AlignmentError.unsupportedModel("cascades hold different numbers of trees")
            }
            for _ in 0..<trees {
                let splits = try count(&r, "split")
                if splitsPerTree < 0 {
                    splitsPerTree = splits
                    guard splits >= 1, splits <= 1023, (splits + 1) & splits == 0 else {
                        throw AlignmentError.unsupportedModel(
                            "trees with \(splits) splits are not complete binary trees")
                    }
                    let total = cascadeCount * max(trees, 1) * splits
                    guard total <= r.remaining else {
                        throw DlibFormatError.truncated(offset: r.offset, needed: total - r.remaining)
                    }
                    splitFeatures.reserveCapacity(2 * total)
                    thresholds.reserveCapacity(total)
                    leaves.reserveCapacity((total + cascadeCount * trees) * 2 * partCount)
                } else if splits != splitsPerTree {
                    throw AlignmentError.unsupportedModel("trees of different depths")
                }
                for _ in 0..<splits {
                    let o = r.offset
                    let i1 = try r.int64()
                    let i2 = try r.int64()
                    guard (0...65_534).contains(i1), (0...65_534).contains(i2) else {
                        throw DlibFormatError.invalidShape(offset: o, detail: "split feature index \(i1), \(i2)")
                    }
                    splitFeatures.append(UInt16(i1))
                    splitFeatures.append(UInt16(i2))
                    thresholds.append(try r.float())
                }
                let leafOffset = r.offset
                let leafCount = try count(&r, "leaf")
                guard leafCount == splits + 1 else {
                    throw DlibFormatError.invalidShape(
                        offset: leafOffset, detail: "\(leafCount) leaves for \(splits) splits")
                }
                for _ in 0..<leafCount {
                    let o = r.offset
                    let lr = -(try r.int64())
                    let lc = -(try r.int64())
                    guard lr == Int64(2 * partCount), lc == 1 else {
                        throw DlibFormatError.invalidShape(offset: o, detail: "leaf \(lr)×\(lc)")
                    }
                    for _ in 0..<lr { leaves.append(try r.float()) }
                }
            }
        }
        guard cascadeCount >= 1, treesPerCascade >= 1 else {
            throw AlignmentError.unsupportedModel("no trees")
        }

        let anchorCascades = try count(&r, "anchor cascade")
        guard anchorCascades == cascadeCount else {
            throw AlignmentError.unsupportedModel("\(anchorCascades) anchor sets for \(cascadeCount) cascades")
        }
        var featuresPerCascade = -1
        var anchors: [UInt8] = []
        for _ in 0..<anchorCascades {
            let n = try count(&r, "anchor")
            if featuresPerCascade < 0 {
                featuresPerCascade = n
                anchors.reserveCapacity(n * cascadeCount)
            }
            guard n == featuresPerCascade else {
                throw AlignmentError.unsupportedModel("cascades use different feature counts")
            }
            for _ in 0..<n {
                let o = r.offset
                let a = try r.int64()
                guard a >= 0, a < Int64(partCount) else {
                    throw DlibFormatError.invalidShape(offset: o, detail: "anchor index \(a)")
                }
                anchors.append(UInt8(a))
            }
        }
        let deltaCascades = try count(&r, "delta cascade")
        guard deltaCascades == cascadeCount else {
            throw AlignmentError.unsupportedModel("\(deltaCascades) delta sets for \(cascadeCount) cascades")
        }
        var deltas: [Float] = []
        deltas.reserveCapacity(2 * anchors.count)
        for _ in 0..<deltaCascades {
            let n = try count(&r, "delta")
            guard n == featuresPerCascade else {
                throw AlignmentError.unsupportedModel("delta count \(n) differs from anchor count")
            }
            for _ in 0..<n {
                deltas.append(try r.float())
                deltas.append(try r.float())
            }
        }
        try r.expectEnd()
        return try ShapePredictor(
            partCount: partCount, cascadeCount: cascadeCount, treesPerCascade: treesPerCascade,
            splitsPerTree: splitsPerTree, featuresPerCascade: featuresPerCascade,
            initialShape: initialShape, splitFeatures: splitFeatures, thresholds: thresholds,
            leaves: leaves, anchors: anchors, deltas: deltas)
    }

    // MARK: - Inference

    /// Places the five landmarks inside `face`, exactly as dlib's `shape_predictor(img, rect)` with the 5-point model.
    ///
    /// - Parameters:
    ///   - image: an RGB or greyscale image.
    ///   - face: the face box (inclusive pixel coordinates), usually from the detector. It may extend
    ///     beyond the image; pixels outside read as 0, as in dlib.
    /// - Returns: the five landmarks, in image pixels (they may lie outside the image).
    /// - Precondition: this is a 5-point predictor (``partCount`` is 5).
    package func landmarks(in image: Image, face: FaceRect) -> FaceLandmarks {
        precondition(partCount == FaceLandmarks.count, "landmarks(in:face:) needs the 5-point predictor")
        return predict(in: image, face: face) { point in
            FaceLandmarks(points: (point(0), point(1), point(2), point(3), point(4)))
        }
    }

    /// Places dlib's 68 landmarks inside `face`, exactly as dlib's `shape_predictor(img, rect)` with the 68-point model.
    ///
    /// - Parameters:
    ///   - image: an RGB or greyscale image.
    ///   - face: the face box (inclusive pixel coordinates); pixels outside the image read as 0, as in dlib.
    /// - Returns: the 68 points in image pixels (they may lie outside the image).
    /// - Precondition: this is a 68-point predictor (``partCount`` is 68).
    package func shape(in image: Image, face: FaceRect) -> FaceShape {
        precondition(partCount == FaceShape.pointCount, "shape(in:face:) needs the 68-point predictor")
        return predict(in: image, face: face) { point in
            FaceShape(unchecked: (0..<FaceShape.pointCount).map(point))
        }
    }

    /// Runs the cascades inside `face` and hands `result` a reader of the final points in image pixels.
    ///
    /// Per cascade: the 2×2 part of the similarity from the initial shape to the current shape
    /// moves each feature pixel's offset; the pixel is read at `round(unnormalise(p))` as the integer
    /// grey value `(r + g + b) / 3` (0 outside the image); each tree walks on
    /// `f[idx1] − f[idx2] > threshold` and adds its leaf to the shape. The result is the shape mapped
    /// to image pixels and rounded with `floor(v + 0.5)`.
    private func predict<R>(
        in image: Image, face: FaceRect, _ result: ((Int) -> LandmarkPoint) -> R
    ) -> R {
        // unnormalizing_tform: (0,0) → top-left, (1,0) → top-right, (1,1) → bottom-right, solved as dlib
        // does (pseudo-inverse) from the corners as single-precision points.
        let l = Double(Float(face.left))
        let t = Double(Float(face.top))
        let r = Double(Float(face.right))
        let b = Double(Float(face.bottom))
        let toImage = dlibAffineTransform(from: ((0, 0), (1, 0), (1, 1)), to: ((l, t), (r, t), (r, b)))

        // The working shape lives in a scoped buffer (on the stack for the 5-point model), as does all
        // other per-call state, and the 5 landmarks are stored inline: a 5-point prediction does not allocate.
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * partCount) { shape in
            _ = shape.initialize(fromContentsOf: initialShape)
            runCascades(on: image, toImage: toImage, shape: shape)
            return result { i in
                let (x, y) = toImage.apply(Double(shape[2 * i]), Double(shape[2 * i + 1]))
                return LandmarkPoint(x: dlibRound(x), y: dlibRound(y))
            }
        }
    }

    /// Runs every cascade on `shape` (normalised coordinates, `x0, y0, x1, y1, …`), in place.
    private func runCascades(on image: Image, toImage: Affine2D, shape: UnsafeMutableBufferPointer<Float>) {
        let shapeSize = 2 * partCount
        // Scratch: the initial shape and the current shape in double precision (the similarity's input),
        // and the feature pixel values of one cascade. Feature values are grey levels 0…255, so one byte
        // each holds them exactly (and keeps the 800 of the 5-point model within a stack buffer).
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * shapeSize) { points in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: featuresPerCascade) { features in
                let initial = UnsafeMutableBufferPointer(rebasing: points[0..<shapeSize])
                let current = UnsafeMutableBufferPointer(rebasing: points[shapeSize..<(2 * shapeSize)])
                for i in 0..<shapeSize { initial[i] = Double(initialShape[i]) }
                for cascade in 0..<cascadeCount {
                    // T = 2×2 part of the similarity initial → current, cast to Float as dlib does.
                    for i in 0..<shapeSize { current[i] = Double(shape[i]) }
                    let similarity = dlibSimilarityTransform(
                        from: UnsafeBufferPointer(initial), to: UnsafeBufferPointer(current),
                        count: partCount)
                    readFeatures(
                        of: cascade, from: image, toImage: toImage, similarity: similarity,
                        shape: UnsafeBufferPointer(shape), into: features)
                    applyForest(of: cascade, features: UnsafeBufferPointer(features), to: shape)
                }
            }
        }
    }

    /// The grey value of each feature pixel of `cascade`: its offset from its anchor landmark turned by
    /// the 2×2 part of `similarity` (in single precision), added to the anchor, mapped to the image and
    /// rounded; `(r + g + b) / 3` in integers for RGB, 0 outside the image.
    private func readFeatures(
        of cascade: Int, from image: Image, toImage: Affine2D, similarity: Affine2D,
        shape: UnsafeBufferPointer<Float>, into values: UnsafeMutableBufferPointer<UInt8>
    ) {
        let t00 = Float(similarity.m00)
        let t01 = Float(similarity.m01)
        let t10 = Float(similarity.m10)
        let t11 = Float(similarity.m11)
        let width = image.width
        let height = image.height
        let channels = image.channels
        let featureBase = cascade * featuresPerCascade
        image.pixels.withUnsafeBufferPointer { px in
            anchors.withUnsafeBufferPointer { anchor in
                deltas.withUnsafeBufferPointer { delta in
                    for i in 0..<featuresPerCascade {
                        let dx = delta[2 * (featureBase + i)]
                        let dy = delta[2 * (featureBase + i) + 1]
                        let a = Int(anchor[featureBase + i])
                        var x: Float = t00 * dx
                        x += t01 * dy
                        var y: Float = t10 * dx
                        y += t11 * dy
                        x += shape[2 * a]
                        y += shape[2 * a + 1]
                        let (ix, iy) = toImage.apply(Double(x), Double(y))
                        let col = dlibRound(ix)
                        let row = dlibRound(iy)
                        if col >= 0, row >= 0, col < width, row < height {
                            let o = (row * width + col) * channels
                            if channels == 3 {
                                values[i] = UInt8((Int(px[o]) + Int(px[o + 1]) + Int(px[o + 2])) / 3)
                            } else {
                                values[i] = px[o]
                            }
                        } else {
                            values[i] = 0
                        }
                    }
                }
            }
        }
    }

    /// Walks every tree of `cascade` on `f[idx1] − f[idx2] > threshold` (in single precision, as dlib
    /// compares its float feature values) and adds the leaf reached to `shape`, tree after tree.
    private func applyForest(
        of cascade: Int, features f: UnsafeBufferPointer<UInt8>,
        to shape: UnsafeMutableBufferPointer<Float>
    ) {
        let shapeSize = 2 * partCount
        let splits = splitsPerTree
        let treeLeafStride = (splits + 1) * shapeSize
        let treeBase = cascade * treesPerCascade
        splitFeatures.withUnsafeBufferPointer { splitIdx in
            thresholds.withUnsafeBufferPointer { thresh in
                leaves.withUnsafeBufferPointer { leafValues in
                    for tree in 0..<treesPerCascade {
                        let nodeBase = (treeBase + tree) * splits
                        var node = 0
                        while node < splits {
                            let n = nodeBase + node
                            let diff = Float(f[Int(splitIdx[2 * n])]) - Float(f[Int(splitIdx[2 * n + 1])])
                            node = diff > thresh[n] ? 2 * node + 1 : 2 * node + 2
                        }
                        let leaf = (treeBase + tree) * treeLeafStride + (node - splits) * shapeSize
                        for k in 0..<shapeSize { shape[k] += leafValues[leaf + k] }
                    }
                }
            }
        }
    }
}
