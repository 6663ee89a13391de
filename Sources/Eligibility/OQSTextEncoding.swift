import Foundation

/// Why bytes could not be turned into OQS XML text, or text into bytes.
public enum OQSTextEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not valid in the encoding the XML declaration names (or UTF-8 when it names none).
    case invalidBytes(declared: OQSTextEncoding)
    /// The XML declaration names an encoding this adapter does not read.
    case unsupportedDeclaration(String)
    /// A character of the document has no code in the target encoding (the Unicode scalar, `U+XXXX`).
    case unrepresentable(scalar: String, encoding: OQSTextEncoding)

    public var description: String {
        switch self {
        case .invalidBytes(let declared): "the bytes are not valid \(declared.rawValue)"
        case .unsupportedDeclaration(let name):
            "the XML declaration names encoding \"\(name.prefix(40))\", which is not read (UTF-8 or Shift_JIS)"
        case .unrepresentable(let scalar, let encoding): "character \(scalar) cannot be written in \(encoding.rawValue)"
        }
    }
}

/// The two encodings OQS documents come in, with their `CharacterCodeIdentifier` (0 UTF-8, 1 Shift_JIS).
///
/// Shift_JIS is Foundation's `.shiftJIS`, which on Linux is the Windows code page 932 table (so `～` U+FF5E,
/// `髙` and `Ⅲ` round-trip). Before writing, a few characters that CP932 lacks but whose CP932 look-alikes
/// Japanese software uses are mapped: `〜` U+301C → `～` U+FF5E, `−` U+2212 → `－` U+FF0D, `‖` U+2016 → `∥` U+2225,
/// `¢` → `￠`, `£` → `￡`, `¬` → `￢`. Any other character without a code is refused, never replaced.
public enum OQSTextEncoding: String, Sendable, Hashable, CaseIterable {
    /// UTF-8 (`CharacterCodeIdentifier` 0).
    case utf8 = "UTF-8"
    /// Shift_JIS, CP932 flavour (`CharacterCodeIdentifier` 1).
    case shiftJIS = "Shift_JIS"

    /// The header's CharacterCodeIdentifier for this encoding.
    public var characterCodeIdentifier: String { self == .utf8 ? "0" : "1" }

    /// The encoding a CharacterCodeIdentifier names (nil for other codes).
    public init?(characterCodeIdentifier code: String) {
        switch code {
        case "0": self = .utf8
        case "1": self = .shiftJIS
        default: return nil
        }
    }

    /// The encoding an XML declaration's `encoding` value names (case-insensitive; `SJIS`, `CP932`, `Windows-31J`
    /// and `MS_Kanji` count as Shift_JIS).
    public init?(declaration name: String) {
        switch name.lowercased() {
        case "utf-8", "utf8": self = .utf8
        case "shift_jis", "shift-jis", "sjis", "cp932", "windows-31j", "ms_kanji", "x-sjis": self = .shiftJIS
        default: return nil
        }
    }

    private var foundation: String.Encoding { self == .utf8 ? .utf8 : .shiftJIS }

    private static let cp932LookAlikes: [Unicode.Scalar: Unicode.Scalar] = [
        "\u{301C}": "\u{FF5E}", "\u{2212}": "\u{FF0D}", "\u{2016}": "\u{2225}",
        "\u{00A2}": "\u{FFE0}", "\u{00A3}": "\u{FFE1}", "\u{00AC}": "\u{FFE2}",
    ]

    /// `xml` (a whole document whose declaration names UTF-8) as bytes in this encoding, with the declaration's
    /// encoding rewritten to match.
    /// - Throws: ``OQSTextEncodingError/unrepresentable(scalar:encoding:)`` for a character without a code.
    public func encode(_ xml: String) throws(OQSTextEncodingError) -> Data {
        guard self == .shiftJIS else { return Data(Self.replacingDeclaredEncoding(in: xml, with: rawValue).utf8) }
        var scalars = String.UnicodeScalarView()
        for scalar in xml.unicodeScalars { scalars.append(Self.cp932LookAlikes[scalar] ?? scalar) }
        let text = Self.replacingDeclaredEncoding(in: String(scalars), with: rawValue)
        if let data = text.data(using: .shiftJIS, allowLossyConversion: false) { return data }
        for scalar in text.unicodeScalars
        where String(scalar).data(using: .shiftJIS, allowLossyConversion: false) == nil {
            throw .unrepresentable(scalar: String(format: "U+%04X", scalar.value), encoding: self)
        }
        throw .unrepresentable(scalar: "?", encoding: self)
    }

    /// Decodes a document in whichever encoding its declaration names (UTF-8 when none; a UTF-8 byte-order mark
    /// is skipped) and returns it as UTF-8 bytes whose declaration says UTF-8, ready for an XML parser.
    /// - Throws: ``OQSTextEncodingError/invalidBytes(declared:)`` or ``OQSTextEncodingError/unsupportedDeclaration(_:)``.
    public static func decode(_ data: Data) throws(OQSTextEncodingError) -> (utf8: Data, encoding: OQSTextEncoding) {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = Data(bytes.dropFirst(3)) }
        let encoding: OQSTextEncoding
        if let name = declaredEncoding(in: bytes) {
            guard let known = OQSTextEncoding(declaration: name) else { throw .unsupportedDeclaration(name) }
            encoding = known
        } else {
            encoding = .utf8
        }
        guard let text = String(data: bytes, encoding: encoding.foundation) else {
            throw .invalidBytes(declared: encoding)
        }
        return (Data(replacingDeclaredEncoding(in: text, with: "UTF-8").utf8), encoding)
    }

    /// The `encoding` pseudo-attribute of the XML declaration (ASCII in both encodings), if any.
    static func declaredEncoding(in data: Data) -> String? {
        let head = String(decoding: data.prefix(200), as: UTF8.self)
        guard head.hasPrefix("<?xml"), let end = head.range(of: "?>") else { return nil }
        let declaration = head[..<end.lowerBound]
        guard let attribute = declaration.range(of: "encoding") else { return nil }
        let rest = declaration[attribute.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" }
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let value = rest.dropFirst().prefix { $0 != quote }
        return String(value)
    }

    /// `text` with the declaration's encoding value replaced (unchanged when there is no declaration or value).
    static func replacingDeclaredEncoding(in text: String, with name: String) -> String {
        guard text.hasPrefix("<?xml"), let end = text.range(of: "?>"),
            let attribute = text.range(of: "encoding", range: text.startIndex..<end.lowerBound)
        else { return text }
        var index = attribute.upperBound
        while index < end.lowerBound, text[index] == " " || text[index] == "=" || text[index] == "\t" {
            index = text.index(after: index)
        }
        guard index < end.lowerBound else { return text }
        let quote = text[index]
        guard quote == "\"" || quote == "'" else { return text }
        let valueStart = text.index(after: index)
        guard let valueEnd = text[valueStart..<end.lowerBound].firstIndex(of: quote) else { return text }
        return text.replacingCharacters(in: valueStart..<valueEnd, with: name)
    }
}
