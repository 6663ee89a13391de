import Foundation

/// The parts of the OQS file exchange this adapter could not find in a public source, kept configurable.
///
/// What is known (from open-source レセコン result parsers): the result document is
/// `XmlMsg / MessageHeader + MessageBody`, with the search key in `QualificationConfirmSearchInfo` and the
/// qualifications in `ResultList / ResultOfQualificationConfirmation`; leaf element names (InsurerNumber,
/// QualificationValidity, PharmacistsInfoConsFlg, …) are the real ones.
///
/// What is NOT known, and therefore set here with a documented default:
/// - the request document's container names (defaults borrow the result's: `XmlMsg`, `MessageHeader`,
///   `MessageBody`, `QualificationConfirmSearchInfo`), and that the request carries the consents under the
///   result's element names (`PharmacistsInfoConsFlg`/`…ConsTime`, …) directly in the body;
/// - how the identity was verified (face / PIN / visual, proxy): no OQS field is known. It is written in
///   ``verificationElement`` (default `MynaFaceIdentityVerification`, children `Method` = `face`|`pin`|`visual`,
///   `Proxy` = `0`|`1`, `VerifiedTime` = `YYYYMMDDHHmmss`, optional `StaffID`); set it to nil to leave it out
///   when talking to a terminal that rejects unknown elements;
/// - the card-route key: the real service keys the card route by the JPKI certificate, which only an accredited
///   terminal can use. This adapter sends a card-holder key (see ``CardHolderKeyPolicy``) in
///   ``cardHolderKeyElement`` (default `CardHolderKey`, inside the search info);
/// - file naming: ``requestFileNamePattern`` and ``resultFileNamePattern``, where `{id}` stands for the
///   ArbitraryFileIdentifier (default `{id}.xml` in each folder).
public struct QualificationXMLProfile: Sendable, Hashable {
    /// Root element of request and result documents.
    public var rootElement: String = "XmlMsg"
    /// Header container.
    public var headerElement: String = "MessageHeader"
    /// Body container.
    public var bodyElement: String = "MessageBody"
    /// Search-key container in the request body.
    public var searchInfoElement: String = "QualificationConfirmSearchInfo"
    /// Element carrying the card-holder key of the card route (inside the search info); nil to omit.
    public var cardHolderKeyElement: String? = "CardHolderKey"
    /// Element recording how the identity was verified (in the request body); nil to omit.
    public var verificationElement: String? = "MynaFaceIdentityVerification"
    /// Request file name; `{id}` is replaced by the ArbitraryFileIdentifier.
    public var requestFileNamePattern: String = "{id}.xml"
    /// Result file name; `{id}` is replaced by the ArbitraryFileIdentifier.
    public var resultFileNamePattern: String = "{id}.xml"
    /// Zone of every `YYYYMMDD…` value (Japan Standard Time, UTC+9, no daylight saving).
    public var timeZone: TimeZone = QualificationXMLProfile.japanStandardTime
    /// Largest request or result file read, in bytes (a hostile or runaway file is refused, not parsed).
    public var maximumFileBytes: Int = 1 << 20

    /// The defaults described above; change properties to match a terminal.
    public init() {}

    /// The defaults described above.
    public static let `default` = QualificationXMLProfile()

    /// UTC+9.
    public static let japanStandardTime: TimeZone = TimeZone(secondsFromGMT: 9 * 3600) ?? .current

    /// The request file name for `identifier`.
    public func requestFileName(for identifier: String) -> String {
        requestFileNamePattern.replacingOccurrences(of: "{id}", with: identifier)
    }

    /// The result file name for `identifier`.
    public func resultFileName(for identifier: String) -> String {
        resultFileNamePattern.replacingOccurrences(of: "{id}", with: identifier)
    }

    /// The identifier a file name carries under `pattern`, or nil when the name does not fit the pattern or the
    /// identifier is not a safe file identifier.
    static func identifier(inFileName name: String, pattern: String) -> String? {
        guard let range = pattern.range(of: "{id}") else { return nil }
        let prefix = String(pattern[..<range.lowerBound]), suffix = String(pattern[range.upperBound...])
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return nil }
        let id = String(name.dropFirst(prefix.count).dropLast(suffix.count))
        return isSafeFileIdentifier(id) ? id : nil
    }
}

/// What the card-route request uses to find the card holder in a registry.
///
/// The real service identifies the card holder by the JPKI user certificate linked at 保険証利用登録; a reader
/// without an accredited terminal cannot. This adapter keys card holders by fields of the ``VerifiedIdentity``
/// joined with `-`, in the order given: by default the birth date and the card's expiry date
/// (`19800101-20310415`). A local registry stores the same string per person.
public struct CardHolderKeyPolicy: Sendable, Hashable {
    /// A field of the verified identity.
    public enum Component: String, Sendable, Hashable, CaseIterable {
        /// `YYYYMMDD` from DF22.
        case birthDate
        /// The JIS X 0303 sex code.
        case sex
        /// `YYYYMMDD` from DF29.
        case cardExpiry
    }

    /// The fields, in key order.
    public var components: [Component]

    /// A key made of `components`, in order.
    public init(components: [Component]) { self.components = components }

    /// Birth date and card expiry.
    public static let `default` = CardHolderKeyPolicy(components: [.birthDate, .cardExpiry])
}
