import Testing

@testable import FaceImaging
@testable import MynaCard

@Suite("BER-TLV parser")
struct ContainerBERTLVTests {
    @Test func primitiveShortForm() throws {
        let bytes: [UInt8] = [0x80, 0x02, 0xAB, 0xCD]
        let nodes = try BERTLV.parse(bytes)
        #expect(nodes.count == 1)
        #expect(nodes[0].tag == 0x80)
        #expect(nodes[0].offset == 0)
        #expect(nodes[0].headerLength == 2)
        #expect(nodes[0].length == 2)
        #expect(nodes[0].valueRange == 2..<4)
        #expect(nodes[0].children.isEmpty)
        #expect(!nodes[0].isConstructed)
    }

    @Test func multiByteTagsAndNesting() throws {
        // 7F61 (10) { 02 01 01, 7F60 { 5F2E 01 AA } }, then DF27 00
        let bytes: [UInt8] = [
            0x7F, 0x61, 0x0A, 0x02, 0x01, 0x01, 0x7F, 0x60, 0x04, 0x5F, 0x2E, 0x01, 0xAA,
            0xDF, 0x27, 0x00,
        ]
        let nodes = try BERTLV.parse(bytes)
        #expect(nodes.map(\.tag) == [0x7F61, 0xDF27])
        #expect(nodes[0].isConstructed)
        #expect(nodes[0].headerLength == 3)
        #expect(nodes[0].children.map(\.tag) == [0x02, 0x7F60])
        let inner = try #require(nodes[0].child(0x7F60))
        #expect(inner.offset == 6)
        #expect(inner.children.count == 1)
        #expect(inner.children[0].tag == 0x5F2E)
        #expect(inner.children[0].valueRange == 12..<13)
        #expect(inner.children[0].encodedRange == 9..<13)
        #expect(nodes[1].offset == 13)
        #expect(nodes[1].length == 0)
        #expect(TLVTag(0xDF27).description == "DF27")
        #expect(TLVTag(0xDF27).bytes == [0xDF, 0x27])
        #expect(!TLVTag(0xDF27).isConstructed)
        #expect(TLVTag(0xFF20).isConstructed)
    }

    @Test func longFormLengths() throws {
        for (form, count) in [(0x81, 200), (0x82, 300), (0x83, 70_000), (0x84, 5)] {
            var header: [UInt8] = [0xDF, 0x27, UInt8(form)]
            let n = form - 0x80
            for i in (0..<n).reversed() { header.append(UInt8((count >> (8 * i)) & 0xFF)) }
            let bytes = header + [UInt8](repeating: 0x5A, count: count)
            let node = try BERTLV.parseElement(bytes, at: 0)
            #expect(node.length == count)
            #expect(node.headerLength == 3 + n)
            #expect(node.encodedRange == 0..<bytes.count)
        }
        #expect(BERTLV.encodeLength(127) == [0x7F])
        #expect(BERTLV.encodeLength(128) == [0x81, 0x80])
        #expect(BERTLV.encodeLength(256) == [0x82, 0x01, 0x00])
        #expect(BERTLV.encodeLength(0x01_0000) == [0x83, 0x01, 0x00, 0x00])
        #expect(BERTLV.encode(0xFF20, [1, 2]) == [0xFF, 0x20, 0x02, 1, 2])
    }

    @Test func indefiniteAndUnsupportedLengthsRejected() {
        #expect(throws: TLVError.indefiniteLength(offset: 1)) { try BERTLV.parse([0x30, 0x80, 0x00, 0x00]) }
        #expect(throws: TLVError.unsupportedLengthForm(offset: 2, byte: 0x85)) {
            try BERTLV.parse([0xDF, 0x27, 0x85, 0, 0, 0, 0, 1])
        }
    }

    @Test func lengthPastEndRejected() {
        #expect(throws: TLVError.lengthPastEnd(tag: 0xDF27, offset: 0, length: 5, available: 2)) {
            try BERTLV.parse([0xDF, 0x27, 0x05, 0x01, 0x02])
        }
        // A child running past the end of its parent's value (but not of the input).
        #expect(throws: TLVError.lengthPastEnd(tag: 0x80, offset: 2, length: 3, available: 2)) {
            try BERTLV.parse([0xA1, 0x04, 0x80, 0x03, 0x01, 0x02, 0x03, 0x04])
        }
        // Hostile 4-byte length: rejected by the element limit before anything is allocated.
        #expect(throws: TLVError.elementTooLong(tag: 0xDF27, offset: 0, length: 0xFFFF_FFFF, limit: 16 << 20)) {
            try BERTLV.parse([0xDF, 0x27, 0x84, 0xFF, 0xFF, 0xFF, 0xFF])
        }
    }

    @Test func truncatedHeaders() {
        #expect(throws: TLVError.truncated(offset: 0)) { try BERTLV.parse([0xDF]) }
        #expect(throws: TLVError.truncated(offset: 0)) { try BERTLV.parse([0xDF, 0x27]) }
        #expect(throws: TLVError.truncated(offset: 0)) { try BERTLV.parse([0xDF, 0x27, 0x82, 0x01]) }
        #expect(throws: TLVError.truncated(offset: 2)) { try BERTLV.parse([0x80, 0x00, 0x5F]) }
        #expect(throws: TLVError.tagTooLong(offset: 0)) { try BERTLV.parse([0x5F, 0x81, 0x81, 0x81, 0x01, 0x00]) }
    }

    @Test func deepNestingIsBoundedWithoutStackOverflow() {
        // 10 000 nested constructed elements `30 82 LL LL …`, innermost empty.
        let depth = 10_000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(depth * 4)
        for level in 0..<depth {
            let inner = (depth - level - 1) * 4
            bytes += [0x30, 0x82, UInt8(inner >> 8), UInt8(inner & 0xFF)]
        }
        #expect(throws: TLVError.tooDeep(depth: 17)) { try BERTLV.parse(bytes) }
        var deeper = TLVLimits()
        deeper.maxDepth = 100_000  // clamped internally: still no stack overflow
        #expect(throws: TLVError.tooDeep(depth: 513)) { try BERTLV.parse(bytes, limits: deeper) }
    }

    @Test func inputLimit() {
        let limits = TLVLimits(maxInputBytes: 4)
        #expect(throws: TLVError.inputTooLarge(size: 5, limit: 4)) {
            try BERTLV.parse([0x80, 0x03, 1, 2, 3], limits: limits)
        }
    }

    @Test func stopAtFiller() throws {
        let bytes: [UInt8] = [0x80, 0x01, 0x07, 0xFF, 0xFF, 0x00, 0x12]
        let nodes = try BERTLV.parse(bytes, stopAtFiller: true)
        #expect(nodes.count == 1)
        #expect(nodes[0].valueRange == 2..<3)
    }

    @Test func errorMessagesNameTheOffset() {
        let e = TLVError.lengthPastEnd(tag: 0xDF27, offset: 41, length: 900, available: 12)
        #expect(e.description == "TLV element DF27 at byte 41 declares 900 bytes but only 12 remain")
    }
}
