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
