/// e^x lane by lane, Cephes' expf: e^x = 2^n · e^r with n = round(x·log2 e) and |r| ≤ ln2/2, e^r by a
/// degree-7 polynomial (about 1 ulp), 2^n built in the exponent bits. Inputs are clamped to
/// [-87.3, 88.3], where 2^n stays a normal float; sigmoid only needs that range.
/// The libm call this replaces ran once per lane and cost the gate convolutions 80 % of their time.
/// Written on the concrete `FloatVector`: generic SIMD code compiles to per-lane calls here.
@_transparent func exponential(_ v: FloatVector) -> FloatVector {
    typealias V = FloatVector
    let x = clamp(v, -87.3, 88.3)
    // Adding 1.5·2^23 rounds to an integer in the low mantissa bits, ties to even.
    let magic = V(repeating: 12_582_912)
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    let r = (x - n * 0.693_359_375) + n * 2.121_944_4e-4     // ln 2 in two parts: r stays exact
    var p = V(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let er = p * (r * r) + r + 1
    let integer = unsafeBitCast(shifted, to: V.MaskStorage.self) &- unsafeBitCast(magic, to: V.MaskStorage.self)
    return er * unsafeBitCast((integer &+ 127) &<< 23, to: V.self)
}

/// v limited to [low, high], lane by lane (NaN stays NaN: neither compare holds). Two compares
/// and masked moves once inlined, on x86 and aarch64. Not `clamped` (generic stdlib code that
/// stayed per-lane calls, 8 % of a 512x512 frame once); not a loop of scalar selects either, which
/// was vectorised only as a function of its own: inlined into the 1x1 kernel it made the gate
/// layers 30-40 % slower, and not inlined it cost a call per vector.
@_transparent func clamp(_ v: FloatVector, _ low: Float, _ high: Float) -> FloatVector {
    v.replacing(with: low, where: v .< low).replacing(with: high, where: v .> high)
}

@_transparent func sigmoid(_ v: FloatVector) -> FloatVector { 1 / (1 + exponential(-v)) }

/// Scalars go through the vector definition, so the reference, the tails and the SIMD epilogues
/// agree to the last bit.
@inline(__always) func sigmoid(_ x: Float) -> Float { sigmoid(FloatVector(repeating: x))[0] }

/// The scalar definition of every activation (the reference ops use it).
@inline(__always) func activate(_ x: Float, _ activation: ActivationFunction) -> Float {
    switch activation {
    case .none: return x
    case .relu: return x < 0 ? 0 : x
    case .leakyRelu(let alpha): return x < 0 ? x * alpha : x
    case .silu: return x * sigmoid(x)
    case .sigmoid: return sigmoid(x)
    }
}
