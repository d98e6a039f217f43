extension Image {
    /// Luma `0.299 R + 0.587 G + 0.114 B` (ITU-R BT.601, as the scoring definition and the Python
    /// tools use); a gray image is returned unchanged.
    public func gray() -> Image {
        if channels == 1 { return self }
        precondition(hasConsistentLayout, "pixel count does not match the image size")
        let plane = width * height
        let luma = [Float](unsafeUninitializedCapacity: plane) { output, initialized in
            pixels.withUnsafeBufferPointer { input in
                let red = input.baseAddress!
                let green = red + plane
                let blue = green + plane
                let out = output.baseAddress!
                // Same operation order as the float tensor expression in tools/, so results agree bit for bit.
                for i in 0..<plane {
                    out[i] = 0.299 * red[i] + 0.587 * green[i] + 0.114 * blue[i]
                }
            }
            initialized = plane
        }
        return Image(width: width, height: height, channels: 1, pixels: luma)
    }

    /// Gray replicated into three channels; an RGB image is returned unchanged.
    public func rgb() -> Image {
        if channels == 3 { return self }
        precondition(hasConsistentLayout, "pixel count does not match the image size")
        let plane = width * height
        let replicated = [Float](unsafeUninitializedCapacity: plane * 3) { output, initialized in
            pixels.withUnsafeBufferPointer { input in
                let source = input.baseAddress!
                for channel in 0..<3 {
                    (output.baseAddress! + channel * plane).initialize(from: source, count: plane)
                }
            }
            initialized = plane * 3
        }
        return Image(width: width, height: height, channels: 3, pixels: replicated)
    }
}
