import CKernels

/// A convolution's int8 weights packed for the CKernels layout, with the epilogue's per-channel
/// factors: scale[o] = input activation scale · weight scale[o], and the float bias.
public final class Int8ConvWeights {
    public let outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int
    /// Activations are quantised as q = round(x / inputScale), clamped to −127..127.
    public let inputScale: Float
    let packed: UnsafeMutablePointer<Int8>
    let sums: UnsafeMutablePointer<Int32>
    let scale: AlignedBuffer
    let bias: AlignedBuffer

    /// weights: [out, in, kh, kw] in −127..127; weightScales: [out]; bias: [out] or nil.
    public init(weights: UnsafePointer<Int8>, weightScales: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                inputScale: Float, outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int) {
        self.outChannels = outChannels; self.inChannels = inChannels
        self.kernelH = kernelH; self.kernelW = kernelW
        self.inputScale = inputScale
        let blocks = (outChannels + Int(EI_I8_BLOCK) - 1) / Int(EI_I8_BLOCK)
        let size = ei_i8_packed_size(Int32(outChannels), Int32(inChannels), Int32(kernelH), Int32(kernelW))
        packed = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 64).bindMemory(to: Int8.self, capacity: max(size, 1))
        sums = UnsafeMutablePointer<Int32>.allocate(capacity: blocks * Int(EI_I8_BLOCK))
        ei_i8_pack_weights(weights, Int32(outChannels), Int32(inChannels), Int32(kernelH), Int32(kernelW), packed, sums)
        scale = AlignedBuffer(count: blocks * Int(EI_I8_BLOCK))
        self.bias = AlignedBuffer(count: blocks * Int(EI_I8_BLOCK))
        for o in 0..<outChannels {
            scale.pointer[o] = inputScale * weightScales[o]
            self.bias.pointer[o] = bias?[o] ?? 0
        }
    }

    deinit {
        packed.deallocate()
        sums.deallocate()
    }

    /// Bytes of the padded HWC int8 input a convolution of this geometry quantises into.
    public static func scratchBytes(_ g: ConvGeometry) -> Int {
        (g.inChannels + 3) / 4 * 4 * g.paddedHeight * g.paddedWidth
    }

    /// True when no int32 sum can overflow: K · 127 · 127 < 2^31 for K = in · kh · kw terms.
    public static func fitsInt32(inChannels: Int, kernelH: Int, kernelW: Int) -> Bool {
        (inChannels + 3) / 4 * 4 * kernelH * kernelW * 127 * 127 < Int(Int32.max)
    }
}
