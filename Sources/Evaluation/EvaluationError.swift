import Foundation

/// Why an evaluation run could not be set up or completed.
///
/// Every case names the file (and line, where it applies) so an integrator can fix the input.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// A file or folder could not be read.
    case unreadable(path: String)
    /// A CSV file lacks a required column.
    case missingColumn(path: String, column: String)
    /// A line of a labels, pairs or scores file is malformed.
    case malformedLine(path: String, line: Int, detail: String)
    /// A pairs file names an image that is not on disk.
    case missingImage(path: String, referencedFrom: String, line: Int)
    /// The input holds no usable images or pairs.
    case empty(detail: String)
    /// There are genuine comparisons but no impostor comparisons (or the reverse), so no error rate can be computed.
    case noComparisons(genuine: Int, impostor: Int)
    /// An option has a value outside its range.
    case invalidOption(name: String, detail: String)
    /// An output file could not be written.
    case unwritable(path: String, detail: String)
    /// The chip simulation failed for an image (decode, encode or container round trip).
    case chipSimulation(path: String, detail: String)
    /// Two templates of different dimension were compared.
    case dimensionMismatch(pathA: String, pathB: String, a: Int, b: Int)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path)"
        case .missingColumn(let path, let column):
            return "\(path): required column '\(column)' is missing from the header"
        case .malformedLine(let path, let line, let detail): return "\(path):\(line): \(detail)"
        case .missingImage(let path, let from, let line): return "\(from):\(line): image \(path) does not exist"
        case .empty(let detail): return "nothing to evaluate: \(detail)"
        case .noComparisons(let genuine, let impostor):
            return
                "cannot compute error rates from \(genuine) genuine and \(impostor) impostor scores (both must be > 0)"
        case .invalidOption(let name, let detail): return "option \(name): \(detail)"
        case .unwritable(let path, let detail): return "cannot write \(path): \(detail)"
        case .chipSimulation(let path, let detail): return "chip simulation of \(path) failed: \(detail)"
        case .dimensionMismatch(let a, let b, let da, let db):
            return "templates of \(a) (\(da)-D) and \(b) (\(db)-D) differ in dimension"
        }
    }
}
