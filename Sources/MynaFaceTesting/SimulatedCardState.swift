import CardAccess
import Foundation
import MynaCard

/// The persistent state of a ``SimulatedCard``: its files, keys, secrets and retry counters.
///
/// Written as JSON (atomically) after every counter change when the card has a state file, so counters
/// survive across reception sessions as a real card's do. The secrets are a simulated card's and are stored
/// in clear: never put real card data in it.
public struct SimulatedCardState: Codable, Sendable, Equatable {
    /// Which kind of My Number Card this is.
    public enum Variant: String, Codable, Sendable, CaseIterable {
        /// A standard card: portrait, user-authentication PIN.
        case standard
        /// 顔認証マイナンバーカード: portrait, no PIN (face or staff visual check only).
        case faceOnly
        /// A card without a photo (infants under 1): PIN only.
        case noPhoto
    }

    /// Maximum user-PIN tries (JPKI user authentication: 3).
    public static let userPINMaximumTries = 3
    /// Maximum 照合番号B tries (10).
    public static let verificationCodeBMaximumTries = 10
    /// Consecutive face failures that lock face authentication (10).
    public static let faceFailureLimit = CardFaceReader.faceFailureLimit

    /// The card variant.
    public var variant: Variant
    /// The 4-digit user-authentication PIN (nil on a face-only card). Simulation only.
    public var userPIN: String?
    /// User-PIN tries left (0 = blocked).
    public var userPINTriesLeft: Int
    /// 照合番号B (14 digits: birth date in era YYMMDD, expiry year, security code). Simulation only.
    public var verificationCodeB: String
    /// 照合番号B tries left (0 = blocked).
    public var verificationCodeBTriesLeft: Int
    /// Consecutive face-authentication failures recorded on the card (locks at ``faceFailureLimit``).
    public var faceFailures: Int
    /// Registered for insurance use (健康保険証利用登録); nil (older state files) means registered. The real
    /// registration lives in the national service; the simulation keeps it with the card for the demo.
    public var registeredForInsurance: Bool?
    /// True unless the card was issued unregistered and not registered since.
    public var isRegisteredForInsurance: Bool { registeredForInsurance ?? true }
    /// EF 0002, the card-face file (nil on a card without a photo).
    public var cardFaceFile: Data?
    /// EF 0004, the card-verifiable certificate.
    public var certificate: Data?
    /// The card's own private key (PKCS#1 PEM), whose public half is DF24.
    public var cardKeyPEM: String

    /// The simulated issuer's CA key id, modulus and exponent, so a demo can configure the matching trust anchor.
    /// A simulation convenience of the setup file, not card data: a real reader configures anchors itself and
    /// never takes them from a card.
    public var issuerKeyID: Data?
    public var issuerModulus: Data?
    public var issuerExponent: Data?

    /// Creates a state with full counters.
    public init(
        variant: Variant, userPIN: String?, verificationCodeB: String, cardFaceFile: Data?,
        certificate: Data?, cardKeyPEM: String
    ) {
        self.variant = variant
        self.userPIN = variant == .faceOnly ? nil : userPIN
        self.userPINTriesLeft = Self.userPINMaximumTries
        self.verificationCodeB = verificationCodeB
        self.verificationCodeBTriesLeft = Self.verificationCodeBMaximumTries
        self.faceFailures = 0
        self.cardFaceFile = variant == .noPhoto ? nil : cardFaceFile
        self.certificate = certificate
        self.cardKeyPEM = cardKeyPEM
    }

    /// The issuer's trust anchor recorded by ``SimulatedCard/issue(by:variant:portrait:birthDate:sex:expiry:userPIN:securityCode:stateFile:)``.
    public var issuerAnchor: TrustAnchor? {
        guard let issuerKeyID, let issuerModulus, let issuerExponent else { return nil }
        return TrustAnchor(
            keyID: .init(bytes: [UInt8](issuerKeyID)),
            key: CardRSAPublicKey(exponent: [UInt8](issuerExponent), modulus: [UInt8](issuerModulus)),
            label: "simulated issuer \(CardVerifiableCertificate.KeyID(bytes: [UInt8](issuerKeyID)).prefix ?? "?")")
    }

    /// True when face authentication is locked on this card.
    public var isFaceLocked: Bool { faceFailures >= Self.faceFailureLimit }
}
