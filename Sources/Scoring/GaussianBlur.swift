import CPlatform

/// Separable Gaussian smoothing of a single-channel map: normalised kernel of radius ceil(4 sigma),
/// borders replicated (docs/model-format.md, Scoring step 5). Smoothing turns isolated noisy pixels
/// into low scores while a defect, a coherent region of high error, keeps its peak.
public struct GaussianBlur {
    public let sigma: Float
    public let weights: [Float]          // 2 * radius + 1 taps, summing to 1
    public var radius: Int { weights.count / 2 }

    public init(sigma: Float) {
        self.sigma = sigma
        guard sigma > 0 else { weights = [1]; return }
        let radius = Int((4 * sigma).rounded(.up))
        var w = (-radius...radius).map { Double(expf(-Float($0 * $0) / (2 * sigma * sigma))) }
        let total = w.reduce(0, +)
        for i in w.indices { w[i] /= total }
        weights = w.map { Float($0) }
    }

    /// Floats `apply` needs in `temp`: the horizontal pass's output, then one row padded by the
    /// radius per thread that runs `horizontalPass`.
    public func scratchCount(height: Int, width: Int, threads: Int = 1) -> Int {
        height * width + max(threads, 1) * (width + 2 * radius)
    }

    /// Smooths `map` (height x width) into `out`; `temp` needs `scratchCount(height:width:)` floats.
    /// Both passes sum the taps in order with a separate multiply and add, so every pixel gets the
    /// bits of the plain loop `sum += w[k] * p[clamp(i + k)]` (ScoringTests checks it).
    public func apply(_ map: UnsafePointer<Float>, height: Int, width: Int,
                      into out: UnsafeMutablePointer<Float>, temp: UnsafeMutablePointer<Float>) {
        horizontalPass(map, height: height, width: width, rows: 0..<height, temp: temp, thread: 0)
        verticalPass(temp, height: height, width: width, rows: 0..<height, into: out)
    }

    /// `apply` in two parts, for threads that split the rows: every row of the horizontal pass must
    /// be done before any of the vertical pass starts. Rows `rows` of the horizontal pass into
    /// temp: each row is copied with its end pixels replicated r times (in `thread`'s padded row
    /// of temp), so every output pixel, edges included, is the same clamp-free sum.
    public func horizontalPass(_ map: UnsafePointer<Float>, height: Int, width: Int, rows: Range<Int>,
                               temp: UnsafeMutablePointer<Float>, thread: Int) {
        let r = radius
        let row = temp + height * width + thread * (width + 2 * r)
        weights.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!, taps = wb.count     // tap j weighs the pixel at offset j - r
            for y in rows {
                let src = map + y * width
                row.update(repeating: src[0], count: r)
                (row + r).update(from: src, count: width)
                (row + r + width).update(repeating: src[width - 1], count: r)
                weightedSum(w, taps: taps, width: width, into: temp + y * width) { j in UnsafePointer(row + j) }
            }
        }
    }

    /// Rows `rows` of the vertical pass: whole rows of temp, the row index clamped.
    public func verticalPass(_ temp: UnsafePointer<Float>, height: Int, width: Int, rows: Range<Int>,
                             into out: UnsafeMutablePointer<Float>) {
        let r = radius
        weights.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!, taps = wb.count
            for y in rows {
                weightedSum(w, taps: taps, width: width, into: out + y * width) { j in
                    temp + min(max(y &+ j &- r, 0), height &- 1) &* width   // in range: no overflow checks
                }
            }
        }
    }
}

#if EDGEINSPECT_AVX512
private typealias BlurVector = SIMD16<Float>     // one AVX-512 register (8 lanes: half its width)
#else
private typealias BlurVector = SIMD8<Float>
#endif

/// dst[x] = sum over j of w[j] * source(j)[x], for x in 0..<width. Blocks of 4 vectors of pixels
/// keep four accumulators in registers across all taps: one load and one multiply-add per vector
/// per tap, instead of reloading and storing the output row for every tap. Lanes are independent,
/// so the vector width changes no bit.
@inline(__always)
private func weightedSum(_ w: UnsafePointer<Float>, taps: Int, width: Int, into dst: UnsafeMutablePointer<Float>,
                         source: (Int) -> UnsafePointer<Float>) {
    typealias V = BlurVector
    let l = V.scalarCount
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
    var x = 0
    while x + 4 * l <= width {
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for j in 0..<taps {
            let s = source(j) + x, wj = V(repeating: w[j])
            a0 += wj * load(s)
            a1 += wj * load(s + l)
            a2 += wj * load(s + 2 * l)
            a3 += wj * load(s + 3 * l)
        }
        store(a0, dst + x); store(a1, dst + x + l); store(a2, dst + x + 2 * l); store(a3, dst + x + 3 * l)
        x += 4 * l
    }
    typealias V8 = SIMD8<Float>
    @inline(__always) func load8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
    while x + 8 <= width {
        var a = V8()
        for j in 0..<taps { a += V8(repeating: w[j]) * load8(source(j) + x) }
        UnsafeMutableRawPointer(dst + x).storeBytes(of: a, as: V8.self)
        x += 8
    }
    while x < width {
        var sum: Float = 0
        for j in 0..<taps { sum += w[j] * source(j)[x] }
        dst[x] = sum
        x += 1
    }
}
