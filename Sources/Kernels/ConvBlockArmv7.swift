#if arch(arm)
import CArmv7Kernels

/// conv2DDirectOC8's block of 8 output channels x 4 pixels, computed by the NEON kernel in
/// CArmv7Kernels: on 32-bit ARM Swift scalarises SIMD fused multiply-add, one vfma.f32 per lane.
/// `origin` is the first tap of the block's first pixel in the zero-padded source.
@inline(__always)
func convBlockOC8x4Armv7(origin: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>, geometry g: ConvGeometry)
    -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    var blocks = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    withUnsafeMutableBytes(of: &blocks) { out in
        ei_conv_oc8x4(origin, weights, bias, Int32(g.inChannels), Int32(g.kernelH), Int32(g.kernelW),
                      g.paddedHeight * g.paddedWidth, g.dilationH * g.paddedWidth, g.dilationW, g.strideW,
                      out.baseAddress!.assumingMemoryBound(to: Float.self))
    }
    return blocks
}
#endif
