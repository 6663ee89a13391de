import Crypto
import Foundation
import MynaCard
import _CryptoExtras

/// Why a card-face file could not be proven genuine.
public enum AuthenticityFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// EF 0004 (the card-verifiable certificate) was not supplied or not readable.
    case noCertificate
    /// The certificate bytes are not a valid `7F21` certificate (the parser's message).
    case malformedCertificate(String)
    /// The card-face file bytes are not a valid `FF20` file (the parser's message).
    case malformedCardFace(String)
    /// The certificate's issuer key id (shown) names no configured trust anchor.
    case untrustedIssuer(keyID: String)
    /// The certificate's `5F37` signature does not verify with the anchor's key over the `5F4E` body.
    case certificateSignatureInvalid(issuer: String)
    /// The certified key is not an RSA-2048 key with a usable exponent.
    case unsupportedCertifiedKey(String)
    /// DF28 does not verify with the certified key over the expected digest block (portrait, personal data or
    /// signature altered, or signed by another key).
    case cardFaceSignatureInvalid
    /// The card did not prove possession of the DF24 key for a fresh challenge (a copy of someone's files on
    /// another card, or a card error); the detail says which.
    case cardPresenceFailed(String)

    public var description: String {
        switch self {
        case .noCertificate:
            "no certificate: the card's EF 0004 certificate is missing, so the portrait cannot be authenticated"
        case .malformedCertificate(let m): "certificate (EF 0004) is malformed: \(m)"
        case .malformedCardFace(let m): "card-face file (EF 0002) is malformed: \(m)"
        case .untrustedIssuer(let id):
            "untrusted issuer: certificate issuer key id \(id) is not a configured trust anchor"
        case .certificateSignatureInvalid(let issuer):
            "certificate signature invalid: EF 0004 does not verify with \(issuer)"
        case .unsupportedCertifiedKey(let m): "certified key unsupported: \(m)"
        case .cardFaceSignatureInvalid:
            "card-face signature invalid: DF28 does not match DF22-DF27 under the certified key"
        case .cardPresenceFailed(let m): "card presence failed: \(m)"
        }
    }
}

/// What to do with a portrait whose chain does not verify.
public enum AuthenticityPolicy: Sendable, Equatable {
    /// Refuse it (the default and the only setting for production).
    case requireVerified
    /// Accept it and record why it is unverified (test setups, demo cards). Never use in a clinic.
    case acceptUnverified
}

/// The result of checking a card-face file: verified, or accepted unverified under
/// ``AuthenticityPolicy/acceptUnverified`` with the failure that was waived.
public struct CardFaceAuthenticity: Sendable, Equatable, CustomStringConvertible {
    /// The anchor that verified the certificate, when the chain verified.
    public let anchor: TrustAnchor?
    /// The failure that was waived by ``AuthenticityPolicy/acceptUnverified``; nil when verified.
    public let waivedFailure: AuthenticityFailure?
    /// Whether card presence (step 3) was checked and passed: nil when not checked.
    public let cardPresenceVerified: Bool?

    /// True when steps 1–2 verified (and step 3, if it was run).
    public var isVerified: Bool { waivedFailure == nil && anchor != nil && cardPresenceVerified != false }

    public var description: String {
        if let waivedFailure { return "UNVERIFIED portrait accepted by policy (\(waivedFailure))" }
        let presence = cardPresenceVerified == true ? ", card presence verified" : ""
        return "portrait verified under \(anchor?.label ?? "?")\(presence)"
    }
}

/// Proves a card-face file (EF 0002) genuine with the chain of `card-and-standards.md` §1b:
///
/// 1. the EF 0004 certificate's `5F37` (PKCS#1 v1.5, SHA-256, over the `5F4E` body) verifies with the trust
///    anchor named by its full 16-byte issuer key id (swift-crypto RSA);
/// 2. the key it certifies verifies DF28: `s^e mod n` (attaswift/BigInt) must equal, byte for byte,
///    `00 01 FF…FF 00 ‖ 30 71 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 60 ‖ SHA256(DF22 DF23 DF24)
///    ‖ SHA256(DF25 DF26) ‖ SHA256(DF27)` over the encoded TLVs as written (swift-crypto SHA-256);
/// 3. (``verifyCardPresence(of:channel:challenge:)``) the card signs a fresh challenge with `80 2A`, which
///    verifies with the DF24 key of the now-authenticated file.
public struct CardFaceAuthenticator: Sendable {
    /// The trust anchors (configuration, never the card).
    public let anchors: TrustAnchors
    /// What to do with a portrait that does not verify.
    public let policy: AuthenticityPolicy

