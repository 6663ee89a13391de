import Foundation
import MynaFace
import TestSupport
import Testing

/// ``PortraitTemplate/serialized()`` and ``PortraitTemplate/init(serialized:)``: the bytes the C interface hands out.
@Suite("PortraitTemplate serialisation", .serialized)
struct TemplateSerializationTests {
    static let ready = FaceVerifierTests.ready

    func enrolled() throws -> (FaceVerifier, PortraitTemplate) {
        let verifier = try #require(FaceVerifierTests.shared)
        let portrait = [UInt8](try Data(contentsOf: try #require(TestEnvironment.sample("obama.jpg"))))
        return (verifier, try verifier.enroll(portrait: portrait))
    }

    @Test("a template read back compares exactly like the original, with its quality and box", .enabled(if: ready))
    func roundTrip() throws {
        let (verifier, template) = try enrolled()
        let bytes = try template.serialized()
        #expect(bytes.count == PortraitTemplate.serializedByteCount && bytes.count == 1160)
        #expect(Array(bytes.prefix(5)) == [0x4D, 0x46, 0x54, 0x31, 2])
        let copy = try PortraitTemplate(serialized: bytes)
        #expect(
            copy.embedding == template.embedding && copy.mirrorAveragedEmbedding == template.mirrorAveragedEmbedding)
        #expect(copy.quality == template.quality && copy.faceBox == template.faceBox)
        #expect(copy.portraitChannels == template.portraitChannels && copy.model == .dlibResNet)
        #expect(copy.authenticity == .notApplicable(nil) && copy.info == nil && copy.cardFace == nil)
        let probe = [UInt8](try Data(contentsOf: try #require(TestEnvironment.sample("obama3.jpg"))))
        #expect(
            try verifier.verify(copy, probe: probe).similarity == verifier.verify(template, probe: probe).similarity)
    }

    @Test("damaged, truncated, foreign and future bytes are refused with their own error")
    func refusals() throws {
        // A synthetic template body is not needed: every refusal is decided before the descriptors are read, except
        // the checksum, which is checked on a real template below when the models are present.
        #expect(throws: TemplateSerializationError.notATemplate) {
            try PortraitTemplate(serialized: Array("PNG!x".utf8))
        }
        #expect(throws: TemplateSerializationError.notATemplate) { try PortraitTemplate(serialized: []) }
        #expect(throws: TemplateSerializationError.truncated(expected: 1160, actual: 2)) {
            try PortraitTemplate(serialized: Array("MF".utf8))
        }
        #expect(throws: TemplateSerializationError.unsupportedVersion(3)) {
            try PortraitTemplate(serialized: Array("MFT1".utf8) + [3])
        }
        #expect(throws: TemplateSerializationError.truncated(expected: 1108, actual: 100)) {
            try PortraitTemplate(serialized: Array("MFT1".utf8) + [1] + [UInt8](repeating: 0, count: 95))
        }
    }

    @Test("one flipped bit fails the checksum", .enabled(if: ready))
    func checksum() throws {
        var bytes = try enrolled().1.serialized()
        bytes[500] ^= 0x10
        #expect(throws: TemplateSerializationError.checksumMismatch) { try PortraitTemplate(serialized: bytes) }
    }
}
