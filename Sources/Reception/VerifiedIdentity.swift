import Foundation

/// How the patient's identity was confirmed at the reader.
public enum VerificationMethod: String, Sendable, Codable, CaseIterable {
    /// The camera face matched the card's chip portrait.
    case face
    /// The card's 4-digit user-authentication PIN was accepted by the card.
    case pin
    /// A member of staff compared the face with the card by eye (目視確認), under a staff credential.
    case visual
}

/// The outcome of a successful reception: who the card says the patient is, and how that was confirmed.
///
/// Only a `VerifiedIdentity` can start an eligibility (qualification) check: nothing is sent for an
/// unverified card.
public struct VerifiedIdentity: Sendable, Equatable, Codable {
    /// How the identity was confirmed.
    public var method: VerificationMethod
    /// True when a guardian or other proxy operated on the patient's behalf (for example entered a child's PIN).
    public var isProxy: Bool
    /// When the confirmation happened.
    public var verifiedAt: Date
    /// The card holder's birth date as the card stores it (`YYYYMMDD`, from DF22), if read.
    public var birthDate: String?
    /// The card holder's sex code (JIS X 0303: 1 male, 2 female, 0 unknown, 9 not applicable), if read.
    public var sex: String?
    /// The card's expiry date (`YYYYMMDD`, from DF29), if read.
    public var cardExpiry: String?
    /// The staff member's identifier, for a visual check.
    public var staffID: String?

    public init(method: VerificationMethod, isProxy: Bool = false, verifiedAt: Date = Date(),
                birthDate: String? = nil, sex: String? = nil, cardExpiry: String? = nil, staffID: String? = nil) {
        self.method = method
        self.isProxy = isProxy
        self.verifiedAt = verifiedAt
        self.birthDate = birthDate
        self.sex = sex
        self.cardExpiry = cardExpiry
        self.staffID = staffID
    }
}
