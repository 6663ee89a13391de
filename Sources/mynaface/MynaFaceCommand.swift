import ArgumentParser

/// `mynaface`: the command-line face check of a My Number Card reader.
///
/// One file per subcommand in this folder; the flow they follow is decode → detect → align → embed →
/// compare → decide → session → eligibility.
@main
struct MynaFaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mynaface",
        abstract: "Face check of a My Number Card reader: inspect portraits, detect, embed, verify, run a reception session, tune thresholds.",
        subcommands: [
            InspectCommand.self, DetectCommand.self, EmbedCommand.self, VerifyCommand.self,
            SessionCommand.self, EvalCommand.self, EligibilityCommand.self, BenchCommand.self,
        ])
}
