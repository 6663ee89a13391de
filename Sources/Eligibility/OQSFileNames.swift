import Foundation

/// The file names of the OQS share, as open-source clinic integrations use them.
///
/// - single check (個別照会): request `OQSsiquc01req_<token>.xml` in `req/`, result `OQSsiquc01res_<token>.xml`
///   in `res/` (the request's name with `req` → `res`), refusal `OQSsiquc01req_<token>.err` in `res/`;
/// - card (face-reader) route: `OQSsiquc01res_face_<token>_<yyyyMMddHHmmss>.xml` in `face/`.
///
/// `<token>` is never an identifier used as is: ``token(for:)`` escapes every byte outside `A-Z a-z 0-9 -` as
/// `_XX` (hex), so `ArnHCeDfNjMCFzg=` becomes `ArnHCeDfNjMCFzg_3D` and no identifier can reach another folder.
public enum OQSFileNames {
    /// Prefix of a single-check request.
    public static let requestPrefix = "OQSsiquc01req_"
    /// Prefix of a single-check result.
    public static let resultPrefix = "OQSsiquc01res_"
    /// Prefix of a card-route result in `face/`.
    public static let faceResultPrefix = "OQSsiquc01res_face_"
    /// Extension of a refusal answer.
    public static let errorExtension = ".err"

    /// A file-name-safe, reversible form of `identifier` (bytes outside `A-Za-z0-9-` as `_XX`).
    public static func token(for identifier: String) -> String {
        var out = ""
        for b in identifier.utf8 {
            let safe = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
            out += safe ? String(UnicodeScalar(b)) : String(format: "_%02X", b)
        }
        return out
    }

    /// The request file name for `identifier`: `OQSsiquc01req_<token>.xml`.
    public static func requestFileName(for identifier: String) -> String {
        requestPrefix + token(for: identifier) + ".xml"
    }

    /// The result name for a request name (`…01req_` → `…01res_`); nil when `name` is not a request name.
    public static func resultFileName(forRequest name: String) -> String? {
        guard let range = name.range(of: "01req_") else { return nil }
        return name.replacingCharacters(in: range, with: "01res_")
    }

    /// The refusal name for a request name: its base name (without `.xml`) + `.err`.
    public static func errorFileName(forRequest name: String) -> String {
        (name.hasSuffix(".xml") ? String(name.dropLast(4)) : name) + errorExtension
    }

    /// `OQSsiquc01res_face_<token>_<yyyyMMddHHmmss>.xml`.
    public static func faceResultFileName(identifier: String, at time: OQSTimestamp) -> String {
        faceResultPrefix + token(for: identifier) + "_" + time.text + ".xml"
    }

    /// True for `OQSsiquc01res_face_<something>_<14 digits>.xml` (what clinic watchers match).
    public static func isFaceResultFileName(_ name: String) -> Bool {
        guard name.hasPrefix(faceResultPrefix), name.hasSuffix(".xml") else { return false }
        let middle = name.dropFirst(faceResultPrefix.count).dropLast(4)
        guard middle.count > 15 else { return false }
        let stamp = middle.suffix(14)
        let separator = middle.dropLast(14).last
        return separator == "_" && stamp.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// True for a single-check request name `OQSsiquc01req_<…>.xml` (not hidden).
    public static func isRequestFileName(_ name: String) -> Bool {
        name.hasPrefix(requestPrefix) && name.hasSuffix(".xml") && name.count > requestPrefix.count + 4
    }
}
