/// Element types a tensor payload may have on disk. The engine dequantises to Float at load.
public enum DType: UInt8, Sendable {
    case f32 = 0, f16 = 1, i8 = 2

    public var byteSize: Int { self == .f32 ? 4 : (self == .f16 ? 2 : 1) }
    public var name: String { self == .f32 ? "f32" : (self == .f16 ? "f16" : "i8") }
}

/// An activation fused into a convolution's epilogue (attribute 10 of conv2d).
public enum Activation: UInt32, Sendable {
    case none = 0, relu = 1, leakyRelu = 2, silu = 3, sigmoid = 4
}

public struct Conv2D: Equatable, Sendable {
    public var outChannels: Int, inChannels: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int
    public var activation: Activation
    public var alpha: Float          // leaky_relu slope; 0 otherwise
    public var weight: Int           // tensor index, shape [out, in, kh, kw]
    public var bias: Int?            // tensor index, shape [out], f32

    public init(outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int, strideH: Int = 1,
                strideW: Int = 1, padH: Int = 0, padW: Int = 0, dilationH: Int = 1, dilationW: Int = 1,
                activation: Activation = .none, alpha: Float = 0, weight: Int, bias: Int?) {
        self.outChannels = outChannels; self.inChannels = inChannels
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW
        self.activation = activation; self.alpha = alpha
        self.weight = weight; self.bias = bias
    }

    /// Output size along one axis for an input of `n` (PyTorch's formula).
    public func outputSize(_ n: Int, kernel: Int, stride: Int, pad: Int, dilation: Int) -> Int {
        (n + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1
    }
    public func outputHeight(_ h: Int) -> Int { outputSize(h, kernel: kernelH, stride: strideH, pad: padH, dilation: dilationH) }
    public func outputWidth(_ w: Int) -> Int { outputSize(w, kernel: kernelW, stride: strideW, pad: padW, dilation: dilationW) }
}

/// One graph operation. Op codes are listed in docs/model-format.md.
public enum Op: Equatable, Sendable {
    case conv2d(Conv2D)
    case relu
    case leakyRelu(alpha: Float)
    case silu
    case sigmoid
    case upsampleNearest(scale: Int)
    case upsampleBilinear(scale: Int)
    case concat
    case add
    case mix                          // inputs: gate, a, b -> gate*a + (1-gate)*b

    /// The op's name in docs/model-format.md, e.g. "upsample_bilinear".
    public var name: String { code.name }
}

/// A node reads values by number: 0 is the graph input, k is the output of node k-1.
public struct Node: Equatable, Sendable {
    public var op: Op
    public var inputs: [Int]
    public init(_ op: Op, inputs: [Int]) { self.op = op; self.inputs = inputs }
}

/// Channels, height, width of one value for a given input size.
public struct Shape: Equatable, Sendable {
    public var channels: Int, height: Int, width: Int
    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels; self.height = height; self.width = width
    }
    public var count: Int { channels * height * width }
}

public struct TensorInfo: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var offset: Int           // absolute byte offset in the file (already validated)
    public var byteSize: Int
    public var scaleOffset: Int      // absolute byte offset of i8 scales, 0 otherwise
    public var scaleCount: Int
    public init(name: String, dtype: DType, shape: [Int], offset: Int, byteSize: Int,
                scaleOffset: Int = 0, scaleCount: Int = 0) {
        self.name = name; self.dtype = dtype; self.shape = shape; self.offset = offset
        self.byteSize = byteSize; self.scaleOffset = scaleOffset; self.scaleCount = scaleCount
    }
    public var elementCount: Int { shape.reduce(1, *) }
}

public enum PadMode: String, Sendable { case replicate, zero }
public enum ScoreReduce: String, Sendable { case max, mean }

/// What the per-pixel error is divided by (docs/model-format.md, Scoring step 4).
public enum ErrorNorm: String, Sendable {
    case none
    /// The model-input image's pixel variance (floored): errors relative to the image's contrast, so
    /// that the same part under brighter light does not score higher.
    case variance
}

/// A metadata value as stored (types 1-5 of the format).
public enum MetaValue: Equatable, Sendable {
    case u32(UInt32)
    case f32(Float)
    case string(String)
    case f32Array([Float])
    case u32Array([UInt32])
}

/// The typed view of the required metadata keys, plus every entry in file order.
public struct Metadata: Equatable, Sendable {
    public var name: String
    public var inputChannels: Int
    public var mean: [Float]
    public var std: [Float]
    public var sizeMultiple: Int
    public var padMode: PadMode
    public var resizeHeight: Int     // 0 = native size
    public var resizeWidth: Int
    public var scoreSigma: Float
    /// Smoothing of the anomaly map that is shown and written (heatmaps, raw maps); the score does not
    /// read it. Optional key `score.map_sigma`, absent = `scoreSigma`.
    public var mapSigma: Float
    /// Whether the map is smoothed apart from the score (a second blur per map).
    public var mapHasOwnSigma: Bool { mapSigma != scoreSigma }
    /// The map's counterpart of the threshold, in map (pixel) units: what good parts' maps reach.
    /// Heatmaps colour up to twice it. Optional key `score.map_threshold`, absent = threshold x scale,
    /// which is exact when the map is the score's own.
    public var mapThreshold: Float
    /// Pixels at each edge of the smoothed map that the image score ignores (optional key, 0 = none).
    public var scoreBorder: Int
    /// Optional key `score.error_norm`, absent = `.none`.
    public var errorNorm: ErrorNorm
    public var scoreReduce: ScoreReduce
    public var scoreScale: Float
    public var threshold: Float
    public var entries: [(key: String, value: MetaValue)]

    public static func == (a: Metadata, b: Metadata) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func value(_ key: String) -> MetaValue? {
        entries.first { $0.key == key }?.value
    }
}
