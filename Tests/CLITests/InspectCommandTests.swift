import Foundation
import TestSupport
import Testing

/// `mynaface inspect` on a JP2 whose container contradicts its codestream.
@Suite("mynaface inspect")
struct InspectCommandTests {
    static let ready = ProcessRunner.mynafaceBinary != nil

    /// `Fixtures/codecs/portrait-240x320.jp2` with its `ihdr` height and width replaced.
    func portrait(ihdrHeight: UInt32, width: UInt32) throws -> URL {
        var bytes = [UInt8](
            try Data(contentsOf: TestEnvironment.fixtures.appendingPathComponent("codecs/portrait-240x320.jp2")))
        let at = try #require((0..<(bytes.count - 4)).first { Array(bytes[$0..<$0 + 4]) == Array("ihdr".utf8) })
        for k in 0..<4 {
            bytes[at + 4 + k] = UInt8(truncatingIfNeeded: ihdrHeight >> (24 - 8 * k))
            bytes[at + 8 + k] = UInt8(truncatingIfNeeded: width >> (24 - 8 * k))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mynaface-ihdr-\(UUID()).jp2")
        try Data(bytes).write(to: url)
        return url
    }

    @Test(
        "a JP2 whose ihdr claims 60000×60000 over a 240×320 codestream is refused: exit 1, one line naming both",
        .enabled(if: ready))
    func contradictoryIhdrRefused() throws {
        let hostile = try portrait(ihdrHeight: 60_000, width: 60_000)
        defer { try? FileManager.default.removeItem(at: hostile) }
        let out = try ProcessRunner.run(try #require(ProcessRunner.mynafaceBinary), ["inspect", hostile.path])
        #expect(out.status == 1)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("ihdr 60000×60000") && out.stderr.contains("SIZ 240×320"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1)

        let honest = try portrait(ihdrHeight: 320, width: 240)
        defer { try? FileManager.default.removeItem(at: honest) }
        let fine = try ProcessRunner.run(try #require(ProcessRunner.mynafaceBinary), ["inspect", honest.path])
        #expect(fine.status == 0, "\(fine.stderr)")
    }
}
