import XCTest
@testable import ModelFile

final class TensorTests: XCTestCase {
    let valid = Samples.full().bytes

    /// The valid file with tensor `index`'s table entry edited (checksum recomputed).
    func withEntry(_ index: Int, _ edit: (inout [UInt8], Int) -> Void) -> [UInt8] {
        edited(valid) { bytes in edit(&bytes, Int(get64(valid, HeaderField.tableOffset)) + 96 * index) }
    }

    func testEntryFields() {
        assertRejected(withEntry(0) { $0[$1 + 32] = 3 }, .badTensor, "tensor 0 'enc1.weight': dtype is 3")
        assertRejected(withEntry(0) { $0[$1 + 33] = 0 }, .badTensor, "rank is 0")
        assertRejected(withEntry(0) { $0[$1 + 33] = 5 }, .badTensor, "rank is 5")
        assertRejected(withEntry(0) { $0[$1 + 34] = 1 }, .badTensor, "reserved fields must be 0")
        assertRejected(withEntry(0) { $0[$1 + 52] = 1 }, .badTensor, "reserved fields must be 0")
        assertRejected(withEntry(0) { $0[$1 + 95] = 1 }, .badTensor, "reserved fields must be 0")
        assertRejected(withEntry(1) { put32(&$0, $1 + 36, 0) }, .badTensor, "tensor 1 'enc1.bias': dims[0] is 0; it must be 1...65536")
        assertRejected(withEntry(1) { put32(&$0, $1 + 36, 65537) }, .badTensor, "dims[0] is 65537")
        assertRejected(withEntry(1) { put32(&$0, $1 + 40, 1) }, .badTensor, "dims[1] is 1; it must be 0 past the rank (1)")
        // 65536^4 elements overflow 64 bits; the product must be checked, not wrap to a small number.
        assertRejected(withEntry(0) { for axis in 0..<4 { put32(&$0, $1 + 36 + 4 * axis, 65536) } }, .badTensor, "too many elements")
        assertRejected(withEntry(0) { put64(&$0, $1 + 64, 140) }, .badTensor, "byte size is 140 but shape [4,1,3,3] of f32 needs 36 × 4 bytes")
        assertRejected(withEntry(0) { $0[$1 + 32] = 1 }, .badTensor, "of f16 needs")   // same bytes, other dtype
    }

    func testNames() {
        assertRejected(withEntry(0) { $0[$1 + 20] = UInt8(ascii: "x") }, .badTensor, "tensor 0: name has bytes after its NUL terminator")
        assertRejected(withEntry(0) { $0[$1] = 0xFF }, .badTensor, "tensor 0: name is not valid UTF-8")
        var spec = Samples.full()
        spec.tensors[0].name = String(repeating: "w", count: 32)          // exactly fills the field
        XCTAssertEqual(try load(spec.bytes).tensors[0].name, String(repeating: "w", count: 32))
    }

    func testPayloadPlacement() {
        assertRejected(withEntry(0) { put64(&$0, $1 + 56, get64($0, $1 + 56) + 4) }, .badTensor,
                       "tensor 0 'enc1.weight': payload offset 4 is not a multiple of 64")
        let dataSize = get64(valid, HeaderField.dataSize)
        assertRejected(withEntry(5) { put64(&$0, $1 + 56, (dataSize + 63) / 64 * 64) }, .badTensor, "lies outside the")
        // offset + size wraps 64 bits.
        assertRejected(withEntry(0) { put64(&$0, $1 + 56, UInt64.max - 63) }, .badTensor, "lies outside the")
    }

    func testScaleFields() {
        assertRejected(withEntry(2) { put64(&$0, $1 + 80, 7) }, .badTensor, "tensor 2 'enc2.weight': i8 tensor has 7 scales; it needs one per output channel, dims[0] = 8")
        assertRejected(withEntry(2) { put64(&$0, $1 + 72, get64($0, $1 + 72) + 8) }, .badTensor, "scales offset")
        assertRejected(withEntry(2) { put64(&$0, $1 + 72, UInt64.max - 63) }, .badTensor, "scales (offset")
        assertRejected(withEntry(0) { put64(&$0, $1 + 72, 64) }, .badTensor, "scale offset and count must be 0 for a f32 tensor")
        assertRejected(withEntry(4) { put64(&$0, $1 + 80, 1) }, .badTensor, "for a f16 tensor")
        for (scale, message) in [(Float(0), "scale 3 is 0.0"), (-1, "scale 3 is -1.0"), (.nan, "scale 3 is nan"),
                                 (.infinity, "scale 3 is inf"), (1e37, "127 × scale overflows")] {
            var spec = Samples.full()
            spec.tensors[2].scales[3] = scale
            assertRejected(spec.bytes, .badTensor, message)
        }
    }

    func testPayloadValues() {
        var spec = Samples.full()
        spec.tensors[5] = TensorPayload(name: "dec1.weight", shape: [4, 4, 3, 3], f32: [Float](repeating: 0.1, count: 143) + [.nan])
        assertRejected(spec.bytes, .badTensor, "tensor 5 'dec1.weight': element 143 is nan; f32 weights must be finite")
        spec.tensors[5] = TensorPayload(name: "dec1.weight", shape: [4, 4, 3, 3], f32: [-.infinity] + [Float](repeating: 0.1, count: 143))
        assertRejected(spec.bytes, .badTensor, "element 0 is -inf")
        spec = Samples.full()
        spec.tensors[4].data[10] = 0x00; spec.tensors[4].data[11] = 0x7C     // f16 +inf at element 5
        assertRejected(spec.bytes, .badTensor, "tensor 4 'fuse.weight': element 5 is infinite or NaN")
        spec = Samples.full()
        spec.tensors[2].data[100] = 0x80
        assertRejected(spec.bytes, .badTensor, "tensor 2 'enc2.weight': element 100 is -128; i8 weights must be in -127...127")
        spec = Samples.full()
        spec.tensors[2].data[100] = 0x81                                       // -127 is fine
        XCTAssertNil(rejection(spec.bytes))
    }

    func testUnusedTensorsAreAllowed() throws {
        var spec = Samples.full()
        spec.tensors.append(TensorPayload(name: "spare", shape: [3], f32: [1, 2, 3]))
        let model = try load(spec.bytes)
        XCTAssertEqual(model.floats(ofTensor: 10), [1, 2, 3])
    }
}
