@testable import Engine
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

    /// A float layer upstream of an int8 convolution never offers Winograd to the measurement: its
    /// other last bits would reach the quantiser and move the score (KernelSelection.swift). A float
    /// layer after the int8 ones, or in a model run in float, still may.
    func testFloatLayersFeedingInt8LeaveWinogradOutOfTheMeasurement() throws {
        var b = ModelBuilder()
        let first = b.conv(0, in: 1, out: 8)                     // float 3x3 stride 1: Winograd-eligible
        let relu = b.node(.relu, [first])
        let q = b.conv(relu, in: 8, out: 8, dtype: .i8)
        b.conv(q, in: 8, out: 1)                                  // float, after the int8 layer
        let loaded = try LoadedModel(b.bytes(extra: [(ModelFile.activationScalesKey,
                                                      MetaValue.f32Array([0, 0, 2.0 / 127, 0]))]))
        let engine = Engine(model: loaded.model)
        XCTAssertEqual(engine.int8Convolutions.count, 1)
        XCTAssertEqual(Engine.feedsInt8(engine.steps), [true, true, false, false])
        let w = ConvKernel.winograd, x = ConvKernel.directX16, d = ConvKernel.direct
        func measured(_ engine: Engine, _ step: Int) -> [ConvKernel] {
            guard case .conv(let layer) = engine.steps[step].kind else { return [] }
            return engine.measuredKernels(layer, feedsInt8: Engine.feedsInt8(engine.steps)[step])
        }
        XCTAssertEqual(measured(engine, 0), [d, x])
        XCTAssertEqual(measured(engine, 3), [d, x, w])
        XCTAssertEqual(measured(Engine(model: loaded.model, int8: false), 0), [d, x, w])
        let kernels = try engine.layerReports(height: 16, width: 16).map { $0.kernel }
        XCTAssertNotEqual(kernels[0], w)
        XCTAssertEqual(kernels[2], .int8)
        // Forcing Winograd still forces it: the variable is for comparisons.
        XCTAssertEqual(try Engine(model: loaded.model, policy: .force(.winograd)).layerReports(height: 16, width: 16)[0].kernel, w)
    }

    func run(_ engine: Engine, _ input: [Float], _ h: Int, _ w: Int) throws -> [Float] {
        var out = [Float](repeating: .nan, count: input.count)
        try engine.reconstruct(input, height: h, width: w, into: &out)
        return out
    }
}
