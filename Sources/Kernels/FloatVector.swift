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
