/// On-disk op codes (docs/model-format.md, graph section).
enum OpCode: UInt16 {
    case conv2d = 1, relu, leakyRelu, silu, sigmoid, upsampleNearest, upsampleBilinear, concat, add, mix

    var name: String {
        switch self {
        case .conv2d: return "conv2d"
        case .relu: return "relu"
        case .leakyRelu: return "leaky_relu"
        case .silu: return "silu"
        case .sigmoid: return "sigmoid"
        case .upsampleNearest: return "upsample_nearest"
        case .upsampleBilinear: return "upsample_bilinear"
        case .concat: return "concat"
        case .add: return "add"
        case .mix: return "mix"
        }
    }

    /// Fixed arity of each op: allowed input, attribute and tensor counts.
    var inputs: ClosedRange<Int> {
        switch self {
        case .concat: return 2...64
        case .add: return 2...2
        case .mix: return 3...3
        default: return 1...1
        }
    }
    var attributes: Int {
        switch self {
        case .conv2d: return 12
        case .leakyRelu, .upsampleNearest, .upsampleBilinear: return 1
        default: return 0
        }
    }
    var tensors: ClosedRange<Int> { self == .conv2d ? 1...2 : 0...0 }
}

/// conv2d attribute names in file order, with their allowed ranges (alpha is checked separately).
let conv2dAttributes: [(name: String, range: ClosedRange<UInt32>)] = [
    ("out_channels", 1...4096), ("in_channels", 1...4096), ("kernel_h", 1...15), ("kernel_w", 1...15),
    ("stride_h", 1...4), ("stride_w", 1...4), ("pad_h", 0...64), ("pad_w", 0...64),
    ("dilation_h", 1...16), ("dilation_w", 1...16), ("activation", 0...4),
]

extension Op {
    var code: OpCode {
        switch self {
        case .conv2d: return .conv2d
        case .relu: return .relu
        case .leakyRelu: return .leakyRelu
        case .silu: return .silu
        case .sigmoid: return .sigmoid
        case .upsampleNearest: return .upsampleNearest
        case .upsampleBilinear: return .upsampleBilinear
        case .concat: return .concat
        case .add: return .add
        case .mix: return .mix
        }
    }

    /// Attributes as written to the file. Values are written as given (truncated to 32 bits), not
    /// validated, so tests can build files that the reader must reject.
    var encodedAttributes: [UInt32] {
        switch self {
        case .conv2d(let c):
            return [c.outChannels, c.inChannels, c.kernelH, c.kernelW, c.strideH, c.strideW, c.padH, c.padW,
                    c.dilationH, c.dilationW].map { UInt32(truncatingIfNeeded: $0) } + [c.activation.rawValue, c.alpha.bitPattern]
        case .leakyRelu(let alpha): return [alpha.bitPattern]
        case .upsampleNearest(let scale), .upsampleBilinear(let scale): return [UInt32(truncatingIfNeeded: scale)]
        default: return []
        }
    }

    var encodedTensors: [UInt32] {
        guard case .conv2d(let c) = self else { return [] }
        return [c.weight, c.bias].compactMap { $0.map { UInt32(truncatingIfNeeded: $0) } }
    }

    /// Builds an op from its code and counts already checked against the arity table, checking
    /// every attribute's range. `label` names the node in messages.
    static func decode(_ code: OpCode, attributes a: [UInt32], tensors t: [Int], label: String) throws(ModelFileError) -> Op {
        switch code {
        case .conv2d:
            for (index, attribute) in conv2dAttributes.enumerated() where !attribute.range.contains(a[index]) {
                throw ModelFileError(.badGraph, "\(label): \(attribute.name) is \(a[index]); it must be \(attribute.range.lowerBound)...\(attribute.range.upperBound)")
            }
            // The range check above makes every conversion below exact and the activation valid.
            let activation = Activation(rawValue: a[10]) ?? .none
            let alpha = Float(bitPattern: a[11])
            guard alpha.isFinite else { throw ModelFileError(.badGraph, "\(label): alpha is \(alpha); it must be finite") }
            return .conv2d(Conv2D(outChannels: Int(a[0]), inChannels: Int(a[1]), kernelH: Int(a[2]), kernelW: Int(a[3]),
                                  strideH: Int(a[4]), strideW: Int(a[5]), padH: Int(a[6]), padW: Int(a[7]),
                                  dilationH: Int(a[8]), dilationW: Int(a[9]), activation: activation, alpha: alpha,
                                  weight: t[0], bias: t.count > 1 ? t[1] : nil))
        case .relu: return .relu
        case .leakyRelu:
            let alpha = Float(bitPattern: a[0])
            guard alpha.isFinite else { throw ModelFileError(.badGraph, "\(label): alpha is \(alpha); it must be finite") }
            return .leakyRelu(alpha: alpha)
        case .silu: return .silu
        case .sigmoid: return .sigmoid
        case .upsampleNearest, .upsampleBilinear:
            guard a[0] >= 2 && a[0] <= 8 else { throw ModelFileError(.badGraph, "\(label): scale is \(a[0]); it must be 2...8") }
            return code == .upsampleNearest ? .upsampleNearest(scale: Int(a[0])) : .upsampleBilinear(scale: Int(a[0]))
        case .concat: return .concat
        case .add: return .add
        case .mix: return .mix
        }
    }
}
