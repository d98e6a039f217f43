import XCTest
@testable import ModelFile

final class MetadataTests: XCTestCase {
    func testEveryRequiredKeyIsRequired() {
        for (key, _) in Metadata.requiredKeys {
            var spec = Samples.full()
            spec.removeMeta(key)
            assertRejected(spec.bytes, .badMetadata, "required metadata key '\(key)' is missing")
        }
    }

    func testRequiredAndKnownKeysMustHaveTheirType() {
        for (key, type) in Metadata.requiredKeys + Metadata.optionalKeys {
            var spec = Samples.full()
            let wrong: MetaValue = type == "string" ? .u32(1) : .string("1")
            spec.setMeta(key, wrong)
            assertRejected(spec.bytes, .badMetadata, "metadata key '\(key)' must be a \(type), found a \(wrong.typeName)")
        }
    }

    func testDuplicateKey() {
        var spec = Samples.full()
        spec.metadata.append(("score.threshold", .f32(2)))
        assertRejected(spec.bytes, .badMetadata, "duplicate metadata key 'score.threshold'")
        // Also for keys this build does not know.
        spec = Samples.full()
        spec.metadata += [("x.note", .string("a")), ("x.note", .string("b"))]
        assertRejected(spec.bytes, .badMetadata, "duplicate metadata key 'x.note'")
    }

    func testValueRanges() {
        let cases: [(String, MetaValue, String)] = [
            ("input.channels", .u32(2), "input.channels is 2"),
            ("input.channels", .u32(0), "input.channels is 0"),
            ("input.mean", .f32Array([0.5, 0.5]), "input.mean has 2 values"),
            ("input.std", .f32Array([]), "input.std has 0 values"),
            ("input.std", .f32Array([0]), "input.std[0] is 0.0"),
            ("input.std", .f32Array([-1]), "must be > 0"),
            ("input.mean", .f32Array([.nan]), "floats must be finite"),
            ("input.size_multiple", .u32(0), "input.size_multiple is 0"),
            ("input.size_multiple", .u32(1025), "1...1024"),
            ("input.pad_mode", .string("reflect"), "input.pad_mode is 'reflect'"),
            ("input.resize", .u32Array([0, 64]), "input.resize is 0, 64"),
            ("input.resize", .u32Array([8193, 64]), "both 1...8192"),
            ("input.resize", .u32Array([64]), "input.resize has 1 values"),
            ("score.sigma", .f32(-0.5), "score.sigma is -0.5"),
            ("score.sigma", .f32(64.5), "0...64"),
            ("score.sigma", .f32(.infinity), "floats must be finite"),
            ("score.reduce", .string("median"), "score.reduce is 'median'"),
            ("score.map_sigma", .f32(64.5), "score.map_sigma is 64.5; it must be 0...64"),
            ("score.map_sigma", .u32(8), "'score.map_sigma' must be a f32"),
            ("score.map_threshold", .f32(0), "score.map_threshold is 0.0; it must be > 0"),
            ("score.border", .u32(4097), "score.border is 4097"),
            ("score.border", .f32(2), "'score.border' must be a u32"),
            ("score.error_norm", .string("std"), "score.error_norm is 'std'; it must be 'none' or 'variance'"),
            ("score.error_norm", .u32(1), "'score.error_norm' must be a string"),
            ("score.scale", .f32(0), "score.scale is 0.0"),
            ("score.threshold", .f32(-1), "score.threshold is -1.0"),
            ("score.threshold", .f32(.nan), "floats must be finite"),
            ("model.name", .string(""), "'model.name' is empty"),
            ("calib.quantile", .f32(.nan), "floats must be finite"),
        ]
        for (key, value, message) in cases {
            var spec = Samples.full()
            spec.setMeta(key, value)
            assertRejected(spec.bytes, .badMetadata, message)
        }
    }

