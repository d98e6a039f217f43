/// Sequential little-endian reads from one region of the file.
///
/// Every read checks the bytes left in the region first and throws with the region's error kind
/// instead of reading past it, so a truncated or lying file is reported, never read out of bounds.
/// Loads are unaligned because nothing inside a section is aligned.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    private(set) var position: Int
    let kind: ModelFileError.Kind
    let section: String

    /// `start..<start+count` must already be known to lie inside `bytes` (the header checks that).
    init(_ bytes: UnsafeRawBufferPointer, start: Int, count: Int, kind: ModelFileError.Kind, section: String) {
        precondition(start >= 0 && count >= 0 && count <= bytes.count - start, "reader region outside the file")
        self.bytes = bytes
        self.position = start
        self.end = start + count
        self.kind = kind
        self.section = section
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position == end }

    /// Throws unless `count` more bytes are left; `what` names the field for the message.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws(ModelFileError) {
        guard count >= 0, count <= remaining else {
            throw ModelFileError(kind, "\(section) ends inside \(what()): needs \(count) bytes at file offset \(position), only \(remaining) left")
        }
    }

    private mutating func load<T: FixedWidthInteger>(_ type: T.Type, _ what: () -> String) throws(ModelFileError) -> T {
        try require(MemoryLayout<T>.size, what())
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return value
    }

    mutating func u8(_ what: @autoclosure () -> String) throws(ModelFileError) -> UInt8 { try load(UInt8.self, what) }
    mutating func u16(_ what: @autoclosure () -> String) throws(ModelFileError) -> UInt16 { try load(UInt16.self, what) }
    mutating func u32(_ what: @autoclosure () -> String) throws(ModelFileError) -> UInt32 { try load(UInt32.self, what) }
    mutating func u64(_ what: @autoclosure () -> String) throws(ModelFileError) -> UInt64 { try load(UInt64.self, what) }
    mutating func f32(_ what: @autoclosure () -> String) throws(ModelFileError) -> Float {
        Float(bitPattern: try load(UInt32.self, what))
    }

    /// The next `count` bytes as a view into the file (no copy).
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        try require(count, what())
        let view = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        position += count
        return view
    }

    mutating func skip(_ count: Int, _ what: @autoclosure () -> String) throws(ModelFileError) {
        try require(count, what())
        position += count
    }
}

/// Little-endian loads at offsets the caller has already bounds-checked (validated payloads).
/// Concrete rather than generic so that they are fast without whole-module optimisation too.
@inline(__always)
func loadU16LE(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
    UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

@inline(__always)
func loadU32LE(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

@inline(__always)
func loadF32LE(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Float {
    Float(bitPattern: loadU32LE(bytes, offset))
}

/// `0x` and eight hex digits, the usual way to show a CRC.
func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
