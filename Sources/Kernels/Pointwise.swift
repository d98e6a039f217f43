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

/// gate * a + (1 - gate) * b (`mixed`, GateMix.swift).
public func mix(gate: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                into out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + vectorLanes <= count {
        storeVector(mixed(loadVector(gate + i), loadVector(a + i), loadVector(b + i)), out + i)
        i += vectorLanes
    }
    while i < count { out[i] = mixed(gate[i], a[i], b[i]); i += 1 }
}
