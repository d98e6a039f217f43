/// Reads the metadata section's records. Values are checked for structure and hard limits here
/// (so nothing is allocated from an unchecked count); their meaning is checked by `Metadata(entries:)`.
enum MetadataParser {
    static let maxEntries = 1024
    static let maxKeyLength = 64
    static let maxStringLength = 4096
    static let maxArrayCount = 4096

    static func parse(_ r: inout ByteReader) throws(ModelFileError) -> [(key: String, value: MetaValue)] {
        let count = try r.u32("the metadata entry count")
        guard count <= UInt32(maxEntries) else {
            throw ModelFileError(.limitExceeded, "metadata has \(count) entries; this build reads at most \(maxEntries)")
        }
        var entries: [(key: String, value: MetaValue)] = []
        for index in 0..<Int(count) {
            let keyLength = Int(try r.u16("the key length of metadata entry \(index)"))
            guard keyLength >= 1 && keyLength <= maxKeyLength else {
                throw ModelFileError(.badMetadata, "metadata entry \(index): key length is \(keyLength); it must be 1...\(maxKeyLength)")
            }
            let keyBytes = try r.bytes(keyLength, "the key of metadata entry \(index)")
            // Keys are [a-z0-9._], so decoding as ASCII cannot lose anything once checked below.
            guard keyBytes.allSatisfy(Metadata.isKeyByte) else {
                throw ModelFileError(.badMetadata, "metadata entry \(index): key has bytes outside [a-z0-9._]")
            }
            let key = String(decoding: keyBytes, as: UTF8.self)
            let type = try r.u8("the value type of metadata key '\(key)'")
            entries.append((key: key, value: try parseValue(type: type, key: key, &r)))
        }
        guard r.isAtEnd else {
            throw ModelFileError(.badMetadata, "metadata section has \(r.remaining) bytes left after its \(count) entries; it must be consumed exactly")
        }
        return entries
    }

    private static func parseValue(type: UInt8, key: String, _ r: inout ByteReader) throws(ModelFileError) -> MetaValue {
        switch type {
        case 1: return .u32(try r.u32("the u32 value of '\(key)'"))
        case 2: return .f32(try r.f32("the f32 value of '\(key)'"))
        case 3:
            let length = try r.u32("the string length of '\(key)'")
            guard length <= UInt32(maxStringLength) else {
                throw ModelFileError(.limitExceeded, "metadata key '\(key)': string of \(length) bytes; the limit is \(maxStringLength)")
            }
            let utf8 = try r.bytes(Int(length), "the string value of '\(key)'")
            guard let text = String(validating: utf8, as: UTF8.self) else {
                throw ModelFileError(.badMetadata, "metadata key '\(key)': string value is not valid UTF-8")
            }
            return .string(text)
        case 4, 5:
            let count = try r.u32("the array count of '\(key)'")
            guard count <= UInt32(maxArrayCount) else {
                throw ModelFileError(.limitExceeded, "metadata key '\(key)': array of \(count) elements; the limit is \(maxArrayCount)")
            }
            // Checked before allocating: a lying count cannot make us reserve more than the file holds.
            try r.require(Int(count) * 4, "the array value of '\(key)'")
            var values = [UInt32]()
            values.reserveCapacity(Int(count))
            for _ in 0..<Int(count) { values.append(try r.u32("the array value of '\(key)'")) }
            return type == 5 ? .u32Array(values) : .f32Array(values.map { Float(bitPattern: $0) })
        default:
            throw ModelFileError(.badMetadata, "metadata key '\(key)': unknown value type \(type) (1 u32, 2 f32, 3 string, 4 f32 array, 5 u32 array)")
        }
    }
}
