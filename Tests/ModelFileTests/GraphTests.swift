import XCTest
@testable import ModelFile

final class GraphTests: XCTestCase {
    let sections = Sections(Samples.full().bytes)

    /// `sections` with node `index`'s u16 field `field` (0 op, 1 inputs, 2 attributes, 3 tensors) set.
    func withNodeField(_ index: Int, _ field: Int, _ value: UInt16) -> [UInt8] {
        var s = sections
        put16(&s.graph, s.nodeOffsets[index] + 2 * field, value)
        return s.joined
    }

    func testNodeCountAndOutput() {
        var s = sections
        put32(&s.graph, 0, 0)
        assertRejected(s.joined, .badGraph, "graph has no nodes")
        for count: UInt32 in [4097, 1 << 31, .max] {
            s = sections
            put32(&s.graph, 0, count)
            assertRejected(s.joined, .limitExceeded, "graph has \(count) nodes")
        }
        s = sections
        put32(&s.graph, 0, 100)
        put32(&s.graph, 4, 16)
        assertRejected(s.joined, .badGraph, "graph section ends inside the op of node 16")
        for output: UInt32 in [0, 17, .max] {
            s = sections
            put32(&s.graph, 4, output)
            assertRejected(s.joined, .badGraph, "graph output is value \(output)")
        }
    }

    func testForwardReferencesAreCycles() {
        var spec = Samples.full()
        spec.nodes[3].inputs = [1, 4]      // node 3 reads its own output
        assertRejected(spec.bytes, .cycle, "node 3 (concat) reads value 4, which is not computed before it")
        spec = Samples.full()
        spec.nodes[0].inputs = [9]
        assertRejected(spec.bytes, .cycle, "node 0 (conv2d) reads value 9")
        spec = Samples.full()
        spec.nodes[7].inputs = [5, 4_000_000_000]
        assertRejected(spec.bytes, .cycle)
    }

    func testUnknownOp() {
        for code: UInt16 in [0, 11, 0xFFFF] {
            assertRejected(withNodeField(2, 0, code), .unknownOp, "node 2: unknown op code \(code)")
        }
    }

    func testWrongArity() {
        assertRejected(withNodeField(0, 1, 2), .badGraph, "node 0 (conv2d) has 2 inputs; it takes 1")
        assertRejected(withNodeField(0, 2, 11), .badGraph, "node 0 (conv2d) has 11 attributes; it takes 12")
        assertRejected(withNodeField(0, 3, 0), .badGraph, "node 0 (conv2d) has 0 tensors; it takes 1...2")
        assertRejected(withNodeField(0, 3, 3), .badGraph, "has 3 tensors")
        assertRejected(withNodeField(14, 2, 1), .badGraph, "node 14 (relu) has 1 attributes; it takes 0")
        assertRejected(withNodeField(14, 1, 65), .limitExceeded, "node 14 (relu) has 65 inputs")
        var spec = Samples.full()
        spec.nodes[7].inputs = [5, 7, 7]
        assertRejected(spec.bytes, .badGraph, "node 7 (add) has 3 inputs; it takes 2")
        spec = Samples.full()
        spec.nodes[10].inputs = [9, 10]
        assertRejected(spec.bytes, .badGraph, "node 10 (mix) has 2 inputs; it takes 3")
        spec = Samples.full()
        spec.nodes[3].inputs = [3]
        assertRejected(spec.bytes, .badGraph, "node 3 (concat) has 1 inputs; it takes 2...64")
        spec.nodes[3].inputs = [1] + [Int](repeating: 3, count: 64)
        assertRejected(spec.bytes, .limitExceeded, "has 65 inputs")
        spec.nodes[3].inputs = [1] + [Int](repeating: 3, count: 63)     // 64 inputs are allowed
        assertRejected(spec.bytes, .shapeMismatch, "node 4 (conv2d) has in_channels 12")
    }

    func testConvAttributeRanges() {
        let cases: [(String, (inout Conv2D) -> Void)] = [
            ("out_channels is 0", { $0.outChannels = 0 }), ("out_channels is 4097", { $0.outChannels = 4097 }),
            ("in_channels is 0", { $0.inChannels = 0 }), ("kernel_h is 16", { $0.kernelH = 16 }),
            ("kernel_w is 0", { $0.kernelW = 0 }), ("stride_h is 5", { $0.strideH = 5 }), ("stride_w is 0", { $0.strideW = 0 }),
            ("pad_h is 65", { $0.padH = 65 }), ("pad_w is 4294967295", { $0.padW = -1 }),
            ("dilation_h is 17", { $0.dilationH = 17 }), ("dilation_w is 0", { $0.dilationW = 0 }),
            ("alpha is nan", { $0.alpha = .nan }), ("alpha is inf", { $0.alpha = .infinity }),
        ]
        for (message, change) in cases {
            var spec = Samples.full()
            spec.updateConv(1, change)
            assertRejected(spec.bytes, .badGraph, "node 1 (conv2d): \(message)")
        }
        var s = sections
        put32(&s.graph, s.nodeOffsets[0] + 8 + 4 + 4 * 10, 5)
        assertRejected(s.joined, .badGraph, "node 0 (conv2d): activation is 5; it must be 0...4")
    }