    /// DigestInfo header for three concatenated SHA-256 digests (96 bytes).
    package static let tripleDigestInfoPrefix: [UInt8] = [
        0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
        0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x60,
    ]

    /// - Parameters:
    ///   - anchors: trusted CA keys; default production only.
    ///   - policy: default ``AuthenticityPolicy/requireVerified``.
    public init(anchors: TrustAnchors = .production, policy: AuthenticityPolicy = .requireVerified) {
        self.anchors = anchors
        self.policy = policy
    }

    /// Steps 1–2 on raw file bytes: parses EF 0002 and EF 0004 and checks the chain.
    ///
    /// - Parameters:
    ///   - cardFace: EF 0002 bytes.
    ///   - certificate: EF 0004 bytes, or nil when the card had none.
    /// - Returns: the authenticity (under ``AuthenticityPolicy/acceptUnverified``, possibly unverified).
    /// - Throws: ``AuthenticityFailure`` under ``AuthenticityPolicy/requireVerified``. A card-face file that
    ///   does not parse throws ``AuthenticityFailure/malformedCardFace(_:)`` under either policy (there is no
    ///   portrait to accept).
    public func check(cardFace: [UInt8], certificate: [UInt8]?) throws(AuthenticityFailure) -> CardFaceAuthenticity {
        let file: CardFaceFile
        do { file = try CardFaceFile.parse(cardFace) } catch { throw .malformedCardFace(error.description) }
        var cvc: CardVerifiableCertificate?
        if let certificate {
            do { cvc = try CardVerifiableCertificate.parse(certificate) } catch {
                return try decide(.failure(.malformedCertificate(error.description)))
            }
        }
        return try check(cardFace: file, certificate: cvc)
    }

    /// Steps 1–2 on parsed files.
    ///
    /// - Throws: ``AuthenticityFailure`` under ``AuthenticityPolicy/requireVerified``.
    public func check(cardFace: CardFaceFile, certificate: CardVerifiableCertificate?) throws(AuthenticityFailure)
        -> CardFaceAuthenticity
    {
        try decide(verifyChain(cardFace: cardFace, certificate: certificate))
    }

    /// Steps 1–2 without the policy: the anchor that verified, or the first failure.
    public func verifyChain(cardFace: CardFaceFile, certificate: CardVerifiableCertificate?)
        -> Result<TrustAnchor, AuthenticityFailure>
    {
        guard let certificate else { return .failure(.noCertificate) }
        // 1. certificate against the configured anchor named by the full issuer key id.
        guard let anchor = anchors.anchor(for: certificate.issuerKeyID) else {
            return .failure(.untrustedIssuer(keyID: certificate.issuerKeyID.description))
        }
        guard Self.verifyPKCS1SHA256(signature: certificate.signature, message: certificate.body, key: anchor.key)
        else {
            return .failure(.certificateSignatureInvalid(issuer: anchor.label))
        }
        let certified = certificate.publicKey
        guard RawRSA.significantLength(certified.modulus) == 256 else {
            return .failure(
                .unsupportedCertifiedKey(
                    "modulus of \(RawRSA.significantLength(certified.modulus)) bytes, expected 256"))
        }
        guard certified.exponent.contains(where: { $0 != 0 }) else {
            return .failure(.unsupportedCertifiedKey("zero public exponent"))
        }
        // 2. DF28 with the certified key, whole block compared.
        guard let expected = Self.expectedCardFaceBlock(cardFace),
            let decoded = RawRSA.publicOperation(
                cardFace.signature, modulus: certified.modulus, exponent: certified.exponent),
            decoded == expected
        else { return .failure(.cardFaceSignatureInvalid) }
        return .success(anchor)
    }

    /// The PKCS#1 v1.5 block DF28 must decode to (256 bytes), or nil when DF22–DF27 are missing.
    public static func expectedCardFaceBlock(_ file: CardFaceFile) -> [UInt8]? {
        let groups = file.signedGroups
        guard groups.count == 3, groups.allSatisfy({ !$0.isEmpty }) else { return nil }
        var digestInfo = tripleDigestInfoPrefix
        for g in groups { digestInfo += Array(SHA256.hash(data: g)) }
        return RawRSA.pkcs1Block(digestInfo: digestInfo, length: 256)
    }