    func testBoundaryValuesAreAccepted() throws {
        var spec = Samples.full()
        spec.setMeta("score.sigma", .f32(0))
        spec.setMeta("input.resize", .u32Array([8192, 1]))
        spec.setMeta("input.size_multiple", .u32(1))
        spec.setMeta("score.border", .u32(4096))
        spec.setMeta("score.map_sigma", .f32(64))
        spec.setMeta("score.error_norm", .string("variance"))
        spec.setMeta("model.producer", .string(String(repeating: "é", count: 2048)))   // 4096 UTF-8 bytes
        spec.setMeta("x.big_array", .u32Array([UInt32](repeating: 7, count: 4096)))
        let m = try load(spec.bytes).metadata
        XCTAssertEqual(m.scoreSigma, 0)
        XCTAssertEqual(m.scoreBorder, 4096)
        XCTAssertEqual(m.mapSigma, 64)
        XCTAssertEqual(m.errorNorm, .variance)
        XCTAssertEqual(try load(Samples.full().bytes).metadata.errorNorm, .none, "absent: no normalisation")
        XCTAssertEqual(m.resizeHeight, 8192)
        XCTAssertEqual(m.value("x.big_array"), .u32Array([UInt32](repeating: 7, count: 4096)))
    }

    func testRGBModelNeedsThreeChannelGraph() {
        var spec = Samples.full()
        spec.metadata = Samples.metadata(channels: 3)
        assertRejected(spec.bytes, .shapeMismatch, "node 0 (conv2d) has in_channels 1 but its input (value 0) has 3 channels")
    }

    func testKeySyntax() {
        for key in ["Model.name", "a b", "key-with-dash", "", String(repeating: "k", count: 65), "ключ"] {
            var spec = Samples.full()
            spec.metadata.append((key, .u32(1)))
            assertRejected(spec.bytes, .badMetadata)
        }
        var spec = Samples.full()
        spec.metadata.append((String(repeating: "k", count: 64), .u32(1)))
        XCTAssertNil(rejection(spec.bytes), "64-character keys are allowed")
    }

    func testLimits() {
        var spec = Samples.full()
        spec.setMeta("model.producer", .string(String(repeating: "x", count: 4097)))
        assertRejected(spec.bytes, .limitExceeded, "string of 4097 bytes")
        spec = Samples.full()
        spec.setMeta("x.array", .f32Array([Float](repeating: 1, count: 4097)))
        assertRejected(spec.bytes, .limitExceeded, "array of 4097 elements")
        spec = Samples.full()
        spec.metadata += (0..<1020).map { ("x.k\($0)", MetaValue.u32(UInt32($0))) }
        assertRejected(spec.bytes, .limitExceeded, "metadata has 1033 entries")
    }

    /// Counts that lie about what follows: limits first, then the bytes actually left.
    func testLyingCountsAreCheckedBeforeAllocating() {
        let sections = Sections(Samples.full().bytes)
        var s = sections
        put32(&s.metadata, 0, UInt32.max)
        assertRejected(s.joined, .limitExceeded, "metadata has 4294967295 entries")
        s = sections
        put32(&s.metadata, 0, get32(sections.metadata, 0) + 1)
        assertRejected(s.joined, .badMetadata, "metadata section ends inside the key length of metadata entry 13")

        let entries = sections.metadataEntries
        let mean = entries.first { $0.key == "input.mean" }!.offset + 2 + "input.mean".count + 1
        for (count, kind) in [(UInt32.max, ModelFileError.Kind.limitExceeded), (4096, .badMetadata)] {
            s = sections
            put32(&s.metadata, mean, count)
            assertRejected(s.joined, kind)
        }
        let name = entries.first { $0.key == "model.name" }!.offset + 2 + "model.name".count + 1
        s = sections
        put32(&s.metadata, name, 4000)
        assertRejected(s.joined, .badMetadata, "metadata section ends inside the string value of 'model.name'")
        s = sections
        s.metadata[name + 4] = 0xC3   // a lone UTF-8 lead byte
        assertRejected(s.joined, .badMetadata, "not valid UTF-8")
        s = sections
        s.metadata[name - 1] = 6
        assertRejected(s.joined, .badMetadata, "unknown value type 6")
        s = sections
        s.metadata[entries[0].offset] = 0
        assertRejected(s.joined, .badMetadata, "key length is 0")
        s = sections
        s.metadata += [0, 0, 0, 0]
        assertRejected(s.joined, .badMetadata, "4 bytes left after its 13 entries")
    }
}
