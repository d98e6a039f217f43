import Engine
import Imaging
import Kernels
import ModelFile
import Platform
import Scoring

/// The outcome for one image. The map is at the model's input resolution (after any resize).
/// The three arrays are views of the Inspector's reused buffers: valid until its next `inspect`.
public struct Inspection {
    public var score: Float              // the error smoothed with score.sigma, reduced, / score.scale
    public var threshold: Float
    public var anomalous: Bool { score > threshold }
    public var mapThreshold: Float       // the threshold in map units (scaled with an overridden threshold)
    public var map: FrameArray           // the anomaly map (error smoothed with score.map_sigma), pixel units
    public var error: FrameArray         // the raw error map before smoothing (÷ variance: score.error_norm)
    public var reconstruction: FrameArray // graph output, normalised units, channels x mapHeight x mapWidth
    public var mapWidth: Int, mapHeight: Int
    public var nanoseconds: UInt64       // preprocessing + inference + scoring
}

/// frame -> tensor -> reconstruction -> anomaly map -> decision. Owns the mapped model file, the
/// engine (whose activation buffers are planned once per input size) and the per-frame buffers
/// (normalised input, reconstruction, maps), also planned once per size: after the first frame of a
/// size, `inspect(modelInput:)` makes no heap allocation (Tests/InspectionTests/AllocationTests).
public final class Inspector {
    public let modelPath: String
    public let model: ModelFile
    public var threshold: Float
    private let file: MappedFile          // keeps `model.bytes` valid
    public let engine: Engine            // for `bench`: inference alone, per-layer times
    private let blur: GaussianBlur        // the score's smoothing (score.sigma)
    private let mapBlur: GaussianBlur?    // the map's, when the file gives it another sigma
    private let reduction: ScoreReduction
    private var frame: FrameBuffers?
    /// false: `inspect` leaves a map with its own sigma unsmoothed until `completeMap()`, which saves
    /// the second blur on frames whose map nobody reads (the watch loop reads it only for alerts).
    /// Until then `Inspection.map` holds an earlier frame's map. Files without a separate map sigma
    /// are unaffected: their map is the score's.
    public var mapEveryFrame = true
    private var mapPending = false

    public init(modelPath: String, threshold: Float? = nil, kernels: Engine.KernelSet = .simd,
                threads: Int = 1, policy: ConvKernelPolicy? = nil, int8: Bool = true) throws(InspectionError) {
        let file: MappedFile
        do { file = try MappedFile(path: modelPath) } catch { throw InspectionError(error.message) }
        do { model = try ModelFile(parsing: file.bytes) } catch {
            throw InspectionError("'\(modelPath)' is not a usable model: \(error.message)")
        }
        self.file = file
        self.modelPath = modelPath
        self.threshold = threshold ?? model.metadata.threshold
        let chosen: ConvKernelPolicy
        if let policy { chosen = policy } else { chosen = try Inspector.environmentPolicy() }
        engine = Engine(model: model, kernels: kernels, threads: threads, policy: chosen, int8: int8)
        blur = GaussianBlur(sigma: model.metadata.scoreSigma)
        mapBlur = model.metadata.mapHasOwnSigma ? GaussianBlur(sigma: model.metadata.mapSigma) : nil
        reduction = model.metadata.scoreReduce == .max ? .max : .mean
    }

    public var threads: Int { engine.threads }
    /// Convolutions running in int8 and their kernel path (0, nil: all float).
    public var int8Convolutions: (count: Int, path: String?) { engine.int8Convolutions }

    /// The name of the variable that forces one convolution kernel wherever it applies, for tests and
    /// comparisons: auto (the default, per layer by measurement), direct-oc8, direct-x16, winograd-f4x3.
    /// Kernels differ in rounding, so a measured choice can move a score in its last digits between
    /// runs; a forced one gives the same bits every run.
    public static let kernelVariable = "EDGEINSPECT_CONV_KERNEL"

    static func environmentPolicy() throws(InspectionError) -> ConvKernelPolicy {
        guard let name = Process.environment(kernelVariable), !name.isEmpty else { return .measure }
        guard let policy = ConvKernelPolicy(name: name) else {
            throw InspectionError("\(kernelVariable)=\(name): use auto, direct-oc8, direct-x16 or winograd-f4x3")
        }
        return policy
    }

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
        let buffers: FrameBuffers
        if let frame, frame.fits(channels: c, height: h, width: w) { buffers = frame } else {
            let threads = engine.threads
            let scratch = max(blur.scratchCount(height: h, width: w, threads: threads),
                              mapBlur?.scratchCount(height: h, width: w, threads: threads) ?? 0)
            buffers = FrameBuffers(channels: c, height: h, width: w, separateScoreMap: mapBlur != nil, blurScratch: scratch)
            frame = buffers
        }
        let plane = h * w
        input.pixels.withUnsafeBufferPointer { p in
            let x = buffers.normalised.pointer
            for ch in 0..<c {
                let (mean, inv) = (m.mean[ch], 1 / m.std[ch])
                for i in (ch * plane)..<((ch + 1) * plane) { x[i] = (p[i] - mean) * inv }
            }
        }
        do {
            try engine.reconstruct(buffers.normalised.pointer, height: h, width: w, into: buffers.reconstruction.pointer)
        } catch {
            throw InspectionError(error.message)
        }
        input.pixels.withUnsafeBufferPointer { p in
            reconstructionError(pixels: p.baseAddress!, reconstruction: buffers.reconstruction.pointer, channels: c,
                                count: plane, mean: m.mean, std: m.std, into: buffers.error.pointer)
            if m.errorNorm == .variance {
                normaliseByVariance(buffers.error.pointer, count: plane, pixels: p.baseAddress!, pixelCount: c * plane)
            }
        }
        let scored = buffers.scored ?? buffers.map
        blur.apply(buffers.error.pointer, height: h, width: w, into: scored.pointer, temp: buffers.temp.pointer,
                   pool: engine.threadPool)
        let score = reduce(scored.pointer, height: h, width: w, border: m.scoreBorder, reduction) / m.scoreScale
        mapPending = mapBlur != nil
        if mapEveryFrame { completeMap() }
        return Inspection(score: score, threshold: threshold, mapThreshold: m.mapThreshold * (threshold / m.threshold),
                          map: FrameArray(buffers.map, count: plane),
                          error: FrameArray(buffers.error, count: plane),
                          reconstruction: FrameArray(buffers.reconstruction, count: c * plane),
                          mapWidth: w, mapHeight: h,
                          nanoseconds: Clock.nanoseconds() - start)
    }

    /// Smooths the last inspected frame's map with its own sigma, if `inspect` left it for later.
    public func completeMap() {
        guard mapPending, let mapBlur, let frame else { return }
        mapBlur.apply(frame.error.pointer, height: frame.height, width: frame.width, into: frame.map.pointer,
                      temp: frame.temp.pointer, pool: engine.threadPool)
        mapPending = false
    }
}
