import CPlatform
import Kernels

extension Engine {
    /// Picks each convolution's kernel for a new plan. With `.measure`, every eligible kernel runs
    /// once on the layer's real shape (in the plan's own buffers, before any frame uses them) and the
    /// fastest is kept. Which kernel wins depends on channel counts, image width, stride and the
    /// CPU's caches, so a formula would be wrong somewhere; a measurement is not. Timed by the calling
    /// thread's CPU time (its static share of the work), which a busy machine's preemptions do not
    /// inflate, so one run each is enough; the plan's buffers are already touched, so no run pays
    /// page faults. Costs about 2.5 frames once per input size.
    func chooseKernels(_ plan: Plan) {
        for (i, step) in steps.enumerated() {
            guard case .conv(let layer) = step.kind else { continue }
            let eligible = [ConvKernel.direct,
                            layer.packedX16 == nil ? nil : .directX16,
                            layer.winograd == nil ? nil : .winograd].compactMap { $0 }
            switch policy {
            case .force(let kernel):
                plan.kernels[i] = eligible.contains(kernel) ? kernel : .direct
            case .measure:
                var best = (kernel: ConvKernel.direct, ns: UInt64.max)
                for kernel in eligible {
                    plan.kernels[i] = kernel
                    let start = ei_thread_cpu_ns()
                    execute(step, value: i + 1, plan: plan)
                    let ns = ei_thread_cpu_ns() - start
                    if ns < best.ns { best = (kernel, ns) }
                }
                plan.kernels[i] = best.kernel
            }
        }
    }
}
