import ArgumentParser
import Foundation

/// Small helpers shared by the subcommands: reading input files, one-line errors, JSON output.
enum CLI {
    /// Reads a whole file, or exits with status `status` and a one-line error naming it.
    static func readFile(_ path: String, what: String, command: String, status: Int32 = 3) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            fail("\(command): cannot read \(what) \(path)", status: status)
        }
        return [UInt8](data)
    }

    /// Prints `message` as one line on stderr and exits with `status`.
    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data((message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
        Foundation.exit(status)
    }

    /// Prints an Encodable value as pretty, key-sorted JSON on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

/// Rounds for display (3 decimals for milliseconds, 6 for scores).
func roundTo(_ x: Double, _ digits: Int) -> Double {
    let p = pow(10.0, Double(digits))
    return (x * p).rounded() / p
}
