import Foundation

/// The `format` and `version` fields every MynaFace JSON file (threshold files, model manifests) starts with: read
/// first, so that a file of another kind or version is named as such instead of failing on its first unknown field.
struct JSONFormatHeader: Decodable {
    /// The file kind (e.g. `mynaface-threshold`, `mynaface-model`); nil when absent.
    var format: String?
    /// The version of that kind; nil when absent.
    var version: Int?

    /// The header of `data`, or nil when `data` is not a JSON object.
    static func read(_ data: Data) -> JSONFormatHeader? { try? JSONDecoder().decode(Self.self, from: data) }
}
