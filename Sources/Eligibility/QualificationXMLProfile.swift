import Foundation

/// The parts of the OQS file exchange that differ between terminals or that no public source fixes, kept
/// configurable.
///
/// Taken from open-source clinic integrations (see `docs/eligibility.md`): the document layout
/// `XmlMsg / MessageHeader + MessageBody`, the search key `QualificationConfirmSearchInfo`, the result's
/// `ResultList / ResultOfQualificationConfirmation`, the leaf element names, the file names
/// (`OQSsiquc01req_…` / `OQSsiquc01res_…` / `….err` / `face/OQSsiquc01res_face_…`), and both encodings.
///
/// Assumed, with a default here:
/// - ``textEncoding``: the encoding written (UTF-8 by default; Shift_JIS for terminals configured so). Reading
///   always follows the document's own declaration;
/// - the card-route key: the real service keys the card route by the JPKI certificate, which only an accredited
///   terminal can use, and the clinic never sends a card-route request (the terminal writes `face/` results). For
///   this package's own responder, a card-route request carries a card-holder key (see ``CardHolderKeyPolicy``) in
///   ``cardHolderKeyElement`` (default `CardHolderKey`, inside the search info) — a local extension, never part of
///   an insurance-card request;
/// - file naming: ``requestFileNamePattern`` and ``resultFileNamePattern``, where `{id}` stands for the escaped
///   ArbitraryFileIdentifier (``OQSFileNames/token(for:)``).
public struct QualificationXMLProfile: Sendable, Hashable {
    /// Root element of request and result documents.
    public var rootElement: String = "XmlMsg"
    /// Header container.
    public var headerElement: String = "MessageHeader"
    /// Body container.
    public var bodyElement: String = "MessageBody"
    /// Search-key container in the request body.
    public var searchInfoElement: String = "QualificationConfirmSearchInfo"
    /// Element carrying the card-holder key of a card-route request (local extension, inside the search info);
    /// nil to omit.
    public var cardHolderKeyElement: String? = "CardHolderKey"
    /// Request file name; `{id}` is replaced by the escaped ArbitraryFileIdentifier.
    public var requestFileNamePattern: String = "OQSsiquc01req_{id}.xml"
    /// Result file name; `{id}` is replaced by the escaped ArbitraryFileIdentifier.
    public var resultFileNamePattern: String = "OQSsiquc01res_{id}.xml"
    /// The encoding documents are written in (read: whatever the declaration says).
    public var textEncoding: OQSTextEncoding = .utf8
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

    /// The request file name for `identifier` (escaped, so it never leaves the folder).
    public func requestFileName(for identifier: String) -> String {
        requestFileNamePattern.replacingOccurrences(of: "{id}", with: OQSFileNames.token(for: identifier))
    }

    /// The result file name for `identifier` (escaped).
    public func resultFileName(for identifier: String) -> String {
        resultFileNamePattern.replacingOccurrences(of: "{id}", with: OQSFileNames.token(for: identifier))
    }

    /// The refusal (`.err`) file name for `identifier`: the request name's base name + `.err`.
    public func errorFileName(for identifier: String) -> String {
        OQSFileNames.errorFileName(forRequest: requestFileName(for: identifier))
    }

    /// The part of `name` that stands for `{id}` under `pattern`, or nil when the name does not fit.
    static func token(inFileName name: String, pattern: String) -> String? {
        guard let range = pattern.range(of: "{id}") else { return nil }
        let prefix = String(pattern[..<range.lowerBound])
        let suffix = String(pattern[range.upperBound...])
        guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count,
            name.utf8.count <= 240
        else { return nil }
        return String(name.dropFirst(prefix.count).dropLast(suffix.count))
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
