/// Reads and checks the tensor table: every entry's fields, its payload's place inside the data
/// section, and the payload values themselves (finite floats, symmetric int8, positive scales).
enum TensorTable {
    static let maxDim: UInt32 = 65536
    static let nameSize = 32

    static func parse(_ bytes: UnsafeRawBufferPointer, header: Header) throws(ModelFileError) -> [TensorInfo] {
        var r = ByteReader(bytes, start: header.tableOffset, count: header.tensorCount * Header.tableEntrySize,
                           kind: .badTensor, section: "tensor table")
        var tensors: [TensorInfo] = []
        for index in 0..<header.tensorCount {
            let tensor = try parseEntry(index, &r, header: header)
            try checkPayload(tensor, index: index, bytes)
            tensors.append(tensor)
        }
        return tensors
    }

    private static func parseEntry(_ index: Int, _ r: inout ByteReader, header: Header) throws(ModelFileError) -> TensorInfo {
        let nameBytes = try r.bytes(nameSize, "the name of tensor \(index)")
        let nameLength = nameBytes.firstIndex(of: 0) ?? nameSize
        guard nameBytes[nameLength...].allSatisfy({ $0 == 0 }) else {
            throw ModelFileError(.badTensor, "tensor \(index): name has bytes after its NUL terminator; it must be NUL-padded")
        }
        guard let name = String(validating: UnsafeRawBufferPointer(rebasing: nameBytes[..<nameLength]), as: UTF8.self) else {
            throw ModelFileError(.badTensor, "tensor \(index): name is not valid UTF-8")
        }
        let label = "tensor \(index) '\(name)'"
        let rawType = try r.u8("the dtype of \(label)")
        let rank = Int(try r.u8("the rank of \(label)"))
        let reserved16 = try r.u16("reserved field of \(label)")
        var dims: [UInt32] = []
        for _ in 0..<4 { dims.append(try r.u32("the dims of \(label)")) }
        let reserved32 = try r.u32("reserved field of \(label)")
        let offset = try r.u64("the offset of \(label)")
        let byteSize = try r.u64("the byte size of \(label)")
        let scaleOffset = try r.u64("the scale offset of \(label)")
        let scaleCount = try r.u64("the scale count of \(label)")
        let reserved64 = try r.u64("reserved field of \(label)")

        guard let dtype = DType(rawValue: rawType) else {
            throw ModelFileError(.badTensor, "\(label): dtype is \(rawType); it must be 0 (f32), 1 (f16) or 2 (i8)")
        }
        guard rank >= 1 && rank <= 4 else { throw ModelFileError(.badTensor, "\(label): rank is \(rank); it must be 1...4") }
        guard reserved16 == 0 && reserved32 == 0 && reserved64 == 0 else {
            throw ModelFileError(.badTensor, "\(label): reserved fields must be 0")
        }
        for (axis, dim) in dims.enumerated() {
            let valid = axis < rank ? (dim >= 1 && dim <= maxDim) : dim == 0
            guard valid else {
                let rule = axis < rank ? "1...\(maxDim)" : "0 past the rank (\(rank))"
                throw ModelFileError(.badTensor, "\(label): dims[\(axis)] is \(dim); it must be \(rule)")
            }
        }
        let shape = dims[..<rank].map { Int($0) }
        // 65536^4 overflows even 64 bits, so the product is checked.
        var elements = 1
        for dim in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw ModelFileError(.badTensor, "\(label): shape \(show(shape)) has too many elements to address") }
            elements = product
        }
        let (expectedBytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, byteSize == UInt64(expectedBytes) else {
            throw ModelFileError(.badTensor, "\(label): byte size is \(byteSize) but shape \(show(shape)) of \(dtype.name) needs \(elements) × \(dtype.byteSize) bytes")
        }
        let start = try payloadStart(label, "payload", offset: offset, size: byteSize, header: header)

        var scaleStart = 0, scales = 0
        if dtype == .i8 {
            guard scaleCount == UInt64(shape[0]) else {
                throw ModelFileError(.badTensor, "\(label): i8 tensor has \(scaleCount) scales; it needs one per output channel, dims[0] = \(shape[0])")
            }
            scales = shape[0]
            scaleStart = try payloadStart(label, "scales", offset: scaleOffset, size: scaleCount * 4, header: header)
        } else {
            guard scaleOffset == 0 && scaleCount == 0 else {
                throw ModelFileError(.badTensor, "\(label): scale offset and count must be 0 for a \(dtype.name) tensor (only i8 has scales)")
            }
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, offset: start, byteSize: expectedBytes,
                          scaleOffset: scaleStart, scaleCount: scales)
    }

    /// Absolute file offset of a payload, after checking its alignment and that it lies in the data section.
    private static func payloadStart(_ label: String, _ what: String, offset: UInt64, size: UInt64, header: Header) throws(ModelFileError) -> Int {
        guard offset % UInt64(Header.dataAlignment) == 0 else {
            throw ModelFileError(.badTensor, "\(label): \(what) offset \(offset) is not a multiple of \(Header.dataAlignment)")
        }
        let (end, wraps) = offset.addingReportingOverflow(size)
        guard !wraps, end <= UInt64(header.dataSize) else {
            throw ModelFileError(.badTensor, "\(label): \(what) (offset \(offset), \(size) bytes) lies outside the \(header.dataSize)-byte data section")
        }
        return header.dataOffset + Int(offset)   // both <= file size, which is an Int
    }

    /// Values a valid exporter never writes and the engine must never see.
    private static func checkPayload(_ t: TensorInfo, index: Int, _ bytes: UnsafeRawBufferPointer) throws(ModelFileError) {
        let label = "tensor \(index) '\(t.name)'"
        let count = t.elementCount
        switch t.dtype {
        case .f32:
            for i in 0..<count {
                let value = loadF32LE(bytes, t.offset + 4 * i)
                guard value.isFinite else { throw ModelFileError(.badTensor, "\(label): element \(i) is \(value); f32 weights must be finite") }
            }
        case .f16:
            for i in 0..<count where loadU16LE(bytes, t.offset + 2 * i) & 0x7C00 == 0x7C00 {
                throw ModelFileError(.badTensor, "\(label): element \(i) is infinite or NaN; f16 weights must be finite")
            }
        case .i8:
            for i in 0..<count where bytes[t.offset + i] == 0x80 {
                throw ModelFileError(.badTensor, "\(label): element \(i) is -128; i8 weights must be in -127...127")
            }
            for o in 0..<t.scaleCount {
                let scale = loadF32LE(bytes, t.scaleOffset + 4 * o)
                guard scale.isFinite && scale > 0 else {
                    throw ModelFileError(.badTensor, "\(label): scale \(o) is \(scale); scales must be finite and > 0")
                }
                // Dequantised weights must be finite too, and q can be as large as 127.
                guard (scale * 127).isFinite else {
                    throw ModelFileError(.badTensor, "\(label): scale \(o) is \(scale); 127 × scale overflows a Float")
                }
            }
        }
    }
}
