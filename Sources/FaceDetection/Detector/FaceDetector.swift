import Foundation
import FaceImaging
import NeuralCore

/// The smallest face the detector looks for; larger pyramid levels, which can only hold smaller faces, are skipped.
public enum MinimumFaceSize: Sendable, Equatable {
    /// A fraction of the image width (0…1), e.g. 0.15 for a reader camera where the face fills the frame.
    case fractionOfWidth(Double)
    /// A box width in pixels (dlib box widths: 80 px at full resolution, ×1.2 per pyramid level).
    case pixels(Int)
    /// Search every pyramid level, exactly as dlib's full run (slowest; finds faces down to 80 px).
    case none
}

/// How ``FaceDetector/detect(in:options:)`` searches.
public struct DetectionOptions: Sendable, Equatable {
    /// The smallest face searched. Default: 15% of the frame width (a reader camera).
    public var minimumFaceSize: MinimumFaceSize
    /// Score-map values above this become candidate boxes (dlib's `adjust_threshold`, default 0).
    public var adjustThreshold: Double

    /// Creates options.
    public init(minimumFaceSize: MinimumFaceSize = .fractionOfWidth(0.15), adjustThreshold: Double = 0) {
        self.minimumFaceSize = minimumFaceSize
        self.adjustThreshold = adjustThreshold
    }

    /// Every pyramid level: dlib's `cnn_face_detection_model_v1(img, 0)` result.
    public static let fullPyramid = DetectionOptions(minimumFaceSize: .none)
}

/// One detected face.
public struct Detection: Sendable, Equatable {
    /// The box in image pixels (inclusive corners, as dlib's `rectangle`; may extend past the image).
    public var box: PixelRect
    /// The detector's confidence (the MMOD score; > 0 for every reported face, higher is surer).
    public var score: Double
    /// The pyramid level it was found at (0 = full resolution; box width ≈ 80·1.2^level px).
    public var level: Int
}

/// Wall-clock time spent, in milliseconds.
public struct DetectionTiming: Sendable, Equatable {
    /// Building the tiled pyramid.
    public var pyramidMilliseconds: Double
    /// Running the network.
    public var networkMilliseconds: Double
    /// Everything, including box mapping and non-maximum suppression.
    public var totalMilliseconds: Double
}

/// What ``FaceDetector/detect(in:options:)`` found.
public struct DetectionResult: Sendable, Equatable {
    /// Faces after non-maximum suppression, highest score first.
    public var faces: [Detection]
    /// The pyramid levels searched (nil when none could hold a face of the minimum size).
    public var levelsUsed: ClosedRange<Int>?
    /// Levels in dlib's full pyramid for this image size.
    public var levelCount: Int
    /// The minimum face size searched, in pixels (box width).
    public var minimumFaceSize: Int
    /// Image width and height (pixels).
    public var imageWidth: Int, imageHeight: Int
    /// Multiply-adds the network performed.
    public var multiplyAdds: Int
    /// Time spent.
    public var timing: DetectionTiming
}

/// dlib's MMOD CNN face detector (`mmod_human_face_detector.dat`) run natively.
///
/// Load once and share: the detector is safe to use from several tasks at once. It keeps the working
/// memory of its last detection (the pyramid tensor, feature maps, and the plan of that frame size), so a
/// stream of same-size frames allocates no large buffers and plans nothing again; a second concurrent
/// detection works in memory of its own, freed when it ends.
/// Results equal dlib's `cnn_face_detection_model_v1(image, 0)` for the searched levels: same tiled pyramid,
/// same score map, same 80×80 windows mapped back through the pyramid, same non-maximum suppression.
public struct FaceDetector: Sendable {
    let model: MMODModel
    /// Working memory reused across detections (one scratch per concurrent detection).
    let scratchPool = DetectorScratchPool()

    /// The largest tiled-pyramid tensor accepted (pixels); about an 8-megapixel photo.
    public static let maxTensorPixels = 24_000_000

