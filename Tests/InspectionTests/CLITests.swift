import Foundation
import Imaging
import Inspection
import ModelFile
import XCTest

/// Runs the built `edge-inspect` (SwiftPM builds it beside the test bundle) as a user would:
/// exit codes, stdout lines, stderr messages, files written.
struct CLI {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let model = repo.appendingPathComponent("weights/synthetic-texture.eim").path
    static let samples = repo.appendingPathComponent("samples")

    /// SwiftPM builds the executable into the same folder as the test bundle (on Linux,
    /// Bundle.main is that folder; on macOS, the bundle inside it).
    static var binary: URL {
        let here = Bundle.main.bundleURL
        let candidates = [here.appendingPathComponent("edge-inspect"),
                          here.deletingLastPathComponent().appendingPathComponent("edge-inspect")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    struct Run { var code: Int32; var out: String; var err: String }

    static func run(_ args: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(code: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                   err: String(decoding: errData, as: UTF8.self))
    }

    static func sample(_ name: String) -> String { Self.samples.appendingPathComponent(name).path }

    /// `swift build --build-tests` always builds the binary; its absence is a broken build, not a skip.
    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            XCTFail("edge-inspect is not built beside the tests at \(binary.path)")
            throw CocoaError(.fileNoSuchFile)
        }
    }
}

extension XCTestCase {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edge-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// A copy of `model` with metadata entries changed, written to a temporary folder; its path.
    func modelFile(_ model: ModelFile, updating entries: [(key: String, value: MetaValue)]) throws -> String {
        let path = try temporaryDirectory().appendingPathComponent("variant.eim").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(try model.serialized(updating: entries))))
        return path
    }

    /// Uniform random pixels in [0, 1].
    func randomImage(channels c: Int, height h: Int, width w: Int) -> Image {
        var rng = SystemRandomNumberGenerator()
        return Image(width: w, height: h, channels: c, pixels: (0..<(c * h * w)).map { _ in Float.random(in: 0...1, using: &rng) })
    }
}

final class CLITests: XCTestCase {
    override func setUpWithError() throws { try CLI.requireBinary() }
    func run(_ args: [String]) throws -> CLI.Run { try CLI.run(args) }
    func sample(_ name: String) -> String { CLI.sample(name) }

    func testHelpOnEveryCommand() throws {
        for args in [["--help"], ["help"], ["score", "--help"], ["info", "--help"], ["bench", "--help"], ["help", "score"], ["help", "bench"]] {
            let r = try run(args)
            XCTAssertEqual(r.code, 0, "\(args)")
            XCTAssertTrue(r.out.contains("Usage"), "\(args): \(r.out)")
        }
    }

    func testGoodSamplesPassAndDefectsAreFlaggedWithDistinctExitCodes() throws {
        let dir = try temporaryDirectory()
        let good = try run(["score", "--model", CLI.model, "--out-dir", dir.path, sample("good-1.png"), sample("good-2.png")])
        XCTAssertEqual(good.code, 0, good.out + good.err)
        XCTAssertEqual(good.out.split(separator: "\n").filter { $0.contains(" OK ") }.count, 2, good.out)

        let mixed = try run(["score", "--model", CLI.model, "--out-dir", dir.path, sample("good-3.png"), sample("defect-scratch.png")])
        XCTAssertEqual(mixed.code, 1, mixed.out + mixed.err)
        XCTAssertTrue(mixed.out.contains("defect-scratch.png: score"), mixed.out)
        XCTAssertTrue(mixed.out.split(separator: "\n").last!.contains("ANOMALY"), mixed.out)
    }

    func testJSONLinesHeatmapAndRawMap() throws {
        let dir = try temporaryDirectory()
        let r = try run(["score", "--model", CLI.model, "--json", "--raw-map", "--out-dir", dir.path, sample("defect-spot.png")])
        XCTAssertEqual(r.code, 1, r.err)
        let line = try XCTUnwrap(r.out.split(separator: "\n").first)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["anomalous"] as? Bool, true)
        let score = try XCTUnwrap(object["score"] as? Double)
        let threshold = try XCTUnwrap(object["threshold"] as? Double)
        XCTAssertGreaterThan(score, threshold)

        let source = try ImageIO.load(path: sample("defect-spot.png"))
        let heatmap = try ImageIO.load(path: try XCTUnwrap(object["heatmap"] as? String))
        XCTAssertEqual([heatmap.width, heatmap.height, heatmap.channels], [source.width, source.height, 3])

