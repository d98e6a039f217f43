import CPlatform
import Kernels

extension Engine {
    /// Picks each convolution's kernel for a new plan. With `.measure`, every candidate kernel
    /// (`measuredKernels`) runs once on the layer's real shape (in the plan's own buffers, before any
    /// frame uses them) and the fastest is kept. Which kernel wins depends on channel counts, image
    /// width, stride and the CPU's caches, so a formula would be wrong somewhere; a measurement is
    /// not. The plan's buffers are already touched, so no run pays page faults.
    /// One thread: one run each, timed by the thread's CPU time, which a busy machine's preemptions
    /// do not inflate. Several threads: the best wall time of three runs each. The calling thread's
    /// CPU time would leave out the serial parts and the wait for the slowest worker (it sleeps
    /// then), and picked a direct kernel taking 4.6 ms over a 2.3 ms Winograd one at 2 threads.
    /// Costs about 2.5 frames (1 thread) or 7.5 frames once per input size.
    func chooseKernels(_ plan: Plan) {
        let feedsInt8 = Engine.feedsInt8(steps)
        for (i, step) in steps.enumerated() {
            guard case .conv(let layer) = step.kind else { continue }
            if layer.int8 != nil {                   // its kernel is the int8 path, chosen per CPU
                plan.kernels[i] = .int8
                continue
            }
            switch policy {
            case .force(let kernel):
                plan.kernels[i] = eligibleKernels(layer).contains(kernel) ? kernel : .direct
            case .measure:
                var best = (kernel: ConvKernel.direct, ns: UInt64.max)
                let threaded = threads > 1
                for kernel in measuredKernels(layer, feedsInt8: feedsInt8[i]) {
                    plan.kernels[i] = kernel
                    for _ in 0..<(threaded ? 3 : 1) {
                        let start = threaded ? ei_now_ns() : ei_thread_cpu_ns()
                        execute(step, value: i + 1, plan: plan)
                        let ns = (threaded ? ei_now_ns() : ei_thread_cpu_ns()) - start
                        if ns < best.ns { best = (kernel, ns) }
                    }
                }
                plan.kernels[i] = best.kernel
            }
        }
    }

    /// The kernels this layer has weights for: direct-oc8 always, direct-x16 and Winograd where compiled.
    func eligibleKernels(_ layer: ConvLayer) -> [ConvKernel] {
        [.direct, layer.packedX16 == nil ? nil : .directX16, layer.winograd == nil ? nil : .winograd].compactMap { $0 }
    }

    /// The kernels a measurement may pick from. Both direct kernels give the same bits (DirectX16Tests),
    /// Winograd other ones in the last digits. Those digits vanish in a float model's score, but a
    /// float layer upstream of an int8 convolution passes them to its quantiser, where one flipped
    /// rounding moves everything downstream: on the demo's int8 model a Winograd first layer moved a
    /// score by up to 2 %. Timing is noisy, so two processes could pick differently and score the same
    /// image differently, calibrate's threshold included; such layers leave Winograd out.
    func measuredKernels(_ layer: ConvLayer, feedsInt8: Bool) -> [ConvKernel] {
        eligibleKernels(layer).filter { !(feedsInt8 && $0 == .winograd) }
    }

    /// Per step: whether an int8 convolution reads its output, directly or through later steps.
    /// Steps are in graph order; value 0 is the input and step i writes value i + 1.
    static func feedsInt8(_ steps: [Step]) -> [Bool] {
        var read = [Bool](repeating: false, count: steps.count + 1)
        for (i, step) in steps.enumerated().reversed() {
            var int8 = false
            if case .conv(let layer) = step.kind { int8 = layer.int8 != nil }
            if int8 || read[i + 1] { for value in step.inputs { read[value] = true } }
        }
        return Array(read.dropFirst())
    }
}
