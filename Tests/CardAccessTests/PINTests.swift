import Foundation
import Logging
import Testing

@testable import CardAccess

@Suite struct PINTests {
    @Test(arguments: [
        ("123", PINFormatError.wrongLength(count: 3)), ("12345", .wrongLength(count: 5)), ("", .wrongLength(count: 0)),
        ("12a4", .notADigit(position: 2)), ("١٢٣٤", .wrongLength(count: 8)), (" 123", .notADigit(position: 0)),
    ])
    func malformedPINsAreRejectedBeforeTheCard(text: String, expected: PINFormatError) {
        #expect(throws: expected) { try PIN(text) }
    }

    @Test func pinNeverPrints() throws {
        let pin = try PIN("8361")
        #expect(pin.description == "PIN(****)")
        #expect(String(reflecting: pin) == "PIN(****)")
        #expect("\(pin)" == "PIN(****)")
        var dumped = ""
        dump(pin, to: &dumped)
        #expect(!dumped.contains("8361"))
        #expect(!dumped.contains("56"))  // 0x38, the first digit as a byte
        pin.wipe()
        #expect(pin.isWiped)
    }

    @Test func wipedPINIsRefusedWithoutTouchingTheCard() async throws {
        let channel = ScriptedChannel([])
        let pin = try PIN("1234")
        pin.wipe()
        await #expect(throws: PINFormatError.self) { try await PINVerifier(channel: channel).verify(pin) }
        #expect(channel.commands.isEmpty)
    }

    /// One row per status word VERIFY can answer with the PIN.
    @Test(arguments: [
        (StatusWord.success, PINVerificationResult.accepted),
        (.triesRemaining(2), .wrong(triesLeft: 2)),
        (.triesRemaining(1), .wrong(triesLeft: 1)),
        (.triesRemaining(0), .blocked),
        (.referenceDataNotUsable, .blocked),
        (.authenticationMethodBlocked, .blocked),
    ])
    func verifyStatusWords(status: StatusWord, expected: PINVerificationResult) async throws {
        // SELECT AP, SELECT EF, empty VERIFY (63C3), VERIFY with PIN (status).
        let channel = ScriptedChannel([(0x20, .triesRemaining(3)), (0x20, status)])
        let result = try await PINVerifier(channel: channel).verify(try PIN("8361"))
        #expect(result == expected)
        let commands = channel.commands
        #expect(commands.map(\.ins) == [0xA4, 0xA4, 0x20, 0x20])
        #expect(commands[0].data == PINVerifier.jpkiAID && commands[0].p1 == 0x04 && commands[0].p2 == 0x0C)
        #expect(commands[1].data == [0x00, 0x18] && commands[1].p1 == 0x02)
        #expect(commands[2].dataCount == 0 && commands[2].p2 == 0x80)  // the query spends nothing
        #expect(channel.dataSeen[3] == Array("8361".utf8))  // what the card received
        #expect(commands[3].isSensitive && commands[3].isWiped)  // and wiped afterwards
    }

    @Test func unexpectedStatusThrows() async throws {
        let channel = ScriptedChannel([(0x20, .triesRemaining(3)), (0x20, .securityStatusNotSatisfied)])
        await #expect(
            throws: CardAccessError.unexpectedStatus(step: "VERIFY user PIN", status: .securityStatusNotSatisfied)
        ) {
            try await PINVerifier(channel: channel).verify(try PIN("8361"))
        }
        #expect(channel.commands.last?.isWiped == true)
    }

    /// One row per answer to the empty VERIFY.
    @Test(arguments: [
        (StatusWord.triesRemaining(3), PINStatus.triesLeft(3)), (.triesRemaining(1), .triesLeft(1)),
        (.triesRemaining(0), .blocked), (.referenceDataNotUsable, .blocked), (.authenticationMethodBlocked, .blocked),
        (.success, .alreadyVerified),
    ])
    func statusQuery(status: StatusWord, expected: PINStatus) async throws {
        let channel = ScriptedChannel([(0x20, status)])
        #expect(try await PINVerifier(channel: channel).status() == expected)
    }

    @Test func blockedPINIsNotSent() async throws {
        let channel = ScriptedChannel([(0x20, .referenceDataNotUsable)])
        #expect(try await PINVerifier(channel: channel).verify(try PIN("8361")) == .blocked)
        #expect(channel.commands.allSatisfy { $0.dataCount == 0 || $0.ins != 0x20 })
        #expect(channel.commands.count == 3)
    }

    @Test func faceOnlyCardHasNoPIN() async throws {
        let channel = ScriptedChannel([(0xA4, .success), (0xA4, .fileNotFound)])
        #expect(try await PINVerifier(channel: channel).verify(try PIN("8361")) == .notPresent)
        #expect(channel.commands.count == 2)
    }

    @Test func pinNeverReachesLogsOrTheCardLog() async throws {
        let store = CapturingLogHandler.Store()
        let card = try Fixtures.card(pin: "8361")
        let verifier = PINVerifier(channel: card, logger: capturingLogger(store))
        #expect(try await verifier.verify(try PIN("7402")) == .wrong(triesLeft: 2))
        #expect(try await verifier.verify(try PIN("8361")) == .accepted)
        let logs = store.text
        #expect(!logs.isEmpty)
        for secret in ["7402", "8361", "37343032", "38333631", "37 34 30 32", "38 33 36 31"] {
            #expect(!logs.contains(secret))
            #expect(!card.exchangeLog.joined().contains(secret))
        }
        #expect(logs.contains("63C2"))
    }
}
