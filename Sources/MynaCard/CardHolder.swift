/// What a My Number Card says about its holder, as typed values: the card-face file's DF22 birth date,
/// DF23 sex and DF29 expiry.
///
/// It is read from an authenticated card-face file (see `CardFaceAuthenticator` in `CardAccess`) and travels
/// typed from the card to the eligibility check; nothing downstream parses these fields from text again.
public struct CardHolder: Sendable, Hashable, Codable {
    /// DF22: the holder's birth date.
    public var birthDate: CardDate
    /// DF23: the holder's sex (JIS X 0303).
    public var sex: Sex
    /// DF29: the last day the card is valid.
    public var cardExpiry: CardDate

    /// Creates a card holder from its three card fields.
    public init(birthDate: CardDate, sex: Sex, cardExpiry: CardDate) {
        self.birthDate = birthDate
        self.sex = sex
        self.cardExpiry = cardExpiry
    }

    /// The holder fields of a parsed card-face file.
    public init(_ file: CardFaceFile) {
        self.init(birthDate: file.birthDate, sex: file.sex, cardExpiry: file.expiry)
    }

    /// True when the card is expired on `day` (the expiry day itself is still valid).
    public func isExpired(on day: CardDate) -> Bool { day > cardExpiry }
}
