import Engine
import Imaging
import Inspection
import ModelFile
import Platform

enum ScoreCommand {
    static let help = """
        edge-inspect score: score images with a model, print one line per image, write heatmaps

        Usage: edge-inspect score --model MODEL [options] IMAGE...

        Options:
          --model FILE       model file (.eim), e.g. weights/synthetic-texture.eim
          --threshold T      decide with T instead of the threshold calibrated into the model
          --json             one JSON object per line (image, score, threshold, anomalous, ms, files)
          --out-dir DIR      write heatmaps into DIR (created if missing) instead of beside each image
          --no-heatmap       write no heatmap
          --raw-map          also write the anomaly map as a 16-bit gray PNG (<name>.map.png) at the
                             model's input size; the JSON/text line gives map_scale: value = pixel * map_scale
          --threads N        threads for the convolutions (default: one per core)
          --reference        run the scalar reference kernels (slow; for checking)
          --fp32             run an int8 model's convolutions in float (also: EDGEINSPECT_FP32=1)
          --help             this text

        Images are PNG or JPEG, any size. An unreadable image prints one line on stderr and the
        others are still scored. Exit codes: 0 all good, 1 an anomaly was found, 2 an error occurred.
        """

    static func run(_ rawArgs: ArraySlice<String>) -> Int32 {
        if rawArgs.contains("--help") { Console.out(help); return ExitCode.ok }
        let args: Arguments
        do {
            args = try Arguments(rawArgs, valueOptions: ["--model", "--threshold", "--out-dir", "--threads"],
                                 flagOptions: ["--json", "--no-heatmap", "--raw-map", "--reference", "--fp32"])
        } catch {
            return usageError(error.message)
        }
        guard let modelPath = args.value("--model") else { return usageError("--model is required") }
        guard !args.positionals.isEmpty else { return usageError("no images given") }
        let threshold: Float?
        do { threshold = try args.float("--threshold") } catch { return usageError(error.message) }
        if let threshold, threshold <= 0 { return usageError("--threshold must be positive") }
        let threads: Int
        do { threads = try args.threads() } catch { return usageError(error.message) }

        let inspector: Inspector
        do {
            inspector = try Inspector(modelPath: modelPath, threshold: threshold,
                                      kernels: args.flag("--reference") ? .reference : .simd, threads: threads,
                                      int8: !args.flag("--fp32"))
        } catch {
            Console.err("edge-inspect: \(error.message)")
            return ExitCode.error
        }
        let outDir = args.value("--out-dir")
        if let outDir {
            do { try FileSystem.makeDirectories(outDir) } catch {
                Console.err("edge-inspect: \(error.message)")
                return ExitCode.error
            }
        }

        var failed = false, anomalous = false
        for path in args.positionals {
            do {
                let result = try scoreOne(path, inspector: inspector, outDir: outDir,
                                          heatmap: !args.flag("--no-heatmap"), rawMap: args.flag("--raw-map"))
                anomalous = anomalous || result.anomalous
                Console.out(args.flag("--json") ? result.json : result.text)
            } catch {
                failed = true
                Console.err("edge-inspect: \(error.message)")
            }
        }
        return failed ? ExitCode.error : (anomalous ? ExitCode.anomalous : ExitCode.ok)
    }

    static func usageError(_ message: String) -> Int32 {
        Console.err("edge-inspect score: \(message)\nRun 'edge-inspect score --help' for usage.")
        return ExitCode.error
    }

    struct Line {
        var image: String, score: Float, threshold: Float, anomalous: Bool, ms: Double
        var width: Int, height: Int
        var heatmap: String?, rawMap: String?, mapScale: Float?

        var text: String {
            var s = "\(image): score \(Format.fixed(Double(score), 4)) threshold \(Format.fixed(Double(threshold), 4)) "
            s += anomalous ? "ANOMALY" : "OK"
            s += " (\(width)x\(height), \(Format.fixed(ms, 1)) ms)"
            if let heatmap { s += " heatmap \(heatmap)" }
            if let rawMap, let mapScale { s += " map \(rawMap) map_scale \(Format.general(Double(mapScale), 9))" }
            return s
        }

        var json: String {
            var s = "{\"image\":\(Format.jsonString(image)),\"score\":\(Format.general(Double(score), 9))"
            s += ",\"threshold\":\(Format.general(Double(threshold), 9)),\"anomalous\":\(anomalous)"
            s += ",\"width\":\(width),\"height\":\(height),\"ms\":\(Format.fixed(ms, 3))"
            if let heatmap { s += ",\"heatmap\":\(Format.jsonString(heatmap))" }
            if let rawMap, let mapScale {
                s += ",\"map\":\(Format.jsonString(rawMap)),\"map_scale\":\(Format.general(Double(mapScale), 9))"
            }
            return s + "}"
        }
    }

    static func scoreOne(_ path: String, inspector: Inspector, outDir: String?,
                         heatmap: Bool, rawMap: Bool) throws(InspectionError) -> Line {
        let image = try Inspector.loadImage(path: path)
        let result = try inspector.inspect(image)
        var line = Line(image: path, score: result.score, threshold: result.threshold, anomalous: result.anomalous,
                        ms: Double(result.nanoseconds) / 1e6, width: image.width, height: image.height)
        let base = Path.join(outDir ?? Path.directory(path), Path.stem(path))
        do throws(ImageError) {
            if heatmap {
                let file = base + ".heatmap.png"
                // The colour scale ends at twice the threshold, so the threshold always sits mid-scale
                // and heatmaps of different images compare at a glance.
                let picture = result.map.withUnsafeBufferPointer {
                    Heatmap.render(map: $0, mapWidth: result.mapWidth, mapHeight: result.mapHeight,
                                   over: image, maxValue: 2 * result.mapThreshold, alpha: 0.5)
                }
                try ImageIO.savePNG(picture, path: file)
                line.heatmap = file
            }
            if rawMap {
                let file = base + ".map.png"
                let peak = max(result.map.max() ?? 0, Float.leastNormalMagnitude)
                let scale = peak / 65535
                try result.map.withUnsafeBufferPointer { (map) throws(ImageError) in
                    try ImageIO.saveGray16PNG(map, width: result.mapWidth, height: result.mapHeight,
                                              scale: 1 / scale, path: file)
                }
                line.rawMap = file
                line.mapScale = scale
            }
        } catch {
            throw InspectionError(error.message)
        }
        return line
    }
}
