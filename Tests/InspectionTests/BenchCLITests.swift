import Foundation
import XCTest

/// `edge-inspect bench`: the JSON object the tools/ benchmark parses, forced kernels, usage errors.
/// Checks structure and consistency only; timings are never asserted.
final class BenchCLITests: XCTestCase {
    override func setUpWithError() throws { try CLI.requireBinary() }

    func bench(_ extra: [String], model: String = CLI.model, environment: [String: String] = [:]) throws -> [String: Any] {
        let r = try CLI.run(["bench", "--model", model, "--size", "37x50", "--iterations", "3", "--warmup", "1",
                             "--threads", "2", "--json"] + extra, environment: environment)
        XCTAssertEqual(r.code, 0, r.err)
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8))
        return try XCTUnwrap(object as? [String: Any], r.out)
    }

    func testJSONReportIsComplete() throws {
        let o = try bench([])
        XCTAssertEqual(o["width"] as? Int, 50)
        XCTAssertEqual(o["height"] as? Int, 37)
        XCTAssertEqual(o["threads"] as? Int, 2)
        for key in ["load_ms", "first_frame_ms", "gflops"] { XCTAssertGreaterThan(o[key] as? Double ?? 0, 0, key) }
        XCTAssertGreaterThan(o["peak_rss_bytes"] as? Int ?? 0, 0)
        for key in ["frame_ms", "inference_ms"] {
            let l = try XCTUnwrap(o[key] as? [String: Double], key)
            XCTAssertLessThanOrEqual(l["min"]!, l["median"]!, key)
            XCTAssertLessThanOrEqual(l["median"]!, l["p99"]!, key)
        }
        let layers = try XCTUnwrap(o["layers"] as? [[String: Any]])
        let convs = layers.filter { $0["op"] as? String == "conv2d" }
        XCTAssertFalse(convs.isEmpty)
        XCTAssertEqual(convs.map { $0["macs"] as! Int }.reduce(0, +), o["macs"] as? Int, "per-layer MACs add up")
        for conv in convs {
            XCTAssertTrue(["direct-oc8", "direct-x16", "winograd-f4x3"].contains(conv["kernel"] as? String), "\(conv)")
        }
        XCTAssertTrue(layers.filter { $0["op"] as? String != "conv2d" }.allSatisfy { $0["kernel"] is NSNull })
        XCTAssertTrue(o["map_ms"] is NSNull, "this model's map is its score's: no smoothing of its own")
    }

    /// A model whose map has its own sigma reports that smoothing apart from the frame (`watch`
    /// does it only for frames that alert).
    func testMapWithItsOwnSmoothingIsTimedApart() throws {
        let o = try bench([], model: CLI.repo.appendingPathComponent("weights/magnetic-tile.eim").path)
        for key in ["frame_ms", "map_ms"] {
            let l = try XCTUnwrap(o[key] as? [String: Double], key)
            XCTAssertGreaterThan(l["min"]!, 0, key)
            XCTAssertLessThanOrEqual(l["min"]!, l["median"]!, key)
            XCTAssertLessThanOrEqual(l["median"]!, l["p99"]!, key)
        }
    }

    func testForcedKernelShowsWhereItApplies() throws {
        let viaFlag = try bench(["--kernel", "winograd-f4x3"])
        let viaEnvironment = try bench([], environment: ["EDGEINSPECT_CONV_KERNEL": "winograd-f4x3"])
        for o in [viaFlag, viaEnvironment] {
            let convs = (o["layers"] as! [[String: Any]]).filter { $0["op"] as? String == "conv2d" }
            for conv in convs {
                let detail = conv["detail"] as! String
                let eligible = detail.hasPrefix("k3x3 s1 d1")
                XCTAssertEqual(conv["kernel"] as? String, eligible ? "winograd-f4x3" : "direct-oc8", detail)
            }
        }
    }

    func testUsageErrors() throws {
        for args in [["--kernel", "fast"], ["--size", "12"], ["--size", "8x8", "--image", "x.png"], ["--iterations", "0"],
                     ["--clock", "sundial"], ["extra"]] {
            let r = try CLI.run(["bench", "--model", CLI.model] + args)
            XCTAssertEqual(r.code, 2, "\(args)")
            XCTAssertFalse(r.err.isEmpty, "\(args)")
        }
        let r = try CLI.run(["score", "--model", CLI.model, CLI.sample("good-1.png")], environment: ["EDGEINSPECT_CONV_KERNEL": "bogus"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.contains("EDGEINSPECT_CONV_KERNEL"), r.err)
    }
}
