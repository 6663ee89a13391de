import TestSupport
import Testing

@testable import FaceImaging
@testable import MynaCard

/// The seeded generator of the container property and mutation tests.
typealias ContainerRNG = SplitMix64

/// A hand-built minimal card-face file whose every byte is written out here.
enum HandBuiltCardFace {
    // Elements (tag, value):
    static let df22: [UInt8] = [0xDF, 0x22, 0x08] + Array("19991231".utf8)  // 11 bytes
    static let df23: [UInt8] = [0xDF, 0x23, 0x01, 0x32]  // 4
    static let df24: [UInt8] = [0xDF, 0x24, 0x07, 0x90, 0x01, 0x03, 0x91, 0x02, 0xC3, 0x01]  // 10
    static let df25: [UInt8] = [0xDF, 0x25, 0x02, 0xAA, 0xBB]  // 5
    static let df26: [UInt8] = [0xDF, 0x26, 0x01, 0xCC]  // 4
    static let df27: [UInt8] = [0xDF, 0x27, 0x04, 0x00, 0x00, 0x00, 0x0C]  // 7
    static let df28: [UInt8] = [0xDF, 0x28, 0x82, 0x01, 0x00] + [UInt8](repeating: 0x5A, count: 256)  // 261
    static let df29: [UInt8] = [0xDF, 0x29, 0x08] + Array("20240229".utf8)  // 11
    static let df2A: [UInt8] = [0xDF, 0x2A, 0x01, 0xDD]  // 4
    static var data: [[UInt8]] { [df22, df23, df24, df25, df26, df27, df28, df29, df2A] }
    // Content = DF21 (21 bytes) + 317 = 338 = 0x152 → header FF 20 82 01 52 (5 bytes); DF22 at 5 + 21 = 26.
    static let offsets: [Int] = [26, 37, 41, 51, 56, 60, 67, 328, 339]

    static func file(offsets table: [Int] = offsets, filler: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0x20, 0x82, 0x01, 0x52, 0xDF, 0x21, 0x12]
        for o in table { out += [UInt8(o >> 8), UInt8(o & 0xFF)] }
        for e in data { out += e }
        return out + filler
    }
}

