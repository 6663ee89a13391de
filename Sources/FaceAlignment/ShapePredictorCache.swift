import Foundation

// The compact on-disk form of a ShapePredictor. dlib's portable floats take about a second to
// parse; this cache is a header, the raw little-endian arrays and an FNV-1a 64 checksum, and loads
// in milliseconds. A cache that is missing, truncated or fails its checksum is rebuilt from the
// source `.dat` file.
//
// Layout (all little-endian):
//   "MFSP" · u32 version (1) · u32 partCount, cascadeCount, treesPerCascade, splitsPerTree, featuresPerCascade
//   f32 initialShape[2P] · u16 splitFeatures[2N] · f32 thresholds[N] · f32 leaves[L·2P] · u8 anchors[F] · f32 deltas[2F]
//   u64 FNV-1a of every preceding byte

extension ShapePredictor {
    /// The folder where compiled predictors are cached: `$MYNAFACE_CACHE` when set, otherwise
    /// `~/.cache/mynaface/compiled`.
    public static var defaultCacheDirectory: URL {
        if let env = ProcessInfo.processInfo.environment["MYNAFACE_CACHE"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/mynaface/compiled", isDirectory: true)
    }

    /// Loads the predictor in the dlib file at `url`, through the compiled cache.
    ///
    /// The cache entry is keyed by `sha256` when given (the caller's checksum of the `.dat` file, for
    /// example from the model manifest), otherwise by the file's name, size and modification time.
    /// A missing or corrupted entry is rebuilt from the `.dat` file; failure to write the cache (for
    /// example a read-only folder) is not an error.
    ///
    /// - Parameters:
    ///   - url: `shape_predictor_5_face_landmarks.dat`.
    ///   - sha256: the file's SHA-256 as 64 hexadecimal digits, or nil.
    ///   - cacheDirectory: where to keep compiled files; nil means ``defaultCacheDirectory``.
    /// - Throws: ``AlignmentError/unreadableModel(path:reason:)`` when the file cannot be read or
    ///   `sha256` is not 64 hex digits; ``AlignmentError/invalidModel(_:)`` or
    ///   ``AlignmentError/unsupportedModel(_:)`` when its content is not a 5-point predictor.
    public init(contentsOf url: URL, sha256: String? = nil, cacheDirectory: URL? = nil) throws(AlignmentError) {
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
            let mtime = (attributes[.modificationDate] as? Date).map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) } ?? 0
            let base = url.deletingPathExtension().lastPathComponent.filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            key = "\(base.prefix(80))-\(size)-\(mtime)"
        }
        let cacheURL = (cacheDirectory ?? Self.defaultCacheDirectory).appendingPathComponent("sp-\(key).mfsp")

        if let data = try? Data(contentsOf: cacheURL), let cached = try? Self(compiled: [UInt8](data)) {
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
    public func compiledBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + 4 * (initialShape.count + thresholds.count + leaves.count + deltas.count)
                            + 2 * splitFeatures.count + anchors.count + 8)
        out.append(contentsOf: Array("MFSP".utf8))
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { out.append(contentsOf: $0) } }
        func floats(_ a: [Float]) { for v in a { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } } }
        u32(1)
        u32(partCount); u32(cascadeCount); u32(treesPerCascade); u32(splitsPerTree); u32(featuresPerCascade)
        floats(initialShape)
        for v in splitFeatures { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        floats(thresholds)
        floats(leaves)
        out.append(contentsOf: anchors)
        floats(deltas)
        let hash = fnv1a64(out[...])
        withUnsafeBytes(of: hash.littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// Loads a predictor from its compiled cache bytes (see ``compiledBytes()``).
    /// - Throws: ``AlignmentError/unsupportedModel(_:)`` when the bytes are truncated, fail the
    ///   checksum, or describe an inconsistent predictor.
    public init(compiled bytes: [UInt8]) throws(AlignmentError) {
        let headerSize = 4 + 4 * 6
        guard bytes.count >= headerSize + 8, bytes[0..<4].elementsEqual("MFSP".utf8) else {
            throw .unsupportedModel("compiled cache: bad magic or too short")
        }
        let payload = bytes[0..<(bytes.count - 8)]
        var stored: UInt64 = 0
        for i in 0..<8 { stored |= UInt64(bytes[bytes.count - 8 + i]) << (8 * UInt64(i)) }
        guard stored == fnv1a64(payload) else { throw .unsupportedModel("compiled cache: checksum mismatch") }

        var offset = 4
        func u32() -> Int {
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
            offset += 4
            return Int(v)
        }
        let version = u32()
        guard version == 1 else { throw .unsupportedModel("compiled cache: version \(version)") }
        let parts = u32(), cascades = u32(), trees = u32(), splits = u32(), features = u32()
        guard parts == FaceLandmarks.count, (1...1000).contains(cascades), (1...100_000).contains(trees),
              (1...1023).contains(splits), (1...65_535).contains(features) else {
            throw .unsupportedModel("compiled cache: absurd sizes")
        }
        let nodes = cascades * trees * splits
        let leafValues = cascades * trees * (splits + 1) * 2 * parts
        let featureCount = cascades * features
        let expected = headerSize + 4 * (2 * parts) + 2 * (2 * nodes) + 4 * nodes + 4 * leafValues
            + featureCount + 4 * (2 * featureCount) + 8
        guard bytes.count == expected else { throw .unsupportedModel("compiled cache: \(bytes.count) bytes, expected \(expected)") }

        func floats(_ n: Int) -> [Float] {
            var a = [Float](repeating: 0, count: n)
            a.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in
                    dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + 4 * n)]))
                }
            }
            #if _endian(big)
            for i in a.indices { a[i] = Float(bitPattern: a[i].bitPattern.byteSwapped) }
            #endif
            offset += 4 * n
            return a
        }
        let initialShape = floats(2 * parts)
        var splitFeatures = [UInt16](repeating: 0, count: 2 * nodes)
        for i in 0..<(2 * nodes) {
            splitFeatures[i] = UInt16(bytes[offset + 2 * i]) | UInt16(bytes[offset + 2 * i + 1]) << 8
        }
        offset += 4 * nodes
        let thresholds = floats(nodes)
        let leaves = floats(leafValues)
        let anchors = Array(bytes[offset..<(offset + featureCount)])
        offset += featureCount
        let deltas = floats(2 * featureCount)
        try self.init(partCount: parts, cascadeCount: cascades, treesPerCascade: trees, splitsPerTree: splits,
                      featuresPerCascade: features, initialShape: initialShape, splitFeatures: splitFeatures,
                      thresholds: thresholds, leaves: leaves, anchors: anchors, deltas: deltas)
    }
}

/// FNV-1a 64-bit hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of `bytes`.
/// Used as the cache checksum and, in tests, as a digest of chip bytes.
func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        hash ^= UInt64(b)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
