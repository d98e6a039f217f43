/// A 64-byte aligned, zero-initialised float buffer owned by a class so that engine plans can share it
/// without copies. 64 bytes = one cache line = one AVX-512 register.
public final class AlignedBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.initializeMemory(as: Float.self, repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
