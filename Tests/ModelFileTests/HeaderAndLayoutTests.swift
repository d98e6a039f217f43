import XCTest
@testable import ModelFile

/// Files damaged at the header and section level: too short, foreign, truncated, bit-flipped,
/// and header fields that lie (with the checksum recomputed so the lie reaches the layout checks).
final class HeaderAndLayoutTests: XCTestCase {
    let valid = Samples.full().bytes

    func testTooSmallFiles() {
        assertRejected([], .tooSmall, "file is 0 bytes; a model file is at least 128 bytes")
        assertRejected(Array("EDGEINSP".utf8), .tooSmall, "file is 8 bytes; a model file is at least 128 bytes")
        assertRejected(Array(valid[0..<127]), .tooSmall)
    }

    func testWrongMagic() {
        var png = valid
        png.replaceSubrange(0..<8, with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        assertRejected(png, .badMagic, "not an EdgeInspect model file: it starts with '\\x89PNG\\x0d\\x0a\\x1a\\x0a'")
        assertRejected([UInt8](repeating: 0, count: 4096), .badMagic)
    }

    func testUnsupportedVersion() {
        assertRejected(edited(valid) { put32(&$0, HeaderField.version, 2) }, .unsupportedVersion,
                       "unsupported model file version 2 (this build reads version 1)")
        assertRejected(edited(valid) { put32(&$0, HeaderField.version, 0) }, .unsupportedVersion)
        // Checked before the checksum: a newer file must say "newer", not "corrupted".
        var newer = valid
        put32(&newer, HeaderField.version, 2)
        assertRejected(newer, .unsupportedVersion)
    }

    func testChecksumMismatchNamesBothValues() {
        var bytes = valid
        bytes[bytes.count - 1] ^= 0x01
        let stored = get32(bytes, HeaderField.checksum)
        let actual = bytes.withUnsafeBytes { crc32($0, skipping: 88..<92) }
        let hex = { (v: UInt32) in "0x" + String(format: "%08x", v) }
        assertRejected(bytes, .checksumMismatch,
                       "checksum mismatch: file says \(hex(stored)), contents give \(hex(actual)); the file is corrupted")
    }

    func testFileSizeMismatch() {
        assertRejected(valid + [0], .sizeMismatch, "the file has 1 extra bytes at the end")
        assertRejected(edited(valid) { put64(&$0, HeaderField.fileSize, UInt64.max) }, .sizeMismatch, "truncated")
        assertRejected(edited(valid) { put64(&$0, HeaderField.fileSize, 0) }, .sizeMismatch)
    }

    /// Truncation at every section boundary, every payload start and points inside each section.
    func testTruncatedAtEveryBoundaryAndInsideSections() throws {
        let model = try load(valid)
        var cuts = [0, 1, 8, 64, 127, 128, 129]
        for field in [HeaderField.graphOffset, HeaderField.tableOffset, HeaderField.dataOffset] {
            let boundary = Int(get64(valid, field))
            cuts += [boundary - 1, boundary, boundary + 1]
        }
        let tableEnd = Int(get64(valid, HeaderField.tableOffset)) + 96 * model.tensors.count
        cuts += [tableEnd - 1, tableEnd, tableEnd + 1]
        for t in model.tensors {
            cuts += [t.offset, t.offset + 1, t.offset + t.byteSize / 2, t.offset + t.byteSize - 1, t.offset + t.byteSize]
            if t.dtype == .i8 { cuts += [t.scaleOffset, t.scaleOffset + 2] }
        }
        cuts += [valid.count - 1]
        for cut in Set(cuts) where cut < valid.count {
            let truncated = Array(valid[0..<cut])
            assertRejected(truncated, cut < 128 ? .tooSmall : .sizeMismatch)
            guard cut >= 128 else { continue }
            // Same cut with the file size and checksum fixed up: the layout check must catch it.
            let fixed = edited(truncated) { put64(&$0, HeaderField.fileSize, UInt64(cut)) }
            assertRejected(fixed, .badLayout)
        }
    }

    /// Each section cut short at every byte, with the header rewritten to match: the section's own
    /// parser must notice (records running past the section end, missing keys or tensors).
    func testSectionsCutAtEveryByte() {
        let sections = Sections(valid)
        for length in 0..<sections.metadata.count {
            var s = sections
            s.metadata.removeLast(sections.metadata.count - length)
            assertRejected(s.joined, .badMetadata)
        }
        for length in 0..<sections.graph.count {
            var s = sections
            s.graph.removeLast(sections.graph.count - length)
            assertRejected(s.joined, .badGraph)
        }
        for count in 0..<(sections.table.count / 96) {
            var s = sections
            s.table.removeLast(sections.table.count - 96 * count)
            assertRejected(s.joined, .badGraph, "but the file has \(count) tensors")
        }
        for length in stride(from: 0, to: sections.data.count, by: 16) {
            var s = sections
            s.data.removeLast(sections.data.count - length)
            assertRejected(s.joined, .badTensor, "lies outside the")
        }
    }

    func testEveryHeaderBitFlipIsRejected() {
        for bit in 0..<(128 * 8) {
            var bytes = valid
            bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            XCTAssertNotNil(rejection(bytes), "flipping header bit \(bit) was accepted")
        }
    }

    /// With the checksum recomputed, a flipped header bit must still be caught by a field check.
    func testEveryHeaderBitFlipIsRejectedEvenWithAValidChecksum() {
        for bit in 0..<(128 * 8) where !(88..<92).contains(bit / 8) {
            let bytes = edited(valid) { $0[bit / 8] ^= UInt8(1) << UInt8(bit % 8) }
            XCTAssertNotNil(rejection(bytes), "flipping header bit \(bit) (checksum fixed) was accepted")
        }
    }

    func testBitFlipsAcrossTheFileFailTheChecksum() {
        for bit in stride(from: 128 * 8, to: valid.count * 8, by: 7) {
            var bytes = valid
            bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            assertRejected(bytes, .checksumMismatch)
        }
    }

    /// Every byte of the file changed with a valid checksum: nothing may crash; header bytes and the
    /// numeric fields of tensor entries (which have no slack) must be rejected.
    func testByteChangesWithValidChecksumNeverCrash() throws {
        let tableStart = Int(get64(valid, HeaderField.tableOffset))
        let tableEnd = tableStart + 96 * Int(get64(valid, HeaderField.tensorCount))
        var accepted = 0
        for offset in 0..<valid.count where !(88..<92).contains(offset) {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                let bytes = edited(valid) { $0[offset] ^= mask }
                guard rejection(bytes) == nil else { continue }
                accepted += 1
                XCTAssertGreaterThanOrEqual(offset, 128, "header byte \(offset) ^ \(mask) accepted")
                let tableField = (tableStart..<tableEnd).contains(offset) && (offset - tableStart) % 96 >= 32
                XCTAssertFalse(tableField && mask == 0xFF, "tensor table field byte \(offset) inverted and accepted")
            }
        }
        XCTAssertGreaterThan(accepted, 0, "changed weights still make a valid file")
    }

