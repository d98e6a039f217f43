extension Image {
    /// Resized by the scoring rule of docs/model-format.md, independently per axis: area averaging
    /// (PyTorch `adaptive_avg_pool2d` bins) when an axis shrinks, bilinear with half-pixel centres
    /// (`interpolate(mode="bilinear", align_corners=False)`) when it grows, untouched when equal.
    public func resized(height newHeight: Int, width newWidth: Int) -> Image {
        precondition(newHeight > 0 && newWidth > 0, "resize target must be positive")
        if newHeight == height && newWidth == width { return self }
        precondition(hasConsistentLayout, "pixel count does not match the image size")
        let resampler = PlaneResampler(
            inputWidth: width, inputHeight: height,
            widthPlan: AxisPlan.scoring(inputLength: width, outputLength: newWidth),
            heightPlan: AxisPlan.scoring(inputLength: height, outputLength: newHeight))
        let count = newWidth * newHeight * channels
        let resizedPixels = [Float](unsafeUninitializedCapacity: count) { output, initialized in
            pixels.withUnsafeBufferPointer { input in
                resampler.run(input: input.baseAddress!, output: output.baseAddress!, planes: channels)
            }
            initialized = count
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: resizedPixels)
    }
}
