import Foundation
import ModelFile

/// Builds small valid model files in memory for engine tests.
struct ModelBuilder {
    var channels = 1
    var sizeMultiple = 4
    var padMode = "replicate"
    var nodes: [Node] = []
    var tensors: [TensorPayload] = []
    private var rng = SystemRandomNumberGenerator()
    private var seed: UInt64 = 1

    init(channels: Int = 1, sizeMultiple: Int = 4, padMode: String = "replicate") {
        self.channels = channels; self.sizeMultiple = sizeMultiple; self.padMode = padMode
    }

    mutating func random(_ n: Int, scale: Float) -> [Float] {
        (0..<n).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return (Float(seed >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    /// Appends a conv node reading `input`; returns its value id.
    @discardableResult
    mutating func conv(_ input: Int, in cin: Int, out cout: Int, k: Int = 3, stride: Int = 1, pad: Int = 1,
                       dilation: Int = 1, activation: Activation = .leakyRelu, alpha: Float = 0.2,
                       dtype: DType = .f32, bias: Bool = true) -> Int {
        let w = random(cout * cin * k * k, scale: 1 / Float(cin * k * k).squareRoot())
        let wIndex = tensors.count
        switch dtype {
        case .f32:
            tensors.append(TensorPayload(name: "w\(wIndex)", shape: [cout, cin, k, k], f32: w))
        case .f16:
            tensors.append(TensorPayload(name: "w\(wIndex)", shape: [cout, cin, k, k],
                                         f16Bits: w.map { Float16($0).bitPattern }))
        case .i8:
            let per = cin * k * k
            var scales: [Float] = [], q: [Int8] = []
            for o in 0..<cout {
                let row = w[(o * per)..<((o + 1) * per)]
                let s = max(row.map { abs($0) }.max()!, 1e-6) / 127
                scales.append(s)
                q += row.map { Int8(max(-127, min(127, ($0 / s).rounded()))) }
            }
            tensors.append(TensorPayload(name: "w\(wIndex)", shape: [cout, cin, k, k], i8: q, scales: scales))
        }
        var bIndex: Int? = nil
        if bias {
            bIndex = tensors.count
            tensors.append(TensorPayload(name: "b\(wIndex)", shape: [cout], f32: random(cout, scale: 0.1)))
        }
        let c = Conv2D(outChannels: cout, inChannels: cin, kernelH: k, kernelW: k, strideH: stride, strideW: stride,
                       padH: pad, padW: pad, dilationH: dilation, dilationW: dilation, activation: activation,
                       alpha: activation == .leakyRelu ? alpha : 0, weight: wIndex, bias: bIndex)
        return node(.conv2d(c), [input])
    }

    @discardableResult
    mutating func node(_ op: Op, _ inputs: [Int]) -> Int {
        nodes.append(Node(op, inputs: inputs))
        return nodes.count
    }

    func bytes(threshold: Float = 0.01, extra: [(key: String, value: MetaValue)] = []) -> [UInt8] {
        let meta: [(key: String, value: MetaValue)] = extra + [
            ("model.name", .string("engine-test")),
            ("input.channels", .u32(UInt32(channels))),
            ("input.mean", .f32Array([Float](repeating: 0.5, count: channels))),
            ("input.std", .f32Array([Float](repeating: 0.25, count: channels))),
            ("input.size_multiple", .u32(UInt32(sizeMultiple))),
            ("input.pad_mode", .string(padMode)),
            ("input.resize", .u32Array([0, 0])),
            ("score.sigma", .f32(2)),
            ("score.reduce", .string("max")),
            ("score.scale", .f32(1)),
            ("score.threshold", .f32(threshold)),
        ]
        return ModelFile.serialize(metadata: meta, nodes: nodes, output: nodes.count, tensors: tensors)
    }
}

/// Parses bytes into a ModelFile. ModelFile does not own its bytes (in the product they are an mmap
/// the Inspector keeps open), and the optimiser may end a local's lifetime at its last use, so test
/// models are copied into storage that lives as long as the test process: a few KB each.
struct LoadedModel {
    let model: ModelFile
    init(_ bytes: [UInt8]) throws {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        model = try ModelFile(parsing: UnsafeRawBufferPointer(storage))
    }
}

extension ModelBuilder {
    /// Every op, strided and dilated convs, a gated skip and a residual: the shape of the real model.
    static func allOps(channels: Int = 1, dtype: DType = .f32) -> ModelBuilder {
        var b = ModelBuilder(channels: channels, sizeMultiple: 4)
        let e1 = b.conv(0, in: channels, out: 9, dtype: dtype)                       // H
        let e2 = b.conv(e1, in: 9, out: 16, stride: 2, activation: .silu, dtype: dtype) // H/2
        let e3 = b.conv(e2, in: 16, out: 12, stride: 2, activation: .relu)          // H/4
        let d1 = b.conv(e3, in: 12, out: 12, pad: 2, dilation: 2, activation: .none, dtype: dtype)
        let r = b.node(.add, [e3, d1])
        let r2 = b.node(.leakyRelu(alpha: 0.1), [r])
        let u1 = b.node(.upsampleBilinear(scale: 2), [r2])                          // H/2
        let c1 = b.conv(u1, in: 12, out: 16, k: 1, pad: 0, activation: .none, bias: false)
        let cat = b.node(.concat, [c1, e2])
        let g = b.conv(cat, in: 32, out: 16, k: 1, pad: 0, activation: .sigmoid)
        let m = b.node(.mix, [g, e2, c1])
        let s = b.node(.silu, [m])
        let u2 = b.node(.upsampleNearest(scale: 2), [s])                            // H
        let rl = b.node(.relu, [u2])
        let sg = b.node(.sigmoid, [rl])
        b.conv(sg, in: 16, out: channels, activation: .none)
        return b
    }
}
