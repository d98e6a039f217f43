import CPlatform

/// A whole file mapped read-only. Model weights are used straight from the mapping: the file format
/// aligns every payload to 64 bytes, and mmap returns page-aligned memory.
public final class MappedFile {
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws(SystemError) {
        var data: UnsafeRawPointer? = nil
        var size = 0
        let code = ei_map_file(path, &data, &size)
        guard code == 0, let base = data else { throw SystemError("cannot open", path: path, errno: code) }
        self.path = path
        self.bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit { ei_unmap_file(bytes.baseAddress, bytes.count) }
}
