import CPlatform
import Kernels

extension Engine {
    /// Picks each convolution's kernel for a new plan. With `.measure`, every eligible kernel runs
    /// twice on the layer's real shape (in the plan's own buffers, before any frame uses them) and
    /// the faster by its better run is kept: which kernel wins depends on channel counts, image
    /// width and the CPU's caches, so a formula would be wrong somewhere; a measurement is not.
    /// Costs a few conv layers' time once per input size.
    func chooseKernels(_ plan: Plan) {
        for (i, step) in steps.enumerated() {
            guard case .conv(let layer) = step.kind, layer.winograd != nil else { continue }
            switch policy {
            case .force(let kernel):
                plan.kernels[i] = kernel
            case .measure:
                var best = (kernel: ConvKernel.direct, ns: UInt64.max)
                for kernel in [ConvKernel.direct, .winograd] {
                    plan.kernels[i] = kernel
                    for _ in 0..<2 {
                        let start = ei_now_ns()
                        execute(step, value: i + 1, plan: plan)
                        let ns = ei_now_ns() - start
                        if ns < best.ns { best = (kernel, ns) }
                    }
                }
                plan.kernels[i] = best.kernel
            }
        }
    }
}
