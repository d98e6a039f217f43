import Imaging
import Inspection
import ModelFile
import Platform
import Scoring

enum CalibrateCommand {
    static let help = """
        edge-inspect calibrate: set a model's threshold from images of good parts only

        Usage: edge-inspect calibrate --model MODEL --out OUT [--quantile Q] [--margin M] [--threads N] GOOD_IMAGE...

        Scores the good images and writes OUT, a copy of MODEL whose threshold is
            margin x quantile Q of the good scores    (Q 0.99, margin 1.1 unless given)
        with the score rescaled so that this threshold reads 1.0: a score of 0.5 is half-way to a
        reject on every calibrated model. A model whose map has its own smoothing (score.map_sigma)
        also gets score.map_threshold by the same rule on the maps' maxima: heatmaps colour up to
        twice it. Prints the expected false-reject rate, estimated by
        5-fold cross-validation over the good images.

        Use good parts the model was NOT trained on, from the same camera and lighting as the line:
        the network reconstructs its training images better than new parts, so those would set the
        threshold too low. At least 20 images; 100 or more for a 0.99 quantile to mean something.
        OUT may be MODEL itself; it is replaced atomically.
        Exit codes: 0 written, 2 error.
        """

    static let minimumImages = 5

    static func run(_ rawArgs: ArraySlice<String>) -> Int32 {
        if rawArgs.contains("--help") { Console.out(help); return ExitCode.ok }
        let args: Arguments
        do {
            args = try Arguments(rawArgs, valueOptions: ["--model", "--out", "--quantile", "--margin", "--threads"], flagOptions: [])
        } catch {
            return usageError(error.message)
        }
        guard let modelPath = args.value("--model") else { return usageError("--model is required") }
        guard let outPath = args.value("--out") else { return usageError("--out is required") }
        var rule = Calibration()
        do {
            rule.quantile = try args.float("--quantile") ?? rule.quantile
            rule.margin = try args.float("--margin") ?? rule.margin
        } catch {
            return usageError(error.message)
        }
        guard rule.quantile > 0, rule.quantile <= 1 else { return usageError("--quantile must be in (0, 1]") }
        guard rule.margin >= 1 else { return usageError("--margin must be at least 1") }
        guard args.positionals.count >= minimumImages else {
            return usageError("give at least \(minimumImages) good images (\(args.positionals.count) given)")
        }

        let threads: Int
        do { threads = try args.threads() } catch { return usageError(error.message) }
        let inspector: Inspector
        do { inspector = try Inspector(modelPath: modelPath, threads: threads) } catch {
            Console.err("edge-inspect: \(error.message)")
            return ExitCode.error
        }
        // Scores in the file's current units; every image must be usable, or the threshold is
        // silently set from fewer parts than the user thinks.
        let m = inspector.model.metadata
        var scores: [Float] = [], mapPeaks: [Float] = []
        for path in args.positionals {
            do {
                let result = try inspector.inspect(Inspector.loadImage(path: path))
                scores.append(result.score)
                if m.mapHasOwnSigma {
                    mapPeaks.append(result.map.withUnsafeBufferPointer {
                        reduce($0.baseAddress!, height: result.mapHeight, width: result.mapWidth, border: m.scoreBorder, .max)
                    })
                }
            } catch {
                Console.err("edge-inspect: \(error.message)")
                return ExitCode.error
            }
        }

        let threshold = rule.threshold(goodScores: scores)
        guard threshold > 0, threshold.isFinite else {
            Console.err("edge-inspect: the good images score \(threshold); cannot set a threshold from them")
            return ExitCode.error
        }
        let newScale = m.scoreScale * threshold    // new score = old score / threshold
        var updates: [(key: String, value: MetaValue)] = [
            ("score.scale", .f32(newScale)),
            ("score.threshold", .f32(1)),
            ("calib.method", .string("edge-inspect calibrate: threshold = \(Format.general(Double(rule.margin), 4)) x quantile \(Format.general(Double(rule.quantile), 4)) (linear) of \(scores.count) good scores; score rescaled so the threshold is 1")),
            ("calib.images", .u32(UInt32(scores.count))),
            ("calib.quantile", .f32(rule.quantile)),
            ("calib.margin", .f32(rule.margin)),
        ]
        let mapThreshold = m.mapHasOwnSigma ? rule.threshold(goodScores: mapPeaks) : 0
        if m.mapHasOwnSigma {
            guard mapThreshold > 0, mapThreshold.isFinite else {
                Console.err("edge-inspect: the good images' maps peak at \(mapThreshold); cannot set score.map_threshold")
                return ExitCode.error
            }
            updates.append(("score.map_threshold", .f32(mapThreshold)))
        }
        let bytes: [UInt8]
        do { bytes = try inspector.model.serialized(updating: updates) } catch {
            Console.err("edge-inspect: cannot calibrate: \(error.message)")
            return ExitCode.error
        }
        do { try FileSystem.replace(outPath, with: bytes) } catch {
            Console.err("edge-inspect: \(error.message)")
            return ExitCode.error
        }

        let normalised = scores.map { $0 / threshold }.sorted()
        let estimated = rule.estimatedFalseRejectRate(goodScores: scores)
        Console.out("calibrated \(outPath) from \(scores.count) good images")
        Console.out("  threshold   \(Format.general(Double(rule.margin), 4)) x quantile \(Format.general(Double(rule.quantile), 4)) = \(Format.general(Double(threshold), 6)) in \(modelPath)'s units; now 1.0 (score.scale \(Format.general(Double(newScale), 6)))")
        if m.mapHasOwnSigma {
            Console.out("  map         \(Format.general(Double(rule.margin), 4)) x quantile of the good maps' peaks = \(Format.general(Double(mapThreshold), 6)) (score.map_threshold; heatmaps colour up to twice it)")
        }
        Console.out("  good scores min \(Format.fixed(Double(normalised.first!), 3)) median \(Format.fixed(Double(normalised[normalised.count / 2]), 3)) max \(Format.fixed(Double(normalised.last!), 3)) (in the new units)")
        Console.out("  false rejects on these images \(Format.fixed(100 * Double(Calibration.rejectedFraction(normalised, threshold: 1)), 1)) %; expected on new good parts \(Format.fixed(100 * Double(estimated), 1)) % (5-fold cross-validation), at most \(Format.fixed(100 * Double(Calibration.falseRejectUpperBound(rate: estimated, images: scores.count)), 1)) % at 95 % confidence")
        let highest = scores.indices.sorted { scores[$0] > scores[$1] }.prefix(3)
        Console.out("  highest     " + highest.map { "\(Path.fileName(args.positionals[$0])) \(Format.fixed(Double(scores[$0] / threshold), 3))" }
            .joined(separator: ", ") + " (look at these first if good parts get rejected)")
        if let lone = Calibration.loneOutlier(scores) {
            Console.out("  warning: \(args.positionals[lone.index]) alone sets the threshold: it scores \(Format.fixed(Double(lone.ratio), 1))x the next image. If it is a good part, calibrate with more parts like it; if it is not (a defect, another product, a bad photo), leave it out.")
        }
        if scores.count < 20 {
            Console.out("  warning: \(scores.count) images is few; the estimate is coarse (one image is \(Format.fixed(100 / Double(scores.count), 0)) %)")
        }
        return ExitCode.ok
    }

    static func usageError(_ message: String) -> Int32 {
        Console.err("edge-inspect calibrate: \(message)\nRun 'edge-inspect calibrate --help' for usage.")
        return ExitCode.error
    }
}
