import FaceImaging
import Foundation
import NeuralCore

/// Computes dlib face descriptors from aligned 150×150 face chips with a native port of dlib's
/// face-recognition ResNet; descriptors match dlib's to ~1e-6 (absolute).
///
/// One loaded embedder serves any number of concurrent callers: the weights are immutable and each call
/// borrows a buffer arena from a small pool (created on demand, reused afterwards, so a steady-state call
/// does not allocate tensor memory).
package struct FaceEmbedder: Sendable {
    let model: ResNetModel
    let pool: ArenaPool
    /// Chips per network pass in ``embeddings(ofChips:)`` (dlib's Python binding uses 16).
    package var batchSize = 16
    /// Threads ``embeddings(ofChips:)`` spreads the batches of a large request over (default 1: each batch
    /// is shared out layer by layer on a ``WorkerTeam`` instead). Each worker runs whole batches with its
    /// own buffers, on its own thread alone.
    package var workers = 1
    /// Threads one network pass is shared out over: the calling thread plus `threads − 1` helper threads of
    /// a ``WorkerTeam`` (default: every active core, at most 8; 1 runs each pass on the calling thread alone).
    package var threads = min(8, WorkerTeam.processorCount)

    /// Loads `dlib_face_recognition_resnet_model_v1.dat` from a model store, through the compiled cache when
    /// possible (the loader shape every model of the pipeline shares: `init(store:cache:)`).
    ///
    /// - Parameters:
    ///   - store: the models folder (default ``ModelStore/init()``: `$MYNAFACE_MODELS`, else the cache root's `models`).
    ///   - cache: where compiled weights are kept (default ``ModelCache/init()``); nil disables the cache.
    /// - Throws: ``FaceEmbeddingError/missingModel(_:)`` when the file is missing or unreadable,
    ///   ``FaceEmbeddingError/modelFile(_:)`` or ``FaceEmbeddingError/unexpectedModel(layer:expected:found:)`` when
    ///   it is truncated, corrupted or not this network.
    package init(store: ModelStore = ModelStore(), cache: ModelCache? = ModelCache()) throws(FaceEmbeddingError) {
        let url: URL
        do { url = try store.url(for: ModelStore.faceRecognitionResNet) } catch { throw .missingModel(error) }
        try self.init(modelURL: url, cache: cache)
    }

    /// Loads a `dlib_face_recognition_resnet_model_v1.dat` file, through the compiled cache when possible.
    ///
    /// - Parameters:
    ///   - modelURL: the `.dat` file.
    ///   - cache: where compiled weights are kept (default ``ModelCache/init()``); nil disables the cache.
    ///   - expectedSHA256: the pinned SHA-256 from `Models/manifest.tsv`, folded into the cache key.
    /// - Throws: as ``init(store:cache:)``.
    package init(modelURL url: URL, cache: ModelCache? = ModelCache(), expectedSHA256: String? = nil)
        throws(FaceEmbeddingError)
    {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .missingModel(.missing(name: url.lastPathComponent, directory: url.deletingLastPathComponent().path))
        }
        let name = "dlib_face_recognition_resnet_model_v1"
        var key: String?
        if cache != nil {
            do { key = try ModelCache.sourceKey(for: url, expectedSHA256: expectedSHA256) } catch {
                throw .missingModel(error)
            }
        }
        if let cache, let key {
            let cached: ResNetModel?
            do {
                cached = try cache.withLoaded(name: name, key: key, expectedCount: ResNetModel.floatCount) {
                    try ResNetModel(flat: $0)
                }
            } catch {
                throw (error as? FaceEmbeddingError) ?? .modelFile("\(url.lastPathComponent): compiled cache: \(error)")
            }
            if let cached {
                model = cached
                pool = ArenaPool()
                return
            }
        }
        let file: DlibNetworkFile
        do { file = try DlibNetworkFile(contentsOf: url) } catch {
            throw .modelFile("\(url.lastPathComponent): \(error)")
        }
        model = try ResNetModel(file: file)
        if let cache, let key { try? cache.store(model.flatWeights, name: name, key: key) }
        pool = ArenaPool()
    }

    /// Builds an embedder from an already parsed dlib file (no cache).
    /// - Throws: ``FaceEmbeddingError/unexpectedModel(layer:expected:found:)`` when it is not dlib's face ResNet.
    package init(file: DlibNetworkFile) throws(FaceEmbeddingError) {
        model = try ResNetModel(file: file)
        pool = ArenaPool()
    }

    /// The descriptor of one aligned chip (150×150, RGB; a grey chip is expanded to R = G = B).
    /// - Throws: ``FaceEmbeddingError/wrongChipSize(width:height:channels:)`` for any other size.
    package func embedding(ofChip chip: Image) throws(FaceEmbeddingError) -> FaceEmbedding {
        try Self.check(chip)
        // Straight into the descriptor's own storage: the returned array is the call's only allocation.
        let values = [Float](unsafeUninitializedCapacity: 128) { buffer, initialized in
            BLASThreads.withSingleThread {
                let lease = pool.take(teamSize: threads)
                defer { pool.give(lease) }
                Self.withPixelPointers(count: 1, image: { _ in chip }) { ptrs, channels in
                    Self.run(model, chips: ptrs, channels: channels, lease: lease, output: buffer)
                }
            }
            initialized = 128
        }
        return FaceEmbedding(unchecked: values)
    }

    /// Throws unless `chip` is 150×150 with 1 or 3 channels.
    private static func check(_ chip: Image) throws(FaceEmbeddingError) {
        if chip.width != ResNetModel.chipSize || chip.height != ResNetModel.chipSize
            || !(chip.channels == 1 || chip.channels == 3)
        {
            throw .wrongChipSize(width: chip.width, height: chip.height, channels: chip.channels)
        }
    }

    /// The descriptors of several chips, computed in batches of ``batchSize`` (one GEMM per layer per batch).
    /// Results are in input order and equal the single-chip results up to float rounding.
    ///
    /// With one worker (the default) each batch runs on a ``WorkerTeam`` (the calling thread plus one helper
    /// per further core), every layer shared out between them; with several ``workers`` each runs whole
    /// batches on its own thread. BLAS is set to one thread meanwhile either way.
    /// - Throws: ``FaceEmbeddingError/wrongChipSize(width:height:channels:)`` when any chip is not 150×150.
    package func embeddings(ofChips chips: [Image]) throws(FaceEmbeddingError) -> [FaceEmbedding] {
        for c in chips { try Self.check(c) }
        guard !chips.isEmpty else { return [] }
        let step = max(1, batchSize)
        let batches = (chips.count + step - 1) / step
        var out = [Float](repeating: 0, count: chips.count * 128)
        let workerCount = min(max(1, workers), batches)
        out.withUnsafeMutableBufferPointer { o in
            BLASThreads.withSingleThread {
                if workerCount == 1 {
                    runBatches(chips, step: step, worker: 0, workerCount: 1, output: o.baseAddress!)
                } else {
                    let base = SendablePointer(o.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
                        runBatches(chips, step: step, worker: worker, workerCount: workerCount, output: base.pointer)
                    }
                }
            }
        }
        return (0..<chips.count).map { FaceEmbedding(unchecked: Array(out[($0 * 128)..<(($0 + 1) * 128)])) }
    }

    /// Runs batches `worker`, `worker + workerCount`, … of `chips` with buffers borrowed from the pool; a
    /// single worker also borrows a team of ``threads`` to share each layer out.
    private func runBatches(
        _ chips: [Image], step: Int, worker: Int, workerCount: Int, output: UnsafeMutablePointer<Float>
    ) {
        let lease = pool.take(teamSize: workerCount == 1 ? threads : 1)
        defer { pool.give(lease) }
        var b = worker
        while b * step < chips.count {
            let range = (b * step)..<min(chips.count, (b + 1) * step)
            Self.withPixelPointers(count: range.count, image: { chips[range.lowerBound + $0] }) { ptrs, channels in
                let dst = UnsafeMutableBufferPointer(start: output + range.lowerBound * 128, count: range.count * 128)
                Self.run(model, chips: ptrs, channels: channels, lease: lease, output: dst)
            }
            b += workerCount
        }
    }

    /// One network pass over pinned chips, on the lease's team when it has one.
    private static func run(
        _ model: ResNetModel, chips: UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>,
        channels: UnsafeBufferPointer<Int>, lease: Lease, output: UnsafeMutableBufferPointer<Float>
    ) {
        let need = ResNetModel.prepare(model, arena: lease.arena, n: chips.count, parts: lease.team?.size ?? 1)
        let pass = ResNetModel.Pass(
            model: model, chips: chips, channels: channels, arena: lease.arena, need: need,
            output: output)
        if let team = lease.team { team.run(pass) } else { pass.run(.serial) }
    }

    /// The descriptor of a raw chip: 150·150·3 bytes, RGB interleaved, row-major.
    /// - Throws: ``FaceEmbeddingError/wrongChipSize(width:height:channels:)`` when the byte count is wrong.
    package func embedding(ofRawRGB bytes: [UInt8]) throws(FaceEmbeddingError) -> FaceEmbedding {
        guard bytes.count == 150 * 150 * 3 else { throw .wrongChipSize(width: bytes.count, height: 1, channels: 0) }
        return try embedding(ofChip: Image(width: 150, height: 150, channels: 3, pixels: bytes))
    }

    /// Pins the pixels of `image(0) … image(count − 1)` and hands their pointers and channel counts to `body`
    /// (stack storage for both: a batch allocates nothing here).
    private static func withPixelPointers<R>(
        count: Int, image: (Int) -> Image,
        _ body: (UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>, UnsafeBufferPointer<Int>) -> R
    ) -> R {
        withUnsafeTemporaryAllocation(of: UnsafeBufferPointer<UInt8>.self, capacity: count) { ptrs in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { channels in
                func pin(_ i: Int) -> R {
                    if i == count { return body(UnsafeBufferPointer(ptrs), UnsafeBufferPointer(channels)) }
                    let chip = image(i)
                    channels.initializeElement(at: i, to: chip.channels)
                    return chip.pixels.withUnsafeBufferPointer { p in
                        ptrs.initializeElement(at: i, to: p)
                        return pin(i + 1)
                    }
                }
                return pin(0)
            }
        }
    }
}

