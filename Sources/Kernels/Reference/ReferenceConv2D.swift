/// Scalar, obviously-correct convolution: the yardstick for every fast kernel. Accumulates in Double.
/// weights: [out, in, kh, kw]; bias: [out] or nil; output: [out, outH, outW].
public func referenceConv2D(input: UnsafePointer<Float>, geometry g: ConvGeometry,
                            weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                            activation: ActivationFunction, output: UnsafeMutablePointer<Float>) {
    let (oh, ow) = (g.outHeight, g.outWidth)
    for o in 0..<g.outChannels {
        for y in 0..<oh {
            for x in 0..<ow {
                var sum = Double(bias?[o] ?? 0)
                for i in 0..<g.inChannels {
                    for ky in 0..<g.kernelH {
                        let iy = y * g.strideH + ky * g.dilationH - g.padH
                        if iy < 0 || iy >= g.inHeight { continue }
                        for kx in 0..<g.kernelW {
                            let ix = x * g.strideW + kx * g.dilationW - g.padW
                            if ix < 0 || ix >= g.inWidth { continue }
                            let w = weights[((o * g.inChannels + i) * g.kernelH + ky) * g.kernelW + kx]
                            sum += Double(w) * Double(input[(i * g.inHeight + iy) * g.inWidth + ix])
                        }
                    }
                }
                output[(o * oh + y) * ow + x] = activate(Float(sum), activation)
            }
        }
    }
}
