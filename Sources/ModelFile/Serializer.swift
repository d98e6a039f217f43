/// One tensor to write: raw little-endian payload bytes, plus per-output-channel scales for i8.
public struct TensorPayload: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var data: [UInt8]
    public var scales: [Float]   // i8 only: one per dims[0]

    public init(name: String, dtype: DType, shape: [Int], data: [UInt8], scales: [Float] = []) {
        self.name = name; self.dtype = dtype; self.shape = shape; self.data = data; self.scales = scales
    }

    /// An f32 tensor from values.
    public init(name: String, shape: [Int], f32 values: [Float]) {
        var w = ByteWriter()
        for v in values { w.u32(v.bitPattern) }
        self.init(name: name, dtype: .f32, shape: shape, data: w.bytes)
    }

    /// An f16 tensor from binary16 bit patterns.
    public init(name: String, shape: [Int], f16Bits values: [UInt16]) {
        var w = ByteWriter()
        for v in values { w.u16(v) }
        self.init(name: name, dtype: .f16, shape: shape, data: w.bytes)
    }

    /// An i8 tensor from quantised values and one scale per output channel.
    public init(name: String, shape: [Int], i8 values: [Int8], scales: [Float]) {
        self.init(name: name, dtype: .i8, shape: shape, data: values.map { UInt8(bitPattern: $0) }, scales: scales)
    }
}

/// Appends little-endian fields; `patch` fills in fields whose values are known only later.
struct ByteWriter {
    var bytes: [UInt8] = []
    var count: Int { bytes.count }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) } }
    mutating func u64(_ v: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) } }
    mutating func append(_ v: [UInt8]) { bytes.append(contentsOf: v) }
    mutating func zeros(until size: Int) { if size > bytes.count { bytes.append(contentsOf: [UInt8](repeating: 0, count: size - bytes.count)) } }
    mutating func patch32(_ v: UInt32, at offset: Int) { for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> UInt32(8 * i)) } }
    mutating func patch64(_ v: UInt64, at offset: Int) { for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) } }
}

@inline(__always) func alignUp(_ n: Int, _ alignment: Int) -> Int { (n + alignment - 1) / alignment * alignment }

