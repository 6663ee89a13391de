import Foundation
import FaceImaging
import NeuralCore

/// Computes dlib face descriptors from aligned 150×150 face chips with a native port of dlib's
/// face-recognition ResNet; descriptors match dlib's to ~1e-6 (absolute).
///
/// One loaded embedder serves any number of concurrent callers: the weights are immutable and each call
/// borrows a buffer arena from a small pool (created on demand, reused afterwards, so a steady-state call
/// does not allocate tensor memory).
public struct FaceEmbedder: Sendable {
    let model: ResNetModel
    let pool: ArenaPool
    /// Chips per network pass in ``embeddings(ofChips:)`` (dlib's Python binding uses 16).
    public var batchSize = 16

    /// Loads `dlib_face_recognition_resnet_model_v1.dat`, through the compiled cache when possible.
    ///
    /// - Parameters:
    ///   - modelURL: the `.dat` file; default: ``ModelStore`` (`$MYNAFACE_MODELS` or `~/.cache/mynaface/models`).
    ///   - cache: where compiled weights are kept (default `$MYNAFACE_CACHE` or `~/.cache/mynaface/compiled`);
    ///     nil disables the cache.
    ///   - expectedSHA256: the pinned SHA-256 from `Models/manifest.tsv`, folded into the cache key.
    /// - Throws: ``ModelFileError`` when the file is missing or unreadable, ``FaceEmbeddingError`` when it is
    ///   truncated, corrupted or not this network.
    public init(modelURL: URL? = nil, cache: ModelCache? = ModelCache(), expectedSHA256: String? = nil) throws {
        let url = try modelURL ?? ModelStore().url(for: ModelStore.faceRecognitionResNet)
        let name = "dlib_face_recognition_resnet_model_v1"
        let key = try cache.map { _ in try ModelCache.sourceKey(for: url, expectedSHA256: expectedSHA256) }
        if let cache, let key, let flat = cache.load(name: name, key: key, expectedCount: ResNetModel.floatCount) {
            model = try flat.withUnsafeBufferPointer { p throws(FaceEmbeddingError) in try ResNetModel(flat: p) }
        } else {
            let file: DlibNetworkFile
            do { file = try DlibNetworkFile(contentsOf: url) } catch let e as DlibFormatError {
                throw FaceEmbeddingError.modelFile("\(url.lastPathComponent): \(e.description)")
            }
            model = try ResNetModel(file: file)
            if let cache, let key { try? cache.store(model.flatWeights, name: name, key: key) }
        }
        pool = ArenaPool()
    }

    /// Builds an embedder from an already parsed dlib file (no cache).
    /// - Throws: ``FaceEmbeddingError/unexpectedModel(layer:expected:found:)`` when it is not dlib's face ResNet.
    public init(file: DlibNetworkFile) throws(FaceEmbeddingError) {
        model = try ResNetModel(file: file)
        pool = ArenaPool()
    }

    /// The descriptor of one aligned chip (150×150, RGB; a grey chip is expanded to R = G = B).
    /// - Throws: ``FaceEmbeddingError/wrongChipSize(width:height:channels:)`` for any other size.
    public func embedding(ofChip chip: Image) throws(FaceEmbeddingError) -> FaceEmbedding {
        try embeddings(ofChips: [chip])[0]
    }

    /// The descriptors of several chips, computed in batches of ``batchSize`` (one GEMM per layer per batch).
    /// Results are in input order and equal the single-chip results up to float rounding.
    /// - Throws: ``FaceEmbeddingError/wrongChipSize(width:height:channels:)`` when any chip is not 150×150.
    public func embeddings(ofChips chips: [Image]) throws(FaceEmbeddingError) -> [FaceEmbedding] {
        for c in chips where c.width != ResNetModel.chipSize || c.height != ResNetModel.chipSize || !(c.channels == 1 || c.channels == 3) {
            throw .wrongChipSize(width: c.width, height: c.height, channels: c.channels)
        }
        var result: [FaceEmbedding] = []
        result.reserveCapacity(chips.count)
        let arena = pool.take()
        defer { pool.give(arena) }
        var start = 0
        let step = max(1, batchSize)
        while start < chips.count {
            let batch = Array(chips[start..<min(chips.count, start + step)])
            var out = [Float](repeating: 0, count: batch.count * 128)
            Self.withPixelPointers(batch) { ptrs in
                out.withUnsafeMutableBufferPointer { o in
                    model.forward(chips: ptrs, channels: batch.map(\.channels), arena: arena, output: o)
                }
            }
            for i in 0..<batch.count { result.append(FaceEmbedding(unchecked: Array(out[(i * 128)..<((i + 1) * 128)]))) }
            start += step
        }
        return result
    }

    /// The descriptor of a raw chip: 150·150·3 bytes, RGB interleaved, row-major.
    /// - Throws: ``FaceEmbeddingError/wrongChipSize(width:height:channels:)`` when the byte count is wrong.
    public func embedding(ofRawRGB bytes: [UInt8]) throws(FaceEmbeddingError) -> FaceEmbedding {
        guard bytes.count == 150 * 150 * 3 else { throw .wrongChipSize(width: bytes.count, height: 1, channels: 0) }
        return try embedding(ofChip: Image(width: 150, height: 150, channels: 3, pixels: bytes))
    }

    private static func withPixelPointers<R>(_ images: [Image], _ body: (UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>) -> R) -> R {
        var ptrs: [UnsafeBufferPointer<UInt8>] = []
        ptrs.reserveCapacity(images.count)
        func pin(_ i: Int) -> R {
            if i == images.count { return ptrs.withUnsafeBufferPointer(body) }
            return images[i].pixels.withUnsafeBufferPointer { p in ptrs.append(p); return pin(i + 1) }
        }
        return pin(0)
    }
}

/// A lock-protected stack of arenas: each call takes one (or makes one) and gives it back.
final class ArenaPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Arena] = []

    func take() -> Arena {
        lock.lock(); defer { lock.unlock() }
        return free.popLast() ?? Arena()
    }

    func give(_ a: Arena) {
        lock.lock(); defer { lock.unlock() }
        if free.count < 8 { free.append(a) }
    }
}
