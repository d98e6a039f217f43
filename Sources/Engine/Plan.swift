import Kernels
import ModelFile

/// Buffers for one padded input size, planned once and reused for every frame of that size.
/// A value's buffer is returned to the pool after its last reader, so live memory stays near the
/// two or three largest activations instead of the sum of all of them.
///
/// Concatenations cost no copy: each input of a concat is planned as its slice of the concat's
/// buffer (planar channels, so a slice is a run of whole planes), and its producer writes there.
/// The concat's buffer is then taken when its first input is made and held until the last reader
/// of it or of any slice; the concat step itself does nothing (`concatFused`).
///
/// Gated skips cost no pass of their own either: a gate convolution whose only reader is a mix is
/// planned in the mix's storage and mixes as it stores (`gateMixInputs`, Kernels/GateMix.swift); the
/// mix step then does nothing (`mixFused`).
///
/// Padded inputs cost no copy where the producer can write them: once the kernels are chosen, a
/// value whose only reader is a Winograd or (not 1x1) direct-x16 convolution is planned inside that
/// kernel's zero-padded input layout, its producer stores rows at the layout's strides, and the
/// convolution writes only the padding (`paddedInputs`, Kernels/PaddedPlanes.swift).
///
/// Quantised inputs cost no pass either: an upsampling, an int8 convolution or a float direct-x16
/// one whose only reader is an int8 convolution stores its result already quantised in that
/// convolution's padded int8 layout (`quantizedInputs`; Kernels/Int8/UpsampleQuantized.swift,
/// DirectX16Quantized.swift, `Int8Requantization`); the value's buffer then holds those bytes.
/// Values with float readers as well are stored twice by their int8 convolution: floats, and the
/// int8 reader's quantised input in a byte buffer of its own, a concat's by each of its producers
/// into its channels (`sideQuantizedInputs`).
final class Plan {
    let height: Int, width: Int          // padded input size
    let shapes: [Shape]                  // per value id
    let bufferOfValue: [Int]             // value id -> index into buffers
    let offsetOfValue: [Int]             // value id -> first float within its buffer (slices only)
    let concatFused: [Bool]              // per step: a concat whose inputs already sit in its buffer
    let gateMixInputs: [(a: Int, b: Int)?]   // per step: a gate conv that stores its mix (the mix's a, b)
    let mixFused: [Bool]                 // per step: a mix its gate conv has already computed
    let paddedLayoutOfValue: [PaddedLayout?]  // per value: planned inside its reader's padded layout
    let quantizedForStep: [Int?]         // per value: the int8 convolution step its producer quantises it for
    let sideInputBuffer: [Int?]          // per step: the buffer its producers stored its quantised input in
    let requantizations: [[Int8Requantization]]  // per value: the int8 inputs its int8 convolution stores
    let buffers: [AlignedBuffer]
    let scratch: AlignedBuffer           // zero-padded conv input copies, upsampling tables (one step at a time)
    var kernels: [ConvKernel?]           // per step: the convolution kernel chosen at this size

