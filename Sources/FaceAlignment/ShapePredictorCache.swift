import Foundation
import NeuralCore

// The compact on-disk form of a ShapePredictor. dlib's portable floats take about a second to
// parse; this cache is a header, the raw little-endian arrays and a checksum, and loads
// in milliseconds (read through a memory map, checked, copied once into the predictor's arrays). A cache
// that is missing, truncated, of another version or fails its checksum is rebuilt from the source `.dat` file.
//
// Layout (all little-endian):
//   "MFSP" · u32 version (2) · u32 partCount, cascadeCount, treesPerCascade, splitsPerTree, featuresPerCascade
//   f32 initialShape[2P] · u16 splitFeatures[2N] · f32 thresholds[N] · f32 leaves[L·2P] · u8 anchors[F] · f32 deltas[2F]
//   u64 ModelCache.checksum of every preceding byte (version 1 used FNV-1a byte by byte)

extension ShapePredictor {
    /// The folder where compiled predictors are cached, ``MynaFacePaths/compiled``.
    package static var defaultCacheDirectory: URL { ModelCache().directory }

    /// Loads dlib's 5-point (`shape_predictor_5_face_landmarks.dat`) or 68-point
    /// (`shape_predictor_68_face_landmarks.dat`) predictor from a model store, through the compiled cache (the loader
    /// shape every model of the pipeline shares: `init(store:cache:)`).
    /// - Parameters:
    ///   - store: the models folder (default ``ModelStore/init()``).
    ///   - cache: where compiled files are kept (default ``ModelCache/init()``).
    ///   - model: which of the two predictors (default the 5-point one).
    /// - Throws: ``AlignmentError/missingModel(_:)`` when the file is absent,
    ///   ``AlignmentError/unsupportedModel(_:)`` when the file holds another number of points than `model`,
    ///   else as ``init(contentsOf:sha256:cacheDirectory:)``.
    package init(store: ModelStore = ModelStore(), cache: ModelCache = ModelCache(), model: LandmarkModel = .fivePoint)
        throws(AlignmentError)
    {
        let url: URL
        do { url = try store.url(for: model.fileName) } catch { throw .missingModel(error) }
        try self.init(contentsOf: url, cacheDirectory: cache.directory)
        guard partCount == model.pointCount else {
            throw .unsupportedModel("\(model.fileName) holds \(partCount) points, expected \(model.pointCount)")
        }
    }

