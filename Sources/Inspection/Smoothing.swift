import Kernels
import Scoring

/// The anomaly map's blur on the engine's threads. Everything else of a frame's scoring is a pass
/// or two over one plane, but the blur is 2 ceil(4 sigma) + 1 multiply-adds a pixel per pass (33
/// for sigma 4, 129 for sigma 16: 0.46 and 1.9 ms at 512x512 on one core), and on one thread it
/// would leave the others idle after every frame's inference. Threads split the rows; the
/// vertical pass starts once every row of the horizontal one is done. Rows are independent, so
/// the bits are `apply`'s.
extension GaussianBlur {
    func apply(_ map: UnsafePointer<Float>, height: Int, width: Int, into out: UnsafeMutablePointer<Float>,
               temp: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
        guard let pool, pool.size > 1, height > 1 else {
            return apply(map, height: height, width: width, into: out, temp: temp)
        }
        var job = BlurJob(blur: self, map: map, height: height, width: width, out: out, temp: temp, threads: pool.size)
        withUnsafeMutablePointer(to: &job) { job in      // the job (and the blur's weights) outlive both loops
            pool.parallelFor(pool.size, context: job) { context, first, end in
                let job = context!.assumingMemoryBound(to: BlurJob.self)
                for thread in first..<end { job.pointee.horizontal(thread) }
            }
            pool.parallelFor(pool.size, context: job) { context, first, end in
                let job = context!.assumingMemoryBound(to: BlurJob.self)
                for thread in first..<end { job.pointee.vertical(thread) }
            }
        }
    }
}

private struct BlurJob {
    let blur: GaussianBlur
    let map: UnsafePointer<Float>
    let height: Int, width: Int
    let out: UnsafeMutablePointer<Float>, temp: UnsafeMutablePointer<Float>
    let threads: Int

    func rows(_ t: Int) -> Range<Int> { (height * t / threads)..<(height * (t + 1) / threads) }
    func horizontal(_ t: Int) {
        blur.horizontalPass(map, height: height, width: width, rows: rows(t), temp: temp, thread: t)
    }
    func vertical(_ t: Int) { blur.verticalPass(temp, height: height, width: width, rows: rows(t), into: out) }
}