@Suite("Card-face file (EF 0002)")
struct ContainerCardFaceTests {
    @Test func handBuiltFileParses() throws {
        let bytes = HandBuiltCardFace.file()
        #expect(bytes.count == 343)
        let file = try CardFaceFile.parse(bytes)
        #expect(file.offsetTable == HandBuiltCardFace.offsets)
        #expect(file.elements.map(\.offset) == [5] + HandBuiltCardFace.offsets)
        #expect(file.birthDate == CardDate(year: 1999, month: 12, day: 31))
        #expect(file.sex == .female)
        #expect(file.publicKey == CardRSAPublicKey(exponent: [0x03], modulus: [0xC3, 0x01]))
        #expect(file.nameImage == [0xAA, 0xBB])
        #expect(file.addressImage == [0xCC])
        #expect(file.portrait == [0x00, 0x00, 0x00, 0x0C])
        #expect(file.portraitOffset == 63)
        #expect(file.signature == [UInt8](repeating: 0x5A, count: 256))
        #expect(file.expiry == CardDate(year: 2024, month: 2, day: 29))
        #expect(file.securityCodeImage == [0xDD])
        #expect(file.encodedElement(0xDF28) == HandBuiltCardFace.df28)
        #expect(file.encodedElement(0xDF24) == HandBuiltCardFace.df24)
        #expect(
            file.signedGroups == [
                HandBuiltCardFace.df22 + HandBuiltCardFace.df23 + HandBuiltCardFace.df24,
                HandBuiltCardFace.df25 + HandBuiltCardFace.df26, HandBuiltCardFace.df27,
            ])
        #expect(file.outerRange == 0..<343)
    }

    @Test func fillerAfterAndAtTheEndIsAccepted() throws {
        let padded = HandBuiltCardFace.file(filler: [UInt8](repeating: 0xFF, count: 169) + [0x00, 0x00])
        let file = try CardFaceFile.parse(padded)
        #expect(file.byteCount == 514)
        #expect(file.portrait == [0x00, 0x00, 0x00, 0x0C])
    }

    @Test func nonFillerTrailingBytesRejected() {
        let bytes = HandBuiltCardFace.file(filler: [0xFF, 0x12])
        #expect(throws: ContainerError.trailingBytes(offset: 344)) { try CardFaceFile.parse(bytes) }
    }

    @Test func offsetTableDisagreementRejected() {
        var table = HandBuiltCardFace.offsets
        table[5] += 1  // DF27 is really at 60
        #expect(throws: ContainerError.offsetTableMismatch(index: 5, tag: 0xDF27, declared: 61, actual: 60)) {
            try CardFaceFile.parse(HandBuiltCardFace.file(offsets: table))
        }
        var relative = HandBuiltCardFace.offsets.map { $0 - 5 }  // counted from FF20's value instead of the file
        relative[0] = 21
        #expect(throws: ContainerError.offsetTableMismatch(index: 0, tag: 0xDF22, declared: 21, actual: 26)) {
            try CardFaceFile.parse(HandBuiltCardFace.file(offsets: relative))
        }
    }

    @Test func invalidValuesRejected() throws {
        var b = HandBuiltCardFace.file()
        b[33] = 0x31
        b[34] = 0x33  // birth month 13
        #expect(
            throws: ContainerError.invalidValue(
                path: "FF20/DF22", offset: 26, reason: "birth date is not a valid YYYYMMDD date")
        ) {
            try CardFaceFile.parse(b)
        }
        b = HandBuiltCardFace.file()
        b[40] = 0x35  // sex '5'
        #expect(
            throws: ContainerError.invalidValue(
                path: "FF20/DF23", offset: 37, reason: "sex code is not 0, 1, 2 or 9 (JIS X 0303)")
        ) {
            try CardFaceFile.parse(b)
        }
        b = HandBuiltCardFace.file()
        b[339 - 11 + 3 + 6] = 0x33  // expiry 20240239
        b[339 - 11 + 3 + 7] = 0x30  // expiry day 30 of February 2024
        #expect(
            throws: ContainerError.invalidValue(
                path: "FF20/DF29", offset: 328, reason: "expiry is not a valid YYYYMMDD date")
        ) {
            try CardFaceFile.parse(b)
        }
        #expect(CardDate(ascii: Array("20230229".utf8)) == nil)
        #expect(CardDate(ascii: Array("20000229".utf8)) == CardDate(year: 2000, month: 2, day: 29))
        #expect(CardDate(ascii: Array("19000229".utf8)) == nil)
    }

    @Test func wrongOuterTagAndMissingElements() {
        #expect(throws: ContainerError.wrongOuterTag(expected: 0xFF20, found: 0x7F21)) {
            try CardFaceFile.parse([0x7F, 0x21, 0x00])
        }
        #expect(throws: ContainerError.missingElement(path: "FF20/DF21")) {
            try CardFaceFile.parse([0xFF, 0x20, 0x00])
        }
        #expect(throws: ContainerError.empty) { try CardFaceFile.parse([]) }
        // Outer length running past the end of the file.
        #expect(throws: ContainerError.tlv(.lengthPastEnd(tag: 0xFF20, offset: 0, length: 0x152, available: 99))) {
            try CardFaceFile.parse(Array(HandBuiltCardFace.file().prefix(104)))
        }
    }

    @Test func builderMatchesHandBuiltBytes() throws {
        let builder = CardFaceFile.Builder(
            birthDate: CardDate(year: 1999, month: 12, day: 31)!, sex: .female,
            publicKey: CardRSAPublicKey(exponent: [0x03], modulus: [0xC3, 0x01]), nameImage: [0xAA, 0xBB],
            addressImage: [0xCC], portrait: [0x00, 0x00, 0x00, 0x0C], signature: [UInt8](repeating: 0x5A, count: 256),
            expiry: CardDate(year: 2024, month: 2, day: 29)!, securityCodeImage: [0xDD])
        #expect(builder.encode() == HandBuiltCardFace.file())
        var padded = builder
        padded.trailingFiller = 7
        #expect(padded.encode() == HandBuiltCardFace.file(filler: [UInt8](repeating: 0xFF, count: 7)))
        var inner = builder
        inner.innerFiller = 3
        let innerBytes = inner.encode()
        #expect(innerBytes[3...4] == [0x01, 0x55])
        #expect(try CardFaceFile.parse(innerBytes).expiry == CardDate(year: 2024, month: 2, day: 29))
        var broken = builder
        broken.offsetTableOverride = [26, 37, 41, 51, 56, 60, 67, 328, 338]
        #expect(throws: ContainerError.offsetTableMismatch(index: 8, tag: 0xDF2A, declared: 338, actual: 339)) {
            try CardFaceFile.parse(broken.encode())
        }
    }

    @Test func builderParserRoundTripOverRandomContents() throws {
        var rng = ContainerRNG(seed: 0x4D79_6E61)
        for _ in 0..<60 {
            let year = Int.random(in: 1900...2099, using: &rng)
            let month = Int.random(in: 1...12, using: &rng)
            let day = Int.random(in: 1...CardDate.daysIn(month: month, year: year), using: &rng)
            let birth = try #require(CardDate(year: year, month: month, day: day))
            let expiry = try #require(CardDate(year: Int.random(in: 2020...2050, using: &rng), month: 2, day: 28))
            let sex = CardFaceFile.Sex.allCases.randomElement(using: &rng)!
            let key = CardRSAPublicKey(
                exponent: rng.bytes(Int.random(in: 1...4, using: &rng)),
                modulus: rng.bytes(Int.random(in: 1...300, using: &rng)))
            var builder = CardFaceFile.Builder(
                birthDate: birth, sex: sex, publicKey: key, nameImage: rng.bytes(Int.random(in: 0...400, using: &rng)),
                addressImage: rng.bytes(Int.random(in: 0...20_000, using: &rng)),
                portrait: rng.bytes(Int.random(in: 1...3_000, using: &rng)), signature: rng.bytes(256), expiry: expiry,
                securityCodeImage: rng.bytes(Int.random(in: 0...200, using: &rng)))
            builder.trailingFiller = Int.random(in: 0...300, using: &rng)
            builder.innerFiller = Int.random(in: 0...3, using: &rng)
            let bytes = builder.encode()
            let file = try CardFaceFile.parse(bytes)
            #expect(file.birthDate == birth)
            #expect(file.sex == sex)
            #expect(file.publicKey == key)
            #expect(file.nameImage == builder.nameImage)
            #expect(file.addressImage == builder.addressImage)
            #expect(file.portrait == builder.portrait)
            #expect(file.signature == builder.signature)
            #expect(file.expiry == expiry)
            #expect(file.securityCodeImage == builder.securityCodeImage)
            #expect(file.signedGroups == builder.signedGroups())
            #expect(file.byteCount == bytes.count)
        }
    }
}
