import Engine
import ModelFile
import Platform

/// min / median / p99 of a series of times in milliseconds (p99 by nearest rank).
struct Latency {
    var min = 0.0, median = 0.0, p99 = 0.0

    init() {}

    init(_ values: [Double]) {
        guard !values.isEmpty else { return }
        let sorted = values.sorted()
        let n = sorted.count
        min = sorted[0]
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        p99 = sorted[Swift.min(n - 1, (99 * n + 99) / 100 - 1)]
    }

    var text: String { "min \(Format.fixed(min, 2))  median \(Format.fixed(median, 2))  p99 \(Format.fixed(p99, 2)) ms" }
    var json: String { "{\"min\":\(Format.fixed(min, 4)),\"median\":\(Format.fixed(median, 4)),\"p99\":\(Format.fixed(p99, 4))}" }
}

struct LayerTime {
    let report: LayerReport
    let ms: Double                         // median over the profiled runs

    var gflops: Double { ms > 0 ? 2 * Double(report.macs) / (ms * 1e6) : 0 }
}

/// What `bench` measured, printed as a table or as one JSON object (the tools/ benchmark's input).
struct BenchReport {
    var modelPath = "", clock = "wall"
    let width: Int, height: Int, threads: Int
    var loadMs = 0.0, firstFrameMs = 0.0
    var frame = Latency(), inference = Latency()
    var map: Latency? = nil                // the map's own smoothing (score.map_sigma), where it has one
    var macs = 0, activationBytes = 0, peakRSS = 0
    var layers: [LayerTime] = []

    init(width: Int, height: Int, threads: Int) {
        (self.width, self.height, self.threads) = (width, height, threads)
    }

    /// Direct-convolution FLOP per median inference.
    var gflops: Double { inference.median > 0 ? 2 * Double(macs) / (inference.median * 1e6) : 0 }

    var text: String {
        var lines = [
            "model      \(modelPath), input \(width)x\(height), \(threads) thread\(threads == 1 ? "" : "s"), \(clock) clock",
            "load       \(Format.fixed(loadMs, 2)) ms (open, parse, compile); first frame \(Format.fixed(firstFrameMs, 1)) ms (plans buffers, picks kernels)",
            "frame      \(frame.text)  (frame -> score, as `watch` runs it)",
        ] + (map.map { ["map        \($0.text)  (the map's own smoothing: heatmaps, alerts)"] } ?? []) + [
            "inference  \(inference.text)",
            "compute    \(Format.fixed(Double(macs) / 1e9, 3)) GMAC; \(Format.fixed(gflops, 1)) GFLOP/s at the median (direct-convolution count)",
            "memory     peak RSS \(Format.fixed(Double(peakRSS) / 1048576, 1)) MiB; activations planned \(Format.fixed(Double(activationBytes) / 1048576, 1)) MiB",
            "layers     step  op                 output          kernel          ms    GFLOP/s  detail",
        ]
        let total = layers.reduce(0) { $0 + $1.ms }
        for layer in layers {
            let r = layer.report
            var line = "           " + pad("%\(r.step)", 5) + " " + pad(r.op, 18) + " "
            line += pad("\(r.output.channels)x\(r.output.height)x\(r.output.width)", 15) + " "
            line += pad(r.kernel?.rawValue ?? "-", 12) + " " + padLeft(Format.fixed(layer.ms, 3), 8)
            line += " " + padLeft(r.macs > 0 ? Format.fixed(layer.gflops, 1) : "", 9) + "  " + r.detail
            lines.append(line)
        }
        lines.append("           total of medians \(Format.fixed(total, 2)) ms")
        return lines.joined(separator: "\n")
    }

    var json: String {
        var s = "{\"model\":\(Format.jsonString(modelPath)),\"width\":\(width),\"height\":\(height),\"threads\":\(threads),\"clock\":\"\(clock)\""
        s += ",\"load_ms\":\(Format.fixed(loadMs, 4)),\"first_frame_ms\":\(Format.fixed(firstFrameMs, 4))"
        s += ",\"frame_ms\":\(frame.json),\"map_ms\":\(map?.json ?? "null"),\"inference_ms\":\(inference.json)"
        s += ",\"macs\":\(macs),\"gflops\":\(Format.fixed(gflops, 3))"
        s += ",\"peak_rss_bytes\":\(peakRSS),\"activation_bytes\":\(activationBytes),\"layers\":["
        s += layers.map { layer in
            let r = layer.report
            var o = "{\"step\":\(r.step),\"op\":\(Format.jsonString(r.op))"
            o += ",\"output\":[\(r.output.channels),\(r.output.height),\(r.output.width)]"
            o += ",\"kernel\":" + (r.kernel.map { Format.jsonString($0.rawValue) } ?? "null")
            o += ",\"ms\":\(Format.fixed(layer.ms, 4)),\"macs\":\(r.macs),\"gflops\":\(Format.fixed(layer.gflops, 3))"
            return o + ",\"detail\":\(Format.jsonString(r.detail))}"
        }.joined(separator: ",")
        return s + "]}"
    }

    private func pad(_ s: String, _ n: Int) -> String {
        let count = s.utf8.count
        return count >= n ? s : s + String(repeating: " ", count: n - count)
    }

    private func padLeft(_ s: String, _ n: Int) -> String {
        let count = s.utf8.count
        return count >= n ? s : String(repeating: " ", count: n - count) + s
    }
}
