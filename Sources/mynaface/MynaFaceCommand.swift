import ArgumentParser
import Foundation
import Logging

/// `mynaface`: the command-line face check of a My Number Card reader.
///
/// One file per subcommand in this folder; the flow they follow is decode → detect → align → embed →
/// compare → decide → session → eligibility.
@main
struct MynaFaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mynaface",
        abstract:
            "Face check of a My Number Card reader: inspect portraits, detect, embed, verify, run a reception session, tune thresholds.",
        discussion:
            "Log messages go to stderr at level warning; set MYNAFACE_LOG_LEVEL (trace … critical) to change it.",
        subcommands: [
            InspectCommand.self, DetectCommand.self, EmbedCommand.self, VerifyCommand.self,
            SessionCommand.self, EvalCommand.self, EligibilityCommand.self, BenchCommand.self, BenchONNXCommand.self,
            ServeCommand.self,
        ])

    static func main() async {
        let level =
            ProcessInfo.processInfo.environment["MYNAFACE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        await main(nil)
    }
}