    func testHeaderFieldRules() {
        assertRejected(edited(valid) { put32(&$0, HeaderField.headerSize, 64) }, .badLayout, "header size is 64")
        assertRejected(edited(valid) { put32(&$0, HeaderField.flags, 2) }, .badLayout, "header flags are 0x00000002; this build knows only")
        // Bit 0 marks score.error_norm, which older readers (flags must be 0) then refuse instead of
        // ignoring: it must be set exactly when the key is.
        assertRejected(edited(valid) { put32(&$0, HeaderField.flags, 1) }, .badLayout, "metadata has no score.error_norm")
        var normed = Samples.full()
        normed.setMeta("score.error_norm", .string("variance"))
        XCTAssertEqual(get32(normed.bytes, HeaderField.flags), 1, "the serializer sets the flag")
        XCTAssertNoThrow(try load(normed.bytes))
        assertRejected(edited(normed.bytes) { put32(&$0, HeaderField.flags, 0) }, .badLayout, "header flag 0x00000001 is not")
        normed.setMeta("score.error_norm", .string("none"))
        XCTAssertEqual(get32(normed.bytes, HeaderField.flags), 0, "'none' changes nothing, so no flag")
        assertRejected(edited(valid) { $0[HeaderField.reserved + 31] = 1 }, .badLayout, "reserved header byte at offset 127")
        assertRejected(edited(valid) { put64(&$0, HeaderField.metadataOffset, 0) }, .badLayout, "metadata offset is 0")
        assertRejected(edited(valid) { put64(&$0, HeaderField.metadataOffset, 136) }, .badLayout)
    }

