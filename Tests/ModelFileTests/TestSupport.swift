import Foundation
import XCTest
@testable import ModelFile

/// Deterministic pseudo-random numbers so that test models (and the committed corpus) never change.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
    /// Uniform in [-1, 1).
    mutating func float() -> Float { Float(next() % 2_000_000) / 1_000_000 - 1 }
    mutating func floats(_ n: Int, scale: Float = 0.5) -> [Float] { (0..<n).map { _ in float() * scale } }
}

/// Everything `ModelFile.serialize` takes, editable field by field to build broken variants.
struct ModelSpec {
    var metadata: [(key: String, value: MetaValue)]
    var nodes: [Node]
    var output: Int
    var tensors: [TensorPayload]

    var bytes: [UInt8] { ModelFile.serialize(metadata: metadata, nodes: nodes, output: output, tensors: tensors) }

    mutating func setMeta(_ key: String, _ value: MetaValue) {
        if let i = metadata.firstIndex(where: { $0.key == key }) { metadata[i].value = value } else { metadata.append((key, value)) }
    }
    mutating func removeMeta(_ key: String) { metadata.removeAll { $0.key == key } }

    mutating func updateConv(_ node: Int, _ change: (inout Conv2D) -> Void) {
        guard case .conv2d(var c) = nodes[node].op else { preconditionFailure("node \(node) is not a conv") }
        change(&c)
        nodes[node].op = .conv2d(c)
    }
}

enum Samples {
    static func metadata(channels: Int = 1, sizeMultiple: UInt32 = 4) -> [(key: String, value: MetaValue)] {
        [
            ("model.name", .string("test-ae")),
            ("model.producer", .string("ModelFileTests")),
            ("input.channels", .u32(UInt32(channels))),
            ("input.mean", .f32Array([Float](repeating: 0.5, count: channels))),
            ("input.std", .f32Array([Float](repeating: 0.25, count: channels))),
            ("input.size_multiple", .u32(sizeMultiple)),
            ("input.pad_mode", .string("replicate")),
            ("input.resize", .u32Array([0, 0])),
            ("score.sigma", .f32(4)),
            ("score.reduce", .string("max")),
            ("score.scale", .f32(0.01)),
            ("score.threshold", .f32(1.5)),
            ("calib.images", .u32(20)),
        ]
    }

    static func conv(_ input: Int, out: Int, in cin: Int, k: Int, stride: Int = 1, pad: Int = 0,
                     activation: Activation = .none, alpha: Float = 0, weight: Int, bias: Int?) -> Node {
        Node(.conv2d(Conv2D(outChannels: out, inChannels: cin, kernelH: k, kernelW: k, strideH: stride, strideW: stride,
                            padH: pad, padW: pad, activation: activation, alpha: alpha, weight: weight, bias: bias)),
             inputs: [input])
    }

