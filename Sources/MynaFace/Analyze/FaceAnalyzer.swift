import FaceAlignment
import FaceDetection
import FaceEmbedding
import FaceImaging
import Foundation
import NeuralCore

/// One face found in an image: where it is, how sure the detector is, its 5 landmarks and its aligned chip (and, for
/// an external embedding model, the face aligned to that model's input).
public struct DetectedFace: Sendable, Equatable {
    /// The detector's box (inclusive pixel coordinates, dlib's `rectangle`).
    public var box: FaceRect
    /// The MMOD detection score (> 0; higher is surer).
    public var score: Double
    /// dlib's 5 landmarks, in image pixels.
    public var landmarks: FaceLandmarks
    /// dlib's 68 landmarks, in image pixels, when the analyzer was made with `fullShape` (else nil).
    public var shape: FaceShape? = nil
    /// The 150×150 chip aligned as dlib's `get_face_chip(size 150, padding 0.25)` (grey or RGB as the image).
    public var chip: Image
    /// The face aligned for an external model: the ArcFace five-point template at the manifest's input size (from
    /// the 68-point landmarks); nil with dlib's ResNet.
    public var alignedFace: Image? = nil

    /// What the analyzer's embedding model takes: ``alignedFace`` for an external model, else the dlib ``chip``.
    public var embeddingInput: Image { alignedFace ?? chip }
}

/// The faces in one image, largest first, with what the detector did.
public struct FaceAnalysis: Sendable, Equatable {
    /// Every face, largest box first.
    public var faces: [DetectedFace]
    /// The detector's pyramid levels that ran (nil when the image was too small for any).
    public var levelsUsed: ClosedRange<Int>?
    /// Image size, pixels.
    public var imageWidth: Int, imageHeight: Int
    /// Milliseconds spent detecting, finding landmarks and aligning.
    public var detectMilliseconds: Double, landmarksMilliseconds: Double, alignMilliseconds: Double
}

/// A failure of the analysis pipeline that is not about the person in front of the camera. Each case keeps
/// the stage's own typed error as its cause.
public enum FaceAnalyzerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The detector model could not be loaded (missing, corrupt): the cause names the file and the fix.
    case detectorModel(FaceDetectionError)
    /// The landmark (shape-predictor) model could not be loaded.
    case landmarkModel(AlignmentError)
    /// The embedding (ResNet) model could not be loaded.
    case embeddingModel(FaceEmbeddingError)
    /// The external embedding model could not be loaded (manifest, file, SHA-256, network or threshold file).
    case externalModel(ModelManifestError)
    /// The detector refused the image (empty, too large, invalid options).
    case detection(FaceDetectionError)
    /// The face could not be aligned (landmarks or chip geometry out of range).
    case alignment(AlignmentError)
    /// The embedder refused the chip.
    case embedding(FaceEmbeddingError)

    /// True for a model that could not be loaded (as opposed to an input a stage refused).
    public var isModelFailure: Bool {
        switch self {
        case .detectorModel, .landmarkModel, .embeddingModel, .externalModel: true
        case .detection, .alignment, .embedding: false
        }
    }

    public var description: String {
        switch self {
        case .detectorModel(let e): "face models: \(e)"
        case .landmarkModel(let e): "face models: \(e)"
        case .embeddingModel(let e): "face models: \(e)"
        case .externalModel(let e): "face models: \(e)"
        case .detection(let e): "\(e)"
        case .alignment(let e): "\(e)"
        case .embedding(let e): "\(e)"
        }
    }
}

/// detect → landmarks → align → embed, with the models loaded once: dlib's three (MMOD detector, 5-point landmarks,
/// ResNet), and for an external embedding model also dlib's 68-point landmarks and the model's network.
///
/// With dlib's ResNet (the default) faces are aligned as dlib's 150×150 chips and embedded to 128-D descriptors. With
/// an external model (``init(store:model:)``), each face is also aligned to the ArcFace template at the model's input
/// size (``DetectedFace/alignedFace``) and embedded by the model into its L2-normalised embedding; the dlib chip is
/// still made, for the quality gate.
///
/// `FaceAnalyzer` is `Sendable`: one instance serves concurrent callers.
public struct FaceAnalyzer: Sendable {
    /// The MMOD CNN face detector.
    package let detector: FaceDetector
    /// The 5-point shape predictor.
    package let predictor: ShapePredictor
    /// The 68-point shape predictor, when the analyzer was made with `fullShape`.
    package let fullShapePredictor: ShapePredictor?
    /// The ResNet embedder (settable, e.g. to change its thread count).
    package var embedder: FaceEmbedder
    /// The external embedding model, when one was chosen.
    package let external: ExternalModel?

