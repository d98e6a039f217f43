import Engine
import Imaging
import Inspection
import ModelFile
import Platform

/// `edge-inspect bench`: how fast one model runs here, as one table or one JSON object that the
/// tools/ benchmark parses. Times only what a board repeats per frame: the image is decoded,
/// converted and resized once, outside the timed loop.
enum BenchCommand {
    static let help = """
        edge-inspect bench: time a model on this machine

        Usage: edge-inspect bench --model MODEL [--size HxW | --image FILE] [--threads N]
                                  [--iterations K] [--warmup W] [--kernel K] [--clock wall|cpu] [--json]

        Options:
          --model FILE       model file (.eim)
          --size HxW         a deterministic random input of this size (default 256x256)
          --image FILE       time this image instead (converted to the model's input once)
          --threads N        threads for the convolutions (default: one per core)
          --iterations K     timed runs of each measurement (default 50)
          --warmup W         untimed runs first (default 3)
          --kernel K         auto (default: per layer, the fastest by measurement), or one of
                             direct-oc8, direct-x16, winograd-f4x3 forced wherever it applies
                             (direct-oc8 elsewhere); every command reads EDGEINSPECT_CONV_KERNEL too
          --clock cpu        time with the calling thread's CPU time instead of the wall clock: on a
                             busy machine it leaves out the time the thread waited for a core (with
                             several threads it is the calling thread's own share of the work)
          --json             print one JSON object instead of the table

        Reports: model load time (open, parse, compile: ready for the first frame) and the first
        frame (which plans the buffers and picks the kernel of each layer for this size); latency
        min / median / p99 of the whole frame -> score path as `watch` runs it, of the map's own
        smoothing where the model has one (`watch` does it only for frames that alert), and of
        inference alone; GFLOP/s counted as direct convolution (2 x multiply-accumulates of all
        convolutions / median inference time); peak resident memory; and per layer, the kernel
        chosen, median time and GFLOP/s.
        Exit codes: 0 done, 2 error.
        """

    static func run(_ rawArgs: ArraySlice<String>) -> Int32 {
        if rawArgs.contains("--help") { Console.out(help); return ExitCode.ok }
        let args: Arguments
        do {
            args = try Arguments(rawArgs, valueOptions: ["--model", "--size", "--image", "--threads", "--iterations", "--warmup", "--kernel", "--clock"],
                                 flagOptions: ["--json"])
        } catch {
            return usageError(error.message)
        }
        guard let modelPath = args.value("--model") else { return usageError("--model is required") }
        guard args.positionals.isEmpty else { return usageError("unexpected argument '\(args.positionals[0])'") }
        guard args.value("--size") == nil || args.value("--image") == nil else { return usageError("give --size or --image, not both") }
        var (height, width) = (256, 256)
        if let size = args.value("--size") {
            guard let parsed = parseSize(size) else { return usageError("--size needs HxW, e.g. 256x256") }
            (height, width) = parsed
        }
        var policy: ConvKernelPolicy? = nil              // nil: EDGEINSPECT_CONV_KERNEL, else auto
        if let name = args.value("--kernel") {
            guard let named = ConvKernelPolicy(name: name) else {
                return usageError("--kernel needs auto, direct-oc8, direct-x16 or winograd-f4x3")
            }
            policy = named
        }
        let clock = args.value("--clock") ?? "wall"
        guard clock == "wall" || clock == "cpu" else { return usageError("--clock needs wall or cpu") }
        let threads: Int, iterations: Int, warmup: Int
        do {
            threads = try args.threads()
            iterations = try count(args, "--iterations", default: 50, minimum: 1)
            warmup = try count(args, "--warmup", default: 3, minimum: 0)
        } catch {
            return usageError(error.message)
        }

        do {
            let now = clock == "cpu" ? Clock.threadCPUNanoseconds : Clock.nanoseconds
            let start = now()
            let inspector = try Inspector(modelPath: modelPath, threads: threads, policy: policy)
            let loadNs = now() - start
            let image: Image
            if let path = args.value("--image") {
                image = inspector.modelInput(try Inspector.loadImage(path: path))
            } else {
                image = randomImage(channels: inspector.model.metadata.inputChannels, height: height, width: width)
            }
            let result = try measure(inspector, image: image, iterations: iterations, warmup: warmup, cpuClock: clock == "cpu")
            var report = result
            report.modelPath = modelPath
            report.loadMs = Double(loadNs) / 1e6
            report.peakRSS = Process.peakResidentBytes
            Console.out(args.flag("--json") ? report.json : report.text)
            return ExitCode.ok
        } catch {
            Console.err("edge-inspect: \(error.message)")
            return ExitCode.error
        }
    }

