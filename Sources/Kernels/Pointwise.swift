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

/// `mix` split over the pool's threads in runs of whole vectors: the int8 gate layers mix in a
/// pass of their own (3 M values at 512x512).
public func mix(gate: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                into out: UnsafeMutablePointer<Float>, count: Int, pool: ThreadPool?) {
    guard let pool, pool.size > 1 else { return mix(gate: gate, a, b, into: out, count: count) }
    var job = MixJob(gate: gate, a: a, b: b, out: out, count: count)
    pool.parallelFor((count + MixJob.run - 1) / MixJob.run, context: &job) { context, first, end in
        let job = context!.assumingMemoryBound(to: MixJob.self).pointee
        let start = first * MixJob.run
        mix(gate: job.gate + start, job.a + start, job.b + start, into: job.out + start,
            count: min(end * MixJob.run, job.count) - start)
    }
}

private struct MixJob {
    static let run = 64 * vectorLanes
    let gate: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>
    let count: Int
}
