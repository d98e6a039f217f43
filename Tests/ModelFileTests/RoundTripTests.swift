import XCTest
@testable import ModelFile

final class RoundTripTests: XCTestCase {
    func testFullModelRoundTrips() throws {
        let spec = Samples.full()
        let bytes = spec.bytes
        let model = try load(bytes)
        XCTAssertEqual(model.nodes, spec.nodes)
        XCTAssertEqual(model.output, 16)
        XCTAssertEqual(model.tensors.map(\.name), spec.tensors.map(\.name))
        XCTAssertEqual(model.tensors.map(\.shape), spec.tensors.map(\.shape))
        XCTAssertEqual(model.tensors.map(\.dtype), spec.tensors.map(\.dtype))
        XCTAssertEqual(model.tensors.map(\.byteSize), spec.tensors.map(\.data.count))
        XCTAssertEqual(model.metadata.entries.map(\.key), spec.metadata.map(\.key))
        XCTAssertEqual(model.metadata.value("calib.images"), .u32(20))
        XCTAssertNil(model.metadata.value("calib.method"))
        // Writing the parsed model again reproduces the file byte for byte.
        XCTAssertEqual(model.serialized(), bytes)
    }

    func testLayoutIsAlignedAndCanonical() throws {
        let bytes = Samples.full().bytes
        let model = try load(bytes)
        XCTAssertEqual(Array(bytes[0..<8]), Array("EDGEINSP".utf8))
        XCTAssertEqual(get64(bytes, HeaderField.fileSize), UInt64(bytes.count))
        XCTAssertEqual(get64(bytes, HeaderField.metadataOffset), 128)
        let dataOffset = Int(get64(bytes, HeaderField.dataOffset))
        XCTAssertEqual(dataOffset % 64, 0)
        for t in model.tensors {
            XCTAssertEqual((t.offset - dataOffset) % 64, 0, t.name)
            XCTAssertEqual(t.offset % 64, 0, "storage is 64-aligned, so payloads are too: \(t.name)")
            if t.dtype == .i8 { XCTAssertEqual((t.scaleOffset - dataOffset) % 64, 0) }
        }
        XCTAssertEqual(get32(bytes, HeaderField.checksum), bytes.withUnsafeBytes { crc32($0, skipping: 88..<92) })
    }

    func testMetadataTypedView() throws {
        var spec = Samples.full()
        spec.setMeta("input.resize", .u32Array([256, 320]))
        spec.setMeta("input.pad_mode", .string("zero"))
        spec.setMeta("score.reduce", .string("mean"))
        spec.setMeta("custom.note", .string("kept but ignored"))
        let m = try load(spec.bytes).metadata
        XCTAssertEqual(m.name, "test-ae")
        XCTAssertEqual(m.inputChannels, 1)
        XCTAssertEqual(m.mean, [0.5])
        XCTAssertEqual(m.std, [0.25])
        XCTAssertEqual(m.sizeMultiple, 4)
        XCTAssertEqual(m.padMode, .zero)
        XCTAssertEqual(m.resizeHeight, 256)
        XCTAssertEqual(m.resizeWidth, 320)
        XCTAssertEqual(m.scoreSigma, 4)
        XCTAssertEqual(m.mapSigma, 4, "absent score.map_sigma: the map is smoothed as the score is")
        XCTAssertEqual(m.scoreReduce, .mean)
        XCTAssertEqual(m.scoreScale, 0.01)
        XCTAssertEqual(m.threshold, 1.5)
        XCTAssertEqual(m.value("custom.note"), .string("kept but ignored"))
    }

