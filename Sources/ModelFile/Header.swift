/// The fixed 128-byte header, after every field has been checked against the file and each other.
///
/// Offsets and sizes are stored as `Int` only once they are known to lie inside the file, so every
/// later computation with them is in range on 32-bit boards too.
struct Header {
    static let size = 128
    static let magic: [UInt8] = Array("EDGEINSP".utf8)
    static let checksumOffset = 88
    static let tableEntrySize = 96
    static let dataAlignment = 64
    static let maxTensors = 4096
    /// Header flag bit 0: the file sets `score.error_norm`, which changes the score's units. Readers
    /// from before the key require flags == 0, so they refuse the file instead of ignoring the key
    /// and comparing plain errors with a threshold in variance units (a line that passes every part).
    static let errorNormFlag: UInt32 = 1
    static let knownFlags: UInt32 = errorNormFlag

    /// The flags a file with these metadata entries must carry (the serializer sets them).
    static func flags(for metadata: [(key: String, value: MetaValue)]) -> UInt32 {
        let norm = metadata.first { $0.key == "score.error_norm" }?.value
        return norm == nil || norm == MetaValue.string(ErrorNorm.none.rawValue) ? 0 : errorNormFlag
    }

    var metadataOffset: Int, metadataSize: Int
    var graphOffset: Int, graphSize: Int
    var tableOffset: Int, tensorCount: Int
    var dataOffset: Int, dataSize: Int
    var flags: UInt32

    /// Checks in the order a person would want to hear about problems: not our file, wrong version,
    /// truncated, corrupted, and only then the layout (which a valid checksum vouches was written so).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(ModelFileError) -> Header {
        guard bytes.count >= size else {
            throw ModelFileError(.tooSmall, "file is \(bytes.count) bytes; a model file is at least \(size) bytes")
        }
        var r = ByteReader(bytes, start: 0, count: size, kind: .badLayout, section: "header")
        let magicBytes = try r.bytes(8, "magic")
        guard magicBytes.elementsEqual(magic) else {
            throw ModelFileError(.badMagic, "not an EdgeInspect model file: it starts with \(show(magicBytes)) instead of 'EDGEINSP'")
        }
        let version = try r.u32("version")
        guard version == UInt32(ModelFile.formatVersion) else {
            throw ModelFileError(.unsupportedVersion,
                                 "unsupported model file version \(version) (this build reads version \(ModelFile.formatVersion))")
        }
        let headerSize = try r.u32("header size")
        let fileSize = try r.u64("file size")
        let actualSize = UInt64(bytes.count)
        guard fileSize == actualSize else {
            let detail = fileSize > actualSize ? "the file is truncated" : "the file has \(actualSize - fileSize) extra bytes at the end"
            throw ModelFileError(.sizeMismatch, "header says the file is \(fileSize) bytes but it is \(actualSize) bytes; \(detail)")
        }
        let metaOffset = try r.u64("metadata offset"), metaSize = try r.u64("metadata size")
        let graphOffset = try r.u64("graph offset"), graphSize = try r.u64("graph size")
        let tableOffset = try r.u64("tensor table offset"), tensorCount = try r.u64("tensor count")
        let dataOffset = try r.u64("data offset"), dataSize = try r.u64("data size")
        let stored = try r.u32("checksum")
        let flags = try r.u32("flags")
        let reserved = try r.bytes(32, "reserved")

        let computed = crc32(bytes, skipping: checksumOffset..<(checksumOffset + 4))
        guard stored == computed else {
            throw ModelFileError(.checksumMismatch,
                                 "checksum mismatch: file says \(hex32(stored)), contents give \(hex32(computed)); the file is corrupted")
        }
        guard headerSize == UInt32(size) else {
            throw ModelFileError(.badLayout, "header size is \(headerSize); version 1 headers are \(size) bytes")
        }
        guard flags & ~knownFlags == 0 else {
            throw ModelFileError(.badLayout, "header flags are \(hex32(flags)); this build knows only \(hex32(knownFlags)) (score.error_norm), so the file needs a newer edge-inspect")
        }
        if let index = reserved.firstIndex(where: { $0 != 0 }) {
            throw ModelFileError(.badLayout, "reserved header byte at offset \(96 + index) is \(reserved[index]); it must be 0")
        }

