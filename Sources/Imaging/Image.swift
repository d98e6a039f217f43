/// A decoded image as the model sees it: planar (all of channel 0, then channel 1, ...), rows top
/// to bottom, samples in [0, 1]. Planar CHW is the layout the engine's tensors use, so inference
/// needs no reshuffle.
public struct Image {
    public var width: Int
    public var height: Int
    /// 1 (gray) or 3 (RGB).
    public var channels: Int
    /// `channels * height * width` samples; sample (c, y, x) is at `(c * height + y) * width + x`.
    public var pixels: [Float]

    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition(width > 0 && height > 0, "image size must be positive")
        precondition(channels == 1 || channels == 3, "an image has 1 or 3 channels")
        precondition(pixels.count == width * height * channels, "pixel count does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A black image.
    public init(width: Int, height: Int, channels: Int) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [Float](repeating: 0, count: width * height * channels))
    }

    /// False when `pixels` was edited to a count that no longer matches the size (the fields are
    /// public vars); operations check it before touching memory.
    var hasConsistentLayout: Bool {
        width > 0 && height > 0 && (channels == 1 || channels == 3) && pixels.count == width * height * channels
    }
}
