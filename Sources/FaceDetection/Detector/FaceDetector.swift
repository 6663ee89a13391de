import FaceImaging
import Foundation
import NeuralCore

/// dlib's MMOD CNN face detector (`mmod_human_face_detector.dat`) run natively.
///
/// Load once and share: the detector is safe to use from several tasks at once. It keeps the working
/// memory of its last detection (the pyramid tensor, feature maps, and the plan of that frame size), so a
/// stream of same-size frames allocates no large buffers and plans nothing again; a second concurrent
/// detection works in memory of its own, freed when it ends.
/// Results equal dlib's `cnn_face_detection_model_v1(image, 0)` for the searched levels: same tiled pyramid,
/// same score map, same 80×80 windows mapped back through the pyramid, same non-maximum suppression.
///
/// Package-internal like the rest of the engine: integrators reach it through MynaFace's `FaceAnalyzer`.
package struct FaceDetector: Sendable {
    let model: MMODModel
    /// Working memory reused across detections (one scratch per concurrent detection).
    let scratchPool = DetectorScratchPool()

    /// The largest tiled-pyramid tensor accepted (pixels); about an 8-megapixel photo.
    package static let maxTensorPixels = 24_000_000

    /// Loads the detector from the model store (`$MYNAFACE_MODELS` or `~/.cache/mynaface/models`).
    /// - Throws: ``FaceDetectionError/modelFile(_:)`` when the file is missing or unreadable,
    ///   ``FaceDetectionError/invalidModel(_:)`` when it is not the MMOD face detector.
    package init(store: ModelStore = ModelStore()) throws(FaceDetectionError) {
        let url: URL
        do { url = try store.url(for: ModelStore.mmodFaceDetector) } catch { throw .modelFile(error.description) }
        try self.init(modelURL: url)
    }

    /// Loads the detector from a `mmod_human_face_detector.dat` file.
    /// - Throws: ``FaceDetectionError/modelFile(_:)`` or ``FaceDetectionError/invalidModel(_:)``.
    package init(modelURL: URL) throws(FaceDetectionError) {
        let data: Data
        do { data = try Data(contentsOf: modelURL, options: .mappedIfSafe) } catch {
            throw .modelFile("\(modelURL.path) could not be read: \(error.localizedDescription)")
        }
        try self.init(modelBytes: [UInt8](data))
    }

    /// Parses the detector from the bytes of `mmod_human_face_detector.dat`.
    /// - Throws: ``FaceDetectionError/invalidModel(_:)`` for bytes that do not parse as the MMOD network.
    package init(modelBytes: [UInt8]) throws(FaceDetectionError) {
        model = try MMODModel(bytes: modelBytes)
    }

    /// The box width (pixels) a detection at `level` has: the window mapped up through the pyramid.
    package func boxWidth(atLevel level: Int) -> Int {
        Int((Double(max(model.windowWidth, model.windowHeight) - 1) * pow(1.2, Double(level))).rounded()) + 1
    }

    /// Detects faces.
    ///
    /// Lays out dlib's tiled pyramid of the whole image, but computes the network (and stores pyramid rows)
    /// only where the kept levels need it: levels whose detection box (≈ 80·1.2^level px) is smaller than
    /// the minimum face size are skipped. Every kept-level score equals the full-pyramid score up to float
    /// rounding (the 5×5 layers use Winograd's algorithm), so every face at or above the minimum is found
    /// with dlib's box and score. Greyscale images are read as R = G = B (computed with one pyramid and a two-plane
    /// first layer, equal up to float rounding: `docs/detector.md`).
    ///
    /// - Parameters:
    ///   - image: an RGB or greyscale image.
    ///   - options: minimum face size and score threshold.
    /// - Returns: faces (highest score first), the levels used and timings.
    /// - Throws: ``FaceDetectionError/emptyImage``, ``FaceDetectionError/imageTooLarge(width:height:maxPixels:)``,
    ///   ``FaceDetectionError/invalidOptions(_:)``.
    package func detect(in image: Image, options: DetectionOptions = DetectionOptions()) throws(FaceDetectionError)
        -> DetectionResult
    {
        let clock = ContinuousClock()
        let start = clock.now
        guard image.width > 0, image.height > 0 else { throw .emptyImage }
        guard options.adjustThreshold.isFinite else { throw .invalidOptions("adjustThreshold must be finite") }
        let minFace: Int
        switch options.minimumFaceSize {
        case .none: minFace = 0
        case .pixels(let p):
            guard p >= 0 else { throw .invalidOptions("minimum face size \(p) px is negative") }
            minFace = p
        case .fractionOfWidth(let f):
            guard f.isFinite, f >= 0, f <= 1 else {
                throw .invalidOptions("minimum face size fraction \(f) is not within 0…1")
            }
            minFace = Int((f * Double(image.width)).rounded())
        }
        let scratch = scratchPool.take()
        defer { scratchPool.give(scratch) }
        // The plan of this frame size (layout, levels, needed cells): made once, reused for later frames.
        let key = DetectionPlan.Key(
            width: image.width, height: image.height, minimumFace: minFace, grey: image.channels == 1)
        let plan: DetectionPlan
        if let cached = scratch.plan, cached.key == key {
            plan = cached
        } else {
            plan = try self.plan(for: key)
            scratch.plan = plan
        }
        let layout = plan.layout
        let levels = plan.levels

        var faces: [Detection] = []
        var macs = 0
        var pyramidTime = Duration.zero
        var networkTime = Duration.zero
        if let levels, let network = plan.network {
            let t0 = clock.now
            guard let input = scratch.preparePyramid(planes: 3, plan: plan.pyramid),
                let rings = scratch.block(.rings, count: 3 * plan.pyramid.ringFloats)
            else {
                throw .imageTooLarge(width: image.width, height: image.height, maxPixels: Self.maxTensorPixels)
            }
            PyramidBuilder.fill(
                image, plan: plan.pyramid, means: model.means, into: input, rings: rings, team: scratch.team)
            let t1 = clock.now
            let halfW = Double(model.windowWidth - 1) / 2
            let halfH = Double(model.windowHeight - 1) / 2
            let threshold = options.adjustThreshold
            let scoreGeometry = network.scoreGeometry
            let found: Void? = MaskedNetwork.run(
                model.layers(grey: key.grey), plan: network, input: input, scratch: scratch
            ) { scores in
                // Candidates: every masked score above the threshold, as a window mapped back to the image.
                scratch.candidates.removeAll(keepingCapacity: true)
                for span in plan.scoreSpans {
                    for c in span.x0..<span.x1 {
                        let score = Double(scores[scoreGeometry.rowOffset(span.y) + scoreGeometry.columnOffset(c)])
                        guard score > threshold else { continue }
                        let px = model.outputToInput(Double(c))
                        let py = model.outputToInput(Double(span.y))
                        let mapped = layout.tensorToImage(
                            left: px - halfW, top: py - halfH, right: px + halfW, bottom: py + halfH)
                        guard levels.contains(mapped.level) else { continue }
                        scratch.candidates.append(Detection(box: mapped.rect, score: score, level: mapped.level))
                    }
                }
            }
            guard found != nil else {
                throw .imageTooLarge(width: image.width, height: image.height, maxPixels: Self.maxTensorPixels)
            }
            macs = network.multiplyAdds
            let t2 = clock.now
            pyramidTime = t1 - t0
            networkTime = t2 - t1
            faces = suppressNonMaxima(&scratch.candidates, buffer: &scratch.sortBuffer)
        }
        let end = clock.now
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        return DetectionResult(
            faces: faces, levelsUsed: levels, levelCount: layout.rects.count, minimumFaceSize: minFace,
            imageWidth: image.width, imageHeight: image.height, multiplyAdds: macs,
            timing: DetectionTiming(
                pyramidMilliseconds: ms(pyramidTime),
                networkMilliseconds: ms(networkTime),
                totalMilliseconds: ms(end - start)))
    }
}
