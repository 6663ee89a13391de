import Crypto
import FaceEmbedding
import Foundation
import NeuralCore

/// An external embedding model, loaded: its manifest, identity, network and (when calibrated) threshold file.
///
/// ``load(directory:threads:)`` reads `manifest.json`, validates it, checks the `.onnx` file's SHA-256 against it,
/// loads the network for the manifest's input size and reads the threshold file the manifest names.
public struct ExternalModel: Sendable {
    /// The model directory.
    public let directory: URL
    /// The validated manifest.
    public let manifest: ModelManifest
    /// The model's id and SHA-256 prefix, recorded in templates and threshold files.
    public let identity: EmbeddingModelIdentity
    /// The calibrated threshold file the manifest names (nil when it names none).
    public let thresholdFile: ThresholdFile?
    /// The embedder: preprocessing per manifest, the network, L2 normalisation.
    package let embedder: ExternalEmbedder

    /// Loads the model in `directory`.
    /// - Parameter threads: threads one network pass is shared out over (nil: every active core, at most 8).
    /// - Throws: ``ModelManifestError`` naming the file and field: manifest unreadable or invalid, `.onnx` missing or
    ///   of another SHA-256, network unloadable or not of the manifest's embedding size, threshold file invalid.
    public static func load(directory: URL, threads: Int? = nil) throws(ModelManifestError) -> ExternalModel {
        let manifestURL = directory.appendingPathComponent(ModelManifest.fileName)
        let manifest = try ModelManifest.load(from: manifestURL)
        let onnx = directory.appendingPathComponent(manifest.file)
        guard FileManager.default.fileExists(atPath: onnx.path) else { throw .modelFileMissing(path: onnx.path) }
        let digest = try sha256(of: onnx)
        guard digest == manifest.sha256.lowercased() else {
            throw .checksumMismatch(path: onnx.path, expected: manifest.sha256.lowercased(), actual: digest)
        }
        let network = try ONNXNetworkLoader.network(
            contentsOf: onnx, width: manifest.input.width, height: manifest.input.height,
            threads: max(1, threads ?? min(8, WorkerTeam.processorCount)))
        return try ExternalModel(manifest: manifest, directory: directory, network: network)
    }

    /// Wraps an already loaded network (no SHA-256 check: the caller vouches for it; tests use a small double).
    /// - Throws: ``ModelManifestError`` for an invalid manifest, a network whose output is not the manifest's
    ///   embedding size, or an invalid threshold file.
    package init(manifest: ModelManifest, directory: URL, network: any TensorNetwork) throws(ModelManifestError) {
        let path = directory.appendingPathComponent(ModelManifest.fileName).path
        try manifest.validate(path: path)
        let (mean, std) = try manifest.meanAndStd(path: path)
        let preprocessing = InputPreprocessing(
            width: manifest.input.width, height: manifest.input.height,
            channelOrder: manifest.input.channelOrder.uppercased() == "BGR" ? .bgr : .rgb,
            mean: SIMD3(Float(mean[0]), Float(mean[1]), Float(mean[2])),
            std: SIMD3(Float(std[0]), Float(std[1]), Float(std[2])))
        do {
            embedder = try ExternalEmbedder(
                network: network, preprocessing: preprocessing, embeddingSize: manifest.embeddingSize)
        } catch {
            throw .network(path: directory.appendingPathComponent(manifest.file).path, detail: error.description)
        }
        self.directory = directory
        self.manifest = manifest
        identity = EmbeddingModelIdentity(id: manifest.id, sha256: manifest.sha256)
        if let name = manifest.thresholdFile {
            let url = directory.appendingPathComponent(name)
            do { thresholdFile = try ThresholdFile.load(from: url) } catch { throw .thresholdFile(error) }
        } else {
            thresholdFile = nil
        }
    }

    /// The calibrated operating point: the threshold file's, after checking it names this model.
    /// - Returns: nil when the manifest names no threshold file.
    /// - Throws: ``ThresholdFileError/wrongModel(path:file:verifier:)`` when the file was made for another model,
    ///   ``ThresholdFileError/malformed(path:detail:)`` when it is a fused (several-frame) operating point.
    public func calibratedThreshold() throws(ThresholdFileError) -> MatchThreshold? {
        guard let file = thresholdFile else { return nil }
        let path = directory.appendingPathComponent(manifest.thresholdFile ?? "").path
        guard file.frames == 1 else {
            throw .malformed(
                path: path,
                detail: "the manifest's threshold_file must be the single-frame operating point (frames 1), not "
                    + "\(file.frames) fused frames (give a fused point with --threshold-file)")
        }
        return try file.threshold(forModel: identity.thresholdName, path: path)
    }

    /// The lower-case hex SHA-256 of a file, read in 1 MiB pieces.
    /// - Throws: ``ModelManifestError/unreadable(path:)``.
    public static func sha256(of url: URL) throws(ModelManifestError) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw .unreadable(path: url.path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch { throw .unreadable(path: url.path) }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
