/// Element-wise ops over contiguous float buffers, 8 lanes at a time with a scalar tail.

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// In place, 8 lanes at a time (the scalar tail uses the same definitions).
public func activation(_ data: UnsafeMutablePointer<Float>, count: Int, _ kind: ActivationFunction) {
    var i = 0
    switch kind {
    case .none: return
    case .relu:
        while i + 8 <= count {
            let v = load8(data + i)
            store8(v.replacing(with: 0, where: v .< 0), data + i)
            i += 8
        }
    case .leakyRelu(let alpha):
        while i + 8 <= count {
            let v = load8(data + i)
            store8(v.replacing(with: v * alpha, where: v .< 0), data + i)
            i += 8
        }
    case .silu, .sigmoid:
        while i + 8 <= count {
            store8(applyActivation(load8(data + i), kind), data + i)
            i += 8
        }
    }
    while i < count { data[i] = activate(data[i], kind); i += 1 }
}

public func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count { store8(load8(a + i) + load8(b + i), out + i); i += 8 }
    while i < count { out[i] = a[i] + b[i]; i += 1 }
}

/// gate * a + (1 - gate) * b, computed in that order so it rounds like the PyTorch graph.
public func mix(gate: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                into out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let one = SIMD8<Float>(repeating: 1)
    while i + 8 <= count {
        let g = load8(gate + i)
        store8(g * load8(a + i) + (one - g) * load8(b + i), out + i)
        i += 8
    }
    while i < count { out[i] = gate[i] * a[i] + (1 - gate[i]) * b[i]; i += 1 }
}
