import Engine
import Kernels
import ModelFile
import Platform
import Scoring

enum InfoCommand {
    static let help = """
        edge-inspect info: describe a model file

        Usage: edge-inspect info MODEL [--size HxW]

        Prints the metadata (input, scoring, calibration, provenance), every op with its output
        shape at the probe size (default 256x256), every tensor with its type, shape and bytes,
        and totals: parameters, bytes per element type, multiply-accumulates per image.
        Exit codes: 0 valid model, 2 unreadable or invalid (the reason is printed).
        """

    static func run(_ rawArgs: ArraySlice<String>) -> Int32 {
        if rawArgs.contains("--help") { Console.out(help); return ExitCode.ok }
        let args: Arguments
        do { args = try Arguments(rawArgs, valueOptions: ["--size"], flagOptions: []) } catch {
            return usageError(error.message)
        }
        guard args.positionals.count == 1 else { return usageError("give exactly one model file") }
        var (height, width) = (256, 256)
        if let size = args.value("--size") {
            let parts = size.split(separator: "x")
            guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), h > 0, w > 0, h <= 8192, w <= 8192 else {
                return usageError("--size needs HxW, e.g. 256x256")
            }
            (height, width) = (h, w)
        }
        let path = args.positionals[0]
        let file: MappedFile
        let model: ModelFile
        do { file = try MappedFile(path: path) } catch { Console.err("edge-inspect: \(error.message)"); return ExitCode.error }
        do { model = try ModelFile(parsing: file.bytes) } catch {
            Console.err("edge-inspect: '\(path)' is not a usable model: \(error.message)")
            return ExitCode.error
        }
        describe(model, path: path, fileSize: file.bytes.count, height: height, width: width)
        return ExitCode.ok
    }

    static func usageError(_ message: String) -> Int32 {
        Console.err("edge-inspect info: \(message)\nRun 'edge-inspect info --help' for usage.")
        return ExitCode.error
    }

    static func describe(_ model: ModelFile, path: String, fileSize: Int, height: Int, width: Int) {
        let m = model.metadata
        Console.out("model      \(m.name)  (\(path), \(fileSize) bytes, format v\(ModelFile.formatVersion), checksum ok)")
        let resize = m.resizeHeight == 0 ? "native size" : "resized to \(m.resizeWidth)x\(m.resizeHeight)"
        Console.out("input      \(m.inputChannels == 1 ? "gray" : "RGB"), \(resize), padded to a multiple of \(m.sizeMultiple) (\(m.padMode.rawValue))")
        Console.out("           mean \(list(m.mean)) std \(list(m.std))")
        if m.errorNorm == .variance {
            Console.out("error      squared error / the image's pixel variance (at least \(Format.general(errorNormVarianceFloor, 3)))")
        }
        let border = m.scoreBorder == 0 ? "" : " (ignoring \(m.scoreBorder) px at each edge)"
        Console.out("scoring    gaussian sigma \(Format.general(Double(m.scoreSigma), 4)), \(m.scoreReduce.rawValue) of map\(border) / \(Format.general(Double(m.scoreScale), 6)), anomalous when score > \(Format.general(Double(m.threshold), 6))")
        if m.mapHasOwnSigma {
            Console.out("map        gaussian sigma \(Format.general(Double(m.mapSigma), 4)) (heatmaps and raw maps; the score uses its own)")
        }
        Console.out("metadata")
        for (key, value) in m.entries { Console.out("  \(pad(key, 24)) \(describe(value))") }

        let padded = { (n: Int) in (n + m.sizeMultiple - 1) / m.sizeMultiple * m.sizeMultiple }
        let shapes = try? model.shapes(height: padded(height), width: padded(width))
        Console.out("graph      \(model.nodes.count) ops, output value %\(model.output); shapes at \(padded(width))x\(padded(height))")
        for (i, node) in model.nodes.enumerated() {
            let inputs = node.inputs.map { "%\($0)" }.joined(separator: ", ")
            var line = "  %\(pad(String(i + 1), 3)) = \(pad(node.op.name, 17)) (\(inputs))"
            if let shapes {
                let s = shapes[i + 1]
                line = pad(line, 52) + " -> \(s.channels)x\(s.height)x\(s.width)"
            }
            if case .conv2d(let c) = node.op {
                line += "  k\(c.kernelH)x\(c.kernelW) s\(c.strideH) p\(c.padH) d\(c.dilationH) \(activationName(c.activation))"
            }
            Console.out(line)
        }
        Console.out("tensors    \(model.tensors.count)")
        var bytesByType = [0, 0, 0], parameters = 0
        for t in model.tensors {
            let bytes = t.byteSize + t.scaleCount * 4
            bytesByType[Int(t.dtype.rawValue)] += bytes
            parameters += t.elementCount
            let shape = t.shape.map { String($0) }.joined(separator: "x")
            Console.out("  \(pad(t.name, 28)) \(pad(t.dtype.name, 4)) \(pad(shape, 14)) \(bytes) bytes")
        }
        Console.out("totals     \(parameters) parameters; f32 \(bytesByType[0]) B, f16 \(bytesByType[1]) B, i8 \(bytesByType[2]) B (incl. scales)")
        let engine = Engine(model: model)
        if shapes != nil, let macs = try? engine.convolutionMACs(height: height, width: width) {
            Console.out("compute    \(Format.fixed(Double(macs) / 1e9, 3)) GMAC (\(Format.fixed(2 * Double(macs) / 1e9, 3)) GFLOP) per \(width)x\(height) image")
        }
        let convolutions = model.nodes.filter { if case .conv2d = $0.op { return true } else { return false } }.count
        Console.out(precisionLine(engine, convolutions: convolutions))
    }

    /// Which convolutions run in int8 on this machine and with which kernels, e.g.
    /// "precision  int8: 11 of 13 convolutions, kernels sdot (cpu: neon asimddp)".
    static func precisionLine(_ engine: Engine, convolutions: Int) -> String {
        let (count, path) = engine.int8Convolutions
        let cpu = "(cpu: \(CPUFeatures.description))"
        guard let path else {
            let why = Int8KernelPath.disabledByEnvironment ? "EDGEINSPECT_FP32 is set" : "the file has no int8 activation scales"
            return "precision  float: all \(convolutions) convolutions (\(why)); int8 kernels here: \(Int8KernelPath.best.name) \(cpu)"
        }
        return "precision  int8: \(count) of \(convolutions) convolutions, kernels \(path) \(cpu)"
    }

    static func activationName(_ a: Activation) -> String {
        switch a {
        case .none: return "linear"
        case .relu: return "relu"
        case .leakyRelu: return "leaky_relu"
        case .silu: return "silu"
        case .sigmoid: return "sigmoid"
        }
    }

    static func describe(_ value: MetaValue) -> String {
        switch value {
        case .u32(let v): return "\(v)"
        case .f32(let v): return Format.general(Double(v), 7)
        case .string(let s): return s
        case .f32Array(let a): return list(a)
        case .u32Array(let a): return "[" + a.map { "\($0)" }.joined(separator: ", ") + "]"
        }
    }

    static func list(_ values: [Float]) -> String {
        "[" + values.map { Format.general(Double($0), 5) }.joined(separator: ", ") + "]"
    }

    static func pad(_ s: String, _ n: Int) -> String {
        let count = s.utf8.count
        return count >= n ? s : s + String(repeating: " ", count: n - count)
    }
}