    static func measure(_ inspector: Inspector, image: Image, iterations: Int, warmup: Int,
                        cpuClock: Bool) throws(InspectionError) -> BenchReport {
        let engine = inspector.engine
        let now = cpuClock ? Clock.threadCPUNanoseconds : Clock.nanoseconds
        let (h, w, c) = (image.height, image.width, image.channels)
        var report = BenchReport(width: w, height: h, threads: inspector.threads)
        report.clock = cpuClock ? "cpu" : "wall"

        let first = now()
        _ = try inspector.inspect(modelInput: image)
        report.firstFrameMs = Double(now() - first) / 1e6

        for _ in 0..<warmup { _ = try inspector.inspect(modelInput: image) }
        // A frame as `watch` runs it: a file whose map has its own, wider smoothing leaves that to
        // the frames that alert (or write a heatmap), so it is timed apart, after each frame.
        inspector.mapEveryFrame = false
        var frames: [Double] = [], maps: [Double] = []
        for _ in 0..<iterations {
            let t = now()
            _ = try inspector.inspect(modelInput: image)
            let scored = now()
            inspector.completeMap()
            frames.append(Double(scored - t) / 1e6)
            maps.append(Double(now() - scored) / 1e6)
        }
        inspector.mapEveryFrame = true
        report.frame = Latency(frames)
        if inspector.model.metadata.mapHasOwnSigma { report.map = Latency(maps) }

        // Inference alone, on the normalised input the inspector would feed it.
        let m = inspector.model.metadata
        var input = image.pixels
        for ch in 0..<c {
            for i in (ch * h * w)..<((ch + 1) * h * w) { input[i] = (input[i] - m.mean[ch]) / m.std[ch] }
        }
        var output = [Float](repeating: 0, count: c * h * w)
        var layerRuns = [[UInt64]]()
        var layerNs = [UInt64](repeating: 0, count: engine.stepCount)
        var inference: [Double] = []
        do throws(EngineError) {
            try input.withUnsafeBufferPointer { (x) throws(EngineError) in
                try output.withUnsafeMutableBufferPointer { (y) throws(EngineError) in
                    for _ in 0..<warmup { try engine.reconstruct(x.baseAddress!, height: h, width: w, into: y.baseAddress!) }
                    for _ in 0..<iterations {
                        let t = now()
                        try engine.reconstruct(x.baseAddress!, height: h, width: w, into: y.baseAddress!)
                        inference.append(Double(now() - t) / 1e6)
                    }
                    // Per-layer times in separate runs, so reading the clock per step does not
                    // touch the latencies above.
                    for _ in 0..<iterations {
                        for i in layerNs.indices { layerNs[i] = 0 }
                        try layerNs.withUnsafeMutableBufferPointer { (ns) throws(EngineError) in
                            try engine.reconstruct(x.baseAddress!, height: h, width: w, into: y.baseAddress!,
                                                   layerNanoseconds: ns.baseAddress!, cpuClock: cpuClock)
                        }
                        layerRuns.append(layerNs)
                    }
                }
            }
            report.inference = Latency(inference)
            report.macs = try engine.convolutionMACs(height: h, width: w)
            report.activationBytes = try engine.activationBytes(height: h, width: w)
            let layers = try engine.layerReports(height: h, width: w)
            report.layers = layers.indices.map { i in
                LayerTime(report: layers[i], ms: Latency(layerRuns.map { Double($0[i]) / 1e6 }).median)
            }
        } catch {
            throw InspectionError(error.message)
        }
        return report
    }

    /// Pixels in [0, 1] from a fixed-seed generator, so every run and engine sees the same input.
    static func randomImage(channels: Int, height: Int, width: Int) -> Image {
        var state: UInt64 = 0x5EED
        let pixels = (0..<(channels * height * width)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    static func parseSize(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "x")
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h > 0, w > 0, h <= 8192, w <= 8192 else { return nil }
        return (h, w)
    }

    static func count(_ args: Arguments, _ name: String, default value: Int, minimum: Int) throws(Arguments.Failure) -> Int {
        guard let text = args.value(name) else { return value }
        guard let n = Int(text), n >= minimum, n <= 1_000_000 else {
            throw Arguments.Failure(message: "\(name) needs a whole number >= \(minimum), got '\(text)'")
        }
        return n
    }

    static func usageError(_ message: String) -> Int32 {
        Console.err("edge-inspect bench: \(message)\nRun 'edge-inspect bench --help' for usage.")
        return ExitCode.error
    }
}
