import CPlatform
import Kernels
import ModelFile

/// Runs a validated model graph on one normalised image: pads it to the model's size multiple,
/// executes the compiled steps, and crops the reconstruction back.
/// Weights are dequantised and packed at init; the graph's shapes are inferred per input size, so the
/// caller keeps the model's mapping alive as long as the engine (Inspection.Inspector does).
public final class Engine {
    public enum KernelSet: Sendable {
        case simd       // the fast kernels (default)
        case reference  // the scalar reference kernels, for tests
    }

    public let kernels: KernelSet
    public let policy: ConvKernelPolicy
    /// Threads the convolutions run on (the caller's thread is one of them).
    public let threads: Int
    private let pool: ThreadPool?
    /// The engine's threads, for the caller's own per-frame loops (the scoring blur); nil on one.
    public var threadPool: ThreadPool? { pool }
    let model: ModelFile
    let steps: [Step]
    private var plan: Plan?
    /// Concat inputs written straight into the concat's buffer (Plan); off only to test that it
    /// changes no bit.
    var fuseConcats = true
    /// Gate convolutions that mix as they store (Plan); off only to test that it changes no bit.
    var fuseGates = true
    /// Producers that write straight into their reader's padded input layout (Plan); off only to
    /// test that it changes no bit and to measure what it saves.
    var padInPlace = true
    /// Producers that store their int8 reader's quantised input (Plan.quantizedInputs); off only to
    /// test that it changes no bit and to measure what it saves.
    var quantizeInProducers = true
    /// Kernel choices per padded input size, so returning to a size reuses its measured choice: the
    /// same size always runs the same kernels (the same bits), and no frame pays the measurement twice.
    private var chosenKernels: [(height: Int, width: Int, kernels: [ConvKernel?])] = []

    public var channels: Int { model.metadata.inputChannels }
    public var sizeMultiple: Int { model.metadata.sizeMultiple }
    public var padMode: PadMode { model.metadata.padMode }
    private var output: Int { model.output }

    /// Largest input (after padding) the engine accepts, in pixels; beyond it the activations of a
    /// typical model no longer fit a small board's memory.
    public static let maxPixels = 16_777_216

    /// threads: 1 runs everything on the caller's thread; more start a persistent pool, used by the
    /// convolutions (over 95 % of the work). If the threads cannot be started it runs on one.
    /// policy: how each convolution's kernel is chosen per input size (see `ConvKernelPolicy`).
    /// int8: run the convolutions the file marks for int8 (i8 weights + quant.act_scales) with the
    /// int8 kernels (Int8ConvLayer.swift); false, or EDGEINSPECT_FP32=1, runs them in float.
    public init(model: ModelFile, kernels: KernelSet = .simd, threads: Int = 1, policy: ConvKernelPolicy = .measure,
                int8: Bool = true) {
        self.model = model
        self.kernels = kernels
        self.policy = policy
        self.pool = threads > 1 ? ThreadPool(threads: threads) : nil
        self.threads = pool?.size ?? 1
        let useInt8 = int8 && kernels == .simd && !Int8KernelPath.disabledByEnvironment
        self.steps = compile(model, keepPlainWeights: kernels == .reference, fastKernels: kernels == .simd,
                             int8: useInt8 ? Int8Context(path: .best) : nil)
    }

    /// Multiply-accumulates of all convolutions for an input of this size (after padding).
    /// From the shapes alone: it plans nothing and runs no kernel selection.
    public func convolutionMACs(height: Int, width: Int) throws(EngineError) -> Int {
        let shapes: [Shape]
        do { shapes = try model.shapes(height: padded(height), width: padded(width)) } catch {
            throw EngineError("the model cannot run at \(width)x\(height): \(error.message)")
        }
        var total = 0
        for step in steps {
            if case .conv(let layer) = step.kind {
                let s = shapes[step.inputs[0]]
                total += layer.geometry(inHeight: s.height, inWidth: s.width).macs
            }
        }
        return total
    }

