import Engine
import Foundation
import Kernels
import ModelFile
import XCTest

/// The engine's int8 path on a model with every op: which convolutions run in int8, that every
/// kernel path gives the same result bit for bit, and how far int8 is from float.
final class Int8EngineTests: XCTestCase {
    /// The i8 convolutions of ModelBuilder.allOps are nodes 0, 1 and 3.
    static let int8Nodes = [0, 1, 3]

    func model() throws -> LoadedModel {
        let base = ModelBuilder.allOps(channels: 1, dtype: .i8)
        var scales = [Float](repeating: 0, count: base.nodes.count)
        // Inputs are about ±2 (normalised), later activations about ±1.5.
        for (node, bound) in zip(Int8EngineTests.int8Nodes, [Float(2.5), 1.5, 2.0]) { scales[node] = bound / 127 }
        return try LoadedModel(base.bytes(extra: [(ModelFile.activationScalesKey, MetaValue.f32Array(scales))]))
    }

    func input(_ h: Int, _ w: Int) -> [Float] {
        var b = ModelBuilder()
        return b.random(h * w, scale: 2)
    }

    func testInt8RunsTheMarkedConvolutionsAndCanBeSwitchedOff() throws {
        let loaded = try model()
        let engine = Engine(model: loaded.model)
        XCTAssertEqual(engine.int8Convolutions.count, 3)
        XCTAssertEqual(engine.int8Convolutions.path, Int8KernelPath.best.name)
        XCTAssertEqual(Engine(model: loaded.model, int8: false).int8Convolutions.count, 0)
        XCTAssertEqual(Engine(model: loaded.model, kernels: .reference).int8Convolutions.count, 0)
        setenv("EDGEINSPECT_FP32", "1", 1)
        defer { unsetenv("EDGEINSPECT_FP32") }
        XCTAssertEqual(Engine(model: loaded.model).int8Convolutions.count, 0)
    }

    func testEveryKernelPathGivesIdenticalOutput() throws {
        let loaded = try model()
        let (h, w) = (13, 30)
        let x = input(h, w)
        let paths = Int8KernelPath.all.filter(\.isSupported)
        var results: [String: [Float]] = [:]
        for path in paths {
            setenv("EDGEINSPECT_I8_PATH", path.name, 1)
            // The float layers' kernel is fixed: chosen by timing, it could differ between engines
            // and change the output in the last bits.
            let engine = Engine(model: loaded.model, threads: 2, policy: .force(.direct))
            XCTAssertEqual(engine.int8Convolutions.path, path.name)
            results[path.name] = try run(engine, x, h, w)
        }
        unsetenv("EDGEINSPECT_I8_PATH")
        let portable = try XCTUnwrap(results["portable"])
        for (name, out) in results { XCTAssertEqual(out, portable, "\(name) vs portable") }
    }

    /// Bound: the int8 output stays within 3 % of the float output's range at every pixel on this
    /// random-weight model (measured: 0.4-0.8 %); it must also differ (int8 really ran).
    func testInt8StaysCloseToFloat() throws {
        let loaded = try model()
        for (h, w) in [(5, 7), (16, 16), (13, 30)] {
            let x = input(h, w)
            let int8 = try run(Engine(model: loaded.model), x, h, w)
            let float = try run(Engine(model: loaded.model, int8: false), x, h, w)
            let range = float.map { abs($0) }.max()!
            let diff = zip(int8, float).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            print("int8 vs float \(h)x\(w): max |diff| \(diff), output range \(range)")
            XCTAssertLessThan(diff, 0.03 * range, "\(h)x\(w)")
            XCTAssertGreaterThan(diff, 0, "\(h)x\(w): identical to float, so int8 did not run")
        }
    }

    func run(_ engine: Engine, _ input: [Float], _ h: Int, _ w: Int) throws -> [Float] {
        var out = [Float](repeating: .nan, count: input.count)
        try engine.reconstruct(input, height: h, width: w, into: &out)
        return out
    }
}