    /// kernels: per step, the convolution kernel (the one to measure from, or the one chosen).
    /// padInPlace: plan padded inputs in place for `kernels`, which must then be the chosen ones.
    init(steps: [Step], output: Int, shapes: [Shape], height: Int, width: Int, kernels: [ConvKernel?], threads: Int,
         fuseConcats: Bool = true, fuseGates: Bool = true, padInPlace: Bool = false, quantizeInProducers: Bool = false) {
        self.height = height
        self.width = width
        self.shapes = shapes
        var lastUse = [Int](repeating: -1, count: shapes.count)
        for (i, step) in steps.enumerated() { for v in step.inputs { lastUse[v] = i } }
        lastUse[output] = steps.count
        let (sliceOf, fused) = fuseConcats ? Plan.concatSlices(steps: steps, output: output, shapes: shapes)
                                           : ([(concat: Int, offset: Int)?](repeating: nil, count: shapes.count),
                                              [Bool](repeating: false, count: steps.count))
        for (v, slice) in sliceOf.enumerated() {
            if let slice { lastUse[slice.concat] = max(lastUse[slice.concat], lastUse[v]) }
        }
        let mixOfGate = fuseGates ? Plan.gateFusions(steps: steps, output: output)
                                  : [Int?](repeating: nil, count: shapes.count)
        let padded = padInPlace ? Plan.paddedInputs(steps: steps, output: output, shapes: shapes, kernels: kernels,
                                                    planned: { sliceOf[$0] == nil && mixOfGate[$0] == nil })
                                : [PaddedLayout?](repeating: nil, count: shapes.count)
        let quantized = quantizeInProducers
            ? Plan.quantizedInputs(steps: steps, output: output, shapes: shapes,
                                   floatProducer: { padInPlace && kernels[$0] == .directX16 },
                                   planned: { sliceOf[$0] == nil && mixOfGate[$0] == nil })
            : [Int?](repeating: nil, count: shapes.count)
        let side = quantizeInProducers
            ? Plan.sideQuantizedInputs(steps: steps, shapes: shapes, quantized: quantized)
            : [[(reader: Int, channel: Int)]](repeating: [], count: shapes.count)
        var sideBuffer = [Int?](repeating: nil, count: steps.count)
        func bytesFloats(_ reader: Int) -> Int { (Int8ConvWeights.scratchBytes(Plan.geometry(steps[reader], shapes)!) + 3) / 4 }

        var sizes: [Int] = []            // capacity of each planned buffer
        var free: [Int] = []             // planned buffers not holding a live value
        var assignment = [Int](repeating: -1, count: shapes.count)
        var offsets = [Int](repeating: 0, count: shapes.count)
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
        func place(_ v: Int) {           // storage for v, unless it has some already
            guard assignment[v] < 0 else { return }
            if let slice = sliceOf[v] {
                if assignment[slice.concat] < 0 { assignment[slice.concat] = allocate(shapes[slice.concat].count) }
                (assignment[v], offsets[v]) = (assignment[slice.concat], slice.offset)
            } else if let layout = padded[v] {
                (assignment[v], offsets[v]) = (allocate(layout.floats(channels: shapes[v].channels)), layout.origin)
            } else if let reader = quantized[v] {
                assignment[v] = allocate(bytesFloats(reader))
            } else {
                assignment[v] = allocate(shapes[v].count)
            }
        }
        assignment[0] = allocate(shapes[0].count)
        var scratchCount = 0
        for (i, step) in steps.enumerated() {
            let value = i + 1
            if let mix = mixOfGate[value] {
                place(mix)
                (assignment[value], offsets[value]) = (assignment[mix], offsets[mix])
            } else {
                place(value)
            }
            for t in side[value] where sideBuffer[t.reader] == nil { sideBuffer[t.reader] = allocate(bytesFloats(t.reader)) }
            if case .conv(let layer) = step.kind, let g = Plan.geometry(step, shapes) {
                // The measuring plan holds the scratch of every kernel a layer may be timed with;
                // the chosen kernels' plan only theirs, without the copies of inputs laid out in place.
                let inPlace = padded[step.inputs[0]] != nil
                if !padInPlace || kernels[i] == .direct { scratchCount = max(scratchCount, g.scratchCount) }
                if layer.packedX16 != nil && (!padInPlace || kernels[i] == .directX16) {
                    scratchCount = max(scratchCount, g.directX16ScratchCount(threads: threads, inputIsPadded: inPlace))
                }
                if layer.winograd != nil && (!padInPlace || kernels[i] == .winograd) {
                    scratchCount = max(scratchCount, g.winogradF43ScratchCount(threads: threads, inputIsPadded: inPlace))
                }
                if layer.int8 == nil && quantized[value] != nil {
                    scratchCount = max(scratchCount, conv2DDirectX16QuantizedScratchCount(g, threads: threads))
                }
            }
            if case .upsampleBilinear(let scale) = step.kind {
                let s = shapes[step.inputs[0]]
                scratchCount = max(scratchCount, quantized[value] != nil
                    ? upsampleBilinearQuantizedScratchCount(channels: s.channels, width: s.width, scale: scale, threads: threads)
                    : upsampleBilinearScratchCount(height: s.height, width: s.width, scale: scale, threads: threads))
            }
            // Buffers whose last reader is this step can be reused from the next step on (a slice's
            // buffer is its concat's, released with the concat; a fused gate's is its mix's).
            for v in 0...value where lastUse[v] == i && sliceOf[v] == nil && mixOfGate[v] == nil && assignment[v] >= 0 {
                free.append(assignment[v])
            }
            if let b = sideBuffer[i] { free.append(b) }
        }
        bufferOfValue = assignment
        offsetOfValue = offsets
        concatFused = fused
        gateMixInputs = steps.indices.map { i in
            mixOfGate[i + 1].map { mix in (steps[mix - 1].inputs[1], steps[mix - 1].inputs[2]) }
        }
        var mixSteps = [Bool](repeating: false, count: steps.count)
        for case let mix? in mixOfGate { mixSteps[mix - 1] = true }
        mixFused = mixSteps
        paddedLayoutOfValue = padded
        quantizedForStep = quantized
        sideInputBuffer = sideBuffer
        let buffers = sizes.map { AlignedBuffer(count: $0) }
        self.buffers = buffers
        requantizations = (0..<shapes.count).map { v in
            func target(_ reader: Int, _ out: UnsafeMutablePointer<Float>, channel: Int) -> Int8Requantization {
                guard case .conv(let layer) = steps[reader].kind, let int8 = layer.int8 else { fatalError("not int8") }
                return int8.requantization(Plan.geometry(steps[reader], shapes)!, into: out, channel: channel)
            }
            guard v > 0, case .conv(let producer) = steps[v - 1].kind, producer.int8 != nil else { return [] }
            let own = quantized[v].map { [target($0, buffers[assignment[v]].pointer + offsets[v], channel: 0)] } ?? []
            return own + side[v].map { target($0.reader, buffers[sideBuffer[$0.reader]!].pointer, channel: $0.channel) }
        }
        scratch = AlignedBuffer(count: scratchCount)
        self.kernels = kernels
    }