        // The 16-bit map times map_scale gives back the anomaly map; its peak is stored as 65535.
        let map = try ImageIO.load(path: try XCTUnwrap(object["map"] as? String))
        XCTAssertEqual(map.channels, 1)
        let mapScale = try XCTUnwrap(object["map_scale"] as? Double)
        XCTAssertGreaterThan(mapScale, 0)
        XCTAssertEqual(Double(map.pixels.max()!), 1, accuracy: 1.0 / 255, "the map peak is stored at full scale")
    }

    /// With each kernel forced: the per-layer choice by measurement may differ between runs, and the
    /// kernels differ in the last bits.
    func testThreadCountDoesNotChangeScores() throws {
      for kernel in ["direct-oc8", "direct-x16", "winograd-f4x3"] {
        var outputs: [String] = []
        for threads in ["1", "2", "3"] {
            let r = try CLI.run(["score", "--model", CLI.model, "--threads", threads, "--json", "--no-heatmap",
                                 sample("defect-crack.png"), sample("good-2.png")], environment: ["EDGEINSPECT_CONV_KERNEL": kernel])
            XCTAssertEqual(r.code, 1, r.err)
            outputs.append(r.out.split(separator: "\n").map { $0.replacingOccurrences(of: #""ms":[0-9.]+"#, with: "", options: .regularExpression) }.joined())
        }
        XCTAssertEqual(Set(outputs).count, 1, "scores identical at 1, 2 and 3 threads, \(kernel)")
      }
        XCTAssertEqual(try run(["score", "--model", CLI.model, "--threads", "0", sample("good-1.png")]).code, 2)
    }

    func testThresholdOverride() throws {
        let dir = try temporaryDirectory()
        let r = try run(["score", "--model", CLI.model, "--threshold", "1000", "--no-heatmap", "--out-dir", dir.path, sample("defect-scratch.png")])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("threshold 1000.0000 OK"), r.out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [], "--no-heatmap writes nothing")
    }

    func testUnreadableImageIsOneClearLineAndTheOthersAreStillScored() throws {
        let dir = try temporaryDirectory()
        let notAnImage = dir.appendingPathComponent("notes.png")
        try Data("hello".utf8).write(to: notAnImage)
        let r = try run(["score", "--model", CLI.model, "--out-dir", dir.path,
                         dir.appendingPathComponent("missing.jpg").path, notAnImage.path, sample("good-1.png")])
        XCTAssertEqual(r.code, 2)
        let errors = r.err.split(separator: "\n")
        XCTAssertEqual(errors.count, 2, r.err)
        XCTAssertTrue(errors[0].contains("missing.jpg"), r.err)
        XCTAssertTrue(errors[1].contains("notes.png"), r.err)
        XCTAssertTrue(r.out.contains("good-1.png: score"), "the readable image is still scored")
    }

    func testBrokenModelIsOneClearLine() throws {
        let dir = try temporaryDirectory()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: CLI.model))
        bytes[bytes.count / 2] ^= 0x40
        let broken = dir.appendingPathComponent("broken.eim")
        try bytes.write(to: broken)
        for args in [["score", "--model", broken.path, sample("good-1.png")], ["info", broken.path],
                     ["score", "--model", dir.appendingPathComponent("none.eim").path, sample("good-1.png")]] {
            let r = try run(args)
            XCTAssertEqual(r.code, 2, "\(args)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
            XCTAssertTrue(r.err.contains(args.contains("info") ? broken.lastPathComponent : (args[2] as NSString).lastPathComponent), r.err)
        }
        XCTAssertTrue(try run(["info", broken.path]).err.contains("checksum"))
    }

    func testUsageErrors() throws {
        for args in [["score", sample("good-1.png")], ["score", "--model", CLI.model], ["score", "--bogus"],
                     ["score", "--model", CLI.model, "--threshold", "abc", sample("good-1.png")], ["frobnicate"], ["info"]] {
            let r = try run(args)
            XCTAssertEqual(r.code, 2, "\(args)")
            XCTAssertFalse(r.err.isEmpty, "\(args)")
        }
    }

    func testInfoDescribesTheModel() throws {
        let r = try run(["info", CLI.model])
        XCTAssertEqual(r.code, 0, r.err)
        for text in ["model", "conv2d", "mix", "threshold", "GMAC", "parameters"] {
            XCTAssertTrue(r.out.contains(text), "info lacks '\(text)':\n\(r.out)")
        }
    }
}

final class CalibrateCommandTests: XCTestCase {
    override func setUpWithError() throws { try CLI.requireBinary() }
    func goodImages() -> [String] { (1...4).map { CLI.sample("good-\($0).png") } }