    /// Loads the predictor in the dlib file at `url`, through the compiled cache.
    ///
    /// The cache entry is keyed by `sha256` when given (the caller's checksum of the `.dat` file, for
    /// example from the model manifest), otherwise by the file's name, size and modification time.
    /// A missing or corrupted entry is rebuilt from the `.dat` file; failure to write the cache (for
    /// example a read-only folder) is not an error.
    ///
    /// - Parameters:
    ///   - url: a dlib shape predictor file (5- or 68-point).
    ///   - sha256: the file's SHA-256 as 64 hexadecimal digits, or nil.
    ///   - cacheDirectory: where to keep compiled files; nil means ``defaultCacheDirectory``.
    /// - Throws: ``AlignmentError/unreadableModel(path:reason:)`` when the file cannot be read or
    ///   `sha256` is not 64 hex digits; ``AlignmentError/invalidModel(_:)`` or
    ///   ``AlignmentError/unsupportedModel(_:)`` when its content is not a 5- or 68-point predictor.
    package init(contentsOf url: URL, sha256: String? = nil, cacheDirectory: URL? = nil) throws(AlignmentError) {
        let fm = FileManager.default
        let key: String
        if let sha256 {
            let hex = sha256.lowercased()
            guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit }) else {
                throw .unreadableModel(path: url.path, reason: "the given SHA-256 is not 64 hexadecimal digits")
            }
            key = hex
        } else {
            let attributes: [FileAttributeKey: Any]
            do { attributes = try fm.attributesOfItem(atPath: url.path) } catch {
                throw .unreadableModel(path: url.path, reason: error.localizedDescription)
            }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let mtime =
                (attributes[.modificationDate] as? Date).map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) }
                ?? 0
            let base = url.deletingPathExtension().lastPathComponent.filter {
                $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-"
            }
            key = "\(base.prefix(80))-\(size)-\(mtime)"
        }
        let cacheURL = (cacheDirectory ?? Self.defaultCacheDirectory).appendingPathComponent("sp-\(key).mfsp")

        if let data = try? Data(contentsOf: cacheURL, options: .alwaysMapped),
            let cached = try? data.withUnsafeBytes({ raw in
                Result { () throws(AlignmentError) in try Self(compiledBytes: raw) }
            }).get()
        {
            self = cached
            return
        }
        let source: Data
        do { source = try Data(contentsOf: url) } catch {
            throw .unreadableModel(path: url.path, reason: error.localizedDescription)
        }
        let predictor = try Self(serialized: [UInt8](source))
        predictor.writeCache(to: cacheURL)
        self = predictor
    }

    /// Writes the compiled form atomically (temporary file, then rename); errors are ignored.
    private func writeCache(to url: URL) {
        let bytes = compiledBytes()
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            // The cache is an optimisation only.
        }
    }

    /// The compiled cache bytes of this predictor.
    package func compiledBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            32 + 4 * (initialShape.count + thresholds.count + leaves.count + deltas.count)
                + 2 * splitFeatures.count + anchors.count + 8)
        out.append(contentsOf: Array("MFSP".utf8))
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        func floats(_ a: [Float]) {
            for v in a { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        }
        u32(Self.compiledVersion)
        u32(partCount)
        u32(cascadeCount)
        u32(treesPerCascade)
        u32(splitsPerTree)
        u32(featuresPerCascade)
        floats(initialShape)
        for v in splitFeatures { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        floats(thresholds)
        floats(leaves)
        out.append(contentsOf: anchors)
        floats(deltas)
        let hash = out.withUnsafeBytes { ModelCache.checksum($0) }
        withUnsafeBytes(of: hash.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// The compiled format version written and accepted.
    static let compiledVersion = 2

    /// Loads a predictor from its compiled cache bytes (see ``compiledBytes()``).
    /// - Throws: ``AlignmentError/unsupportedModel(_:)`` when the bytes are truncated, of another
    ///   version, fail the checksum, or describe an inconsistent predictor.
    package init(compiled bytes: [UInt8]) throws(AlignmentError) {
        self = try bytes.withUnsafeBytes { raw in Result { () throws(AlignmentError) in try Self(compiledBytes: raw) } }
            .get()
    }

    /// Loads a predictor from compiled cache bytes anywhere in memory (a mapped file); every array is
    /// copied out, so `bytes` need not outlive the call.
    init(compiledBytes bytes: UnsafeRawBufferPointer) throws(AlignmentError) {
        let headerSize = 4 + 4 * 6
        guard bytes.count >= headerSize + 8, bytes[0..<4].elementsEqual("MFSP".utf8) else {
            throw .unsupportedModel("compiled cache: bad magic or too short")
        }
        func u32(at offset: Int) -> Int {
            Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
        let version = u32(at: 4)
        guard version == Self.compiledVersion else { throw .unsupportedModel("compiled cache: version \(version)") }
        let stored = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self))
        let payload = UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - 8)])
        guard stored == ModelCache.checksum(payload) else {
            throw .unsupportedModel("compiled cache: checksum mismatch")
        }

        let parts = u32(at: 8)
        let cascades = u32(at: 12)
        let trees = u32(at: 16)
        let splits = u32(at: 20)
        let features = u32(at: 24)
        guard ShapePredictor.supportedPartCounts.contains(parts), (1...1000).contains(cascades), (1...100_000).contains(trees),
            (1...1023).contains(splits), (1...65_535).contains(features)
        else {
            throw .unsupportedModel("compiled cache: absurd sizes")
        }
        let nodes = cascades * trees * splits
        let leafValues = cascades * trees * (splits + 1) * 2 * parts
        let featureCount = cascades * features
        let expected =
            headerSize + 4 * (2 * parts) + 2 * (2 * nodes) + 4 * nodes + 4 * leafValues
            + featureCount + 4 * (2 * featureCount) + 8
        guard bytes.count == expected else {
            throw .unsupportedModel("compiled cache: \(bytes.count) bytes, expected \(expected)")
        }

        var offset = headerSize
        /// The next `n` stored values of type `T`, copied out as they are (little-endian).
        func copied<T>(_ n: Int, as _: T.Type) -> [T] {
            defer { offset += n * MemoryLayout<T>.stride }
            return [T](unsafeUninitializedCapacity: n) { dst, initialized in
                UnsafeMutableRawBufferPointer(dst).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n * MemoryLayout<T>.stride)]))
                initialized = n
            }
        }
        func array<T: FixedWidthInteger>(_ n: Int, of type: T.Type) -> [T] {
            #if _endian(big)
                return copied(n, as: type).map { T(littleEndian: $0) }
            #else
                return copied(n, as: type)
            #endif
        }
        func floats(_ n: Int) -> [Float] {
            #if _endian(big)
                return copied(n, as: UInt32.self).map { Float(bitPattern: UInt32(littleEndian: $0)) }
            #else
                return copied(n, as: Float.self)
            #endif
        }
        let initialShape = floats(2 * parts)
        let splitFeatures = array(2 * nodes, of: UInt16.self)
        let thresholds = floats(nodes)
        let leaves = floats(leafValues)
        let anchors = array(featureCount, of: UInt8.self)
        let deltas = floats(2 * featureCount)
        try self.init(
            partCount: parts, cascadeCount: cascades, treesPerCascade: trees, splitsPerTree: splits,
            featuresPerCascade: features, initialShape: initialShape, splitFeatures: splitFeatures,
            thresholds: thresholds, leaves: leaves, anchors: anchors, deltas: deltas)
    }
}