    func pointer(_ value: Int) -> UnsafeMutablePointer<Float> { buffers[bufferOfValue[value]].pointer + offsetOfValue[value] }
    /// Where the producer of `value` stores its rows: nil for dense planes.
    func strides(_ value: Int) -> PlaneStrides? { paddedLayoutOfValue[value]?.strides }
    /// The bytes an int8 convolution step's producers stored as its quantised input, if they did.
    func quantizedInput(ofStep i: Int, _ step: Step) -> UnsafePointer<Int8>? {
        let v = step.inputs[0]
        let floats = quantizedForStep[v] == i ? pointer(v) : sideInputBuffer[i].map { buffers[$0].pointer }
        return floats.map { UnsafeRawPointer($0).assumingMemoryBound(to: Int8.self) }
    }
    /// Whether a convolution's input already sits in its padded layout.
    func readsPaddedInput(_ step: Step) -> Bool { paddedLayoutOfValue[step.inputs[0]] != nil }

    /// Values planned inside their reader's padded layout: value -> layout. A value qualifies when
    /// its one reader is a float convolution whose kernel reads a padded layout (Winograd, direct-x16
    /// but 1x1) and its producer can store rows at strides: bilinear upsampling, an int8
    /// convolution, or a float one run by Winograd or direct-x16 (not the 1x1 kernel, which stores
    /// runs of whole planes). Not the graph input or output, nor a value living in another's
    /// buffer (`planned` false: a concat slice, a gate stored as its mix).
    static func paddedInputs(steps: [Step], output: Int, shapes: [Shape], kernels: [ConvKernel?],
                             planned: (Int) -> Bool) -> [PaddedLayout?] {
        let readers = readerCounts(steps)
        func geometry(_ i: Int) -> ConvGeometry? {     // float convolutions only
            guard case .conv(let layer) = steps[i].kind, layer.int8 == nil else { return nil }
            return Plan.geometry(steps[i], shapes)
        }
        func storesAtStrides(_ i: Int) -> Bool {
            if case .upsampleBilinear = steps[i].kind { return true }
            if case .conv(let layer) = steps[i].kind, layer.int8 != nil { return true }
            guard let g = geometry(i) else { return false }
            return kernels[i] == .winograd || (kernels[i] == .directX16 && !g.isPointwise)
        }
        var layouts = [PaddedLayout?](repeating: nil, count: shapes.count)
        for (i, step) in steps.enumerated() {
            guard let g = geometry(i) else { continue }
            let v = step.inputs[0]
            guard v != 0, v != output, readers[v] == 1, planned(v), storesAtStrides(v - 1) else { continue }
            switch kernels[i] {
            case .winograd: layouts[v] = g.winogradInputLayout
            case .directX16: layouts[v] = g.directX16InputLayout
            default: break
            }
        }
        return layouts
    }

    /// A convolution step's geometry at these shapes; nil for any other step.
    static func geometry(_ step: Step, _ shapes: [Shape]) -> ConvGeometry? {
        guard case .conv(let layer) = step.kind else { return nil }
        let s = shapes[step.inputs[0]]
        return layer.geometry(inHeight: s.height, inWidth: s.width)
    }

    /// Values their producer stores quantised for their reader: value -> the reading step. A value
    /// qualifies when it is made by bilinear upsampling, an int8 convolution (whose epilogue then
    /// requantises) or a float one that `floatProducer` (step index) says runs direct-x16 (not 1x1:
    /// whole rows into a tile, then the quantiser), is not the graph output nor in another's buffer
    /// (`planned`: a gate convolution stores its mix), and its one reader is an int8 convolution
    /// taking it as input.
    static func quantizedInputs(steps: [Step], output: Int, shapes: [Shape], floatProducer: (Int) -> Bool,
                                planned: (Int) -> Bool) -> [Int?] {
        let readers = readerCounts(steps)
        var reader = [Int?](repeating: nil, count: steps.count + 1)
        for (i, step) in steps.enumerated() {
            guard case .conv(let layer) = step.kind, layer.int8 != nil else { continue }
            let v = step.inputs[0]
            guard v != 0, v != output, readers[v] == 1, planned(v) else { continue }
            switch steps[v - 1].kind {
            case .upsampleBilinear: reader[v] = i
            case .conv(let producer) where producer.int8 != nil: reader[v] = i
            case .conv(let producer) where floatProducer(v - 1) && producer.packedX16 != nil:
                if let g = geometry(steps[v - 1], shapes), !g.isPointwise { reader[v] = i }
            default: break
            }
        }
        return reader
    }

