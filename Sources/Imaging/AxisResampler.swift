/// How one axis of length `inputLength` becomes `outputLength` samples. Resizing is separable,
/// so a 2-D resize is one plan per axis (see `PlaneResampler`).
struct AxisPlan {
    enum Mode {
        /// Lengths are equal: samples are copied.
        case identity
        /// Shrinking: output i averages inputs [floor(i·in/out), ceil((i+1)·in/out)), exactly the
        /// bins of PyTorch `adaptive_avg_pool2d`.
        case area
        /// Enlarging: bilinear with half-pixel centres, PyTorch `interpolate(..., mode="bilinear",
        /// align_corners=False)` without antialiasing.
        case linear
    }

    let mode: Mode
    let outputLength: Int
    /// area: first input index and bin length. linear: the two input indices and their weights.
    private(set) var first: [Int] = []
    private(set) var second: [Int] = []
    private(set) var weightFirst: [Float] = []
    private(set) var weightSecond: [Float] = []

    /// The scoring rule of docs/model-format.md: area when shrinking, bilinear when enlarging.
    static func scoring(inputLength: Int, outputLength: Int) -> AxisPlan {
        if outputLength == inputLength { return AxisPlan(identityOf: inputLength) }
        return outputLength < inputLength
            ? AxisPlan(areaFrom: inputLength, to: outputLength)
            : AxisPlan(linearFrom: inputLength, to: outputLength)
    }

    /// Bilinear in both directions (heatmap display, where smoothness matters more than averaging).
    static func bilinear(inputLength: Int, outputLength: Int) -> AxisPlan {
        if outputLength == inputLength { return AxisPlan(identityOf: inputLength) }
        return AxisPlan(linearFrom: inputLength, to: outputLength)
    }

    private init(identityOf length: Int) {
        mode = .identity
        outputLength = length
    }

    private init(areaFrom input: Int, to output: Int) {
        mode = .area
        outputLength = output
        first.reserveCapacity(output)
        second.reserveCapacity(output)
        for i in 0..<output {
            let start = (i * input) / output                     // floor
            let end = ((i + 1) * input + output - 1) / output    // ceil
            first.append(start)
            second.append(end - start)
        }
    }

    private init(linearFrom input: Int, to output: Int) {
        mode = .linear
        outputLength = output
        // Float arithmetic in PyTorch's order, so the weights are the same floats torch computes.
        let scale = Float(input) / Float(output)
        for i in 0..<output {
            var source = scale * (Float(i) + 0.5) - 0.5
            if source < 0 { source = 0 }
            let lower = min(Int(source), input - 1)   // source >= 0, so truncation is floor
            let upper = lower < input - 1 ? lower + 1 : lower
            let upperWeight = min(max(source - Float(lower), 0), 1)
            first.append(lower)
            second.append(upper)
            weightFirst.append(1 - upperWeight)
            weightSecond.append(upperWeight)
        }
    }
}
