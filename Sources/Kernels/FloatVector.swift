import CKernels

/// The float vector the row-vectorised kernels (direct-x16, pointwise, Winograd) compute with.
///
/// 8 lanes by default: one AVX2 register, two NEON registers. Builds for a CPU with AVX-512
/// (Package.swift defines EDGEINSPECT_AVX512 then) use 16 lanes, one zmm register, so each
/// instruction does twice the multiply-adds. The kernels block by vectors, not by pixels: 8
/// accumulators of two vectors each either way, so their steps cover twice the pixels with 16 lanes
/// and the register budget (16 ymm, or 32 zmm) is respected by both.
#if EDGEINSPECT_AVX512
public typealias FloatVector = SIMD16<Float>
#else
public typealias FloatVector = SIMD8<Float>
#endif

/// Lanes of `FloatVector`: 8 or 16, a compile-time constant.
@inline(__always) var vectorLanes: Int { FloatVector.scalarCount }

@inline(__always) func loadVector(_ p: UnsafePointer<Float>) -> FloatVector {
    UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
}
@inline(__always) func loadVector(_ p: UnsafeMutablePointer<Float>) -> FloatVector {
    UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
}
@inline(__always) func storeVector(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatVector.self)
}

/// 4 output channels x 2 vectors of pixels, the register block of the row-vectorised kernels
/// (direct-x16, pointwise): each tap broadcasts the 4 channels' weights over the same two vectors.
struct Block4x2 {
    var a0, b0, a1, b1, a2, b2, a3, b3: FloatVector

    @inline(__always) init(bias b: UnsafePointer<Float>) {
        (a0, a1, a2, a3) = (FloatVector(repeating: b[0]), FloatVector(repeating: b[1]),
                            FloatVector(repeating: b[2]), FloatVector(repeating: b[3]))
        (b0, b1, b2, b3) = (a0, a1, a2, a3)
    }

    /// w: the 4 channels' weights of this tap.
    @inline(__always) mutating func add(_ lo: FloatVector, _ hi: FloatVector, weights w: UnsafePointer<Float>) {
        let s0 = FloatVector(repeating: w[0]), s1 = FloatVector(repeating: w[1])
        let s2 = FloatVector(repeating: w[2]), s3 = FloatVector(repeating: w[3])
        a0 = a0.addingProduct(s0, lo); b0 = b0.addingProduct(s0, hi)
        a1 = a1.addingProduct(s1, lo); b1 = b1.addingProduct(s1, hi)
        a2 = a2.addingProduct(s2, lo); b2 = b2.addingProduct(s2, hi)
        a3 = a3.addingProduct(s3, lo); b3 = b3.addingProduct(s3, hi)
    }
}

/// 8 vectors of consecutive pixels of one output channel: the accumulators of direct-x16's
/// one-output-channel steps, and the input vectors they multiply.
struct Block1x8 {
    var v0, v1, v2, v3, v4, v5, v6, v7: FloatVector

    @inline(__always) init(repeating x: Float) {
        v0 = FloatVector(repeating: x)
        (v1, v2, v3, v4, v5, v6, v7) = (v0, v0, v0, v0, v0, v0, v0)
    }

    /// The 8 vectors from p.
    @inline(__always) init(loading p: UnsafePointer<Float>) {
        let l = vectorLanes
        (v0, v1, v2, v3) = (loadVector(p), loadVector(p + l), loadVector(p + 2 * l), loadVector(p + 3 * l))
        (v4, v5, v6, v7) = (loadVector(p + 4 * l), loadVector(p + 5 * l), loadVector(p + 6 * l), loadVector(p + 7 * l))
    }

    /// self += w * x, lane by lane.
    @inline(__always) mutating func add(_ w: Float, _ x: Block1x8) {
        let s = FloatVector(repeating: w)
        v0 = v0.addingProduct(s, x.v0); v1 = v1.addingProduct(s, x.v1)
        v2 = v2.addingProduct(s, x.v2); v3 = v3.addingProduct(s, x.v3)
        v4 = v4.addingProduct(s, x.v4); v5 = v5.addingProduct(s, x.v5)
        v6 = v6.addingProduct(s, x.v6); v7 = v7.addingProduct(s, x.v7)
    }

    /// The activation, then the 8 vectors stored from dst.
    @inline(__always) func store(_ activation: ActivationFunction, _ dst: UnsafeMutablePointer<Float>) {
        let l = vectorLanes
        storeActivatedPair(v0, v1, activation, dst, 2 * l)
        storeActivatedPair(v2, v3, activation, dst + 2 * l, 2 * l)
        storeActivatedPair(v4, v5, activation, dst + 4 * l, 2 * l)
        storeActivatedPair(v6, v7, activation, dst + 6 * l, 2 * l)
    }
}

/// Asks for the cache lines of `floats` floats from p (a line every 16 floats) ahead of their
/// loads. Prefetches never fault, so p may run past the buffer.
@_transparent
func prefetch(_ p: UnsafePointer<Float>, floats: Int) {
    var k = 0
    while k < floats { ei_prefetch(p + k); k += 16 }
}
