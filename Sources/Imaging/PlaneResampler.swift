/// Separable 2-D resampling of planar float images: a width pass along each row, then a height
/// pass that combines whole rows. Width first follows PyTorch's bilinear evaluation order
/// `h0·(w0·a + w1·b) + h1·(w0·c + w1·d)`; results agree with torch to float rounding (torch itself
/// varies by a few ulps between its kernels), which ResizeTests checks.
struct PlaneResampler {
    let inputWidth: Int
    let inputHeight: Int
    let widthPlan: AxisPlan
    let heightPlan: AxisPlan

    var outputWidth: Int { widthPlan.outputLength }
    var outputHeight: Int { heightPlan.outputLength }

    /// Resamples `planes` consecutive planes from `input` to `output`.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, planes: Int) {
        let inPlane = inputWidth * inputHeight
        let outPlane = outputWidth * outputHeight
        // One row-resampled plane, reused for every channel; allocated once per call, not per pixel.
        let scratchCount = widthPlan.mode == .identity ? 0 : inputHeight * outputWidth
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchCount, 1))
        defer { scratch.deallocate() }
        for plane in 0..<planes {
            let source = input + plane * inPlane
            var rows = source
            if widthPlan.mode != .identity {
                resampleRows(source, into: scratch)
                rows = UnsafePointer(scratch)
            }
            combineRows(rows, into: output + plane * outPlane)
        }
    }

    /// Width pass: every input row becomes a row of `outputWidth` samples.
    private func resampleRows(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        let outWidth = outputWidth
        widthPlan.first.withUnsafeBufferPointer { first in
            widthPlan.second.withUnsafeBufferPointer { second in
                if widthPlan.mode == .area {
                    for y in 0..<inputHeight {
                        let row = source + y * inputWidth
                        let out = target + y * outWidth
                        for x in 0..<outWidth {
                            let start = row + first[x]
                            let count = second[x]
                            var sum: Float = 0
                            for k in 0..<count { sum += start[k] }
                            out[x] = sum / Float(count)
                        }
                    }
                    return
                }
                widthPlan.weightFirst.withUnsafeBufferPointer { weightFirst in
                    widthPlan.weightSecond.withUnsafeBufferPointer { weightSecond in
                        for y in 0..<inputHeight {
                            let row = source + y * inputWidth
                            let out = target + y * outWidth
                            for x in 0..<outWidth {
                                out[x] = weightFirst[x] * row[first[x]] + weightSecond[x] * row[second[x]]
                            }
                        }
                    }
                }
            }
        }
    }

    /// Height pass: each output row is a weighted sum of whole input rows, eight samples at a time.
    private func combineRows(_ rows: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        let width = outputWidth
        switch heightPlan.mode {
        case .identity:
            target.update(from: rows, count: width * outputHeight)
        case .area:
            for y in 0..<outputHeight {
                let start = rows + heightPlan.first[y] * width
                averageRows(start, count: heightPlan.second[y], width: width, into: target + y * width)
            }
        case .linear:
            for y in 0..<outputHeight {
                blendRows(rows + heightPlan.first[y] * width, heightPlan.weightFirst[y],
                          rows + heightPlan.second[y] * width, heightPlan.weightSecond[y],
                          width: width, into: target + y * width)
            }
        }
    }

    private func averageRows(_ start: UnsafePointer<Float>, count: Int, width: Int,
                             into out: UnsafeMutablePointer<Float>) {
        let divisor = Float(count)
        var x = 0
        while x + 8 <= width {
            var sum = SIMD8<Float>(repeating: 0)
            for k in 0..<count { sum += load8(start + k * width + x) }
            store8(sum / SIMD8(repeating: divisor), out + x)
            x += 8
        }
        while x < width {
            var sum: Float = 0
            for k in 0..<count { sum += start[k * width + x] }
            out[x] = sum / divisor
            x += 1
        }
    }

    private func blendRows(_ a: UnsafePointer<Float>, _ weightA: Float, _ b: UnsafePointer<Float>, _ weightB: Float,
                           width: Int, into out: UnsafeMutablePointer<Float>) {
        let wa = SIMD8<Float>(repeating: weightA), wb = SIMD8<Float>(repeating: weightB)
        var x = 0
        // Multiply then add, never fused: the same bits on x86 and ARM, whatever the target CPU.
        while x + 8 <= width {
            store8(wa * load8(a + x) + wb * load8(b + x), out + x)
            x += 8
        }
        while x < width {
            out[x] = weightA * a[x] + weightB * b[x]
            x += 1
        }
    }
}

@inline(__always)
func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
}
