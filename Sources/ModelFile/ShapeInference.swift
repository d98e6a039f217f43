/// Shape rules of the graph. Weight shapes are fixed by the file and checked once; value shapes
/// depend on the input size and are inferred per size, with overflow-checked arithmetic because a
/// hostile graph can chain upsamples until sizes no longer fit in an Int.
enum ShapeInference {
    /// Each conv's weight is `[out, in, kh, kw]` and its bias, if any, an f32 `[out]`.
    static func checkWeights(_ nodes: [Node], _ tensors: [TensorInfo]) throws(ModelFileError) {
        for (index, node) in nodes.enumerated() {
            guard case .conv2d(let c) = node.op else { continue }
            let label = "node \(index) (conv2d)"
            let weight = tensors[c.weight]
            let expected = [c.outChannels, c.inChannels, c.kernelH, c.kernelW]
            guard weight.shape == expected else {
                throw ModelFileError(.shapeMismatch, "\(label): weight tensor '\(weight.name)' has shape \(show(weight.shape)) but attributes say \(show(expected))")
            }
            guard let b = c.bias else { continue }
            let bias = tensors[b]
            guard bias.dtype == .f32 else {
                throw ModelFileError(.badTensor, "\(label): bias tensor '\(bias.name)' is \(bias.dtype.name); biases must be f32")
            }
            guard bias.shape == [c.outChannels] else {
                throw ModelFileError(.shapeMismatch, "\(label): bias tensor '\(bias.name)' has shape \(show(bias.shape)) but out_channels is \(c.outChannels)")
            }
        }
    }

    /// Shape of every value (index = value id) for `input`; throws where operands disagree.
    static func infer(_ nodes: [Node], output: Int, input: Shape) throws(ModelFileError) -> [Shape] {
        var shapes = [input]
        shapes.reserveCapacity(nodes.count + 1)
        try checkCount(input, "the input (value 0)")
        for (index, node) in nodes.enumerated() {
            let label = "node \(index) (\(node.op.name))"
            let x = shapes[node.inputs[0]]
            let shape: Shape
            switch node.op {
            case .conv2d(let c):
                guard x.channels == c.inChannels else {
                    throw ModelFileError(.shapeMismatch, "\(label) has in_channels \(c.inChannels) but its input (value \(node.inputs[0])) has \(x.channels) channels")
                }
                let h = try convOutput(x.height, c.kernelH, c.strideH, c.padH, c.dilationH, label, "height")
                let w = try convOutput(x.width, c.kernelW, c.strideW, c.padW, c.dilationW, label, "width")
                shape = Shape(channels: c.outChannels, height: h, width: w)
            case .relu, .leakyRelu, .silu, .sigmoid:
                shape = x
            case .upsampleNearest(let scale), .upsampleBilinear(let scale):
                let (h, hOverflow) = x.height.multipliedReportingOverflow(by: scale)
                let (w, wOverflow) = x.width.multipliedReportingOverflow(by: scale)
                guard !hOverflow && !wOverflow else {
                    throw ModelFileError(.limitExceeded, "\(label): output size \(x.height)×\(x.width) × \(scale) does not fit in an Int")
                }
                shape = Shape(channels: x.channels, height: h, width: w)
            case .concat:
                var channels = 0
                for value in node.inputs {
                    let s = shapes[value]
                    guard s.height == x.height && s.width == x.width else {
                        throw ModelFileError(.shapeMismatch, "\(label): input value \(value) is \(s.height)×\(s.width) but value \(node.inputs[0]) is \(x.height)×\(x.width); concatenated values must have the same spatial size")
                    }
                    let (sum, overflow) = channels.addingReportingOverflow(s.channels)
                    guard !overflow else { throw ModelFileError(.limitExceeded, "\(label): channel count does not fit in an Int") }
                    channels = sum
                }
                shape = Shape(channels: channels, height: x.height, width: x.width)
            case .add, .mix:
                for value in node.inputs where shapes[value] != x {
                    throw ModelFileError(.shapeMismatch, "\(label): input value \(value) has shape \(show(shapes[value])) but value \(node.inputs[0]) has \(show(x)); \(node.op.name) operands must have the same shape")
                }
                shape = x
            }
            try checkCount(shape, "\(label)'s output (value \(index + 1))")
            shapes.append(shape)
        }
        guard shapes[output] == input else {
            throw ModelFileError(.shapeMismatch, "graph output (value \(output)) has shape \(show(shapes[output])) but the input is \(show(input)); a reconstruction must have its input's shape")
        }
        return shapes
    }

    /// PyTorch's conv output size, rejecting sizes below 1 instead of letting integer division round them up.
    private static func convOutput(_ n: Int, _ kernel: Int, _ stride: Int, _ pad: Int, _ dilation: Int,
                                   _ label: String, _ axis: String) throws(ModelFileError) -> Int {
        // pad <= 64, dilation <= 16, kernel <= 15 (checked when parsing), so only `n + 2*pad` can overflow.
        let (padded, overflow) = n.addingReportingOverflow(2 * pad)
        guard !overflow else { throw ModelFileError(.limitExceeded, "\(label): input \(axis) \(n) does not fit in an Int") }
        let span = padded - dilation * (kernel - 1) - 1
        guard span >= 0 else {
            throw ModelFileError(.shapeMismatch, "\(label): input \(axis) \(n) is smaller than the dilated kernel (\(dilation * (kernel - 1) + 1)) plus padding; output \(axis) would be < 1")
        }
        return span / stride + 1
    }

    /// Engines allocate `count` floats per value, so it must be computable.
    private static func checkCount(_ s: Shape, _ what: String) throws(ModelFileError) {
        let (plane, o1) = s.height.multipliedReportingOverflow(by: s.width)
        let (_, o2) = plane.multipliedReportingOverflow(by: s.channels)
        guard !o1 && !o2 else {
            throw ModelFileError(.limitExceeded, "\(what) would be \(show(s)), too many elements to address")
        }
    }
}

/// `[16,3,3,3]`: compact, and independent of how the standard library prints arrays.
func show(_ shape: [Int]) -> String {
    var text = "["
    for (i, d) in shape.enumerated() { text += (i == 0 ? "" : ",") + "\(d)" }
    return text + "]"
}

/// `3×64×64` (channels × height × width).
func show(_ s: Shape) -> String { "\(s.channels)×\(s.height)×\(s.width)" }
