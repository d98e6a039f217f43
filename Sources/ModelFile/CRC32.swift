/// CRC-32 as zlib's `crc32` computes it (IEEE 802.3, reflected polynomial 0xEDB88320), so the
/// Python exporter can use `zlib.crc32` and both sides agree bit for bit.
public struct CRC32 {
    /// Byte-at-a-time table; 1 KiB, built once. Model files are a few MB, so this runs in milliseconds.
    private static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        for index in 0..<256 {
            var c = UInt32(index)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[index] = c
        }
        return table
    }()

    private var state: UInt32 = 0xFFFF_FFFF
    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var c = state
        CRC32.table.withUnsafeBufferPointer { table in
            for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        }
        state = c
    }

    /// Feeds `count` zero bytes (the checksum field is hashed as zeros).
    public mutating func updateZeros(count: Int) {
        var c = state
        for _ in 0..<max(0, count) { c = CRC32.table[Int(c & 0xFF)] ^ (c >> 8) }
        state = c
    }

    public var value: UInt32 { ~state }
}

/// CRC-32 of `bytes`, with the bytes in `skipping` (clamped to the buffer) read as zero.
public func crc32(_ bytes: UnsafeRawBufferPointer, skipping range: Range<Int>? = nil) -> UInt32 {
    var crc = CRC32()
    guard let range, range.lowerBound < bytes.count, !range.isEmpty else {
        crc.update(bytes)
        return crc.value
    }
    let lower = max(0, range.lowerBound)
    let upper = max(lower, min(bytes.count, range.upperBound))
    crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<lower]))
    crc.updateZeros(count: upper - lower)
    crc.update(UnsafeRawBufferPointer(rebasing: bytes[upper..<bytes.count]))
    return crc.value
}