/// A raw pointer handed to worker threads that write disjoint ranges behind it.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ p: UnsafeMutablePointer<Float>) { pointer = p }
}

/// Buffers (and, for a single worker, a thread team) lent to one call.
struct Lease {
    let arena: Arena
    let team: WorkerTeam?
}

/// A lock-protected stack of arenas and teams: each call takes one (or makes one) and gives it back, so a
/// steady stream of calls allocates no tensor memory and starts no thread.
final class ArenaPool: @unchecked Sendable {
    private let lock = NSLock()
    private var arenas: [Arena] = []
    private var teams: [WorkerTeam] = []

    init() {
        arenas.reserveCapacity(8)
        teams.reserveCapacity(8)
    }

    /// An arena, and a team of `teamSize` threads when that is more than one.
    func take(teamSize: Int) -> Lease {
        lock.lock()
        defer { lock.unlock() }
        let arena = arenas.popLast() ?? Arena()
        guard teamSize > 1 else { return Lease(arena: arena, team: nil) }
        if let index = teams.lastIndex(where: { $0.size == teamSize }) {
            return Lease(arena: arena, team: teams.remove(at: index))
        }
        return Lease(arena: arena, team: WorkerTeam(size: teamSize))
    }

    func give(_ lease: Lease) {
        lock.lock()
        defer { lock.unlock() }
        if arenas.count < 8 { arenas.append(lease.arena) }
        if let team = lease.team, teams.count < 8 { teams.append(team) }
    }
}
