import Foundation

/// A compiled-weights cache: a model's weights converted once into a flat little-endian Float32 file, so
/// later loads skip parsing the dlib file.
///
/// File layout (160-byte header, then data):
/// magic `MYNAFWC1` (8 bytes) · format version UInt32 · key length UInt32 · key (UTF-8, zero-padded to 128
/// bytes) · float count UInt64 · ``checksum(_:)`` of the data · floats. (Version 1 used one FNV-1a chain over the
/// data, whose multiplies wait on each other; such files are refused by their version and rebuilt.)
///
/// The key identifies the source model file: ``sourceKey(for:expectedSHA256:)`` (size, modification time,
/// and a content fingerprint of its first and last MiB, plus the pinned SHA-256 when the caller passes it).
/// A cache whose header, size, key or checksum does not match is ignored and rebuilt, never trusted.
package struct ModelCache: Sendable {
    /// The cache folder (default ``MynaFacePaths/compiled``: `$MYNAFACE_CACHE`, else `<cache root>/compiled`).
    package let directory: URL

    /// The format version written and accepted.
    package static let formatVersion: UInt32 = 2
    static let magic = Array("MYNAFWC1".utf8)
    static let headerSize = 160

    /// A cache in an explicit folder.
    package init(directory: URL) { self.directory = directory }

    /// The default cache folder, ``MynaFacePaths/compiled``.
    package init() { directory = MynaFacePaths.current.compiled }

    /// The key of a source model file.
    /// - Throws: ``ModelFileError/unreadable(path:reason:)`` when the file cannot be read.
    package static func sourceKey(for url: URL, expectedSHA256: String? = nil) throws(ModelFileError) -> String {
        let attrs: [FileAttributeKey: Any]
        do { attrs = try FileManager.default.attributesOfItem(atPath: url.path) } catch {
            throw .unreadable(path: url.path, reason: "\(error)")
        }
        let size = (attrs[.size] as? NSNumber)?.int64Value ?? -1
        let mtime = Int64(((attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) * 1000)
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw .unreadable(path: url.path, reason: "cannot open")
        }
        defer { try? handle.close() }
        let chunk = 1 << 20
        var h = fnvBasis
        do {
            let head = try handle.read(upToCount: chunk) ?? Data()
            h = fnv1a64(head, seed: h)
            if size > Int64(chunk) {
                try handle.seek(toOffset: UInt64(max(Int64(chunk), size - Int64(chunk))))
                h = fnv1a64(try handle.readToEnd() ?? Data(), seed: h)
            }
        } catch { throw .unreadable(path: url.path, reason: "\(error)") }
        var key = "v1 size \(size) mtime \(mtime) fnv \(String(h, radix: 16))"
        if let s = expectedSHA256 { key += " sha256 \(s.lowercased())" }
        return key
    }

    /// The cache file for a model name and key.
    package func fileURL(name: String, key: String) -> URL {
        directory.appendingPathComponent(
            "\(name)-\(String(Self.fnv1a64(Data(key.utf8), seed: Self.fnvBasis), radix: 16)).f32w")
    }

    /// Hands `body` the cached floats straight from the memory-mapped file (no copy, no page of anonymous
    /// memory), or returns nil when the cache is absent, stale or corrupted (a corrupted file is removed).
    /// The buffer is valid only inside `body`. Caches are replaced by rename, never rewritten in place, so a
    /// mapping stays valid while another process rebuilds the file.
    package func withLoaded<R>(
        name: String, key: String, expectedCount: Int,
        _ body: (UnsafeBufferPointer<Float>) throws -> R
    ) rethrows -> R? {
        let url = fileURL(name: name, key: key)
        guard let data = try? Data(contentsOf: url, options: .alwaysMapped) else { return nil }
        guard let payload = Self.validatedPayload(data, key: key, expectedCount: expectedCount) else {
            try? FileManager.default.removeItem(at: url)
            return nil
        }
        #if _endian(big)
            guard let floats = Self.decode(data, key: key, expectedCount: expectedCount) else { return nil }
            return try floats.withUnsafeBufferPointer(body)
        #else
            return try data.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[payload])
                if Int(bitPattern: bytes.baseAddress) % MemoryLayout<Float>.alignment == 0 {
                    return try body(bytes.bindMemory(to: Float.self))
                }
                return try Array(bytes.bindMemory(to: UInt8.self)).withUnsafeBytes {
                    try body($0.bindMemory(to: Float.self))
                }
            }
        #endif
    }

    /// The cached floats, or nil when the cache is absent, stale or corrupted (a corrupted file is removed).
    package func load(name: String, key: String, expectedCount: Int) -> [Float]? {
        withLoaded(name: name, key: key, expectedCount: expectedCount) { Array($0) }
    }

    /// Writes the floats for a name and key (atomically).
    /// - Throws: ``ModelFileError/unreadable(path:reason:)`` naming the cache path when it cannot be written.
    package func store(_ floats: [Float], name: String, key: String) throws(ModelFileError) {
        let url = fileURL(name: name, key: key)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Self.encode(floats, key: key).write(to: url, options: .atomic)
        } catch { throw .unreadable(path: url.path, reason: "cannot write cache: \(error)") }
    }

    /// Serialises floats with the header.
    package static func encode(_ floats: [Float], key: String) -> Data {
        var d = Data(capacity: headerSize + floats.count * 4)
        d.append(contentsOf: magic)
        appendLE(&d, formatVersion)
        let k = Array(key.utf8.prefix(128))
        appendLE(&d, UInt32(k.count))
        d.append(contentsOf: k + [UInt8](repeating: 0, count: 128 - k.count))
        appendLE(&d, UInt64(floats.count))
        var payload = Data(count: floats.count * 4)
        payload.withUnsafeMutableBytes { dst in
            floats.withUnsafeBytes { src in dst.copyMemory(from: src) }
        }
        #if _endian(big)
            // Stored little-endian.
            payload = Data(floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #endif
        appendLE(&d, payload.withUnsafeBytes { checksum($0) })
        d.append(payload)
        return d
    }

    /// Parses a cache file; nil when anything (magic, version, key, count, size, checksum) is wrong.
    package static func decode(_ data: Data, key: String, expectedCount: Int) -> [Float]? {
        guard let range = validatedPayload(data, key: key, expectedCount: expectedCount) else { return nil }
        let payload = data[(data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound)]
        var floats = [Float](unsafeUninitializedCapacity: expectedCount) { buf, initialized in
            payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(buf).copyMemory(from: $0) }
            initialized = expectedCount
        }
        #if _endian(big)
            for i in floats.indices { floats[i] = Float(bitPattern: UInt32(littleEndian: floats[i].bitPattern)) }
        #endif
        return floats
    }

    /// The byte range (from the start of `data`) of a valid cache file's little-endian floats; nil when
    /// anything (magic, version, key, count, size, checksum) is wrong.
    static func validatedPayload(_ data: Data, key: String, expectedCount: Int) -> Range<Int>? {
        guard data.count >= headerSize, Array(data.prefix(8)) == magic else { return nil }
        func u32(_ at: Int) -> UInt32 {
            data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        }
        func u64(_ at: Int) -> UInt64 {
            data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        }
        guard u32(8) == formatVersion else { return nil }
        let kl = Int(u32(12))
        let k = Array(key.utf8.prefix(128))
        guard kl == k.count, Array(data[(data.startIndex + 16)..<(data.startIndex + 16 + kl)]) == k else { return nil }
        let count = u64(144)
        guard count == UInt64(expectedCount), data.count == headerSize + expectedCount * 4 else { return nil }
        let payload = data[(data.startIndex + headerSize)...]
        guard payload.withUnsafeBytes({ checksum($0) }) == u64(152) else { return nil }
        return headerSize..<data.count
    }

    static let fnvBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    /// The corruption check of compiled model files (not a cryptographic hash): four FNV-1a-64 chains over the
    /// 8-byte little-endian words, word `i` into chain `i mod 4` (independent chains, so the multiplies
    /// overlap), the tail bytes into chain 0, then the four chain values folded into one more FNV-1a-64 chain.
    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h0 = fnvBasis
        var h1 = fnvBasis &+ 1
        var h2 = fnvBasis &+ 2
        var h3 = fnvBasis &+ 3
        let words = bytes.count / 8
        let groups = words / 4
        func word(_ i: Int) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
        }
        for g in 0..<groups {
            h0 = (h0 ^ word(4 * g)) &* fnvPrime
            h1 = (h1 ^ word(4 * g + 1)) &* fnvPrime
            h2 = (h2 ^ word(4 * g + 2)) &* fnvPrime
            h3 = (h3 ^ word(4 * g + 3)) &* fnvPrime
        }
        for i in (4 * groups)..<words { h0 = (h0 ^ word(i)) &* fnvPrime }
        for i in (words * 8)..<bytes.count { h0 = (h0 ^ UInt64(bytes[i])) &* fnvPrime }
        var h = (fnvBasis ^ h0) &* fnvPrime
        h = (h ^ h1) &* fnvPrime
        h = (h ^ h2) &* fnvPrime
        return (h ^ h3) &* fnvPrime
    }

    /// FNV-1a over 8-byte little-endian words (the tail byte by byte), chained through `seed`: the source
    /// fingerprint in ``sourceKey(for:expectedSHA256:)`` and the file name in ``fileURL(name:key:)``.
    static func fnv1a64<D: DataProtocol>(_ data: D, seed: UInt64) -> UInt64 {
        var h = seed
        let prime = fnvPrime
        for region in data.regions {
            region.withUnsafeBytes { raw in
                let words = raw.count / 8
                for i in 0..<words {
                    h = (h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))) &* prime
                }
                for i in (words * 8)..<raw.count { h = (h ^ UInt64(raw[i])) &* prime }
            }
        }
        return h
    }

    static func appendLE<T: FixedWidthInteger>(_ d: inout Data, _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) }
    }
}