    func testDequantisation() throws {
        let spec = Samples.full()
        let model = try load(spec.bytes)
        // f32: bit-exact copy.
        XCTAssertEqual(model.floats(ofTensor: 0), spec.tensors[0].data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
        // f16: widened exactly, as Float16 does.
        let half = spec.tensors[4].data.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        XCTAssertEqual(model.floats(ofTensor: 4), half.map { Float(Float16(bitPattern: $0)) })
        // i8: scale of the output channel times q.
        let q = spec.tensors[2].data.map { Int8(bitPattern: $0) }
        let scales = spec.tensors[2].scales
        let perChannel = 4 * 9
        let expected = q.indices.map { scales[$0 / perChannel] * Float(q[$0]) }
        XCTAssertEqual(model.floats(ofTensor: 2), expected)
        XCTAssertEqual(model.tensors[2].scaleCount, 8)
    }

    func testHalfConversionIsExactForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = floatFromHalfBits(bits)
            if expected.isNaN {
                XCTAssertTrue(actual.isNaN, "bits \(bits)")
            } else if actual.bitPattern != expected.bitPattern {
                XCTFail("bits \(String(bits, radix: 16)): \(actual) != \(expected)")
            }
        }
    }

    func testShapesAtProbeAndOtherSizes() throws {
        let model = try load(Samples.full().bytes)
        let shapes = try model.shapes(height: 12, width: 20)
        let expected: [(Int, Int, Int)] = [
            (1, 12, 20), (4, 12, 20), (8, 6, 10), (8, 12, 20), (12, 12, 20), (4, 12, 20), (4, 12, 20), (4, 12, 20),
            (4, 12, 20), (1, 12, 20), (1, 12, 20), (1, 12, 20), (1, 6, 10), (1, 12, 20), (1, 12, 20), (1, 12, 20), (1, 12, 20),
        ]
        XCTAssertEqual(shapes, expected.map { Shape(channels: $0.0, height: $0.1, width: $0.2) })
        XCTAssertEqual(try model.shapes(height: 32, width: 32).last, Shape(channels: 1, height: 32, width: 32))
        for (h, w) in [(10, 12), (0, 4), (-4, 4), (4, 6)] {
            XCTAssertThrowsError(try model.shapes(height: h, width: w), "\(h)x\(w)") { error in
                XCTAssertEqual((error as? ModelFileError)?.kind, .shapeMismatch)
            }
        }
    }

    func testShapesReportSizesTooSmallForAKernel() throws {
        var spec = Samples.tiny()
        spec.setMeta("input.size_multiple", .u32(2))
        // An unpadded 3x3 conv shrinks by 2 and a 3x3 conv with padding 2 grows back: fine at the
        // probe (16x16) and at 4x4, but a 2x2 input would shrink to nothing.
        spec.updateConv(0) { $0.padH = 0; $0.padW = 0 }
        spec.updateConv(1) { $0.kernelH = 3; $0.kernelW = 3; $0.padH = 2; $0.padW = 2 }
        spec.tensors[2] = TensorPayload(name: "c2.weight", shape: [1, 2, 3, 3], f32: [Float](repeating: 0.01, count: 18))
        let model = try load(spec.bytes)
        XCTAssertEqual(try model.shapes(height: 4, width: 6).last, Shape(channels: 1, height: 4, width: 6))
        XCTAssertThrowsError(try model.shapes(height: 2, width: 2)) { error in
            XCTAssertEqual((error as? ModelFileError)?.kind, .shapeMismatch)
            XCTAssertTrue((error as? ModelFileError)?.message.contains("would be < 1") == true)
        }
        // A dilated kernel that does not fit even the probe is rejected when parsing.
        spec.updateConv(0) { $0.dilationH = 16; $0.dilationW = 16 }
        assertRejected(spec.bytes, .shapeMismatch, "node 0 (conv2d): input height 16 is smaller than the dilated kernel")
    }

    func testCRC32MatchesZlib() {
        let check = Array("123456789".utf8)
        XCTAssertEqual(check.withUnsafeBytes { crc32($0) }, 0xCBF4_3926)
        XCTAssertEqual([UInt8]().withUnsafeBytes { crc32($0) }, 0)
        let withZeros: [UInt8] = [1, 2, 0, 0, 0, 0, 7]
        let original: [UInt8] = [1, 2, 9, 9, 9, 9, 7]
        XCTAssertEqual(original.withUnsafeBytes { crc32($0, skipping: 2..<6) }, withZeros.withUnsafeBytes { crc32($0) })
        // Ranges past the buffer are clamped instead of trapping.
        XCTAssertEqual(original.withUnsafeBytes { crc32($0, skipping: 6..<100) },
                       [UInt8]([1, 2, 9, 9, 9, 9, 0]).withUnsafeBytes { crc32($0) })
    }

    /// The table-driven CRC against the bit-at-a-time definition, for every length up to 200 (so every
    /// tail the 8-byte loop leaves) and skip ranges anywhere.
    func testCRC32MatchesBitwiseDefinition() {
        func reference(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                c ^= UInt32(byte)
                for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return ~c
        }
        var rng = TestRandom(seed: 3)
        let data = (0..<200).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for n in 0...200 {
            let prefix = Array(data[0..<n])
            XCTAssertEqual(prefix.withUnsafeBytes { crc32($0) }, reference(prefix), "length \(n)")
            let lo = n / 3, hi = min(n, lo + 4)
            var zeroed = prefix
            for i in lo..<hi { zeroed[i] = 0 }
            XCTAssertEqual(prefix.withUnsafeBytes { crc32($0, skipping: lo..<hi) }, reference(zeroed), "length \(n)")
        }
    }

    func testMetadataInitValidatesEditedEntries() throws {
        var entries = Samples.metadata()
        XCTAssertEqual(try Metadata(entries: entries).threshold, 1.5)
        entries[entries.firstIndex { $0.key == "score.threshold" }!].value = .f32(0)
        XCTAssertThrowsError(try Metadata(entries: entries)) { XCTAssertEqual(($0 as? ModelFileError)?.kind, .badMetadata) }
    }
}

final class MetadataUpdateTests: XCTestCase {
    func testUpdatesReplaceInPlaceAppendNewKeysAndAreValidated() throws {
        let original = try XCTUnwrap(try? Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("weights/synthetic-texture.eim")))
        try original.withUnsafeBytes { raw in
            let model = try ModelFile(parsing: raw)
            let bytes = try model.serialized(updating: [("score.threshold", .f32(2.5)), ("calib.images", .u32(9)),
                                                       ("zz.note", .string("added"))])
            try bytes.withUnsafeBytes { updatedRaw in
                let updated = try ModelFile(parsing: updatedRaw)
                XCTAssertEqual(updated.metadata.threshold, 2.5)
                XCTAssertEqual(updated.metadata.entries.last?.key, "zz.note")
                let keys = updated.metadata.entries.map(\.key)
                XCTAssertEqual(keys.firstIndex(of: "score.threshold"), model.metadata.entries.map(\.key).firstIndex(of: "score.threshold"))
                XCTAssertEqual(updated.nodes, model.nodes)
                XCTAssertEqual(updated.tensors.map(\.name), model.tensors.map(\.name))
                for i in model.tensors.indices { XCTAssertEqual(updated.floats(ofTensor: i), model.floats(ofTensor: i)) }
            }
            XCTAssertThrowsError(try model.serialized(updating: [("score.threshold", .f32(-1))])) { error in
                XCTAssertEqual((error as? ModelFileError)?.kind, .badMetadata)
            }
        }
    }
}
