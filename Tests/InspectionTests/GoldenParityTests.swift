import Engine
import Foundation
import Imaging
import Inspection
import XCTest

/// The exporter writes, for each shipped model, golden arrays computed by PyTorch (tools/edgeinspect/golden.py):
/// the model-input image, the reconstruction, the raw and smoothed error maps and the score. The Swift
/// runtime must reproduce them: fp32 models within 1e-4 max abs error; int8 models the same against a
/// golden computed by PyTorch emulating the runtime's int8 arithmetic (graph.int8_conv: so the int8
/// kernels add no error of their own), and within the documented bound of weights/README.md against
/// the fp32 golden.
final class GoldenParityTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Golden {
        var arrays: [String: (dims: [Int], values: [Float])] = [:]

        init(contentsOf url: URL) throws {
            let data = try Data(contentsOf: url)
            func u32(_ at: Int) -> Int { Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }) }
            guard data.count >= 16, String(decoding: data.prefix(8), as: UTF8.self) == "EIGOLDEN", u32(8) == 1 else {
                throw CocoaError(.fileReadCorruptFile)
            }
            var offset = 16
            for _ in 0..<u32(12) {
                let name = String(decoding: data[offset..<(offset + 32)].prefix { $0 != 0 }, as: UTF8.self)
                let rank = u32(offset + 32)
                let dims = (0..<rank).map { u32(offset + 36 + 4 * $0) }
                offset += 52
                let count = dims.reduce(1, *)
                let values = data.withUnsafeBytes { raw in
                    (0..<count).map { raw.loadUnaligned(fromByteOffset: offset + 4 * $0, as: Float.self) }
                }
                offset += 4 * count
                arrays[name] = (dims, values)
            }
        }

        subscript(_ name: String) -> [Float] { arrays[name]?.values ?? [] }
    }

    func goldenFiles() throws -> [URL] {
        let dir = Self.repo.appendingPathComponent("weights/golden")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "golden" }.sorted { $0.path < $1.path }
        XCTAssertFalse(files.isEmpty, "no golden files in \(dir.path)")
        return files
    }

    /// weights/golden/NAME[.k].golden belongs to weights/NAME.eim.
    func modelPath(for golden: URL) -> String {
        let stem = golden.deletingPathExtension().lastPathComponent
        let name = stem.split(separator: ".").first.map(String.init) ?? stem
        return Self.repo.appendingPathComponent("weights/\(name).eim").path
    }

    func maxAbs<A: Collection<Float>>(_ a: A, _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    func testRuntimeReproducesPyTorchGoldens() throws {
        for url in try goldenFiles() {
          // Every fp32 conv kernel, whichever the per-layer measurement picks on a given machine.
          for policy in [ConvKernelPolicy.force(.direct), .force(.directX16), .force(.winograd)] {
            let golden = try Golden(contentsOf: url)
            let inspector = try Inspector(modelPath: modelPath(for: url), policy: policy)
            let dims = try XCTUnwrap(golden.arrays["image"]?.dims)
            let image = Image(width: dims[2], height: dims[1], channels: dims[0], pixels: golden["image"])
            let result = try inspector.inspect(modelInput: image)
            let name = "\(url.lastPathComponent) \(policy)"
            XCTAssertLessThan(maxAbs(result.reconstruction, golden["recon"]), 1e-4, "\(name): reconstruction")
            XCTAssertLessThan(maxAbs(result.error, golden["error"]), 1e-4, "\(name): error map")
            XCTAssertLessThan(maxAbs(result.map, golden["map"]), 1e-4, "\(name): smoothed map")
            let score = try XCTUnwrap(golden["score"].first)
            XCTAssertEqual(result.score, score, accuracy: max(1e-4, 1e-4 * abs(score)), "\(name): score")
          }
        }
    }

    /// The int8 model run by Swift against the fp32 model's PyTorch golden: the error int8 costs,
    /// weights and (since the file carries quant.act_scales) int8 activations. Bounds (documented in
    /// weights/README.md): reconstruction 0.25 normalised units at the worst pixel, smoothed map 1e-3,
    /// score 2% relative. Measured on the shipped model's two golden crops: 0.159 / 0.168, 6.4e-4 /
    /// 3.2e-4, -1.0% / -0.05% (int8 weights alone, dequantised to float: 0.030, 9.7e-5, 0.02%).
    /// Quantising activations moves single pixels of the reconstruction; the map, smoothed, and the
    /// score move little (the detection metrics on held-out images are in weights/README.md).
    func testInt8ModelsStayWithinTheDocumentedBoundOfFP32() throws {
        let int8Goldens = try goldenFiles().filter { modelPath(for: $0).hasSuffix("-int8.eim") }
        XCTAssertFalse(int8Goldens.isEmpty, "an int8 model is shipped")
        for url in int8Goldens {
            let fp32URL = url.deletingLastPathComponent()
                .appendingPathComponent(url.lastPathComponent.replacingOccurrences(of: "-int8", with: ""))
            let fp32 = try Golden(contentsOf: fp32URL)
            let dims = try XCTUnwrap(fp32.arrays["image"]?.dims)
            let image = Image(width: dims[2], height: dims[1], channels: dims[0], pixels: fp32["image"])
            let result = try Inspector(modelPath: modelPath(for: url)).inspect(modelInput: image)
            let name = url.lastPathComponent
            XCTAssertLessThan(maxAbs(result.reconstruction, fp32["recon"]), 0.25, "\(name): reconstruction")
            XCTAssertLessThan(maxAbs(result.map, fp32["map"]), 1e-3, "\(name): smoothed map")
            let score = try XCTUnwrap(fp32["score"].first)
            XCTAssertEqual(result.score, score, accuracy: 0.02 * score, "\(name): score")
        }
    }
}
