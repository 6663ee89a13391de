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
    /// Threads ``embeddings(ofChips:)`` spreads the batches of a large request over (default 1). Each
    /// worker runs whole batches with its own buffers; set BLAS to one thread (``BLASThreads/set(_:)``)
    /// when using more than one worker, or the two thread pools compete for the cores.
    public var workers = 1

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
        if let cache, let key, let cached = try cache.withLoaded(name: name, key: key, expectedCount: ResNetModel.floatCount,
                                                                 { try ResNetModel(flat: $0) }) {
            model = cached
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
        guard !chips.isEmpty else { return [] }
        let step = max(1, batchSize)
        let batches = stride(from: 0, to: chips.count, by: step).map { $0..<min(chips.count, $0 + step) }
        var out = [Float](repeating: 0, count: chips.count * 128)
        let threads = min(max(1, workers), batches.count)
        out.withUnsafeMutableBufferPointer { o in
            let base = SendablePointer(o.baseAddress!)
            let run: @Sendable (Int) -> Void = { [pool, model] worker in
                let arena = pool.take()
                defer { pool.give(arena) }
                var b = worker
                while b < batches.count {
                    let range = batches[b]
                    let batch = Array(chips[range])
                    Self.withPixelPointers(batch) { ptrs in
                        let dst = UnsafeMutableBufferPointer(start: base.pointer + range.lowerBound * 128, count: range.count * 128)
                        model.forward(chips: ptrs, channels: batch.map(\.channels), arena: arena, output: dst)
                    }
                    b += threads
                }
            }
            if threads == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: run) }
        }
        return (0..<chips.count).map { FaceEmbedding(unchecked: Array(out[($0 * 128)..<(($0 + 1) * 128)])) }
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

/// A raw pointer handed to worker threads that write disjoint ranges behind it.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ p: UnsafeMutablePointer<Float>) { pointer = p }
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
