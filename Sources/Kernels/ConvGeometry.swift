/// Everything about one 2-D convolution except the weights. Tensors are planar CHW, batch 1.
public struct ConvGeometry: Equatable, Sendable {
    public var inChannels: Int, outChannels: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int
    public var inHeight: Int, inWidth: Int

    public init(inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int,
                strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0,
                dilationH: Int = 1, dilationW: Int = 1, inHeight: Int, inWidth: Int) {
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW
        self.inHeight = inHeight; self.inWidth = inWidth
    }

    public var outHeight: Int { (inHeight + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outWidth: Int { (inWidth + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1 }
    public var paddedHeight: Int { inHeight + 2 * padH }
    public var paddedWidth: Int { inWidth + 2 * padW }
    /// Floats of scratch the SIMD kernel needs for its zero-padded copy of the input (0 when unpadded).
    public var scratchCount: Int { padH == 0 && padW == 0 ? 0 : inChannels * paddedHeight * paddedWidth }
    /// Multiply-accumulates of the direct algorithm, the convention for GFLOP/s (x2).
    public var macs: Int { outChannels * outHeight * outWidth * inChannels * kernelH * kernelW }
}

/// An activation applied in a convolution's epilogue or as its own op.
public enum ActivationFunction: Equatable, Sendable {
    case none, relu, leakyRelu(Float), silu, sigmoid
}
