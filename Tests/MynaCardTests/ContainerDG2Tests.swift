import TestSupport
import Testing

@testable import FaceImaging
@testable import MynaCard

@Suite("DG2 and card-verifiable certificate")
struct ContainerDG2Tests {
    /// A hand-built 19794-5 record: one face, 1 feature point, JPEG 2000, 3×2, GRAY8, image bytes 01 02 03.
    static func record19794(
        width: [UInt8] = [0x00, 0x03], height: [UInt8] = [0x00, 0x02],
        blockLength: [UInt8] = [0x00, 0x00, 0x00, 0x2B]
    ) -> [UInt8] {
        let header: [UInt8] = [0x46, 0x41, 0x43, 0x00, 0x30, 0x31, 0x30, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0x01]
        let info: [UInt8] =
            blockLength + [
                0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x00, 0x00,
            ]
        let point: [UInt8] = [0x01, 0x31, 0x00, 0x05, 0x00, 0x06, 0x00, 0x00]
        let image: [UInt8] =
            [0x02, 0x01] + width + height + [0x03, 0x02, 0x00, 0x00, 0x00, 0x00] + [0x01, 0x02, 0x03]
        return header + info + point + image  // 14 + 20 + 8 + 15 = 57 = 0x39; block 43 = 0x2B
    }

    static func wrap(_ bdbTag: [UInt8], _ bdb: [UInt8]) -> [UInt8] {
        let bht: [UInt8] = [
            0xA1, 0x0F, 0x80, 0x02, 0x01, 0x01, 0x81, 0x01, 0x02, 0x87, 0x02, 0x01, 0x01, 0x88, 0x02, 0x00, 0x08,
        ]
        let bdbTLV = bdbTag + BERTLV.encodeLength(bdb.count) + bdb
        let template = [0x7F, 0x60] + BERTLV.encodeLength(bht.count + bdbTLV.count) + bht + bdbTLV
        let group = [0x7F, 0x61] + BERTLV.encodeLength(3 + template.count) + [0x02, 0x01, 0x01] + template
        return [0x75] + BERTLV.encodeLength(group.count) + group
    }

    @Test func handBuilt19794() throws {
        let bytes = Self.wrap([0x5F, 0x2E], Self.record19794())
        // 75 L (2) | 7F61 L (3) | 02 01 01 (3) | 7F60 L (3) | A1 (17) | 5F2E L (3) → record at 31; image at 31 + 54
        let dg2 = try DG2.parse(bytes)
        #expect(dg2.declaredCount == 1)
        #expect(dg2.faces.count == 1)
        let face = dg2.faces[0]
        #expect(face.encoding == .iso19794_5)
        #expect(face.path == "75/7F61/7F60[0]/5F2E/face[0]")
        #expect(face.imageType == 2)
        #expect(face.dataType == .jpeg2000)
        #expect(face.width == 3 && face.height == 2)
        #expect(face.colourSpace == .grey8)
        #expect(face.image == [0x01, 0x02, 0x03])
        #expect(face.imageOffset == 85)
        #expect(face.header.biometricType == 2)
        #expect(face.header.formatOwner == 0x0101)
        #expect(face.header.formatType == 0x0008)
    }