    /// Bytes of activation memory planned for this input size.
    public func activationBytes(height: Int, width: Int) throws(EngineError) -> Int {
        try plan(height: padded(height), width: padded(width)).activationBytes
    }

    func padded(_ n: Int) -> Int { (n + sizeMultiple - 1) / sizeMultiple * sizeMultiple }

    /// Number of compiled steps (one per graph node): the length of a `layerNanoseconds` buffer.
    public var stepCount: Int { steps.count }

    /// Steps whose concat copies nothing at this size (tests).
    func fusedConcatSteps(height: Int, width: Int) throws(EngineError) -> [Int] {
        let fused = try plan(height: padded(height), width: padded(width)).concatFused
        return fused.indices.filter { fused[$0] }
    }

    /// Mix steps their gate convolution computes (tests).
    func fusedMixSteps(height: Int, width: Int) throws(EngineError) -> [Int] {
        let fused = try plan(height: padded(height), width: padded(width)).mixFused
        return fused.indices.filter { fused[$0] }
    }

    /// Convolution steps whose input their producer wrote into its padded layout (tests).
    func paddedInputSteps(height: Int, width: Int) throws(EngineError) -> [Int] {
        let plan = try plan(height: padded(height), width: padded(width))
        return steps.indices.filter { i in
            if case .conv = steps[i].kind { return plan.readsPaddedInput(steps[i]) } else { return false }
        }
    }

    /// Int8 convolution steps whose input their producer stored quantised (tests).
    func quantizedInputSteps(height: Int, width: Int) throws(EngineError) -> [Int] {
        try plan(height: padded(height), width: padded(width)).quantizedForStep.compactMap { $0 }
    }

    /// Int8 convolution steps whose input their producers stored quantised besides its floats (tests).
    func sideQuantizedInputSteps(height: Int, width: Int) throws(EngineError) -> [Int] {
        let buffers = try plan(height: padded(height), width: padded(width)).sideInputBuffer
        return buffers.indices.filter { buffers[$0] != nil }
    }

    func plan(height: Int, width: Int) throws(EngineError) -> Plan {
        if let plan, plan.height == height, plan.width == width { return plan }
        let shapes: [Shape]
        do {
            shapes = try model.shapes(height: height, width: width)
        } catch {
            throw EngineError("the model cannot run at \(width)x\(height): \(error.message)")
        }
        func make(_ kernels: [ConvKernel?], padInPlace: Bool) -> Plan {
            Plan(steps: steps, output: output, shapes: shapes, height: height, width: width, kernels: kernels,
                 threads: threads, fuseConcats: fuseConcats, fuseGates: fuseGates, padInPlace: padInPlace,
                 quantizeInProducers: quantizeInProducers)
        }
        let inPlace = padInPlace && kernels == .simd
        plan = nil                       // its buffers go before the new ones are made
        if let known = chosenKernels.first(where: { $0.height == height && $0.width == width }) {
            plan = make(known.kernels, padInPlace: inPlace)
            return plan!
        }
        let fallback: ConvKernel = kernels == .simd ? .direct : .reference
        var measured: Plan? = make(steps.map { if case .conv = $0.kind { fallback } else { nil } }, padInPlace: false)
        if kernels == .simd {
            chooseKernels(measured!)
            if chosenKernels.count >= 16 { chosenKernels.removeFirst() }
            chosenKernels.append((height, width, measured!.kernels))
        }
        if inPlace {
            // Padded layouts depend on the kernels: the plan the measurement ran on makes way
            // (its buffers freed first) for one laid out for the chosen kernels.
            let chosen = measured!.kernels
            measured = nil
            plan = make(chosen, padInPlace: true)
        } else {
            plan = measured
        }
        return plan!
    }