    func testCalibrationRescalesSoTheThresholdReadsOne() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("calibrated.eim").path
        // Eight calibration images: the four good samples twice (the rule does not care).
        let r = try CLI.run(["calibrate", "--model", CLI.model, "--out", out, "--quantile", "0.5", "--margin", "2"]
                            + goodImages() + goodImages())
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("expected on new good parts 25.0 % (5-fold cross-validation), at most 54.0 % at 95 % confidence"), r.out)

        func scores(_ model: String) throws -> [String: Double] {
            let s = try CLI.run(["score", "--model", model, "--json", "--no-heatmap", "--out-dir", dir.path]
                                + goodImages() + [CLI.sample("defect-spot.png")])
            var result: [String: Double] = [:]
            for line in s.out.split(separator: "\n") {
                let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                result[(o["image"] as! NSString).lastPathComponent] = o["score"] as? Double
                if model == out { XCTAssertEqual(o["threshold"] as? Double, 1) }
            }
            return result
        }
        let before = try scores(CLI.model), after = try scores(out)
        // threshold = 2 x median of the good scores; new score = old score / threshold.
        let good = goodImages().map { before[($0 as NSString).lastPathComponent]! }.sorted()
        let threshold = 2 * (good[1] + good[2]) / 2
        for (name, old) in before {
            XCTAssertEqual(after[name]!, old / threshold, accuracy: 1e-4 * max(1, old / threshold), name)
        }
        XCTAssertGreaterThan(after["defect-spot.png"]!, 1)
    }

    /// A defective part among the good ones sets the threshold alone: calibrate names it and warns,
    /// and lists the highest-scoring images; eight good images draw no warning.
    func testCalibrationWarnsWhenOneImageSetsTheThreshold() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("calibrated.eim").path
        let slipped = CLI.sample("defect-spot.png")
        let r = try CLI.run(["calibrate", "--model", CLI.model, "--out", out] + goodImages() + goodImages() + [slipped])
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("  highest     defect-spot.png 0.9"), r.out)   // 1 / 1.1, less the quantile's interpolation
        XCTAssertTrue(r.out.contains("warning: \(slipped) alone sets the threshold: it scores "), r.out)
        let clean = try CLI.run(["calibrate", "--model", CLI.model, "--out", out] + goodImages() + goodImages())
        XCTAssertEqual(clean.code, 0, clean.err)
        XCTAssertTrue(clean.out.contains("  highest     good-"), clean.out)
        XCTAssertFalse(clean.out.contains("alone sets the threshold"), clean.out)
    }

    /// A map with its own sigma gets its own threshold by the same rule, on the maps' peaks, and the
    /// heatmap of `score` colours up to twice it; the file's score keys are set as without it.
    func testCalibrationSetsTheMapThresholdOfAMapWithItsOwnSigma() throws {
        let dir = try temporaryDirectory()
        let plain = try Inspector(modelPath: CLI.model, threads: 1)
        let wide = try modelFile(plain.model, updating: [("score.map_sigma", .f32(10))])
        let out = dir.appendingPathComponent("calibrated.eim").path
        let r = try CLI.run(["calibrate", "--model", wide, "--out", out, "--quantile", "0.5", "--margin", "2"]
                            + goodImages() + goodImages())   // the median of the doubled list is the median
        XCTAssertEqual(r.code, 0, r.err)
        XCTAssertTrue(r.out.contains("score.map_threshold"), r.out)

        let inspector = try Inspector(modelPath: wide, threads: 1)
        let peaks = try goodImages().map { path -> Float in
            let result = try inspector.inspect(Inspector.loadImage(path: path))
            return Array(result.map).max()!   // the synthetic model has no score.border
        }.sorted()
        let calibrated = try Inspector(modelPath: out, threads: 1).model.metadata
        XCTAssertEqual(calibrated.mapSigma, 10)
        XCTAssertEqual(calibrated.mapThreshold, 2 * (peaks[1] + peaks[2]) / 2, accuracy: 1e-4 * calibrated.mapThreshold)
        XCTAssertEqual(calibrated.threshold, 1)

        // Without its own sigma, calibrate writes no map threshold: the score's stands for it.
        let r2 = try CLI.run(["calibrate", "--model", CLI.model, "--out", out] + goodImages() + goodImages())
        XCTAssertEqual(r2.code, 0, r2.err)
        let m = try Inspector(modelPath: out, threads: 1).model.metadata
        XCTAssertNil(m.value("score.map_threshold"))
        XCTAssertEqual(m.mapThreshold, m.threshold * m.scoreScale)
    }

    func testCalibrationRefusesTooFewOrUnreadableImagesAndWritesNothing() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("calibrated.eim").path
        for args in [goodImages(),                                            // too few
                     goodImages() + [dir.appendingPathComponent("gone.png").path], // unreadable
                     ["--quantile", "1.5"] + goodImages() + goodImages()] {      // bad rule
            let r = try CLI.run(["calibrate", "--model", CLI.model, "--out", out] + args)
            XCTAssertEqual(r.code, 2, "\(args)")
            XCTAssertFalse(r.err.isEmpty)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written")
        }
    }
}