    /// Every op, every dtype: 1-channel input, size multiple 4.
    ///
    ///   v1 = conv 1->4 3x3 relu (f32 + bias)        v2 = conv 4->8 3x3 s2 leaky (i8 + bias)
    ///   v3 = upsample_nearest(v2)                   v4 = concat(v1, v3)  (12 ch)
    ///   v5 = conv 12->4 1x1 silu (f16, no bias)     v6 = conv 4->4 3x3 (f32)
    ///   v7 = leaky_relu(v6)                         v8 = add(v5, v7)
    ///   v9 = conv 4->1 sigmoid (gate)               v10 = conv 4->1 (a)
    ///   v11 = mix(v9, v10, v0)                      v12 = conv 1->1 3x3 s2
    ///   v13 = upsample_bilinear(v12)                v14 = silu, v15 = relu, v16 = sigmoid -> output
    static func full() -> ModelSpec {
        var rng = TestRandom(seed: 42)
        let i8Values = (0..<(8 * 4 * 9)).map { _ in Int8(truncatingIfNeeded: Int(rng.next() % 255) - 127) }
        let f16Bits = rng.floats(4 * 12).map { Float16($0).bitPattern }
        let tensors: [TensorPayload] = [
            TensorPayload(name: "enc1.weight", shape: [4, 1, 3, 3], f32: rng.floats(36)),
            TensorPayload(name: "enc1.bias", shape: [4], f32: rng.floats(4)),
            TensorPayload(name: "enc2.weight", shape: [8, 4, 3, 3], i8: i8Values, scales: (0..<8).map { 0.001 * Float($0 + 1) }),
            TensorPayload(name: "enc2.bias", shape: [8], f32: rng.floats(8)),
            TensorPayload(name: "fuse.weight", shape: [4, 12, 1, 1], f16Bits: f16Bits),
            TensorPayload(name: "dec1.weight", shape: [4, 4, 3, 3], f32: rng.floats(144)),
            TensorPayload(name: "gate.weight", shape: [1, 4, 1, 1], f32: rng.floats(4)),
            TensorPayload(name: "gate.bias", shape: [1], f32: [0.1]),
            TensorPayload(name: "out.weight", shape: [1, 4, 1, 1], f32: rng.floats(4)),
            TensorPayload(name: "refine.weight", shape: [1, 1, 3, 3], f32: rng.floats(9)),
        ]
        let nodes: [Node] = [
            conv(0, out: 4, in: 1, k: 3, pad: 1, activation: .relu, weight: 0, bias: 1),
            conv(1, out: 8, in: 4, k: 3, stride: 2, pad: 1, activation: .leakyRelu, alpha: 0.1, weight: 2, bias: 3),
            Node(.upsampleNearest(scale: 2), inputs: [2]),
            Node(.concat, inputs: [1, 3]),
            conv(4, out: 4, in: 12, k: 1, activation: .silu, weight: 4, bias: nil),
            conv(5, out: 4, in: 4, k: 3, pad: 1, weight: 5, bias: nil),
            Node(.leakyRelu(alpha: 0.2), inputs: [6]),
            Node(.add, inputs: [5, 7]),
            conv(8, out: 1, in: 4, k: 1, activation: .sigmoid, weight: 6, bias: 7),
            conv(8, out: 1, in: 4, k: 1, weight: 8, bias: nil),
            Node(.mix, inputs: [9, 10, 0]),
            conv(11, out: 1, in: 1, k: 3, stride: 2, pad: 1, weight: 9, bias: nil),
            Node(.upsampleBilinear(scale: 2), inputs: [12]),
            Node(.silu, inputs: [13]),
            Node(.relu, inputs: [14]),
            Node(.sigmoid, inputs: [15]),
        ]
        return ModelSpec(metadata: metadata(), nodes: nodes, output: 16, tensors: tensors)
    }

    /// The smallest useful model (two convs), for the committed corpus of broken files.
    static func tiny() -> ModelSpec {
        var rng = TestRandom(seed: 7)
        let metadata = Samples.metadata().filter { $0.key != "model.producer" && $0.key != "calib.images" }
        return ModelSpec(metadata: metadata, nodes: [
            conv(0, out: 2, in: 1, k: 3, pad: 1, activation: .relu, weight: 0, bias: 1),
            conv(1, out: 1, in: 2, k: 1, weight: 2, bias: nil),
        ], output: 2, tensors: [
            TensorPayload(name: "c1.weight", shape: [2, 1, 3, 3], f32: rng.floats(18)),
            TensorPayload(name: "c1.bias", shape: [2], f32: [0.1, -0.1]),
            TensorPayload(name: "c2.weight", shape: [1, 2, 1, 1], i8: [100, -50], scales: [0.01]),
        ])
    }
}

// MARK: - Parsing helpers

/// Parses a copy of `bytes` in memory that is never freed: ModelFile does not own its bytes, and a
/// test's few kilobytes are cheaper than tracking lifetimes (an early free showed up as wrong weights).
/// The copy is 64-byte aligned, as a mapped file is.
func load(_ bytes: [UInt8]) throws -> ModelFile {
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
    storage.copyBytes(from: bytes)
    return try ModelFile(parsing: UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
}

func rejection(_ bytes: [UInt8]) -> ModelFileError? {
    bytes.withUnsafeBytes { raw -> ModelFileError? in
        do throws(ModelFileError) { _ = try ModelFile(parsing: raw); return nil } catch { return error }
    }
}

func assertRejected(_ bytes: [UInt8], _ kind: ModelFileError.Kind, _ fragment: String? = nil,
                    file: StaticString = #filePath, line: UInt = #line) {
    guard let error = rejection(bytes) else { return XCTFail("accepted a file that must be rejected (\(kind))", file: file, line: line) }
    XCTAssertEqual(error.kind, kind, "message: \(error.message)", file: file, line: line)
    XCTAssertFalse(error.message.isEmpty, file: file, line: line)
    if let fragment {
        XCTAssertTrue(error.message.contains(fragment), "'\(error.message)' does not contain '\(fragment)'", file: file, line: line)
    }
}

// MARK: - Byte editing

func get32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
func get64(_ b: [UInt8], _ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
func put16(_ b: inout [UInt8], _ o: Int, _ v: UInt16) { for i in 0..<2 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt16(i))) } }
func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) { for i in 0..<4 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
func put64(_ b: inout [UInt8], _ o: Int, _ v: UInt64) { for i in 0..<8 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) } }

