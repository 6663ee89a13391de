import Foundation

@testable import Evaluation

/// A deterministic stand-in for the face pipeline.
///
/// An "image" is a small text file `identity#n`. Its template is the identity's base vector (seeded by the
/// identity's name) plus seeded noise (seeded by the whole text). Text containing `noface` yields no face;
/// `corrupt` throws, like an undecodable image.
struct FakeExtractor: FaceTemplateExtractor {
    var modelIdentity: String { "fake-extractor-v1" }
    var embeddingModel: String { "fake-model" }
    var dimension = 8
    var noise = 0.45

    struct DecodeError: Error, CustomStringConvertible {
        var description: String { "fake decode error" }
    }

    func template(for imageBytes: [UInt8], greyscale: Bool) throws -> [Float]? {
        let text = String(decoding: imageBytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.contains("corrupt") { throw DecodeError() }
        if text.contains("noface") { return nil }
        let identity = String(text.split(separator: "#").first ?? "")
        var base = SeededGenerator(seed: fnv(identity))
        var jitter = SeededGenerator(seed: fnv(text + (greyscale ? "/grey" : "")))
        return (0..<dimension).map { _ in Float(uniform(&base) + noise * uniform(&jitter)) }
    }

    private func uniform(_ g: inout SeededGenerator) -> Double { Double(g.next() >> 11) / Double(1 << 53) * 2 - 1 }
}

/// Appends `#chip` to the text: a different "photo" of the same identity.
struct FakeChipSimulator: ChipPortraitSimulator {
    var settingsIdentity: String { "fake-chip" }
    func chipPortrait(from photoBytes: [UInt8]) throws -> [UInt8] {
        let text = String(decoding: photoBytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Array((text + "#chip").utf8)
    }
}

func fnv(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// A fresh temporary folder.
func temporaryDirectory(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "mynaface-eval-\(name)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes a folder of identity sub-folders: `count` identities × `perIdentity` images, plus extras.
func writeFakeFaceFolder(_ root: URL, identities: Int, perIdentity: Int, extra: [String: String] = [:]) {
    for i in 0..<identities {
        let identity = String(format: "person%02d", i)
        let dir = root.appendingPathComponent(identity)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for n in 1...perIdentity {
            try! Data("\(identity)#\(n)".utf8).write(
                to: dir.appendingPathComponent(String(format: "%@_%04d.jpg", identity, n)))
        }
    }
    for (path, content) in extra {
        let url = root.appendingPathComponent(path)
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(content.utf8).write(to: url)
    }
}
