import Foundation
import TestSupport
import Testing

@testable import FaceImaging
@testable import MynaCard

/// Fixtures made by Scripts/make-fixtures-containers.py; expected values come from its manifest.json
/// (the construction), never from the parser.
enum ContainerFixtures {
    static var directory: URL { TestEnvironment.fixtures.appendingPathComponent("containers") }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func manifest() throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func hexBytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static let containerFiles = [
        "cardface.bin", "cardface-filler.bin", "cardface-innerfiller.bin", "cvc.bin",
        "dg2-19794-jpeg.bin", "dg2-19794-jp2.bin", "dg2-39794.bin",
    ]
    static let allFiles = containerFiles + ["portrait.jp2", "face.jpg"]
}

@Suite("Container fixtures")
struct ContainerFixtureTests {
    @Test func cardFaceFixturesMatchTheirConstruction() throws {
        let m = try #require(try ContainerFixtures.manifest()["cardface"] as? [String: Any])
        let files = try #require(m["files"] as? [String])
        let sizes = try #require(m["sizes"] as? [Int])
        let offsets = try #require(m["offsets"] as? [Int])
        let lengths = try #require(m["encodedLengths"] as? [Int])
        for (name, size) in zip(files, sizes) {
            let bytes = try ContainerFixtures.bytes(name)
            #expect(bytes.count == size)
            let file = try CardFaceFile.parse(bytes)
            #expect(file.offsetTable == offsets)
            #expect(file.birthDate == CardDate(ascii: Array((m["birthDate"] as! String).utf8)))
            #expect(file.sex.rawValue == UInt8(m["sex"] as! Int))
            #expect(file.expiry == CardDate(ascii: Array((m["expiry"] as! String).utf8)))
            #expect(file.publicKey.exponent == ContainerFixtures.hexBytes(m["exponentHex"] as! String))
            #expect(file.publicKey.modulus == ContainerFixtures.hexBytes(m["modulusHex"] as! String))
            #expect(file.signature == ContainerFixtures.hexBytes(m["signatureHex"] as! String))
            #expect(file.nameImage.count == m["nameImageBytes"] as! Int)
            #expect(file.addressImage.count == m["addressImageBytes"] as! Int)
            #expect(file.securityCodeImage.count == m["securityCodeImageBytes"] as! Int)
            #expect(file.portrait == (try ContainerFixtures.bytes("portrait.jp2")))
            #expect(file.portraitOffset == m["portraitOffset"] as! Int)
            #expect(file.elements.dropFirst().map(\.encoded.count) == lengths)
            #expect(file.nameImage.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        }
    }

    @Test func certificateFixture() throws {
        let m = try #require(try ContainerFixtures.manifest()["cvc"] as? [String: Any])
        let bytes = try ContainerFixtures.bytes("cvc.bin")
        let cert = try CardVerifiableCertificate.parse(bytes)
        #expect(cert.issuerKeyID.bytes == ContainerFixtures.hexBytes(m["issuerHex"] as! String))
        #expect(cert.subjectKeyID.bytes == ContainerFixtures.hexBytes(m["subjectHex"] as! String))
        #expect(cert.issuerKeyID.prefix == "6000023")
        #expect(cert.body.count == m["bodyLength"] as! Int)
        let bodyOffset = m["bodyOffset"] as! Int
        #expect(cert.body == Array(bytes[bodyOffset..<(bodyOffset + cert.body.count)]))
        #expect(cert.publicKey.modulus == ContainerFixtures.hexBytes(m["modulusHex"] as! String))
        #expect(cert.signature == ContainerFixtures.hexBytes(m["signatureHex"] as! String))
        #expect(throws: PortraitError.notAPortrait(.cardVerifiableCertificate)) {
            try PortraitContainer.extractPortrait(bytes)
        }
    }

    @Test(arguments: ["dg2-19794-jpeg.bin", "dg2-19794-jp2.bin", "dg2-39794.bin"])
    func dg2FixtureMatchesConstruction(name: String) throws {
        let m = try #require(try ContainerFixtures.manifest()[name] as? [String: Any])
        let bytes = try ContainerFixtures.bytes(name)
        let dg2 = try DG2.parse(bytes)
        #expect(dg2.faces.count == 1)
        let face = dg2.faces[0]
        #expect(face.imageOffset == m["imageOffset"] as! Int)
        #expect(face.image.count == m["imageBytes"] as! Int)
        #expect(face.width == m["width"] as! Int)
        #expect(face.height == m["height"] as! Int)
        #expect(face.dataType.name == m["dataType"] as! String)
        #expect(face.colourSpace.name == m["colourSpace"] as! String)
        #expect(face.imageType == m["imageType"] as! Int)
    }

    @Test(arguments: ContainerFixtures.allFiles)
    func detectAndDescribeByContent(name: String) throws {
        let bytes = try ContainerFixtures.bytes(name)
        let expected: PortraitSourceKind =
            switch name {
            case let n where n.hasPrefix("cardface"): .cardFaceFile
            case "cvc.bin": .cardVerifiableCertificate
            case let n where n.hasPrefix("dg2"): .dg2
            case "portrait.jp2": .jp2
            default: .jpeg
            }
        #expect(PortraitContainer.detect(bytes) == expected)
        let description = try PortraitContainer.parse(bytes)
        #expect(description.kind == expected)
        #expect(description.byteCount == bytes.count)
        #expect(!description.nodes.isEmpty)
        #expect(description.portraits.count == (expected == .cardVerifiableCertificate ? 0 : 1))
    }

