import Kernels

/// A read-only view of one of the Inspector's per-frame buffers. It shares the buffer instead of
/// copying it, so returning a result allocates nothing; the next `inspect` call of the same Inspector
/// overwrites it. Copy it (`Array(view)`) to keep values across frames.
public struct FrameArray: RandomAccessCollection {
    private let buffer: AlignedBuffer
    public let count: Int

    init(_ buffer: AlignedBuffer, count: Int) {
        precondition(count <= buffer.count)
        self.buffer = buffer
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> Float {
        precondition(i >= 0 && i < count, "index out of range")
        return buffer.pointer[i]
    }

    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: buffer.pointer, count: count))
    }
}

/// Every per-frame buffer of the Inspector path, planned for one model-input size and reused for
/// each frame of that size, so a steady stream of frames allocates nothing after the first.
final class FrameBuffers {
    let channels: Int, height: Int, width: Int
    let normalised: AlignedBuffer        // channels x plane, the engine's input
    let reconstruction: AlignedBuffer    // channels x plane, the engine's output
    let error: AlignedBuffer             // plane, raw error map
    let map: AlignedBuffer               // plane, the anomaly map (smoothed with score.map_sigma)
    let scored: AlignedBuffer?           // plane, smoothed with score.sigma when that differs; else `map`
    let temp: AlignedBuffer              // the blurs' scratch (GaussianBlur.scratchCount)

    init(channels: Int, height: Int, width: Int, separateScoreMap: Bool, blurScratch: Int) {
        (self.channels, self.height, self.width) = (channels, height, width)
        let plane = height * width
        normalised = AlignedBuffer(count: channels * plane)
        reconstruction = AlignedBuffer(count: channels * plane)
        error = AlignedBuffer(count: plane)
        map = AlignedBuffer(count: plane)
        scored = separateScoreMap ? AlignedBuffer(count: plane) : nil
        temp = AlignedBuffer(count: blurScratch)
    }

    func fits(channels: Int, height: Int, width: Int) -> Bool {
        (self.channels, self.height, self.width) == (channels, height, width)
    }
}