    func testHugeSizesAndWrappingOffsets() {
        for field in [HeaderField.metadataSize, HeaderField.graphSize, HeaderField.dataSize] {
            assertRejected(edited(valid) { put64(&$0, field, UInt64.max) }, .badLayout, "wraps around 64 bits")
            assertRejected(edited(valid) { put64(&$0, field, UInt64(Int.max)) }, .badLayout)
        }
        // Metadata size chosen so that 128 + size wraps around to 8, and the graph offset says 8:
        // only an overflow-checked addition notices.
        let wrapping = UInt64.max - 127 + 8
        assertRejected(edited(valid) { put64(&$0, HeaderField.metadataSize, wrapping); put64(&$0, HeaderField.graphOffset, 8) },
                       .badLayout, "wraps around 64 bits")
        let graphOffset = get64(valid, HeaderField.graphOffset)
        assertRejected(edited(valid) { put64(&$0, HeaderField.graphSize, UInt64.max - graphOffset + 1) }, .badLayout, "wraps around 64 bits")
        assertRejected(edited(valid) { put64(&$0, HeaderField.graphOffset, UInt64.max) }, .badLayout)
        assertRejected(edited(valid) { put64(&$0, HeaderField.dataOffset, UInt64.max) }, .badLayout)
        assertRejected(edited(valid) { put64(&$0, HeaderField.tableOffset, 1 << 63) }, .badLayout)
    }

    func testTensorCountLimits() {
        assertRejected(edited(valid) { put64(&$0, HeaderField.tensorCount, 1 << 32) }, .limitExceeded, "tensor count is 4294967296")
        assertRejected(edited(valid) { put64(&$0, HeaderField.tensorCount, UInt64.max) }, .limitExceeded)
        assertRejected(edited(valid) { put64(&$0, HeaderField.tensorCount, 4097) }, .limitExceeded)
        // One more tensor than the table holds: the table would run into the data section.
        let count = get64(valid, HeaderField.tensorCount)
        assertRejected(edited(valid) { put64(&$0, HeaderField.tensorCount, count + 1) }, .badLayout)
    }

    func testDataSectionPlacement() {
        let dataOffset = get64(valid, HeaderField.dataOffset)
        let dataSize = get64(valid, HeaderField.dataSize)
        assertRejected(edited(valid) { put64(&$0, HeaderField.dataOffset, dataOffset + 64); put64(&$0, HeaderField.dataSize, dataSize - 64) },
                       .badLayout, "first multiple of 64")
        assertRejected(edited(valid) { put64(&$0, HeaderField.dataOffset, dataOffset - 1); put64(&$0, HeaderField.dataSize, dataSize + 1) },
                       .badLayout)
        assertRejected(edited(valid) { put64(&$0, HeaderField.dataSize, dataSize - 1) }, .badLayout, "data size is")
        // The padding between the table and the data section must be zero.
        let tableEnd = Int(get64(valid, HeaderField.tableOffset)) + 96 * Int(get64(valid, HeaderField.tensorCount))
        XCTAssertLessThan(tableEnd, Int(dataOffset), "sample model has padding before its data")
        assertRejected(edited(valid) { $0[tableEnd] = 1 }, .badLayout, "padding byte at offset \(tableEnd)")
    }
}
