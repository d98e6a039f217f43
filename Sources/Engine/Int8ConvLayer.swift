import Kernels
import ModelFile

/// The int8 state one engine shares between its int8 convolutions: the kernel path chosen for this
/// CPU and the scratch the quantised inputs go to (layers run one after another, so one suffices).
final class Int8Context {
    let path: Int8KernelPath
    let scratch = Int8Scratch()
    init(path: Int8KernelPath) { self.path = path }
}

/// A conv2d node that runs in int8: its input is quantised with the file's calibrated per-tensor
/// scale (quant.act_scales), multiplied with the i8 weights in int32, and the epilogue
/// writes act(sum · scale + bias) as float for the next op.
struct Int8ConvLayer {
    let weights: Int8ConvWeights
    let context: Int8Context

    /// nil (run in float) when there is no context, the node has no activation scale, or its
    /// int32 sums could overflow.
    init?(_ model: ModelFile, node index: Int, conv c: Conv2D, bias: [Float]?, context: Int8Context?) {
        guard let context, let inputScale = model.activationScale(node: index),
              let (values, scales) = model.int8Values(ofTensor: c.weight),
              Int8ConvWeights.fitsInt32(inChannels: c.inChannels, kernelH: c.kernelH, kernelW: c.kernelW)
        else { return nil }
        weights = values.withUnsafeBufferPointer { q in
            withOptionalPointer(bias) { b in
                Int8ConvWeights(weights: q.baseAddress!, weightScales: scales, bias: b, inputScale: inputScale,
                                outChannels: c.outChannels, inChannels: c.inChannels, kernelH: c.kernelH, kernelW: c.kernelW)
            }
        }
        self.context = context
    }

    /// input: planar floats, or `quantized`, the bytes its producers quantised for this layer.
    /// output: floats, at `outputStrides` (nil for dense planes, else a float reader's padded layout,
    /// Plan.paddedInputs), and/or the quantised inputs of int8 readers (Plan.requantizations).
    func run(_ input: UnsafePointer<Float>, quantized: UnsafePointer<Int8>?, geometry: ConvGeometry,
             activation: ActivationFunction, output: UnsafeMutablePointer<Float>?, outputStrides: PlaneStrides?,
             requantized: [Int8Requantization], pool: ThreadPool?) {
        let path = context.path
        let bytes = quantized ?? quantizeForInt8(input, geometry: geometry, inputScale: weights.inputScale, path: path,
                                                 scratch: context.scratch, pool: pool)
        conv2DInt8(quantized: bytes, geometry: geometry, weights: weights, activation: activation, output: output,
                   outputStrides: outputStrides, requantized: requantized, path: path, pool: pool)
    }

    /// Where a producer stores this layer's quantised input (`geometry`: this layer's) in `out`,
    /// from input channel `channel` on.
    func requantization(_ geometry: ConvGeometry, into out: UnsafeMutablePointer<Float>,
                        channel: Int = 0) -> Int8Requantization {
        Int8Requantization(reader: geometry, readerScale: weights.inputScale,
                           bytes: UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int8.self), channel: channel)
    }

    /// Bilinear upsampling of `input` stored as this layer's quantised input (its only reader).
    func upsampleIntoInput(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, scale: Int,
                           geometry: ConvGeometry, into out: UnsafeMutablePointer<Float>,
                           scratch: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
        let bytes = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int8.self)
        upsampleBilinearQuantized(input, channels: channels, height: height, width: width, scale: scale, reader: geometry,
                                  inputScale: weights.inputScale, path: context.path, into: bytes, scratch: scratch, pool: pool)
    }
}

extension Engine {
    /// How many convolutions run in int8, and the kernel path they use ("avx512-vnni", "sdot", ...);
    /// (0, nil) when every convolution runs in float.
    public var int8Convolutions: (count: Int, path: String?) {
        var count = 0, path: String? = nil
        for step in steps {
            if case .conv(let layer) = step.kind, let int8 = layer.int8 {
                count += 1
                path = int8.context.path.name
            }
        }
        return (count, path)
    }
}
