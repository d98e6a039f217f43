import Kernels
import ModelFile

/// One graph node compiled for execution: ops resolved, weights dequantised and packed.
struct Step {
    enum Kind {
        case conv(ConvLayer)
        case activation(ActivationFunction)
        case upsampleNearest(Int)
        case upsampleBilinear(Int)
        case concat
        case add
        case mix
    }
    let kind: Kind
    let inputs: [Int]
}

/// A convolution's fixed part; the spatial size is filled in per input size.
struct ConvLayer {
    let conv: Conv2D
    let activation: ActivationFunction
    let packed: ConvWeightsOC8
    /// The same weights for the row-vectorised kernel (the SIMD kernel set only; kernelW <= 16).
    let packedX16: ConvWeightsX16?
    /// Winograd-transformed weights, for 3x3 stride-1 undilated layers (the SIMD kernel set only).
    let winograd: WinogradF43Weights?
    /// The plain [out, in, kh, kw] weights and bias, kept only when running the reference kernels.
    let plainWeights: [Float]
    let plainBias: [Float]?
    /// Set when this convolution runs in int8 (Int8ConvLayer.swift); the float weights stay for --fp32.
    var int8: Int8ConvLayer? = nil

    func geometry(inHeight: Int, inWidth: Int) -> ConvGeometry {
        ConvGeometry(inChannels: conv.inChannels, outChannels: conv.outChannels,
                     kernelH: conv.kernelH, kernelW: conv.kernelW,
                     strideH: conv.strideH, strideW: conv.strideW, padH: conv.padH, padW: conv.padW,
                     dilationH: conv.dilationH, dilationW: conv.dilationW,
                     inHeight: inHeight, inWidth: inWidth)
    }
}

extension ActivationFunction {
    init(_ fused: Activation, alpha: Float) {
        switch fused {
        case .none: self = .none
        case .relu: self = .relu
        case .leakyRelu: self = .leakyRelu(alpha)
        case .silu: self = .silu
        case .sigmoid: self = .sigmoid
        }
    }
}

/// fastKernels: also prepare the weights of the row-vectorised and Winograd kernels.
/// int8: run the convolutions the file marks for int8 with the int8 kernels.
func compile(_ model: ModelFile, keepPlainWeights: Bool, fastKernels winograd: Bool,
             int8: Int8Context? = nil) -> [Step] {
    model.nodes.enumerated().map { index, node in
        let kind: Step.Kind
        switch node.op {
        case .conv2d(let c):
            let w = model.floats(ofTensor: c.weight)
            let b = c.bias.map { model.floats(ofTensor: $0) }
            let packed = w.withUnsafeBufferPointer { wp in
                withOptionalPointer(b) { bp in
                    ConvWeightsOC8(weights: wp.baseAddress!, bias: bp, outChannels: c.outChannels,
                                   inChannels: c.inChannels, kernelH: c.kernelH, kernelW: c.kernelW)
                }
            }
            let x16 = !winograd || c.kernelW > 16 ? nil : w.withUnsafeBufferPointer { wp in
                withOptionalPointer(b) { bp in
                    ConvWeightsX16(weights: wp.baseAddress!, bias: bp, outChannels: c.outChannels,
                                   inChannels: c.inChannels, kernelH: c.kernelH, kernelW: c.kernelW)
                }
            }
            let eligible = winograd && c.kernelH == 3 && c.kernelW == 3 && c.strideH == 1 && c.strideW == 1
                && c.dilationH == 1 && c.dilationW == 1
            let transformed = !eligible ? nil : w.withUnsafeBufferPointer { wp in
                withOptionalPointer(b) { bp in
                    WinogradF43Weights(weights: wp.baseAddress!, bias: bp, outChannels: c.outChannels, inChannels: c.inChannels)
                }
            }
            kind = .conv(ConvLayer(conv: c, activation: ActivationFunction(c.activation, alpha: c.alpha),
                                   packed: packed, packedX16: x16, winograd: transformed, plainWeights: keepPlainWeights ? w : [],
                                   plainBias: keepPlainWeights ? b : nil,
                                   int8: Int8ConvLayer(model, node: index, conv: c, bias: b, context: int8)))
        case .relu: kind = .activation(.relu)
        case .leakyRelu(let alpha): kind = .activation(.leakyRelu(alpha))
        case .silu: kind = .activation(.silu)
        case .sigmoid: kind = .activation(.sigmoid)
        case .upsampleNearest(let s): kind = .upsampleNearest(s)
        case .upsampleBilinear(let s): kind = .upsampleBilinear(s)
        case .concat: kind = .concat
        case .add: kind = .add
        case .mix: kind = .mix
        }
        return Step(kind: kind, inputs: node.inputs)
    }
}

func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
