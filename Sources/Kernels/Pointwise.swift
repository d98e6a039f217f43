/// Element-wise ops over contiguous float buffers, one `FloatVector` at a time with a scalar tail.

/// In place, a vector at a time (the scalar tail uses the same definitions).
public func activation(_ data: UnsafeMutablePointer<Float>, count: Int, _ kind: ActivationFunction) {
    if case .none = kind { return }
    var i = 0
    while i + vectorLanes <= count {
        storeVector(applyActivation(loadVector(data + i), kind), data + i)
        i += vectorLanes
    }
    while i < count { data[i] = activate(data[i], kind); i += 1 }
}

public func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + vectorLanes <= count { storeVector(loadVector(a + i) + loadVector(b + i), out + i); i += vectorLanes }
    while i < count { out[i] = a[i] + b[i]; i += 1 }
}

/// gate * a + (1 - gate) * b, computed in that order so it rounds like the PyTorch graph.
public func mix(gate: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                into out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    let one = FloatVector(repeating: 1)
    while i + vectorLanes <= count {
        let g = loadVector(gate + i)
        storeVector(g * loadVector(a + i) + (one - g) * loadVector(b + i), out + i)
        i += vectorLanes
    }
    while i < count { out[i] = gate[i] * a[i] + (1 - gate[i]) * b[i]; i += 1 }
}