    /// Loads the detector from the model store (`$MYNAFACE_MODELS` or `~/.cache/mynaface/models`).
    /// - Throws: ``FaceDetectionError/modelFile(_:)`` when the file is missing or unreadable,
    ///   ``FaceDetectionError/invalidModel(_:)`` when it is not the MMOD face detector.
    public init(store: ModelStore = ModelStore()) throws(FaceDetectionError) {
        let url: URL
        do { url = try store.url(for: ModelStore.mmodFaceDetector) } catch { throw .modelFile(error.description) }
        try self.init(modelURL: url)
    }

    /// Loads the detector from a `mmod_human_face_detector.dat` file.
    /// - Throws: ``FaceDetectionError/modelFile(_:)`` or ``FaceDetectionError/invalidModel(_:)``.
    public init(modelURL: URL) throws(FaceDetectionError) {
        let data: Data
        do { data = try Data(contentsOf: modelURL, options: .mappedIfSafe) } catch {
            throw .modelFile("\(modelURL.path) could not be read: \(error.localizedDescription)")
        }
        try self.init(modelBytes: [UInt8](data))
    }

    /// Parses the detector from the bytes of `mmod_human_face_detector.dat`.
    /// - Throws: ``FaceDetectionError/invalidModel(_:)`` for bytes that do not parse as the MMOD network.
    public init(modelBytes: [UInt8]) throws(FaceDetectionError) {
        model = try MMODModel(bytes: modelBytes)
    }

