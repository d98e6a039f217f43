import Engine
import Imaging
import ModelFile
import Platform
import Scoring

/// The outcome for one image. The map is at the model's input resolution (after any resize).
public struct Inspection {
    public var score: Float              // reduced smoothed map / score.scale
    public var threshold: Float
    public var anomalous: Bool { score > threshold }
    public var map: [Float]              // smoothed error map, mapHeight x mapWidth, pixel units
    public var error: [Float]            // the raw error map before smoothing
    public var reconstruction: [Float]   // graph output, normalised units, channels x mapHeight x mapWidth
    public var mapWidth: Int, mapHeight: Int
    public var nanoseconds: UInt64       // preprocessing + inference + scoring
}

/// frame -> tensor -> reconstruction -> anomaly map -> decision. Owns the mapped model file and the
/// engine (whose activation buffers are planned once per input size); the per-frame arrays here
/// (normalised input, reconstruction, maps) are still allocated each frame.
public final class Inspector {
    public let modelPath: String
    public let model: ModelFile
    public var threshold: Float
    private let file: MappedFile          // keeps `model.bytes` valid
    private let engine: Engine
    private let blur: GaussianBlur
    private let reduction: ScoreReduction

    public init(modelPath: String, threshold: Float? = nil, kernels: Engine.KernelSet = .simd,
                threads: Int = 1, int8: Bool = true) throws(InspectionError) {
        let file: MappedFile
        do { file = try MappedFile(path: modelPath) } catch { throw InspectionError(error.message) }
        do { model = try ModelFile(parsing: file.bytes) } catch {
            throw InspectionError("'\(modelPath)' is not a usable model: \(error.message)")
        }
        self.file = file
        self.modelPath = modelPath
        self.threshold = threshold ?? model.metadata.threshold
        engine = Engine(model: model, kernels: kernels, threads: threads, int8: int8)
        blur = GaussianBlur(sigma: model.metadata.scoreSigma)
        reduction = model.metadata.scoreReduce == .max ? .max : .mean
    }

    public var threads: Int { engine.threads }
    /// Convolutions running in int8 and their kernel path (0, nil: all float).
    public var int8Convolutions: (count: Int, path: String?) { engine.int8Convolutions }

    /// Decodes an image file, with the error phrased as an inspection failure naming the file.
    public static func loadImage(path: String) throws(InspectionError) -> Image {
        do { return try ImageIO.load(path: path) } catch { throw InspectionError(error.message) }
    }

    /// The image as the model sees it: channel count matched, resized if the model asks for it.
    public func modelInput(_ image: Image) -> Image {
        let m = model.metadata
        var input = m.inputChannels == 1 ? image.gray() : image.rgb()
        if m.resizeHeight > 0, (m.resizeHeight, m.resizeWidth) != (input.height, input.width) {
            input = input.resized(height: m.resizeHeight, width: m.resizeWidth)
        }
        return input
    }

    public func inspect(_ image: Image) throws(InspectionError) -> Inspection {
        let start = Clock.nanoseconds()
        var result = try inspect(modelInput: modelInput(image))
        result.nanoseconds = Clock.nanoseconds() - start
        return result
    }

    /// Scores an image that already has the model's channel count and size (see `modelInput`).
    public func inspect(modelInput input: Image) throws(InspectionError) -> Inspection {
        let start = Clock.nanoseconds()
        let (h, w, c) = (input.height, input.width, input.channels)
        let m = model.metadata
        guard c == m.inputChannels, input.pixels.count == c * h * w else {
            throw InspectionError("the model takes \(m.inputChannels)-channel input, got \(c) channels")
        }
        var normalised = input.pixels
        for ch in 0..<c {
            let (mean, inv) = (m.mean[ch], 1 / m.std[ch])
            for i in (ch * h * w)..<((ch + 1) * h * w) { normalised[i] = (normalised[i] - mean) * inv }
        }
        var recon = [Float](repeating: 0, count: c * h * w)
        do {
            try normalised.withUnsafeBufferPointer { (x) throws(EngineError) in
                try recon.withUnsafeMutableBufferPointer { (y) throws(EngineError) in
                    try engine.reconstruct(x.baseAddress!, height: h, width: w, into: y.baseAddress!)
                }
            }
        } catch {
            throw InspectionError(error.message)
        }
        var errorMap = [Float](repeating: 0, count: h * w)
        var map = [Float](repeating: 0, count: h * w)
        var temp = [Float](repeating: 0, count: h * w)
        input.pixels.withUnsafeBufferPointer { p in
            recon.withUnsafeBufferPointer { r in
                reconstructionError(pixels: p.baseAddress!, reconstruction: r.baseAddress!, channels: c,
                                    count: h * w, mean: m.mean, std: m.std, into: &errorMap)
            }
        }
        blur.apply(errorMap, height: h, width: w, into: &map, temp: &temp)
        let score = reduce(map, count: h * w, reduction) / m.scoreScale
        return Inspection(score: score, threshold: threshold, map: map, error: errorMap, reconstruction: recon,
                          mapWidth: w, mapHeight: h,
                          nanoseconds: Clock.nanoseconds() - start)
    }
}
