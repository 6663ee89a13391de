import Foundation
import Testing

@testable import NeuralCore

@Suite("compiled model cache")
struct ModelCacheTests {
    /// Reference values from a Python transcription of the checksum (four FNV-1a-64 chains over
    /// little-endian words, folded).
    @Test("the checksum matches its reference values")
    func checksumVectors() {
        func ck(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { ModelCache.checksum($0) } }
        #expect(ck([]) == 0x0c08_816e_3151_c1c5)
        #expect(ck(Array("MynaFace".utf8)) == 0xcfb0_6c66_69c7_d35c)
        #expect(ck((0..<100).map(UInt8.init)) == 0xf761_fea8_6eee_5955)  // 3 groups of 4 words, 0 words, 4 tail bytes
    }

    @Test("every single-bit flip of a 100-byte buffer changes the checksum")
    func bitFlips() {
        let base = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let reference = base.withUnsafeBytes { ModelCache.checksum($0) }
        for i in base.indices {
            for bit in 0..<8 {
                var b = base
                b[i] ^= UInt8(1 << bit)
                #expect(b.withUnsafeBytes { ModelCache.checksum($0) } != reference, "byte \(i) bit \(bit)")
            }
        }
    }

    @Test("a cache file round-trips through the memory map; another version, key or count is refused")
    func roundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaface-modelcache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = ModelCache(directory: dir)
        let floats: [Float] = (0..<1001).map { Float($0) * 0.25 - 7 }
        try cache.store(floats, name: "toy", key: "k1")
        #expect(cache.load(name: "toy", key: "k1", expectedCount: floats.count) == floats)
        #expect(
            cache.withLoaded(name: "toy", key: "k1", expectedCount: floats.count) { $0.reduce(0, +) }
                == floats.reduce(0, +))
        #expect(cache.load(name: "toy", key: "k2", expectedCount: floats.count) == nil)  // no such file
        #expect(cache.load(name: "toy", key: "k1", expectedCount: floats.count + 1) == nil)  // wrong count: removed
        #expect(!FileManager.default.fileExists(atPath: cache.fileURL(name: "toy", key: "k1").path))

        // A version-1 file (same layout, older checksum) is refused and removed, never trusted.
        var old = ModelCache.encode(floats, key: "k1")
        old[8] = 1
        let url = cache.fileURL(name: "toy", key: "k1")
        try old.write(to: url)
        #expect(cache.load(name: "toy", key: "k1", expectedCount: floats.count) == nil)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
