import Foundation
import MynaCard

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
    /// What the card says about its holder (DF22 birth date, DF23 sex, DF29 expiry), if read.
    public var holder: CardHolder?
    /// The staff member's identifier, for a visual check.
    public var staffID: String?
    /// The answers on the reader's consent and prescription screens, with their times (nil when no screen was shown).
    public var readerAnswers: ReaderAnswers?

    public init(
        method: VerificationMethod, isProxy: Bool = false, verifiedAt: Date = Date(),
        holder: CardHolder? = nil, staffID: String? = nil, readerAnswers: ReaderAnswers? = nil
    ) {
        self.readerAnswers = readerAnswers
        self.method = method
        self.isProxy = isProxy
        self.verifiedAt = verifiedAt
        self.holder = holder
        self.staffID = staffID
    }
}