    /// input: [channels, height, width] normalised pixels; output: same shape, the reconstruction.
    /// layerNanoseconds: nil, or `stepCount` counters to which each step's time is added: wall time,
    /// or with `cpuClock` the calling thread's CPU time (its own share of the work).
    public func reconstruct(_ input: UnsafePointer<Float>, height: Int, width: Int,
                            into result: UnsafeMutablePointer<Float>,
                            layerNanoseconds: UnsafeMutablePointer<UInt64>? = nil, cpuClock: Bool = false) throws(EngineError) {
        guard height >= 1, width >= 1 else { throw EngineError("empty input (\(width)x\(height))") }
        let (ph, pw) = (padded(height), padded(width))
        guard ph.multipliedReportingOverflow(by: pw).partialValue <= Engine.maxPixels, ph <= 65536, pw <= 65536 else {
            throw EngineError("input \(width)x\(height) is larger than \(Engine.maxPixels) pixels")
        }
        let plan = try self.plan(height: ph, width: pw)
        padInput(input, height: height, width: width, into: plan.pointer(0), paddedHeight: ph, paddedWidth: pw)
        if let layerNanoseconds {
            for (i, step) in steps.enumerated() {
                let start = cpuClock ? ei_thread_cpu_ns() : ei_now_ns()
                execute(step, value: i + 1, plan: plan)
                layerNanoseconds[i] += (cpuClock ? ei_thread_cpu_ns() : ei_now_ns()) - start
            }
        } else {
            for (i, step) in steps.enumerated() { execute(step, value: i + 1, plan: plan) }
        }
        let out = plan.pointer(output)
        for c in 0..<channels {
            for y in 0..<height {
                (result + (c * height + y) * width).update(from: out + (c * ph + y) * pw, count: width)
            }
        }
    }

    /// Pads at the bottom and right, as the exporter's reference does.
    private func padInput(_ input: UnsafePointer<Float>, height: Int, width: Int,
                          into dst: UnsafeMutablePointer<Float>, paddedHeight ph: Int, paddedWidth pw: Int) {
        for c in 0..<channels {
            let plane = dst + c * ph * pw
            for y in 0..<ph {
                let row = plane + y * pw
                if y < height || padMode == .replicate {
                    let src = input + (c * height + min(y, height - 1)) * width
                    row.update(from: src, count: width)
                    row.advanced(by: width).update(repeating: padMode == .replicate ? src[width - 1] : 0,
                                                   count: pw - width)
                } else {
                    row.update(repeating: 0, count: pw)
                }
            }
        }
    }

    /// The int8 convolution `value` is stored quantised for (Plan.quantizedInputs), with its geometry.
    func int8Reader(of value: Int, plan: Plan) -> (layer: Int8ConvLayer, geometry: ConvGeometry)? {
        guard let reader = plan.quantizedForStep[value], case .conv(let layer) = steps[reader].kind,
              let int8 = layer.int8, let g = Plan.geometry(steps[reader], plan.shapes) else { return nil }
        return (int8, g)
    }