    /// Loads the three models from `store` (default: ``ModelStore/init()``, `$MYNAFACE_MODELS` or the cache root's `models`).
    /// - Parameters:
    ///   - store: the models folder.
    ///   - fullShape: also load dlib's 68-point predictor and give every face its ``DetectedFace/shape``
    ///     (liveness cues and the alignment of external models use it; about 1 ms more per face).
    /// - Throws: ``FaceAnalyzerError/detectorModel(_:)``, ``FaceAnalyzerError/landmarkModel(_:)`` or
    ///   ``FaceAnalyzerError/embeddingModel(_:)`` naming the missing or corrupt file and the command that fixes it.
    public init(store: ModelStore = ModelStore(), fullShape: Bool = false) throws(FaceAnalyzerError) {
        do { detector = try FaceDetector(store: store) } catch { throw .detectorModel(error) }
        do { predictor = try ShapePredictor(store: store) } catch { throw .landmarkModel(error) }
        if fullShape {
            do { fullShapePredictor = try ShapePredictor(store: store, model: .sixtyEightPoint) } catch {
                throw .landmarkModel(error)
            }
        } else {
            fullShapePredictor = nil
        }
        do { embedder = try FaceEmbedder(store: store) } catch { throw .embeddingModel(error) }
        external = nil
    }

    /// Loads dlib's models from `store` and the chosen embedding model.
    /// - Parameters:
    ///   - store: dlib's models folder.
    ///   - model: dlib's ResNet, or an external model directory (`manifest.json` + `.onnx`, `docs/models.md`).
    /// - Throws: as ``init(store:)``; ``FaceAnalyzerError/externalModel(_:)`` for an external model that cannot be
    ///   loaded; ``FaceAnalyzerError/landmarkModel(_:)`` when the 68-point predictor is missing.
    public init(store: ModelStore = ModelStore(), model: EmbeddingModelChoice) throws(FaceAnalyzerError) {
        switch model {
        case .dlibResNet: try self.init(store: store, fullShape: false)
        case .external(let directory):
            let loaded: ExternalModel
            do { loaded = try ExternalModel.load(directory: directory) } catch { throw .externalModel(error) }
            try self.init(store: store, externalModel: loaded)
        }
    }

    /// Loads dlib's models from `store` (with the 68-point predictor: the ArcFace points come from it) and uses an
    /// already loaded external model.
    /// - Throws: as ``init(store:fullShape:)``.
    public init(store: ModelStore = ModelStore(), externalModel: ExternalModel) throws(FaceAnalyzerError) {
        self.init(base: try FaceAnalyzer(store: store, fullShape: true), externalModel: externalModel)
    }

    /// `base` (whose ``fullShapePredictor`` the external model's alignment needs: without it faces get no
    /// ``DetectedFace/alignedFace`` and cannot be embedded) with an external model.
    package init(base: FaceAnalyzer, externalModel: ExternalModel) {
        detector = base.detector
        predictor = base.predictor
        fullShapePredictor = base.fullShapePredictor
        embedder = base.embedder
        external = externalModel
    }

    /// The embedding model the descriptors come from.
    public var embeddingModel: EmbeddingModelIdentity { external?.identity ?? .dlibResNet }

    /// Loads the models from `directory` (the folder `Scripts/fetch-models.sh` fills).
    /// - Throws: as ``init(store:)``.
    public init(modelsDirectory directory: URL) throws(FaceAnalyzerError) {
        try self.init(store: ModelStore(directory: directory))
    }

    /// Threads one embedding pass is shared out over (the calling thread plus helpers; default every core, at most 8).
    public var embeddingThreads: Int {
        get { embedder.threads }
        set { embedder.threads = newValue }
    }