extension ModelFile {
    /// Writes a model file. Layout choices (the reader accepts any valid layout): tensor payloads in
    /// table order, each at the next multiple of 64 of the data section, an i8 tensor's scales right
    /// after its payload at the next multiple of 64, all padding zero.
    ///
    /// Nothing is validated here, so tests can write files the reader must reject; counts and
    /// values are truncated to their field widths.
    public static func serialize(metadata: [(key: String, value: MetaValue)], nodes: [Node], output: Int,
                                 tensors: [TensorPayload]) -> [UInt8] {
        var w = ByteWriter()
        w.zeros(until: Header.size)

        let metadataOffset = w.count
        w.u32(UInt32(truncatingIfNeeded: metadata.count))
        for (key, value) in metadata {
            let keyBytes = Array(key.utf8)
            w.u16(UInt16(truncatingIfNeeded: keyBytes.count))
            w.append(keyBytes)
            writeValue(value, &w)
        }

        let graphOffset = w.count
        w.u32(UInt32(truncatingIfNeeded: nodes.count))
        w.u32(UInt32(truncatingIfNeeded: output))
        for node in nodes {
            let attributes = node.op.encodedAttributes, refs = node.op.encodedTensors
            w.u16(node.op.code.rawValue)
            w.u16(UInt16(truncatingIfNeeded: node.inputs.count))
            w.u16(UInt16(truncatingIfNeeded: attributes.count))
            w.u16(UInt16(truncatingIfNeeded: refs.count))
            for input in node.inputs { w.u32(UInt32(truncatingIfNeeded: input)) }
            for a in attributes { w.u32(a) }
            for t in refs { w.u32(t) }
        }

        // Place payloads first so the table can name their offsets.
        var placements: [(data: Int, scales: Int)] = []
        var cursor = 0
        for t in tensors {
            let data = alignUp(cursor, Header.dataAlignment)
            cursor = data + t.data.count
            var scales = 0
            if t.dtype == .i8 || !t.scales.isEmpty {
                scales = alignUp(cursor, Header.dataAlignment)
                cursor = scales + 4 * t.scales.count
            }
            placements.append((data, scales))
        }

        let tableOffset = w.count
        for (t, place) in zip(tensors, placements) {
            let name = Array(t.name.utf8.prefix(TensorTable.nameSize))
            w.append(name)
            w.zeros(until: w.count + TensorTable.nameSize - name.count)
            w.u8(t.dtype.rawValue)
            w.u8(UInt8(truncatingIfNeeded: t.shape.count))
            w.u16(0)
            for axis in 0..<4 { w.u32(axis < t.shape.count ? UInt32(truncatingIfNeeded: t.shape[axis]) : 0) }
            w.u32(0)
            w.u64(UInt64(place.data))
            w.u64(UInt64(t.data.count))
            let hasScales = t.dtype == .i8 || !t.scales.isEmpty
            w.u64(hasScales ? UInt64(place.scales) : 0)
            w.u64(hasScales ? UInt64(t.scales.count) : 0)
            w.u64(0)
        }
        let tableEnd = w.count
        let dataOffset = alignUp(tableEnd, Header.dataAlignment)
        w.zeros(until: dataOffset)
        for (t, place) in zip(tensors, placements) {
            w.zeros(until: dataOffset + place.data)
            w.append(t.data)
            if t.dtype == .i8 || !t.scales.isEmpty {
                w.zeros(until: dataOffset + place.scales)
                for s in t.scales { w.u32(s.bitPattern) }
            }
        }

        w.bytes.replaceSubrange(0..<8, with: Header.magic)
        w.patch32(UInt32(formatVersion), at: 8)
        w.patch32(UInt32(Header.size), at: 12)
        w.patch64(UInt64(w.count), at: 16)
        w.patch64(UInt64(metadataOffset), at: 24)
        w.patch64(UInt64(graphOffset - metadataOffset), at: 32)
        w.patch64(UInt64(graphOffset), at: 40)
        w.patch64(UInt64(tableOffset - graphOffset), at: 48)
        w.patch64(UInt64(tableOffset), at: 56)
        w.patch64(UInt64(tensors.count), at: 64)
        w.patch64(UInt64(dataOffset), at: 72)
        w.patch64(UInt64(w.count - dataOffset), at: 80)
        w.patch32(Header.flags(for: metadata), at: 92)
        setChecksum(&w.bytes)
        return w.bytes
    }

    /// Recomputes and stores the header checksum, e.g. after editing a file's bytes in place.
    public static func setChecksum(_ file: inout [UInt8]) {
        guard file.count >= Header.size else { return }
        let range = Header.checksumOffset..<(Header.checksumOffset + 4)
        let crc = file.withUnsafeBytes { crc32($0, skipping: range) }
        for i in 0..<4 { file[Header.checksumOffset + i] = UInt8(truncatingIfNeeded: crc >> UInt32(8 * i)) }
    }

    private static func writeValue(_ value: MetaValue, _ w: inout ByteWriter) {
        switch value {
        case .u32(let v): w.u8(1); w.u32(v)
        case .f32(let v): w.u8(2); w.u32(v.bitPattern)
        case .string(let s):
            let utf8 = Array(s.utf8)
            w.u8(3); w.u32(UInt32(truncatingIfNeeded: utf8.count)); w.append(utf8)
        case .f32Array(let xs): w.u8(4); w.u32(UInt32(truncatingIfNeeded: xs.count)); for x in xs { w.u32(x.bitPattern) }
        case .u32Array(let xs): w.u8(5); w.u32(UInt32(truncatingIfNeeded: xs.count)); for x in xs { w.u32(x) }
        }
    }
}