    func testOtherAttributeRanges() {
        for scale in [0, 1, 9, -2] {
            var spec = Samples.full()
            spec.nodes[2].op = .upsampleNearest(scale: scale)
            assertRejected(spec.bytes, .badGraph, "node 2 (upsample_nearest): scale is")
            spec.nodes[2].op = .upsampleBilinear(scale: scale)
            assertRejected(spec.bytes, .badGraph, "node 2 (upsample_bilinear): scale is")
        }
        var spec = Samples.full()
        spec.nodes[6].op = .leakyRelu(alpha: -.infinity)
        assertRejected(spec.bytes, .badGraph, "node 6 (leaky_relu): alpha is -inf")
    }

    func testTensorReferences() {
        var spec = Samples.full()
        spec.updateConv(5) { $0.weight = 10 }
        assertRejected(spec.bytes, .badGraph, "node 5 (conv2d) references tensor 10 but the file has 10 tensors")
        spec = Samples.full()
        spec.updateConv(5) { $0.weight = 0 }
        assertRejected(spec.bytes, .badGraph, "node 5 (conv2d) uses tensor 0, which node 0 already uses")
        spec = Samples.full()
        spec.updateConv(0) { $0.bias = 0 }
        assertRejected(spec.bytes, .badGraph, "node 0 (conv2d) uses tensor 0, which node 0 already uses")
    }

    func testWeightShapeMustMatchAttributes() {
        var spec = Samples.full()
        spec.updateConv(0) { $0.inChannels = 2 }
        assertRejected(spec.bytes, .shapeMismatch,
                       "node 0 (conv2d): weight tensor 'enc1.weight' has shape [4,1,3,3] but attributes say [4,2,3,3]")
        spec = Samples.full()
        spec.tensors[5].shape = [4, 4, 1, 9]
        assertRejected(spec.bytes, .shapeMismatch, "weight tensor 'dec1.weight' has shape [4,4,1,9] but attributes say [4,4,3,3]")
        spec = Samples.full()
        spec.tensors[1] = TensorPayload(name: "enc1.bias", shape: [5], f32: [1, 2, 3, 4, 5])
        assertRejected(spec.bytes, .shapeMismatch, "bias tensor 'enc1.bias' has shape [5] but out_channels is 4")
        spec = Samples.full()
        spec.tensors[1] = TensorPayload(name: "enc1.bias", shape: [4], f16Bits: [0, 0, 0, 0])
        assertRejected(spec.bytes, .badTensor, "bias tensor 'enc1.bias' is f16; biases must be f32")
    }

    func testOperandShapesMustAgree() {
        var spec = Samples.full()
        spec.nodes[2].op = .relu           // v3 stays at the half size of v2 instead of being upsampled
        assertRejected(spec.bytes, .shapeMismatch,
                       "node 3 (concat): input value 3 is 16×16 but value 1 is 32×32; concatenated values must have the same spatial size")
        spec = Samples.full()
        spec.nodes[7].inputs = [4, 7]      // 12 channels + 4 channels
        spec.nodes[5].inputs = [5]
        assertRejected(spec.bytes, .shapeMismatch, "node 7 (add): input value 7 has shape 4×32×32 but value 4 has 12×32×32")
        spec = Samples.full()
        spec.nodes[10].inputs = [9, 10, 8] // value 0 may go unread; nodes may not
        assertRejected(spec.bytes, .shapeMismatch, "node 10 (mix): input value 8 has shape 4×32×32")
    }

    func testOutputMustHaveInputShape() {
        var spec = Samples.full()
        spec.nodes = Array(spec.nodes[0..<8])
        spec.output = 8
        spec.tensors = Array(spec.tensors[0..<6])
        assertRejected(spec.bytes, .shapeMismatch, "graph output (value 8) has shape 4×32×32 but the input is 1×32×32")
        // Right channel count, wrong size: a strided last conv halves the reconstruction.
        var tiny = Samples.tiny()
        tiny.updateConv(1) { $0.strideH = 2 }
        assertRejected(tiny.bytes, .shapeMismatch, "graph output (value 2) has shape 1×16×32 but the input is 1×32×32")
    }

    func testUnusedNode() {
        var spec = Samples.full()
        spec.nodes.append(Node(.relu, inputs: [3]))   // node 16 reads value 3, nobody reads value 17
        assertRejected(spec.bytes, .badGraph, "node 16 (relu) is unused")
        spec = Samples.full()
        spec.output = 15                               // node 15 (sigmoid) is now dead
        assertRejected(spec.bytes, .badGraph, "node 15 (sigmoid) is unused")
    }

    func testTrailingGraphBytes() {
        var s = sections
        s.graph += [0, 0, 0, 0]
        assertRejected(s.joined, .badGraph, "graph section has 4 bytes left after its 16 nodes")
    }

    func testSizesThatOverflowAreLimits() {
        // 30 upsamples by 8 from 32: 32 * 8^30 does not fit in 64 bits.
        var spec = Samples.tiny()
        spec.nodes = [Node(.upsampleNearest(scale: 8), inputs: [0])]
            + (1..<30).map { Node(.upsampleNearest(scale: 8), inputs: [$0]) }
        spec.output = 30
        spec.tensors = []
        assertRejected(spec.bytes, .limitExceeded, "too many elements to address")
        // 64 inputs of concat, nested: channels grow to 64^k.
        spec.nodes = [Node(.concat, inputs: [Int](repeating: 0, count: 64))]
            + (1..<12).map { Node(.concat, inputs: [Int](repeating: $0, count: 64)) }
        spec.output = 12
        assertRejected(spec.bytes, .limitExceeded)
    }
}