    @Test(arguments: [
        "cardface.bin", "cardface-filler.bin", "dg2-19794-jpeg.bin", "dg2-19794-jp2.bin", "dg2-39794.bin",
        "portrait.jp2", "face.jpg",
    ])
    func extractPortraitDecodes(name: String) throws {
        let m = try ContainerFixtures.manifest()
        let bytes = try ContainerFixtures.bytes(name)
        let isJPEG = name.contains("jpeg") || name == "face.jpg"
        let expected = try #require((isJPEG ? m["face.jpg"] : m["portrait.jp2"]) as? [String: Any])
        let (image, info) = try PortraitContainer.extractPortrait(bytes)
        #expect(image.width == expected["width"] as! Int)
        #expect(image.height == expected["height"] as! Int)
        #expect(image.channels == expected["channels"] as! Int)
        #expect(info.width == image.width && info.height == image.height && info.channels == image.channels)
        #expect(info.format == (isJPEG ? "jpeg" : "jp2"))
        #expect(info.compressedBytes == expected["bytes"] as! Int)
        let path =
            name.hasPrefix("cardface")
            ? "FF20/DF27"
            : name == "dg2-39794.bin"
                ? "75/7F61/7F60[0]/7F2E/A1/30[0]/A1/A0/A0"
                : name.hasPrefix("dg2") ? "75/7F61/7F60[0]/5F2E/face[0]" : ""
        #expect(info.containerPath == path)
        // The same pixels as decoding the embedded image directly.
        let direct = try ImageDecoder.decode(try ContainerFixtures.bytes(isJPEG ? "face.jpg" : "portrait.jp2"))
        #expect(image == direct)
    }

    @Test func unrecognisedAndEmptyInputs() {
        #expect(throws: PortraitError.empty) { try PortraitContainer.parse([]) }
        #expect(throws: PortraitError.unrecognised(leadingBytes: [0x47, 0x49, 0x46, 0x38])) {
            try PortraitContainer.parse([0x47, 0x49, 0x46, 0x38])
        }
    }
}

@Suite("Container robustness")
struct ContainerRobustnessTests {
    /// Every parser entry point on `bytes`; returns normally on success or a typed error, traps on a bug.
    static func exercise(_ bytes: [UInt8]) {
        _ = try? BERTLV.parse(bytes)
        _ = try? CardFaceFile.parse(bytes)
        _ = try? CardVerifiableCertificate.parse(bytes)
        _ = try? DG2.parse(bytes)
        _ = try? PortraitContainer.parse(bytes)
    }

    @Test(arguments: ContainerFixtures.containerFiles)
    func truncationAtEverySixteenthIsATypedError(name: String) throws {
        let bytes = try ContainerFixtures.bytes(name)
        let kind = try #require(PortraitContainer.detect(bytes))
        for k in 0..<16 {
            let cut = Array(bytes.prefix(bytes.count * k / 16))
            Self.exercise(cut)
            // A truncated container is always rejected, with a typed container error (or .empty for 0 bytes).
            do {
                _ = try PortraitContainer.parse(cut)
                // Only filler can be cut away without harm.
                #expect(kind == .cardFaceFile && name == "cardface-filler.bin", "cut at \(k)/16 of \(name) parsed")
            } catch {
                switch error {
                case .empty: #expect(k == 0)
                case .container(let found, _): #expect(found == kind)
                default: Issue.record("unexpected error \(error) for \(name) cut at \(k)/16")
                }
            }
        }
    }

    @Test(arguments: ContainerFixtures.allFiles)
    func randomBitFlipsGiveTypedErrorsOrValidParses(name: String) throws {
        let original = try ContainerFixtures.bytes(name)
        var rng = ContainerRNG(seed: UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
        for _ in 0..<150 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            }
            Self.exercise(bytes)
            // Extraction (which decodes) must also end in a value or a typed error.
            do {
                let (image, info) = try PortraitContainer.extractPortrait(bytes)
                #expect(image.width == info.width && image.height == info.height)
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test func hostileLengthsInsideContainers() throws {
        // DF27 claiming 0x7FFFFFFF bytes inside a small card-face file.
        var bytes = HandBuiltCardFace.file()
        let df27 = 60
        bytes.replaceSubrange((df27 + 2)..<(df27 + 3), with: [0x84, 0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: ContainerError.self) { try CardFaceFile.parse(bytes) }
        // An outer DG2 length far beyond the input.
        #expect(throws: ContainerError.tlv(.lengthPastEnd(tag: 0x75, offset: 0, length: 0x0100_0000, available: 2))) {
            try DG2.parse([0x75, 0x84, 0x01, 0x00, 0x00, 0x00, 0x7F, 0x61])
        }
    }
}
