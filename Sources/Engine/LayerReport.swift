import Kernels
import ModelFile

/// The convolution kernel the engine runs for one layer at one input size.
public enum ConvKernel: String, Sendable {
    case direct = "direct-oc8"           // SIMD8 direct convolution, any geometry
    case directX16 = "direct-x16"        // direct, 2 vectors of pixels (16; 32 with AVX-512) x 4 channels per step
    case winograd = "winograd-f4x3"      // Winograd F(4x4,3x3), 3x3 stride-1 undilated layers
    case reference = "reference"         // the scalar reference (KernelSet.reference)
    case int8 = "int8"                   // the layer runs in int8 (quant.act_scales); see int8Convolutions
}

/// How the engine picks each convolution's kernel when it plans an input size.
public enum ConvKernelPolicy: Sendable {
    case measure                         // time every eligible kernel on the layer's real shape, keep the fastest
    case force(ConvKernel)               // this kernel wherever it applies (direct elsewhere); for tests

    /// "auto", or a kernel name as in `ConvKernel` ("direct-oc8", "direct-x16", "winograd-f4x3";
    /// "direct" and "winograd" also work).
    public init?(name: String) {
        switch name {
        case "auto": self = .measure
        case "direct", ConvKernel.direct.rawValue: self = .force(.direct)
        case ConvKernel.directX16.rawValue: self = .force(.directX16)
        case "winograd", ConvKernel.winograd.rawValue: self = .force(.winograd)
        default: return nil
        }
    }
}

/// One step of the compiled graph at one input size, for `bench` and `info --verbose`.
public struct LayerReport: Sendable {
    public let step: Int                 // 1-based value id of the step's output
    public let op: String                // op name, as in the model file
    public let output: Shape
    public let kernel: ConvKernel?       // convolutions only
    public let macs: Int                 // direct-convolution multiply-accumulates; 0 for other ops
    public let detail: String            // e.g. "k3x3 s1 d2 32->32"
}

extension Engine {
    /// Every step at this input size (padded as `reconstruct` pads it), with the kernel chosen for it.
    /// Planning the size may run the kernel selection (see `reconstruct`).
    public func layerReports(height: Int, width: Int) throws(EngineError) -> [LayerReport] {
        let plan = try plan(height: padded(height), width: padded(width))
        var reports: [LayerReport] = []
        for (i, step) in steps.enumerated() {
            var macs = 0, detail = "", kernel: ConvKernel? = nil
            if case .conv(let layer) = step.kind {
                let s = plan.shapes[step.inputs[0]]
                let c = layer.conv
                macs = layer.geometry(inHeight: s.height, inWidth: s.width).macs
                detail = "k\(c.kernelH)x\(c.kernelW) s\(c.strideH) d\(c.dilationH) \(c.inChannels)->\(c.outChannels)"
                kernel = plan.kernels[i]
            }
            reports.append(LayerReport(step: i + 1, op: model.nodes[i].op.name, output: plan.shapes[i + 1],
                                       kernel: kernel, macs: macs, detail: detail))
        }
        return reports
    }
}
