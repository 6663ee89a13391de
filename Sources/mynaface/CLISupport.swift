import ArgumentParser
import Foundation

/// The exit statuses of `mynaface`, one meaning each across the subcommands.
enum ExitStatus: Int32 {
    /// The check passed: a match, a verified reception, a clean benchmark check.
    case success = 0
    /// The check ran and said no: no match, a refused reception, a benchmark regression.
    case failure = 1
    /// No usable face was acquired from the camera frame (the JSON carries the reason and patient message).
    case notAcquired = 2
    /// An input could not be read or was refused (unreadable file, malformed container, untrusted card).
    case unreadableInput = 3
    /// The models are missing or corrupt, or the face pipeline failed.
    case modelsOrPipeline = 4
    /// The liveness check suspected a presentation attack (`verify --liveness`; the JSON carries the PAD score and cues).
    case presentationAttack = 5

    /// ArgumentParser's exit code for this status.
    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// Small helpers shared by the subcommands: reading input files, one-line errors, JSON output.
enum CLI {
    /// Reads a whole file, or exits with `status` and a one-line error naming it.
    static func readFile(_ path: String, what: String, command: String, status: ExitStatus = .unreadableInput)
        -> [UInt8]
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            fail("\(command): cannot read \(what) \(path)", status: status)
        }
        return [UInt8](data)
    }

    /// Prints `message` as one line on stderr and exits with `status`.
    static func fail(_ message: String, status: ExitStatus) -> Never {
        note(message)
        Foundation.exit(status.rawValue)
    }

    /// Prints `message` as one line on stderr.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
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