    /// The box width (pixels) a detection at `level` has: the window mapped up through the pyramid.
    public func boxWidth(atLevel level: Int) -> Int {
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
    public func detect(in image: Image, options: DetectionOptions = DetectionOptions()) throws(FaceDetectionError) -> DetectionResult {
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
            guard f.isFinite, f >= 0, f <= 1 else { throw .invalidOptions("minimum face size fraction \(f) is not within 0…1") }
            minFace = Int((f * Double(image.width)).rounded())
        }
        let scratch = scratchPool.take()
        defer { scratchPool.give(scratch) }
        // The plan of this frame size (layout, levels, needed cells): made once, reused for later frames.
        let key = DetectionPlan.Key(width: image.width, height: image.height, minimumFace: minFace, grey: image.channels == 1)
        let plan: DetectionPlan
        if let cached = scratch.plan, cached.key == key {
            plan = cached
        } else {
            plan = try self.plan(for: key)
            scratch.plan = plan
        }
        let layout = plan.layout, levels = plan.levels

        var faces: [Detection] = []
        var macs = 0
        var pyramidTime = Duration.zero, networkTime = Duration.zero
        if let levels, let network = plan.network {
            let t0 = clock.now
            guard let input = scratch.preparePyramid(planes: 3, plan: plan.pyramid),
                  let rings = scratch.block(.rings, count: 3 * plan.pyramid.ringFloats) else {
                throw .imageTooLarge(width: image.width, height: image.height, maxPixels: Self.maxTensorPixels)
            }
            PyramidBuilder.fill(image, plan: plan.pyramid, means: model.means, into: input, rings: rings, team: scratch.team)
            let t1 = clock.now
            let halfW = Double(model.windowWidth - 1) / 2, halfH = Double(model.windowHeight - 1) / 2
            let threshold = options.adjustThreshold
            let scoreGeometry = network.scoreGeometry
            let found: Void? = MaskedNetwork.run(model.layers(grey: key.grey), plan: network, input: input, scratch: scratch) { scores in
                // Candidates: every masked score above the threshold, as a window mapped back to the image.
                scratch.candidates.removeAll(keepingCapacity: true)
                for span in plan.scoreSpans {
                    for c in span.x0..<span.x1 {
                        let score = Double(scores[scoreGeometry.rowOffset(span.y) + scoreGeometry.columnOffset(c)])
                        guard score > threshold else { continue }
                        let px = model.outputToInput(Double(c)), py = model.outputToInput(Double(span.y))
                        let mapped = layout.tensorToImage(left: px - halfW, top: py - halfH, right: px + halfW, bottom: py + halfH)
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
            pyramidTime = t1 - t0; networkTime = t2 - t1
            faces = suppressNonMaxima(&scratch.candidates, buffer: &scratch.sortBuffer)
        }
        let end = clock.now
        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        }
        return DetectionResult(faces: faces, levelsUsed: levels, levelCount: layout.rects.count, minimumFaceSize: minFace,
                               imageWidth: image.width, imageHeight: image.height, multiplyAdds: macs,
                               timing: DetectionTiming(pyramidMilliseconds: ms(pyramidTime),
                                                       networkMilliseconds: ms(networkTime),
                                                       totalMilliseconds: ms(end - start)))
    }

    /// Non-maximum suppression: the candidates by descending score (ties in their order), each kept unless it
    /// overlaps one kept before. Works in place (`candidates` is reordered, `buffer` is merge space), so a
    /// detection allocates only the returned array.
    func suppressNonMaxima(_ candidates: inout [Detection], buffer: inout [Detection]) -> [Detection] {
        Self.sortByScore(&candidates, buffer: &buffer)
        var kept = 0
        candidates.withUnsafeMutableBufferPointer { c in
            for i in c.indices {
                var overlapsKept = false
                for j in 0..<kept where overlaps(c[j].box, c[i].box) { overlapsKept = true; break }
                if !overlapsKept { c[kept] = c[i]; kept += 1 }
            }
        }
        return Array(candidates[..<kept])
    }

    /// Sorts by descending score, keeping the order of equal scores (the order `Array.sort`, a stable sort,
    /// gives), without allocating once `buffer` has grown to the candidate count: insertion sort of runs of 16,
    /// then merges back and forth between `detections` and `buffer`.
    static func sortByScore(_ detections: inout [Detection], buffer: inout [Detection]) {
        let n = detections.count
        guard n > 1 else { return }
        if buffer.count < n { buffer = Array(repeating: detections[0], count: n) }
        let run = 16
        var inBuffer = false
        detections.withUnsafeMutableBufferPointer { a in
            buffer.withUnsafeMutableBufferPointer { b in
                var start = 0
                while start < n {
                    let end = min(start + run, n)
                    for i in (start + 1)..<end {
                        let d = a[i]
                        var j = i
                        while j > start && a[j - 1].score < d.score { a[j] = a[j - 1]; j -= 1 }
                        a[j] = d
                    }
                    start = end
                }
                var width = run
                while width < n {
                    let (src, dst) = inBuffer ? (b, a) : (a, b)
                    var lo = 0
                    while lo < n {
                        let mid = min(lo + width, n), hi = min(lo + 2 * width, n)
                        var i = lo, j = mid, k = lo
                        while i < mid && j < hi {
                            // The left run's element first unless the right one scores strictly higher.
                            if src[j].score > src[i].score { dst[k] = src[j]; j += 1 } else { dst[k] = src[i]; i += 1 }
                            k += 1
                        }
                        while i < mid { dst[k] = src[i]; i += 1; k += 1 }
                        while j < hi { dst[k] = src[j]; j += 1; k += 1 }
                        lo = hi
                    }
                    inBuffer.toggle()
                    width *= 2
                }
                if inBuffer { a.baseAddress!.update(from: b.baseAddress!, count: n) }
            }
        }
    }

    /// dlib's `test_box_overlap` with the model's NMS settings (IoU over the bounding box of both).
    func overlaps(_ a: PixelRect, _ b: PixelRect) -> Bool {
        let inner = Double(a.intersection(b).area)
        if inner == 0 { return false }
        let outer = Double(a.union(b).area)
        return inner / outer > model.nmsIOU || inner / Double(a.area) > model.nmsPercentCovered
            || inner / Double(b.area) > model.nmsPercentCovered
    }
}
