import Crypto
import FaceImaging
import Foundation
import MynaCard
import Testing
import _CryptoExtras

@testable import CardAccess

@Suite struct AuthenticityTests {
    static let issuer = Fixtures.issuer
    static let anchors = TrustAnchors([issuer.anchor])

    /// A valid file and certificate from the generated issuer, plus the builder for tampering.
    static func signedBuilder() throws -> CardFaceFile.Builder {
        let cardKey = CardRSAPublicKey(exponent: [1, 0, 1], modulus: [0xC5] + [UInt8](repeating: 0x11, count: 255))
        var b = CardFaceFile.Builder(
            birthDate: Fixtures.birthDate, sex: .female, publicKey: cardKey,
            nameImage: [0x89, 0x50, 0x4E, 0x47], addressImage: [0x89, 0x50, 0x4E, 0x47, 1],
            portrait: Fixtures.portrait, signature: [], expiry: Fixtures.expiry,
            securityCodeImage: [0x89, 0x50])
        try issuer.signCardFace(&b)
        return b
    }

    @Test func rawRSAMatchesSwiftCryptoOnAStandardDigest() throws {
        // Known answer: our raw private operation on the PKCS#1 v1.5 block of SHA-256("abc") must produce the
        // exact signature swift-crypto (BoringSSL) makes, and the raw public operation must give the block back.
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let numbers = try RSAPrivateNumbers(pkcs1DER: [UInt8](key.derRepresentation))
        let message = Array("abc".utf8)
        let digest = Array(SHA256.hash(data: message))
        #expect(hex(digest) == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        let block = try #require(RawRSA.pkcs1Block(digestInfo: RawRSA.sha256DigestInfoPrefix + digest, length: 256))
        let ours = try #require(
            RawRSA.privateOperation(block, modulus: numbers.modulus, privateExponent: numbers.privateExponent))
        let theirs = try key.signature(for: message, padding: .insecurePKCS1v1_5)
        #expect(ours == [UInt8](theirs.rawRepresentation))
        #expect(numbers.sign(block) == ours)  // the CRT form used by simulated cards gives the same bytes
        #expect(RawRSA.publicOperation(ours, modulus: numbers.modulus, exponent: numbers.publicExponent) == block)
        #expect(
            RawRSA.publicOperation(Array(ours.dropLast()), modulus: numbers.modulus, exponent: numbers.publicExponent)
                == nil)
    }

    @Test func productionAndTestAnchorsAreDistinct() {
        let p = TrustAnchor.production5000023
        let t = TrustAnchor.jpkiTest6000023
        #expect(p.key.modulus.count == 256 && t.key.modulus.count == 256)
        #expect(hex(Array(p.key.modulus.prefix(4))) == "B2F740F0" && hex(Array(p.key.modulus.suffix(3))) == "F51F87")
        #expect(hex(Array(t.key.modulus.prefix(4))) == "E08CA1CA" && hex(Array(t.key.modulus.suffix(3))) == "B9092D")
        #expect(hex(p.keyID.bytes) == "35303030303233080530303100000000")
        #expect(TrustAnchors.production.anchor(for: t.keyID) == nil)
        #expect(TrustAnchors.jpkiTest.anchor(for: p.keyID) == nil)
        // All 16 bytes count: the same prefix with other padding is another key.
        #expect(TrustAnchors.production.anchor(for: .init(prefix: "5000023", padding: [0, 0, 0, 1])) == nil)
    }

    @Test func validChainVerifies() throws {
        let b = try Self.signedBuilder()
        let cert = try Self.issuer.certificate().encode()
        let result = try CardFaceAuthenticator(anchors: Self.anchors).check(cardFace: b.encode(), certificate: cert)
        #expect(result.isVerified)
        #expect(result.anchor == Self.issuer.anchor)
        #expect(try CardVerifiableCertificate.parse(cert).body.count == 297)
        // The decoded DF28 is exactly the expected block.
        let file = try CardFaceFile.parse(b.encode())
        let block = try #require(CardFaceAuthenticator.expectedCardFaceBlock(file))
        #expect(block.count == 256 && block[0] == 0 && block[1] == 1 && block[256 - 116] == 0)
        #expect(Array(block[(256 - 115)..<(256 - 96)]) == CardFaceAuthenticator.tripleDigestInfoPrefix)
        #expect(Array(block.suffix(32)) == Array(SHA256.hash(data: file.encodedElement(0xDF27)!)))
    }

    @Test func expiryIsNotSigned() throws {
        var b = try Self.signedBuilder()
        b.expiry = CardDate(year: 2040, month: 1, day: 1)!  // DF29 is outside the signed groups
        let result = try CardFaceAuthenticator(anchors: Self.anchors).check(
            cardFace: b.encode(),
            certificate: Self.issuer.certificate().encode())
        #expect(result.isVerified)
    }

    enum Tamper: String, CaseIterable { case portrait, birthDate, sex, cardKey, nameImage, signatureByte }

    @Test(arguments: Tamper.allCases)
    func tamperedCardFaceIsRefused(_ tamper: Tamper) throws {
        var b = try Self.signedBuilder()
        switch tamper {
        case .portrait: b.portrait[b.portrait.count - 1] ^= 0x01
        case .birthDate: b.birthDate = CardDate(year: 1980, month: 2, day: 18)!
        case .sex: b.sex = .male
        case .cardKey:
            b.publicKey = CardRSAPublicKey(exponent: [1, 0, 1], modulus: [0xC5] + [UInt8](repeating: 0x12, count: 255))
        case .nameImage: b.nameImage.append(0)
        case .signatureByte: b.signature[100] ^= 0x80
        }
        let cert = try Self.issuer.certificate().encode()
        #expect(throws: AuthenticityFailure.cardFaceSignatureInvalid) {
            try CardFaceAuthenticator(anchors: Self.anchors).check(cardFace: b.encode(), certificate: cert)
        }
    }

    @Test func tamperedCertificateIsRefused() throws {
        var cert = try Self.issuer.certificate().encode()
        cert[cert.count - 300] ^= 0x01  // inside the certified modulus
        #expect(throws: AuthenticityFailure.certificateSignatureInvalid(issuer: Self.issuer.anchor.label)) {
            try CardFaceAuthenticator(anchors: Self.anchors).check(
                cardFace: Self.signedBuilder().encode(), certificate: cert)
        }
        var badSignature = try Self.issuer.certificate()
        badSignature.signature[5] ^= 0x01
        #expect(throws: AuthenticityFailure.certificateSignatureInvalid(issuer: Self.issuer.anchor.label)) {
            try CardFaceAuthenticator(anchors: Self.anchors).check(
                cardFace: Self.signedBuilder().encode(),
                certificate: badSignature.encode())
        }
    }

    @Test func wrongHierarchyIsRefused() throws {
        // A certificate naming the JPKI test CA (6000023), checked against production anchors: untrusted.
        let testCert = try Self.issuer.certificate(issuerKeyID: TrustAnchor.jpkiTest6000023.keyID).encode()
        #expect(throws: AuthenticityFailure.untrustedIssuer(keyID: TrustAnchor.jpkiTest6000023.keyID.description)) {
            try CardFaceAuthenticator(anchors: .production).check(
                cardFace: Self.signedBuilder().encode(), certificate: testCert)
        }
        // Against the real test anchor it resolves, and our generated key's signature does not verify.
        #expect(throws: AuthenticityFailure.certificateSignatureInvalid(issuer: TrustAnchor.jpkiTest6000023.label)) {
            try CardFaceAuthenticator(anchors: .jpkiTest).check(
                cardFace: Self.signedBuilder().encode(), certificate: testCert)
        }
        // Our generated anchor is not trusted by production readers.
        #expect(throws: AuthenticityFailure.untrustedIssuer(keyID: Self.issuer.keyID.description)) {
            try CardFaceAuthenticator().check(
                cardFace: Self.signedBuilder().encode(), certificate: Self.issuer.certificate().encode())
        }
    }

    @Test func missingCertificateIsRefused() throws {
        #expect(throws: AuthenticityFailure.noCertificate) {
            try CardFaceAuthenticator(anchors: Self.anchors).check(
                cardFace: Self.signedBuilder().encode(), certificate: nil)
        }
    }

    @Test func truncatedSignaturesAreRefused() throws {
        var b = try Self.signedBuilder()
        b.signature = Array(b.signature.dropLast())  // DF28 of 255 bytes
        #expect {
            try CardFaceAuthenticator(anchors: Self.anchors).check(
                cardFace: b.encode(), certificate: Self.issuer.certificate().encode())
        } throws: { error in
            guard case AuthenticityFailure.malformedCardFace = error else { return false }
            return true
        }
        var cert = try Self.issuer.certificate()
        cert.signature = Array(cert.signature.prefix(128))
        #expect(throws: AuthenticityFailure.certificateSignatureInvalid(issuer: Self.issuer.anchor.label)) {
            try CardFaceAuthenticator(anchors: Self.anchors).check(
                cardFace: Self.signedBuilder().encode(), certificate: cert.encode())
        }
    }

    @Test func acceptUnverifiedPolicyRecordsWhatWasWaived() throws {
        let result = try CardFaceAuthenticator(anchors: .production, policy: .acceptUnverified)
            .check(cardFace: Self.signedBuilder().encode(), certificate: nil)
        #expect(!result.isVerified)
        #expect(result.waivedFailure == .noCertificate)
        #expect(result.description.contains("UNVERIFIED"))
    }

    @Test func cardPresenceWithTheCardsOwnKey() async throws {
        let card = try Fixtures.card()
        let reader = CardFaceReader(channel: card)
        _ = try await reader.open(verificationCodeB: Fixtures.codeB)
        let files = try await reader.readFiles()
        let auth = CardFaceAuthenticator(anchors: Self.anchors)
        let result = try await auth.authenticate(
            cardFace: files.cardFace!, certificate: files.certificate, channel: card)
        #expect(result.isVerified && result.cardPresenceVerified == true)

        // A clone: the genuine files on another card (with its own key) fails card presence.
        let blank = try Fixtures.card()
        try blank.administer {
            $0.cardFaceFile = card.state.cardFaceFile
            $0.certificate = card.state.certificate
        }
        _ = try await CardFaceReader(channel: blank).open(verificationCodeB: Fixtures.codeB)
        await #expect(
            throws: AuthenticityFailure.cardPresenceFailed(
                "the challenge signature does not verify with the card-face file's DF24 key")
        ) {
            try await auth.authenticate(cardFace: files.cardFace!, certificate: files.certificate, channel: blank)
        }
        // Without 照合番号B the card refuses to sign.
        blank.startSession()
        let file = try CardFaceFile.parse(files.cardFace!)
        await #expect(throws: AuthenticityFailure.cardPresenceFailed("COMPUTE SIGNATURE answered 6986")) {
            try await auth.verifyCardPresence(of: file, channel: blank)
        }
    }
}
