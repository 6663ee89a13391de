import ArgumentParser
import Foundation
import Logging
import MynaFace
import MynaFaceService

/// `mynaface serve`: the local verification service (JSON over HTTP, docs/openapi.yaml).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve enrol / verify / health / ready / metrics over HTTP on 127.0.0.1 (models loaded once).")

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Address to bind; anything but loopback needs --allow-remote and --token-file.")
    var host = "127.0.0.1"
    @Option(help: "TCP port (0: any free port, printed on stdout).")
    var port = 8321
    @Flag(help: "Allow a non-loopback --host (requires --token-file).")
    var allowRemote = false
    @Option(help: "File holding the bearer token requests must present (at least 16 characters).")
    var tokenFile: String?
    @Option(help: "Largest request body, bytes.")
    var maxRequestBytes = 8 << 20
    @Option(help: "Face verifications running at once (default: the cores).")
    var maxConcurrent: Int?
    @Option(help: "Requests waiting for a slot at most; beyond, 503.")
    var maxQueued = 64
    @Option(help: "Templates held at once at most; beyond, 503.")
    var maxTemplates = 1000
    @Option(help: "Seconds a template lives.")
    var templateLifetime = 300.0
    @Option(help: "Serve the reception kiosk page at /kiosk from this folder (the repository's Kiosk/).")
    var kiosk: String?
    @Option(
        help: "With --kiosk: the portrait the page's \"place the card\" button enrols (image, DG2 or card-face file).")
    var kioskPortrait: String?
    @Option(help: "With --kiosk: file holding the demo PIN (4 digits) the page's PIN pad is checked against.")
    var kioskPinFile: String?

    func run() async throws {
        var config = ServiceConfiguration()
        config.host = host
        config.port = port
        config.allowNonLoopback = allowRemote
        config.maxRequestBytes = maxRequestBytes
        config.templateLifetime = templateLifetime
        config.maxQueued = maxQueued
        config.maxTemplates = maxTemplates
        if let maxConcurrent { config.maxConcurrent = maxConcurrent }
        if let tokenFile {
            let bytes = CLI.readFile(tokenFile, what: "token file", command: "mynaface serve")
            config.token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let kiosk {
            let portrait = kioskPortrait.map { CLI.readFile($0, what: "kiosk portrait", command: "mynaface serve") }
            let pin = kioskPinFile.map {
                String(decoding: CLI.readFile($0, what: "kiosk PIN file", command: "mynaface serve"), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            do {
                config.kiosk = try KioskConfiguration(folder: URL(fileURLWithPath: kiosk), portrait: portrait, pin: pin)
            } catch {
                CLI.fail(
                    "mynaface serve: the kiosk folder \(kiosk) lacks a page file: \(error)", status: .unreadableInput)
            }
        }
        do { try config.validate() } catch { CLI.fail("mynaface serve: \(error)", status: .unreadableInput) }
        let verifier = ModelOptions.verifier(
            external: modelOptions.loadExternal(command: "mynaface serve"), configuration: FaceVerifier.Configuration(),
            command: "mynaface serve")
        let service = try VerificationService(verifier: verifier, configuration: config)
        var logger = Logger(label: "mynaface.serve")
        logger.logLevel = .warning
        let host = config.host
        let app = service.application(logger: logger) { port in
            FileHandle.standardOutput.write(Data("mynaface serve: listening on \(host):\(port)\n".utf8))
        }
        try await app.runService()
    }
}