    func execute(_ step: Step, value: Int, plan: Plan) {
        let out = plan.pointer(value)
        let shape = plan.shapes[value]
        let first = plan.shapes[step.inputs[0]]
        let a = UnsafePointer(plan.pointer(step.inputs[0]))
        switch step.kind {
        case .conv(let layer):
            let g = layer.geometry(inHeight: first.height, inWidth: first.width)
            let gate = plan.gateMixInputs[value - 1].map {
                GateMix(a: UnsafePointer(plan.pointer($0.a)), b: UnsafePointer(plan.pointer($0.b)))
            }
            // Kernels that do not mix as they store leave it to an in-place pass here. The int8
            // epilogue does not: it stores 8 pixels of 16 channel planes at a time, and reading
            // 32 more planes there made the int8 gate layers 30 % slower than a separate pass.
            var mixAfter = gate
            let reader = int8Reader(of: value, plan: plan)   // stores its reader's quantised input
            if let int8 = layer.int8 {
                int8.run(a, quantized: plan.quantizedInput(ofStep: value - 1, step), geometry: g,
                         activation: layer.activation, output: reader == nil ? out : nil,
                         outputStrides: plan.strides(value), requantized: plan.requantizations[value], pool: pool)
            } else {
                switch plan.kernels[value - 1] {
                case .winograd:
                    conv2DWinogradF43(input: a, geometry: g, weights: layer.winograd!, activation: layer.activation,
                                      output: out, outputStrides: plan.strides(value), inputIsPadded: plan.readsPaddedInput(step),
                                      scratch: plan.scratch.pointer, pool: pool)
                case .directX16 where reader != nil:
                    let reader = reader!
                    conv2DDirectX16Quantized(input: a, geometry: g, weights: layer.packedX16!, activation: layer.activation,
                                             requantized: reader.layer.requantization(reader.geometry, into: out),
                                             path: reader.layer.context.path,
                                             inputIsPadded: plan.readsPaddedInput(step), scratch: plan.scratch.pointer,
                                             pool: pool)
                case .directX16:
                    let mixes = g.isPointwise
                    conv2DDirectX16(input: a, geometry: g, weights: layer.packedX16!, activation: layer.activation,
                                    gate: mixes ? gate : nil, output: out, outputStrides: plan.strides(value),
                                    inputIsPadded: plan.readsPaddedInput(step), scratch: plan.scratch.pointer, pool: pool)
                    if mixes { mixAfter = nil }
                case .direct, .int8, nil:
                    conv2DDirectOC8(input: a, geometry: g, weights: layer.packed, activation: layer.activation,
                                    output: out, scratch: plan.scratch.pointer, pool: pool)
                case .reference:
                    layer.plainWeights.withUnsafeBufferPointer { w in
                        withOptionalPointer(layer.plainBias) { b in
                            referenceConv2D(input: a, geometry: g, weights: w.baseAddress!, bias: b,
                                            activation: layer.activation, output: out)
                        }
                    }
                }
            }
            if let m = mixAfter {   // in place: element i of the gate is read before it is overwritten
                if kernels == .simd { mix(gate: out, m.a, m.b, into: out, count: shape.count, pool: pool) }
                else { referenceMix(gate: out, m.a, m.b, into: out, count: shape.count) }
            }
        case .activation(let kind):
            out.update(from: a, count: shape.count)
            if kernels == .simd { activation(out, count: shape.count, kind) }
            else { referenceActivation(out, count: shape.count, kind) }
        case .upsampleNearest(let s):
            if kernels == .simd {
                upsampleNearest(a, channels: first.channels, height: first.height, width: first.width, scale: s, into: out)
            } else {
                referenceUpsampleNearest(a, channels: first.channels, height: first.height, width: first.width, scale: s, into: out)
            }
        case .upsampleBilinear(let s):
            if let reader = int8Reader(of: value, plan: plan) {
                reader.layer.upsampleIntoInput(a, channels: first.channels, height: first.height, width: first.width,
                                               scale: s, geometry: reader.geometry, into: out,
                                               scratch: plan.scratch.pointer, pool: pool)
            } else if kernels == .simd {
                upsampleBilinear(a, channels: first.channels, height: first.height, width: first.width, scale: s,
                                 into: out, outStrides: plan.strides(value), scratch: plan.scratch.pointer, pool: pool)
            } else {
                referenceUpsampleBilinear(a, channels: first.channels, height: first.height, width: first.width, scale: s, into: out)
            }
        case .concat:
            if plan.concatFused[value - 1] { break }    // its inputs were written into place
            var dst = out
            for v in step.inputs {
                let n = plan.shapes[v].count
                dst.update(from: plan.pointer(v), count: n)
                dst += n
            }
        case .add:
            let b = UnsafePointer(plan.pointer(step.inputs[1]))
            if kernels == .simd { add(a, b, into: out, count: shape.count) }
            else { referenceAdd(a, b, into: out, count: shape.count) }
        case .mix:
            if plan.mixFused[value - 1] { break }       // its gate convolution stored the mix
            let x = UnsafePointer(plan.pointer(step.inputs[1])), y = UnsafePointer(plan.pointer(step.inputs[2]))
            if kernels == .simd { mix(gate: a, x, y, into: out, count: shape.count) }
            else { referenceMix(gate: a, x, y, into: out, count: shape.count) }
        }
    }
}
