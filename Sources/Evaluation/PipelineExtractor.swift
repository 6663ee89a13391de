import FaceDetection
import FaceImaging
import Foundation
import MynaFace
import NeuralCore

/// The evaluation's templates come from the same pipeline `FaceVerifier` uses (`FaceAnalyzer`: MMOD detection,
/// 5-point landmarks, dlib chip, ResNet — or, for an external model, 68-point landmarks, ArcFace alignment and the
/// model's network), so the evaluation measures exactly what the reader runs.
///
/// decode → (greyscale) → large images scaled to 2000 px, small ones upsampled ×2 → ``FaceAnalyzer`` (MMOD at all
/// sizes, landmarks, chip) → largest face → ResNet descriptor. No quality gate: evaluation measures the matcher,
/// and a failure to acquire is an image with no face at all. Safe to call from several threads.
public struct PipelineExtractor: FaceTemplateExtractor {
    /// The models.
    public let analyzer: FaceAnalyzer
    public let modelIdentity: String
    /// The name threshold files record (``EmbeddingModelIdentity/thresholdName``).
    public var embeddingModel: String { analyzer.embeddingModel.thresholdName }
    /// How descriptors are formed (dlib's plain descriptor, or the mean with the mirrored chip's).
    public let descriptor: DescriptorMode

    /// Images whose shorter side is below this (pixels) are upsampled ×2 before detection (the MMOD
    /// window is 80 pixels, so faces in small images such as AT&T's 92×112 are otherwise missed).
    public static let upsampleBelow = 200
    /// Larger images are scaled down (bilinear) so their longer side is this many pixels, before detection.
    public static let maximumSide = 2000

    /// Loads the models from `store` and the chosen embedding model.
    /// - Throws: ``FaceAnalyzerError`` when a model is missing or corrupt; `ModelFileError` for an unreadable file.
    public init(
        store: ModelStore = ModelStore(), descriptor: DescriptorMode = .plain, model: EmbeddingModelChoice = .dlibResNet
    ) throws {
        analyzer = try FaceAnalyzer(store: store, model: model)
        self.descriptor = descriptor
        let sizes = try [ModelStore.mmodFaceDetector, ModelStore.shapePredictor5, ModelStore.faceRecognitionResNet].map
        { name in
            let url = try store.url(for: name)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
            return "\(name):\(size ?? -1)"
        }
        modelIdentity =
            "mynaface-analyzer-v1(upsample<\(Self.upsampleBelow),maxside=\(Self.maximumSide),minface=none);"
            + sizes.joined(separator: ";") + (descriptor == .plain ? "" : ";descriptor=\(descriptor.rawValue)")
            + (analyzer.external == nil ? "" : ";embedding=\(analyzer.embeddingModel);landmarks=68;alignment=arcface")
    }

    public func template(for imageBytes: [UInt8], greyscale: Bool) throws -> [Float]? {
        var image = try ImageDecoder.decode(imageBytes)
        if greyscale { image = image.greyscale() }
        let longest = max(image.width, image.height)
        if longest > Self.maximumSide {  // phone photos: a reader camera never delivers this many pixels
            let scale = Double(Self.maximumSide) / Double(longest)
            image = try image.resized(
                width: max(1, Int((Double(image.width) * scale).rounded())),
                height: max(1, Int((Double(image.height) * scale).rounded())))
        }
        if min(image.width, image.height) < Self.upsampleBelow {
            image = try image.resized(width: image.width * 2, height: image.height * 2)
        }
        let analysis = try analyzer.analyze(image, options: DetectionOptions(minimumFaceSize: .none))
        guard let face = analysis.faces.first else { return nil }
        return try analyzer.descriptor(of: face, mode: descriptor).values
    }
}