        // Each section must start exactly where its predecessor ends, and end inside the file.
        guard metaOffset == UInt64(size) else {
            throw ModelFileError(.badLayout, "metadata offset is \(metaOffset); it must be \(size), right after the header")
        }
        let metaEnd = try sectionEnd("metadata", offset: metaOffset, size: metaSize, fileSize: actualSize)
        guard graphOffset == metaEnd else {
            throw ModelFileError(.badLayout, "graph offset is \(graphOffset); it must be \(metaEnd), where the metadata section ends")
        }
        let graphEnd = try sectionEnd("graph", offset: graphOffset, size: graphSize, fileSize: actualSize)
        guard tableOffset == graphEnd else {
            throw ModelFileError(.badLayout, "tensor table offset is \(tableOffset); it must be \(graphEnd), where the graph section ends")
        }
        guard tensorCount <= UInt64(maxTensors) else {
            throw ModelFileError(.limitExceeded, "tensor count is \(tensorCount); this build reads at most \(maxTensors) tensors")
        }
        let tableEnd = try sectionEnd("tensor table", offset: tableOffset, size: tensorCount * UInt64(tableEntrySize), fileSize: actualSize)
        let (padded, wraps) = tableEnd.addingReportingOverflow(UInt64(dataAlignment - 1))
        let expectedData = padded & ~UInt64(dataAlignment - 1)
        guard !wraps, dataOffset == expectedData else {
            throw ModelFileError(.badLayout, "data offset is \(dataOffset); it must be \(expectedData), the first multiple of \(dataAlignment) after the tensor table")
        }
        let dataEnd = try sectionEnd("data", offset: dataOffset, size: dataSize, fileSize: actualSize)
        guard dataEnd == actualSize else {
            throw ModelFileError(.badLayout, "data size is \(dataSize) but the data section runs from \(dataOffset) to the end of the file, \(actualSize - dataOffset) bytes")
        }
        // All values are now <= the file size, which is an Int, so these conversions are exact.
        let header = Header(metadataOffset: Int(metaOffset), metadataSize: Int(metaSize),
                            graphOffset: Int(graphOffset), graphSize: Int(graphSize),
                            tableOffset: Int(tableOffset), tensorCount: Int(tensorCount),
                            dataOffset: Int(dataOffset), dataSize: Int(dataSize), flags: flags)
        for offset in Int(tableEnd)..<header.dataOffset where bytes[offset] != 0 {
            throw ModelFileError(.badLayout, "padding byte at offset \(offset) before the data section is \(bytes[offset]); it must be 0")
        }
        return header
    }

    /// `offset + size`, rejecting a sum that wraps 64 bits or ends past the file.
    private static func sectionEnd(_ name: String, offset: UInt64, size: UInt64, fileSize: UInt64) throws(ModelFileError) -> UInt64 {
        let (end, wraps) = offset.addingReportingOverflow(size)
        guard !wraps else {
            throw ModelFileError(.badLayout, "\(name) section offset \(offset) + size \(size) wraps around 64 bits")
        }
        guard end <= fileSize else {
            throw ModelFileError(.badLayout, "\(name) section (offset \(offset), size \(size)) ends at \(end), past the end of the \(fileSize)-byte file")
        }
        return end
    }

    /// Printable ASCII shown as is, anything else as hex, so a wrong magic is recognisable (e.g. a PNG).
    private static func show(_ bytes: UnsafeRawBufferPointer) -> String {
        var text = ""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F { text.unicodeScalars.append(Unicode.Scalar(byte)) } else {
                let digits = String(byte, radix: 16)
                text += "\\x" + (digits.count < 2 ? "0" : "") + digits
            }
        }
        return "'\(text)'"
    }
}
