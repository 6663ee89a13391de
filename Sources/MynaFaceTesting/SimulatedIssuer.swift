import CardAccess
import Crypto
import Foundation
import MynaCard
import _CryptoExtras

/// A stand-in for the card issuer (J-LIS) that makes signed card-face files and certificates with
/// generated keys: for integrators' tests, the demo and ``SimulatedCard``. Never a production component.
///
/// It holds a CA key (the trust anchor, named by ``keyID``) and a card-face signing key that the CA
/// certifies in each card's EF 0004 certificate; every issued card gets its own DF24 key as well.
/// Signing the 96-byte digest block of DF28 uses the raw private operation (BigInt), since no listed
/// package signs a non-standard digest; the CA signs certificates with swift-crypto.
public struct SimulatedIssuer: Sendable {
    /// The CA key id certificates name (16 bytes).
    public let keyID: CardVerifiableCertificate.KeyID
    /// The subject key id of the certified card-face signing key.
    public let signerKeyID: CardVerifiableCertificate.KeyID
    let caKey: _RSA.Signing.PrivateKey
    let signerKey: _RSA.Signing.PrivateKey
    let signerNumbers: RSAPrivateNumbers

    /// Generates a CA key and a card-face signing key (RSA-2048 each; takes a second or so).
    ///
    /// - Parameter keyID: the id the anchor is known by. Default: a made-up `9990023` id that is neither the
    ///   production (`5000023`) nor the JPKI test (`6000023`) one.
    /// - Throws: swift-crypto key-generation errors.
    public static func generate(keyID: CardVerifiableCertificate.KeyID = .init(prefix: "9990023")) throws
        -> SimulatedIssuer
    {
        try SimulatedIssuer(keyID: keyID, caKey: .init(keySize: .bits2048), signerKey: .init(keySize: .bits2048))
    }

    /// Restores an issuer from PEM keys (PKCS#1), as written by ``caKeyPEM`` and ``signerKeyPEM``.
    public init(
        keyID: CardVerifiableCertificate.KeyID, caKeyPEM: String, signerKeyPEM: String,
        signerKeyID: CardVerifiableCertificate.KeyID = .init(prefix: "9990123")
    ) throws {
        try self.init(
            keyID: keyID, caKey: .init(pemRepresentation: caKeyPEM),
            signerKey: .init(pemRepresentation: signerKeyPEM), signerKeyID: signerKeyID)
    }

    init(
        keyID: CardVerifiableCertificate.KeyID, caKey: _RSA.Signing.PrivateKey, signerKey: _RSA.Signing.PrivateKey,
        signerKeyID: CardVerifiableCertificate.KeyID = .init(prefix: "9990123")
    ) throws {
        self.keyID = keyID
        self.signerKeyID = signerKeyID
        self.caKey = caKey
        self.signerKey = signerKey
        self.signerNumbers = try RSAPrivateNumbers(pkcs1DER: [UInt8](signerKey.derRepresentation))
    }

    /// The CA key in PKCS#1 PEM (secret: for persisting a simulated setup only).
    public var caKeyPEM: String { caKey.pemRepresentation }
    /// The card-face signing key in PKCS#1 PEM (secret: for persisting a simulated setup only).
    public var signerKeyPEM: String { signerKey.pemRepresentation }

    /// The trust anchor a reader configures to accept this issuer's cards.
    public var anchor: TrustAnchor {
        TrustAnchor(keyID: keyID, key: Self.cardKey(caKey.publicKey), label: "simulated issuer \(keyID.prefix ?? "?")")
    }

    /// The certified card-face signing key.
    public var signerPublicKey: CardRSAPublicKey { Self.cardKey(signerKey.publicKey) }

    /// The EF 0004 certificate: this CA's signature (PKCS#1 v1.5, SHA-256) over the body certifying the
    /// card-face signing key.
    ///
    /// - Parameter issuerKeyID: the issuer id written into the body (default ``keyID``; tests pass another
    ///   id to build a certificate that names a different hierarchy).
    public func certificate(issuerKeyID: CardVerifiableCertificate.KeyID? = nil) throws
        -> CardVerifiableCertificate.Builder
    {
        var builder = CardVerifiableCertificate.Builder(
            issuerKeyID: issuerKeyID ?? keyID, subjectKeyID: signerKeyID,
            publicKey: signerPublicKey, signature: [])
        let signature = try caKey.signature(for: builder.body(), padding: .insecurePKCS1v1_5)
        builder.signature = [UInt8](signature.rawRepresentation)
        return builder
    }

    /// Signs DF28 of `builder` (whose DF22–DF27 are final): the raw private operation of the certified
    /// signing key on `00 01 FF…FF 00 ‖ DigestInfo(three SHA-256 digests)`.
    ///
    /// - Throws: ``CardAccessError/invalidCommand(_:)`` if the block cannot be formed (never for RSA-2048).
    public func signCardFace(_ builder: inout CardFaceFile.Builder) throws {
        var digestInfo = CardFaceAuthenticator.tripleDigestInfoPrefix
        for group in builder.signedGroups() { digestInfo += Array(SHA256.hash(data: group)) }
        guard let block = RawRSA.pkcs1Block(digestInfo: digestInfo, length: 256),
            let signature = signerNumbers.sign(block)
        else { throw CardAccessError.invalidCommand("cannot form the card-face signature block") }
        builder.signature = signature
    }

    /// Converts a swift-crypto public key to the card's `90`/`91` form.
    static func cardKey(_ key: _RSA.Signing.PublicKey) -> CardRSAPublicKey {
        let primitives = try? key.getKeyPrimitives()
        return CardRSAPublicKey(
            exponent: [UInt8](primitives?.publicExponent ?? Data([1, 0, 1])).dropLeadingZeros,
            modulus: [UInt8](primitives?.modulus ?? Data()).dropLeadingZeros)
    }
}

extension Array where Element == UInt8 {
    var dropLeadingZeros: [UInt8] { Array(drop { $0 == 0 }) }
}
