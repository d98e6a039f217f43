/// A gated skip fused into the convolution that computes its gate: the kernel stores
/// g * a + (1 - g) * b instead of g, where a and b are laid out like its output. That saves writing
/// the gate plane and reading it back in a separate `mix` pass. The arithmetic is `mixed`'s, the
/// one `mix` (Pointwise.swift) uses, so fused and separate give the same bits.
public struct GateMix {
    public let a: UnsafePointer<Float>, b: UnsafePointer<Float>
    public init(a: UnsafePointer<Float>, b: UnsafePointer<Float>) { (self.a, self.b) = (a, b) }
}

/// g * a + (1 - g) * b, in this order (as the PyTorch graph rounds it).
@inline(__always) func mixed(_ g: FloatVector, _ a: FloatVector, _ b: FloatVector) -> FloatVector {
    g * a + (1 - g) * b
}
@inline(__always) func mixed(_ g: Float, _ a: Float, _ b: Float) -> Float { g * a + (1 - g) * b }

/// The activation, then two vectors of pixels stored (fewer at a row's or plane's end); with a
/// gate mix, mixed with a and b at the same offset from `output` as `dst`.
@_transparent
func storeActivatedPair(_ lo: FloatVector, _ hi: FloatVector, _ activation: ActivationFunction,
                        _ dst: UnsafeMutablePointer<Float>, _ count: Int,
                        gate: GateMix?, output: UnsafeMutablePointer<Float>) {
    guard let gate else { return storeActivatedPair(lo, hi, activation, dst, count) }
    let (g0, g1, l) = (applyActivation(lo, activation), applyActivation(hi, activation), vectorLanes)
    let (a, b) = (gate.a + (dst - output), gate.b + (dst - output))
    if count == 2 * l {
        storeVector(mixed(g0, loadVector(a), loadVector(b)), dst)
        storeVector(mixed(g1, loadVector(a + l), loadVector(b + l)), dst + l)
    } else {
        for i in 0..<count { dst[i] = mixed(i < l ? g0[i] : g1[i - l], a[i], b[i]) }
    }
}
