import Kernels
import ModelFile

/// Buffers for one padded input size, planned once and reused for every frame of that size.
/// A value's buffer is returned to the pool after its last reader, so live memory stays near the
/// two or three largest activations instead of the sum of all of them.
final class Plan {
    let height: Int, width: Int          // padded input size
    let shapes: [Shape]                  // per value id
    let bufferOfValue: [Int]             // value id -> index into buffers
    let buffers: [AlignedBuffer]
    let scratch: AlignedBuffer           // zero-padded conv input copies, upsampling tables (one step at a time)
    var kernels: [ConvKernel?]           // per step: the convolution kernel chosen at this size

    init(steps: [Step], output: Int, shapes: [Shape], height: Int, width: Int, defaultKernel: ConvKernel, threads: Int) {
        self.height = height
        self.width = width
        self.shapes = shapes
        var lastUse = [Int](repeating: -1, count: shapes.count)
        for (i, step) in steps.enumerated() { for v in step.inputs { lastUse[v] = i } }
        lastUse[output] = steps.count

        var sizes: [Int] = []            // capacity of each planned buffer
        var free: [Int] = []             // planned buffers not holding a live value
        var assignment = [Int](repeating: -1, count: shapes.count)
        func allocate(_ count: Int) -> Int {
            // Best fit among free buffers, else grow the largest free one (least new memory), else a new one.
            if let best = free.filter({ sizes[$0] >= count }).min(by: { sizes[$0] < sizes[$1] }) {
                free.removeAll { $0 == best }
                return best
            }
            if let grow = free.max(by: { sizes[$0] < sizes[$1] }) {
                free.removeAll { $0 == grow }
                sizes[grow] = count
                return grow
            }
            sizes.append(count)
            return sizes.count - 1
        }
        assignment[0] = allocate(shapes[0].count)
        var scratchCount = 0
        for (i, step) in steps.enumerated() {
            let value = i + 1
            assignment[value] = allocate(shapes[value].count)
            if case .conv(let layer) = step.kind {
                let s = shapes[step.inputs[0]]
                let g = layer.geometry(inHeight: s.height, inWidth: s.width)
                scratchCount = max(scratchCount, g.scratchCount)
                if layer.packedX16 != nil { scratchCount = max(scratchCount, g.directX16ScratchCount) }
                if layer.winograd != nil { scratchCount = max(scratchCount, g.winogradF43ScratchCount(threads: threads)) }
            }
            if case .upsampleBilinear(let scale) = step.kind {
                let s = shapes[step.inputs[0]]
                scratchCount = max(scratchCount, upsampleBilinearScratchCount(height: s.height, width: s.width, scale: scale,
                                                                                     threads: threads))
            }
            // Inputs whose last reader is this step can be reused from the next step on.
            for (k, v) in step.inputs.enumerated() where lastUse[v] == i && !step.inputs[..<k].contains(v) {
                free.append(assignment[v])
            }
        }
        bufferOfValue = assignment
        buffers = sizes.map { AlignedBuffer(count: $0) }
        scratch = AlignedBuffer(count: scratchCount)
        kernels = steps.map { step in
            if case .conv = step.kind { return defaultKernel } else { return nil }
        }
    }

    func pointer(_ value: Int) -> UnsafeMutablePointer<Float> { buffers[bufferOfValue[value]].pointer }

    /// Bytes held by activations and scratch.
    var activationBytes: Int { (buffers.reduce(0) { $0 + $1.count } + scratch.count) * 4 }
}
