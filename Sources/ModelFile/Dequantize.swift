extension ModelFile {
    /// Dequantised weights of tensor `index` (< `tensors.count`): f32 copied, f16 widened,
    /// i8 multiplied by its output channel's scale.
    public func floats(ofTensor index: Int) -> [Float] {
        let t = tensors[index]
        let count = t.elementCount
        let bytes = self.bytes
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch t.dtype {
            case .f32:
                for i in 0..<count { out[i] = loadF32LE(bytes, t.offset + 4 * i) }
            case .f16:
                for i in 0..<count { out[i] = floatFromHalfBits(loadU16LE(bytes, t.offset + 2 * i)) }
            case .i8:
                // Scales are per output channel (dims[0]); each channel is a contiguous run.
                let perChannel = t.scaleCount > 0 ? count / t.scaleCount : 0
                for o in 0..<t.scaleCount {
                    let scale = loadF32LE(bytes, t.scaleOffset + 4 * o)
                    let base = o * perChannel
                    for i in base..<(base + perChannel) {
                        out[i] = scale * Float(Int8(bitPattern: bytes[t.offset + i]))
                    }
                }
            }
            initialized = count
        }
    }
}

/// IEEE binary16 -> binary32 by bit manipulation, exact for every input. Written out because the
/// `Float16` type is missing on some targets.
@inline(__always)
public func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1F
    let mantissa = UInt32(h & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2^-24, exactly representable in binary32.
        let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)
        return sign != 0 ? -magnitude : magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))   // infinity or NaN
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
