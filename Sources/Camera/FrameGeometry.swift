/// What a frame source delivers: 8-bit samples, rows top to bottom, channels interleaved
/// (gray, or R G B). The capture buffers are sized from it once.
public struct FrameGeometry: Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public init(width: Int, height: Int, channels: Int) {
        self.width = width
        self.height = height
        self.channels = channels
    }
    public var byteCount: Int { width * height * channels }
}

/// A rectangle of the camera image, in camera pixels: only this part is inspected.
public struct RegionOfInterest: Equatable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Copies the region out of an interleaved frame with `stride` bytes per row.
    func copy(from source: UnsafePointer<UInt8>, stride: Int, channels: Int, into target: UnsafeMutablePointer<UInt8>) {
        let rowBytes = width * channels
        for row in 0..<height {
            (target + row * rowBytes).update(from: source + (y + row) * stride + x * channels, count: rowBytes)
        }
    }
}