/// Applies `edit` and recomputes the checksum, so the edit reaches the validators behind the CRC.
func edited(_ bytes: [UInt8], _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
    var copy = bytes
    edit(&copy)
    ModelFile.setChecksum(&copy)
    return copy
}

/// Header field offsets (docs/model-format.md).
enum HeaderField {
    static let version = 8, headerSize = 12, fileSize = 16, metadataOffset = 24, metadataSize = 32
    static let graphOffset = 40, graphSize = 48, tableOffset = 56, tensorCount = 64
    static let dataOffset = 72, dataSize = 80, checksum = 88, flags = 92, reserved = 96
}

/// A valid file split into its sections, so a test can change one section and rejoin a file whose
/// header, padding and checksum are consistent again: the damage then reaches that section's parser.
struct Sections {
    var header: [UInt8], metadata: [UInt8], graph: [UInt8], table: [UInt8], data: [UInt8]

    init(_ file: [UInt8]) {
        func slice(_ offsetField: Int, _ size: Int) -> [UInt8] {
            let start = Int(get64(file, offsetField))
            return Array(file[start..<(start + size)])
        }
        header = Array(file[0..<128])
        metadata = slice(HeaderField.metadataOffset, Int(get64(file, HeaderField.metadataSize)))
        graph = slice(HeaderField.graphOffset, Int(get64(file, HeaderField.graphSize)))
        table = slice(HeaderField.tableOffset, 96 * Int(get64(file, HeaderField.tensorCount)))
        data = slice(HeaderField.dataOffset, Int(get64(file, HeaderField.dataSize)))
    }

    var joined: [UInt8] {
        var file = header + metadata + graph + table
        let tableEnd = file.count
        file += [UInt8](repeating: 0, count: (64 - tableEnd % 64) % 64)
        let dataOffset = file.count
        file += data
        put64(&file, HeaderField.fileSize, UInt64(file.count))
        put64(&file, HeaderField.metadataSize, UInt64(metadata.count))
        put64(&file, HeaderField.graphOffset, UInt64(128 + metadata.count))
        put64(&file, HeaderField.graphSize, UInt64(graph.count))
        put64(&file, HeaderField.tableOffset, UInt64(128 + metadata.count + graph.count))
        put64(&file, HeaderField.tensorCount, UInt64(table.count / 96))
        put64(&file, HeaderField.dataOffset, UInt64(dataOffset))
        put64(&file, HeaderField.dataSize, UInt64(data.count))
        ModelFile.setChecksum(&file)
        return file
    }

    /// Offsets of each node inside `graph` (walking the variable-size node records).
    var nodeOffsets: [Int] {
        var offsets: [Int] = []
        var at = 8
        for _ in 0..<Int(get32(graph, 0)) {
            offsets.append(at)
            let counts = (1...3).map { Int(graph[at + 2 * $0]) | Int(graph[at + 2 * $0 + 1]) << 8 }
            at += 8 + 4 * counts.reduce(0, +)
        }
        return offsets
    }

    /// Offsets of each entry inside `metadata`, with the entry's key.
    var metadataEntries: [(offset: Int, key: String)] {
        var result: [(Int, String)] = []
        var at = 4
        for _ in 0..<Int(get32(metadata, 0)) {
            let keyLength = Int(metadata[at]) | Int(metadata[at + 1]) << 8
            let key = String(decoding: metadata[(at + 2)..<(at + 2 + keyLength)], as: UTF8.self)
            result.append((at, key))
            var next = at + 2 + keyLength + 1
            switch metadata[at + 2 + keyLength] {
            case 1, 2: next += 4
            case 3: next += 4 + Int(get32(metadata, next))
            default: next += 4 + 4 * Int(get32(metadata, next))
            }
            at = next
        }
        return result
    }
}