    /// Values an int8 convolution stores as floats and also quantised for an int8 reader, which it
    /// does not read alone (`quantized` has the values with one): value -> [(reading step, the
    /// value's first channel in its input)]. A reader qualifies when its input is made by an int8
    /// convolution or is a concat of values so made, each but the last with a multiple of 4 channels
    /// (a producer writes its channels rounded up to 4). (A gate stored as its mix is never one: its
    /// only reader is the mix.)
    static func sideQuantizedInputs(steps: [Step], shapes: [Shape], quantized: [Int?]) -> [[(reader: Int, channel: Int)]] {
        var targets = [[(reader: Int, channel: Int)]](repeating: [], count: steps.count + 1)
        func int8Made(_ v: Int) -> Bool {
            guard v != 0, case .conv(let layer) = steps[v - 1].kind else { return false }
            return layer.int8 != nil
        }
        for (i, step) in steps.enumerated() {
            guard case .conv(let layer) = step.kind, layer.int8 != nil else { continue }
            let v = step.inputs[0]
            guard v != 0, quantized[v] == nil else { continue }
            if int8Made(v) {
                targets[v].append((i, 0))
            } else if case .concat = steps[v - 1].kind {
                let parts = steps[v - 1].inputs
                guard parts.allSatisfy(int8Made), parts.dropLast().allSatisfy({ shapes[$0].channels % 4 == 0 })
                else { continue }
                var channel = 0
                for u in parts {
                    targets[u].append((i, channel))
                    channel += shapes[u].channels
                }
            }
        }
        return targets
    }

    /// Which values become slices of a concat's buffer: value -> (concat value, float offset), and
    /// per step whether it is such a concat. A concat qualifies when every input is made by a step
    /// (not the graph input), appears once, is not the graph output, and is neither a slice of
    /// another concat nor a fused concat itself (one level: a value lives in one buffer).
    static func concatSlices(steps: [Step], output: Int, shapes: [Shape])
        -> (sliceOf: [(concat: Int, offset: Int)?], fused: [Bool]) {
        var sliceOf = [(concat: Int, offset: Int)?](repeating: nil, count: shapes.count)
        var fused = [Bool](repeating: false, count: steps.count)
        for (i, step) in steps.enumerated() {
            guard case .concat = step.kind else { continue }
            let inputs = step.inputs
            let ok = inputs.enumerated().allSatisfy { k, v in
                v != 0 && v != output && sliceOf[v] == nil && !fused[v - 1] && !inputs[..<k].contains(v)
            }
            guard ok else { continue }
            var offset = 0
            for v in inputs {
                sliceOf[v] = (i + 1, offset)
                offset += shapes[v].count
            }
            fused[i] = true
        }
        return (sliceOf, fused)
    }

    /// Which values are gates stored as their mix: gate value -> mix value. A mix qualifies when its
    /// gate is made by a convolution, is read by nothing else, is neither the graph input nor its
    /// output, and both mixed values are made before the gate (the kernel reads them as it stores).
    static func gateFusions(steps: [Step], output: Int) -> [Int?] {
        let readers = readerCounts(steps)
        var mixOfGate = [Int?](repeating: nil, count: steps.count + 1)
        for (i, step) in steps.enumerated() {
            guard case .mix = step.kind else { continue }
            let (gate, a, b) = (step.inputs[0], step.inputs[1], step.inputs[2])
            guard gate != 0, gate != output, readers[gate] == 1, a < gate, b < gate,
                  case .conv = steps[gate - 1].kind else { continue }
            mixOfGate[gate] = i + 1
        }
        return mixOfGate
    }

    /// How many step inputs name each value (value 0 is the graph input, step i makes value i + 1).
    static func readerCounts(_ steps: [Step]) -> [Int] {
        var readers = [Int](repeating: 0, count: steps.count + 1)
        for step in steps { for v in step.inputs { readers[v] += 1 } }
        return readers
    }

    /// Bytes held by activations and scratch.
    var activationBytes: Int { (buffers.reduce(0) { $0 + $1.count } + scratch.count) * 4 }
}
