// libFuzzer entry point for the model file reader; built by tools/fuzz-modelfile.sh together with
// Sources/ModelFile/*.swift as one module (so no import). A crash, sanitizer report or broken
// invariant below is a bug: the reader must reject any bad input with an error.

@_cdecl("LLVMFuzzerTestOneInput")
public func modelFileFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    exercise(raw)
    // Almost every mutation breaks the checksum or the file size, which would stop parsing at the
    // header. Parse a copy with those fields made consistent too, so the mutations reach the
    // metadata, graph, tensor and shape validators.
    var fixed = Array(raw)
    if fixed.count >= 128 {
        put64(&fixed, 16, UInt64(fixed.count))
        let dataOffset = fixed.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 72, as: UInt64.self)) }
        if dataOffset <= UInt64(fixed.count) { put64(&fixed, 80, UInt64(fixed.count) - dataOffset) }
        ModelFile.setChecksum(&fixed)
        fixed.withUnsafeBytes { exercise($0) }
    }
    return 0
}

private func put64(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt64) {
    for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
}

private func exercise(_ bytes: UnsafeRawBufferPointer) {
    let model: ModelFile
    do { model = try ModelFile(parsing: bytes) } catch {
        precondition(!error.message.isEmpty, "rejection without a message")
        return
    }
    // What a valid model promises its users: the probe size and other multiples infer or throw
    // cleanly, every tensor dequantises to finite numbers, and writing it again gives a file that
    // parses to the same model.
    let m = model.metadata.sizeMultiple
    for (h, w) in [(8 * m, 8 * m), (m, 2 * m), (5 * m, 3 * m)] {
        if let shapes = try? model.shapes(height: h, width: w) {
            precondition(shapes.count == model.nodes.count + 1, "one shape per value")
            precondition(shapes[model.output] == shapes[0], "output shape differs from input")
        }
    }
    for index in model.tensors.indices {
        let values = model.floats(ofTensor: index)
        precondition(values.count == model.tensors[index].elementCount, "dequantised count")
        precondition(values.allSatisfy { $0.isFinite }, "validated tensor dequantises to a non-finite value")
    }
    let again = model.serialized()
    again.withUnsafeBytes { copy in
        guard let reparsed = try? ModelFile(parsing: copy) else { preconditionFailure("serialized model does not parse") }
        precondition(reparsed.metadata == model.metadata && reparsed.nodes == model.nodes
                     && reparsed.output == model.output, "serialized model parses to a different model")
        precondition(reparsed.serialized() == again, "serialization is not stable")
    }
}