    /// Finds every face in `image` and aligns it.
    /// - Parameter options: the detector's options (minimum face size; default 15% of the image width).
    /// - Returns: the faces, largest first (possibly none).
    /// - Throws: ``FaceAnalyzerError/detection(_:)`` for an image the detector cannot take (empty, too large),
    ///   ``FaceAnalyzerError/alignment(_:)`` for landmarks whose chip geometry is out of range.
    public func analyze(_ image: Image, options: DetectionOptions = DetectionOptions()) throws(FaceAnalyzerError)
        -> FaceAnalysis
    {
        let t0 = DispatchTime.now()
        let detection: DetectionResult
        do { detection = try detector.detect(in: image, options: options) } catch { throw .detection(error) }
        let t1 = DispatchTime.now()
        // Largest first (FaceDetection's face selection; a fraction of 0 keeps every other face, in order).
        let ordered = (try? detection.selectFace(secondFaceFraction: 0)).map { [$0.primary] + $0.otherFaces } ?? []
        var landmarkNanos: UInt64 = 0
        var alignNanos: UInt64 = 0
        var faces: [DetectedFace] = []
        faces.reserveCapacity(ordered.count)
        for d in ordered {
            let rect = d.box
            let a = DispatchTime.now()
            let landmarks = predictor.landmarks(in: image, face: rect)
            let shape = fullShapePredictor?.shape(in: image, face: rect)
            let b = DispatchTime.now()
            let chip: Image
            do {
                chip = try FaceChip.extract(from: image, details: try FaceChip.details(for: landmarks))
            } catch { throw .alignment(error) }
            let c = DispatchTime.now()
            landmarkNanos += b.uptimeNanoseconds - a.uptimeNanoseconds
            alignNanos += c.uptimeNanoseconds - b.uptimeNanoseconds
            var aligned: Image?
            if let external, let shape {
                let input = external.manifest.input
                do {
                    aligned = try ArcFaceAlignment.align(
                        image, shape: shape.points, width: input.width, height: input.height)
                } catch { throw .alignment(error) }
                alignNanos += DispatchTime.now().uptimeNanoseconds - c.uptimeNanoseconds
            }
            faces.append(
                DetectedFace(
                    box: rect, score: d.score, landmarks: landmarks, shape: shape, chip: chip, alignedFace: aligned))
        }
        return FaceAnalysis(
            faces: faces, levelsUsed: detection.levelsUsed,
            imageWidth: image.width, imageHeight: image.height,
            detectMilliseconds: Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6,
            landmarksMilliseconds: Double(landmarkNanos) / 1e6,
            alignMilliseconds: Double(alignNanos) / 1e6)
    }

    /// The descriptor of a detected face: dlib's ResNet on its chip, or the external model on its aligned face.
    /// - Throws: ``FaceAnalyzerError/embedding(_:)`` if the chip or aligned face is not the model's input size.
    public func embedding(of face: DetectedFace) throws(FaceAnalyzerError) -> FaceEmbedding {
        try embedding(ofChip: face.embeddingInput)
    }

    /// The descriptor of a detected face in `mode`: dlib's descriptor of its chip, or the mean of the chip's and
    /// its mirror image's descriptors.
    /// - Throws: ``FaceAnalyzerError/embedding(_:)`` if the chip is not 150×150.
    public func descriptor(of face: DetectedFace, mode: DescriptorMode) throws(FaceAnalyzerError) -> FaceEmbedding {
        try descriptor(ofChip: face.embeddingInput, mode: mode)
    }

    /// The descriptor of an aligned 150×150 chip in `mode` (see ``descriptor(of:mode:)``).
    /// - Throws: ``FaceAnalyzerError/embedding(_:)`` if the chip is not 150×150.
    public func descriptor(ofChip chip: Image, mode: DescriptorMode) throws(FaceAnalyzerError) -> FaceEmbedding {
        let plain = try embedding(ofChip: chip)
        guard mode == .mirrorAveraged else { return plain }
        let mirror = try embedding(ofChip: chip.mirrored())
        return FaceEmbedding.mean([plain, mirror])!
    }

    /// The descriptor of an aligned face (grey is expanded to RGB): dlib's 128-D descriptor of a 150×150 chip, or the
    /// external model's L2-normalised embedding of a face aligned to its input size.
    /// - Throws: ``FaceAnalyzerError/embedding(_:)`` if the chip is not the model's input size.
    public func embedding(ofChip chip: Image) throws(FaceAnalyzerError) -> FaceEmbedding {
        if let external {
            do { return try external.embedder.embedding(ofAlignedFace: chip) } catch { throw .embedding(error) }
        }
        do { return try embedder.embedding(ofChip: chip) } catch { throw .embedding(error) }
    }

}