    @Test func hugeDeclaredImageRejected() {
        let bytes = Self.wrap([0x5F, 0x2E], Self.record19794(width: [0xEA, 0x60], height: [0xEA, 0x60]))
        #expect(
            throws: ContainerError.imageTooLarge(
                path: "75/7F61/7F60[0]/5F2E/face[0]", width: 60000, height: 60000,
                limit: 40_000_000)
        ) {
            try DG2.parse(bytes)
        }
    }

    @Test func inconsistentBlockLengthRejected() {
        let tooLong = Self.wrap([0x5F, 0x2E], Self.record19794(blockLength: [0x00, 0x00, 0x01, 0x00]))
        #expect(
            throws: ContainerError.malformedRecord(
                path: "75/7F61/7F60[0]/5F2E/face[0]", offset: 45,
                reason: "block length 256 exceeds the 43 bytes left")
        ) {
            try DG2.parse(tooLong)
        }
        let tooShort = Self.wrap([0x5F, 0x2E], Self.record19794(blockLength: [0x00, 0x00, 0x00, 0x1F]))
        #expect(throws: ContainerError.self) { try DG2.parse(tooShort) }
        var badMagic = Self.record19794()
        badMagic[0] = 0x47
        #expect(
            throws: ContainerError.malformedRecord(
                path: "75/7F61/7F60[0]/5F2E", offset: 31, reason: "does not start with FAC\\0")
        ) {
            try DG2.parse(Self.wrap([0x5F, 0x2E], badMagic))
        }
    }

    @Test func countMustMatchTemplates() throws {
        var bytes = Self.wrap([0x5F, 0x2E], Self.record19794())
        #expect(bytes[7] == 0x01)  // the 02 01 01 count value
        bytes[7] = 0x02
        #expect(
            throws: ContainerError.invalidValue(path: "75/7F61/02", offset: 5, reason: "count 2 but 1 7F60 templates")
        ) {
            try DG2.parse(bytes)
        }
    }

    @Test func handBuilt39794() throws {
        // FaceImageDataBlock: A0 version, A1 { 30 { 80 00, A1 { A0 { A0 { 80 image, A1 info } } } } }
        let info: [UInt8] = [
            0xA1, 0x11, 0xA0, 0x03, 0x80, 0x01, 0x02, 0xA7, 0x07, 0x80, 0x02, 0x01, 0x00, 0x81, 0x01, 0x50,
            0x89, 0x01, 0x02,
        ]  // JPEG, 256×80, colour space given directly (89 = [9]): RGB24
        let twoD: [UInt8] = [0xA0, UInt8(4 + info.count), 0x80, 0x02, 0xFF, 0xD8] + info
        let rep: [UInt8] =
            [0x30, UInt8(3 + 4 + twoD.count), 0x80, 0x01, 0x00, 0xA1, UInt8(2 + twoD.count), 0xA0, UInt8(twoD.count)]
            + twoD
        let block: [UInt8] = [0xA0, 0x06, 0x80, 0x01, 0x00, 0x81, 0x01, 0x00, 0xA1, UInt8(rep.count)] + rep
        let bytes = Self.wrap([0x7F, 0x2E], block)
        let dg2 = try DG2.parse(bytes)
        #expect(dg2.faces.count == 1)
        let face = dg2.faces[0]
        #expect(face.encoding == .iso39794_5)
        #expect(face.dataType == .jpeg)
        #expect(face.width == 256 && face.height == 80)
        #expect(face.colourSpace == .rgb24)
        #expect(face.image == [0xFF, 0xD8])
        #expect(face.imageType == 0)
        #expect(bytes[face.imageOffset] == 0xFF && bytes[face.imageOffset + 1] == 0xD8)
        // The same block wrapped in [APPLICATION 5] is accepted too.
        let wrapped = Self.wrap([0x7F, 0x2E], [0x65] + BERTLV.encodeLength(block.count) + block)
        #expect(try DG2.parse(wrapped).faces.map(\.image) == [[0xFF, 0xD8]])
    }

    @Test func builderRoundTripBothEncodings() throws {
        var rng = ContainerRNG(seed: 39794)
        for encoding in [DG2.Encoding.iso19794_5, .iso39794_5] {
            for _ in 0..<20 {
                let count = Int.random(in: 1...3, using: &rng)
                let specs = (0..<count).map { _ in
                    DG2.Builder.FaceSpec(
                        imageType: Int.random(in: 0...2, using: &rng),
                        dataType: Bool.random(using: &rng) ? .jpeg : .jpeg2000,
                        width: Int.random(in: 1...2000, using: &rng), height: Int.random(in: 1...2000, using: &rng),
                        colourSpace: [DG2.ColourSpace.rgb24, .grey8, .yuv422, .unspecified].randomElement(using: &rng)!,
                        featurePoints: encoding == .iso19794_5 ? Int.random(in: 0...4, using: &rng) : 0,
                        image: rng.bytes(Int.random(in: 1...5000, using: &rng)))
                }
                let bytes = DG2.Builder(encoding: encoding, faces: specs).encode()
                let dg2 = try DG2.parse(bytes)
                #expect(dg2.faces.count == count)
                for (face, spec) in zip(dg2.faces, specs) {
                    #expect(face.encoding == encoding)
                    #expect(face.imageType == spec.imageType)
                    #expect(face.dataType == spec.dataType)
                    #expect(face.width == spec.width && face.height == spec.height)
                    #expect(face.colourSpace == spec.colourSpace)
                    #expect(face.image == spec.image)
                    #expect(Array(bytes[face.imageOffset..<(face.imageOffset + face.image.count)]) == spec.image)
                }
            }
        }
    }

    @Test func certificateHandBuilt() throws {
        let issuer: [UInt8] = Array("6000023".utf8) + [0x08, 0x05] + Array("001".utf8) + [0, 0, 0, 0]
        let subject: [UInt8] = Array("6000023".utf8) + [0x08, 0x05] + Array("101".utf8) + [0, 0, 0, 1]
        let modulus = [UInt8](repeating: 0xC1, count: 256)
        let body = issuer + subject + [0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00] + modulus  // 297 bytes
        let signature = [UInt8](repeating: 0x3C, count: 256)
        let bytes: [UInt8] =
            [0x7F, 0x21, 0x82, 0x02, 0x33, 0x5F, 0x4E, 0x82, 0x01, 0x29] + body + [0x5F, 0x37, 0x82, 0x01, 0x00]
            + signature
        #expect(body.count == 297)
        let cert = try CardVerifiableCertificate.parse(bytes)
        #expect(cert.issuerKeyID.bytes == issuer)
        #expect(cert.issuerKeyID.prefix == "6000023")
        #expect(cert.subjectKeyID.bytes == subject)
        #expect(cert.publicKey.exponent == [0x01, 0x00, 0x01])
        #expect(cert.publicKey.modulus == modulus)
        #expect(cert.body == body)
        #expect(cert.signature == signature)
        #expect(cert.encoded == bytes)
        let rebuilt = CardVerifiableCertificate.Builder(
            issuerKeyID: .init(prefix: "6000023"),
            subjectKeyID: .init(prefix: "6000023", suffix: "101", padding: [0, 0, 0, 1]),
            publicKey: CardRSAPublicKey(exponent: [1, 0, 1], modulus: modulus), signature: signature)
        #expect(rebuilt.encode() == bytes)
        #expect(rebuilt.body() == body)
        #expect(throws: ContainerError.missingElement(path: "7F21/5F37")) {
            try CardVerifiableCertificate.parse([0x7F, 0x21, 0x82, 0x01, 0x2E, 0x5F, 0x4E, 0x82, 0x01, 0x29] + body)
        }
    }
}