    /// Step 3: has the card sign a fresh challenge with COMPUTE SIGNATURE (`80 2A 00 00`, data = SHA-256
    /// DigestInfo of the challenge, Le 256) and verifies it with the file's DF24 key.
    ///
    /// The card must already be in 券面事項確認AP with 照合番号B verified (as after reading EF 0002).
    ///
    /// - Parameters:
    ///   - cardFace: the file read from this card (run steps 1–2 on it first).
    ///   - channel: the card connection.
    ///   - challenge: the bytes to sign; default 32 fresh random bytes. Never reuse a challenge.
    /// - Throws: ``AuthenticityFailure/cardPresenceFailed(_:)`` when the card refuses or the signature does not
    ///   verify (under ``AuthenticityPolicy/requireVerified``); transport errors from the channel.
    /// - Returns: true when verified; false when it failed and the policy accepts unverified portraits.
    public func verifyCardPresence(
        of cardFace: CardFaceFile, channel: any CardChannel,
        challenge: [UInt8]? = nil
    ) async throws -> Bool {
        var rng = SystemRandomNumberGenerator()
        let nonce = challenge ?? (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let digestInfo = RawRSA.sha256DigestInfoPrefix + Array(SHA256.hash(data: nonce))
        let command = try CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x00, data: digestInfo, le: 256)
        let response = try await channel.transmit(command)
        let failure: AuthenticityFailure?
        if response.status != .success {
            failure = .cardPresenceFailed("COMPUTE SIGNATURE answered \(response.status)")
        } else if !Self.verifyPKCS1SHA256(
            digest: SHA256.hash(data: nonce), signature: response.data, key: cardFace.publicKey)
        {
            failure = .cardPresenceFailed("the challenge signature does not verify with the card-face file's DF24 key")
        } else {
            failure = nil
        }
        guard let failure else { return true }
        if policy == .acceptUnverified { return false }
        throw failure
    }

    /// Steps 1–3: the chain on the file bytes, then card presence over `channel`.
    ///
    /// Card presence runs only when the chain verified (a portrait that is accepted unverified is not
    /// checked further: there is no trusted DF24 key).
    ///
    /// - Throws: ``AuthenticityFailure`` under ``AuthenticityPolicy/requireVerified``; transport errors.
    public func authenticate(cardFace: [UInt8], certificate: [UInt8]?, channel: any CardChannel) async throws
        -> CardFaceAuthenticity
    {
        // The typed-throwing steps run in a synchronous helper: see `CommandAPDU.init` on typed throws in async code.
        let (chain, file) = try checkAndParse(cardFace: cardFace, certificate: certificate)
        guard chain.waivedFailure == nil, let file else { return chain }
        let present = try await verifyCardPresence(of: file, channel: channel)
        return CardFaceAuthenticity(
            anchor: chain.anchor,
            waivedFailure: present ? nil : .cardPresenceFailed("the challenge signature did not verify"),
            cardPresenceVerified: present)
    }

    private func checkAndParse(cardFace: [UInt8], certificate: [UInt8]?) throws -> (CardFaceAuthenticity, CardFaceFile?)
    {
        let chain = try check(cardFace: cardFace, certificate: certificate)
        return (chain, try? CardFaceFile.parse(cardFace))
    }

    private func decide(_ result: Result<TrustAnchor, AuthenticityFailure>) throws(AuthenticityFailure)
        -> CardFaceAuthenticity
    {
        switch result {
        case .success(let anchor):
            return CardFaceAuthenticity(anchor: anchor, waivedFailure: nil, cardPresenceVerified: nil)
        case .failure(let failure):
            guard policy == .acceptUnverified else { throw failure }
            return CardFaceAuthenticity(anchor: nil, waivedFailure: failure, cardPresenceVerified: nil)
        }
    }

    static func swiftCryptoKey(_ key: CardRSAPublicKey) -> _RSA.Signing.PublicKey? {
        try? _RSA.Signing.PublicKey(n: key.modulus, e: key.exponent)
    }

    static func verifyPKCS1SHA256(signature: [UInt8], message: [UInt8], key: CardRSAPublicKey) -> Bool {
        guard let publicKey = swiftCryptoKey(key) else { return false }
        return publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: message,
            padding: .insecurePKCS1v1_5)
    }

    static func verifyPKCS1SHA256(digest: SHA256Digest, signature: [UInt8], key: CardRSAPublicKey) -> Bool {
        guard let publicKey = swiftCryptoKey(key) else { return false }
        return publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: digest,
            padding: .insecurePKCS1v1_5)
    }
}
