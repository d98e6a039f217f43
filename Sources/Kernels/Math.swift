import CPlatform

@inline(__always) func exponential(_ x: Float) -> Float { expf(x) }

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

/// The scalar definition of every activation; the reference and the SIMD epilogues both use it
/// for the transcendental cases so they agree to the last bit there.
@inline(__always) func activate(_ x: Float, _ activation: ActivationFunction) -> Float {
    switch activation {
    case .none: return x
    case .relu: return x < 0 ? 0 : x
    case .leakyRelu(let alpha): return x < 0 ? x * alpha : x
    case .silu: return x * sigmoid(x)
    case .sigmoid: return sigmoid(x)
    }
}
