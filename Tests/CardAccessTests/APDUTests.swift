import CardAccess
import Testing

@Suite struct APDUTests {
    @Test func shortEncodingCases() throws {
        // Case 1: header only.
        #expect(try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80).encoded() == [0x00, 0x20, 0x00, 0x80])
        // Case 2: Le only; 256 encodes as 00.
        #expect(try CommandAPDU(ins: 0xB0, p1: 0x01, p2: 0x00, le: 256).encoded() == [0x00, 0xB0, 0x01, 0x00, 0x00])
        #expect(try CommandAPDU(ins: 0xB0, p1: 0x00, p2: 0x10, le: 16).encoded() == [0x00, 0xB0, 0x00, 0x10, 0x10])
        // Case 3: data.
        #expect(
            try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x18]).encoded()
                == [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18])
        // Case 4: data and Le.
        #expect(
            try CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0, p2: 0, data: [1, 2, 3], le: 256).encoded()
                == [0x80, 0x2A, 0x00, 0x00, 0x03, 1, 2, 3, 0x00])
    }

    @Test func extendedEncodingOnlyWhenNeeded() throws {
        let big = [UInt8](repeating: 0xAB, count: 300)
        let c = try CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: big, le: 65536)
        #expect(c.needsExtendedLength)
        let e = c.encoded()
        #expect(Array(e.prefix(7)) == [0x00, 0xD6, 0x00, 0x00, 0x00, 0x01, 0x2C])
        #expect(Array(e.suffix(2)) == [0x00, 0x00])
        #expect(e.count == 4 + 3 + 300 + 2)
        // Le alone above 256: 00 then two bytes.
        #expect(
            try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 1000).encoded() == [0x00, 0xB0, 0x00, 0x00, 0x00, 0x03, 0xE8])
        #expect(
            try !CommandAPDU(ins: 0xB0, p1: 0, p2: 0, data: [UInt8](repeating: 0, count: 255), le: 256)
                .needsExtendedLength)
    }

    @Test func invalidCommandsThrow() {
        #expect(throws: CardAccessError.self) { try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 0) }
        #expect(throws: CardAccessError.self) { try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 65537) }
        #expect(throws: CardAccessError.self) {
            try CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: [UInt8](repeating: 0, count: 65536))
        }
    }

    @Test(arguments: [
        (UInt16(0x9000), StatusWord.success), (0x6282, .endOfFileReached), (0x6300, .verificationFailedNoCounter),
        (0x63C3, .triesRemaining(3)), (0x63C0, .triesRemaining(0)), (0x6700, .wrongLength),
        (0x6982, .securityStatusNotSatisfied), (0x6983, .authenticationMethodBlocked),
        (0x6984, .referenceDataNotUsable),
        (0x6986, .commandNotAllowed), (0x6A80, .incorrectData), (0x6A82, .fileNotFound), (0x6A86, .incorrectP1P2),
        (0x6A88, .referencedDataNotFound), (0x6B00, .wrongOffset), (0x6D00, .instructionNotSupported),
        (0x6E00, .classNotSupported), (0x66F1, .secureMessagingNotSupported), (0x6F00, .other(0x6F00)),
    ])
    func statusWordsRoundTrip(raw: UInt16, expected: StatusWord) {
        let sw = StatusWord(sw1: UInt8(raw >> 8), sw2: UInt8(raw & 0xFF))
        #expect(sw == expected)
        #expect(sw.rawValue == raw)
    }

    @Test func statusWordDescription() {
        #expect(StatusWord.triesRemaining(2).description == "63C2")
        #expect(StatusWord.success.description == "9000")
        #expect(StatusWord.other(0x0102).description == "0102")
    }

    @Test func responseParsing() throws {
        let r = try ResponseAPDU(bytes: [0x01, 0x02, 0x63, 0xC1])
        #expect(r.data == [0x01, 0x02])
        #expect(r.status == .triesRemaining(1))
        #expect(r.encoded == [0x01, 0x02, 0x63, 0xC1])
        #expect(throws: CardAccessError.malformedResponse(byteCount: 1)) { try ResponseAPDU(bytes: [0x90]) }
    }

    @Test func sensitiveCommandIsRedactedAndWipedForEveryCopy() throws {
        let c = try CommandAPDU(ins: 0x20, p1: 0x00, p2: 0x80, data: Array("8361".utf8), isSensitive: true)
        let copy = c
        #expect(c.description == "CommandAPDU(00 20 00 80, data <redacted 4 bytes>)")
        #expect(!String(reflecting: c).contains("38"))
        var dumped = ""
        dump(c, to: &dumped)
        #expect(!dumped.contains("8361") && !dumped.contains("56, 51"))
        #expect(copy.data == [0x38, 0x33, 0x36, 0x31])
        c.wipe()
        #expect(copy.isWiped)
        #expect(copy.data == [0, 0, 0, 0])
        let plain = try CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x18])
        #expect(plain.description == "CommandAPDU(00 A4 02 0C, data 0018)")
    }
}
