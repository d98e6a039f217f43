import Foundation
import XCTest
@testable import ModelFile

/// The committed corpus in `corpus/`: a few valid and many broken model files, each with the error
/// kind it must produce (`corpus/EXPECTED`). They pin the format for other readers and writers
/// (the Python exporter can load them) and seed the fuzzer (tools/fuzz-modelfile.sh).
/// Regenerate after an intended format change: `MODELFILE_WRITE_CORPUS=1 swift test --filter CorpusTests`.
final class CorpusTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("corpus")
    static let allKinds: [ModelFileError.Kind] = [
        .tooSmall, .badMagic, .unsupportedVersion, .sizeMismatch, .checksumMismatch, .badLayout, .badMetadata,
        .badGraph, .unknownOp, .cycle, .badTensor, .shapeMismatch, .limitExceeded,
    ]

    /// Name, bytes and expected kind (nil = valid) of every corpus file.
    static func generated() -> [(name: String, bytes: [UInt8], kind: ModelFileError.Kind?)] {
        let tiny = Samples.tiny()
        let valid = tiny.bytes
        func spec(_ change: (inout ModelSpec) -> Void) -> [UInt8] { var s = tiny; change(&s); return s.bytes }
        func header(_ edit: (inout [UInt8]) -> Void) -> [UInt8] { edited(valid, edit) }
        func section(_ edit: (inout Sections) -> Void) -> [UInt8] { var s = Sections(valid); edit(&s); return s.joined }
        let tableOffset = Int(get64(valid, HeaderField.tableOffset))
        var flipped = valid
        flipped[valid.count - 3] ^= 0x10

        return [
            ("valid-full.eim", Samples.full().bytes, nil),
            ("valid-tiny.eim", valid, nil),
            ("empty.eim", [], .tooSmall),
            ("eight-bytes.eim", Array("EDGEINSP".utf8), .tooSmall),
            ("bad-magic.eim", header { $0[0] = UInt8(ascii: "X") }, .badMagic),
            ("version-2.eim", header { put32(&$0, HeaderField.version, 2) }, .unsupportedVersion),
            ("truncated.eim", Array(valid[0..<Int(get64(valid, HeaderField.graphOffset))]), .sizeMismatch),
            ("bit-flip.eim", flipped, .checksumMismatch),
            ("metadata-size-wraps.eim", header { put64(&$0, HeaderField.metadataSize, UInt64.max - 119); put64(&$0, HeaderField.graphOffset, 8) }, .badLayout),
            ("data-size-max.eim", header { put64(&$0, HeaderField.dataSize, .max) }, .badLayout),
            ("tensor-count-2pow32.eim", header { put64(&$0, HeaderField.tensorCount, 1 << 32) }, .limitExceeded),
            ("node-count-huge.eim", section { put32(&$0.graph, 0, .max) }, .limitExceeded),
            ("missing-threshold.eim", spec { $0.removeMeta("score.threshold") }, .badMetadata),
            ("duplicate-key.eim", spec { $0.metadata.append(("input.channels", .u32(1))) }, .badMetadata),
            ("std-zero.eim", spec { $0.setMeta("input.std", .f32Array([0])) }, .badMetadata),
            ("forward-reference.eim", spec { $0.nodes[0].inputs = [2] }, .cycle),
            ("unknown-op.eim", section { put16(&$0.graph, $0.nodeOffsets[1], 42) }, .unknownOp),
            ("conv-wrong-arity.eim", spec { $0.nodes[1].inputs = [1, 0] }, .badGraph),
            ("kernel-16.eim", spec { $0.updateConv(0) { $0.kernelH = 16 } }, .badGraph),
            ("unused-node.eim", spec { $0.nodes.append(Node(.relu, inputs: [1])) }, .badGraph),
            ("weight-shape-mismatch.eim", spec { $0.tensors[0].shape = [2, 1, 1, 9] }, .shapeMismatch),
            ("concat-spatial-mismatch.eim", spec {
                $0.updateConv(1) { $0.strideH = 2; $0.strideW = 2 }
                $0.nodes.append(Node(.concat, inputs: [1, 2]))
                $0.output = 3
            }, .shapeMismatch),
            ("nan-weight.eim", spec { $0.tensors[0] = TensorPayload(name: "c1.weight", shape: [2, 1, 3, 3], f32: [Float](repeating: .nan, count: 18)) }, .badTensor),
            ("i8-minus-128.eim", spec { $0.tensors[2].data[1] = 0x80 }, .badTensor),
            // int8 compute (quant.act_scales): one valid file, and the three ways the key can lie.
            ("valid-int8.eim", spec { $0.setMeta("quant.act_scales", .f32Array([0, 0.05])) }, nil),
            ("act-scales-count.eim", spec { $0.setMeta("quant.act_scales", .f32Array([0.05])) }, .badMetadata),
            ("act-scales-negative.eim", spec { $0.setMeta("quant.act_scales", .f32Array([0, -0.05])) }, .badMetadata),
            ("act-scales-float-conv.eim", spec { $0.setMeta("quant.act_scales", .f32Array([0.05, 0.05])) }, .badMetadata),
            ("misaligned-payload.eim", header { put64(&$0, tableOffset + 56, get64($0, tableOffset + 56) + 1) }, .badTensor),
        ]
    }

    func testCommittedCorpusMatchesGenerator() throws {
        let cases = Self.generated()
        let manifest = cases.map { "\($0.name) \($0.kind.map { "\($0)" } ?? "valid")" }.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["MODELFILE_WRITE_CORPUS"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            for c in cases { try Data(c.bytes).write(to: Self.directory.appendingPathComponent(c.name)) }
            try manifest.write(to: Self.directory.appendingPathComponent("EXPECTED"), atomically: true, encoding: .utf8)
        }
        XCTAssertLessThan(cases.reduce(0) { $0 + $1.bytes.count }, 100_000, "the corpus must stay small")
        XCTAssertEqual(try String(contentsOf: Self.directory.appendingPathComponent("EXPECTED"), encoding: .utf8), manifest)
        for c in cases {
            let committed = try Data(contentsOf: Self.directory.appendingPathComponent(c.name))
            XCTAssertEqual([UInt8](committed), c.bytes, "\(c.name) differs from what the writer produces now")
        }
    }

    /// Independent of the generator: what the files on disk must do.
    func testCommittedFilesAreJudgedAsExpected() throws {
        let manifest = try String(contentsOf: Self.directory.appendingPathComponent("EXPECTED"), encoding: .utf8)
        let lines = manifest.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 20)
        for line in lines {
            let parts = line.split(separator: " ").map(String.init)
            let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(parts[0])))
            if parts[1] == "valid" {
                XCTAssertNoThrow(try load(bytes), parts[0])
                continue
            }
            guard let kind = Self.allKinds.first(where: { "\($0)" == parts[1] }) else { XCTFail("unknown kind in \(line)"); continue }
            let error = rejection(bytes)
            XCTAssertEqual(error?.kind, kind, "\(parts[0]): \(error?.message ?? "accepted")")
        }
    }
}
