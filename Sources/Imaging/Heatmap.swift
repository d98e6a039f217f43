/// Anomaly maps drawn over the inspected image, for people checking what the detector saw.
public enum Heatmap {
    /// Colour map (Turbo, see `TurboColorMap`) of `map` (`mapWidth` x `mapHeight`, row-major,
    /// values clamped to [0, maxValue]) resized bilinearly to the image size and alpha-blended
    /// over the image (gray is shown as RGB). `alpha` 0 keeps the image, 1 shows only the colours.
    public static func render(map: UnsafeBufferPointer<Float>, mapWidth: Int, mapHeight: Int, over image: Image,
                              maxValue: Float, alpha: Float) -> Image {
        precondition(mapWidth > 0 && mapHeight > 0 && map.count >= mapWidth * mapHeight,
                     "map is smaller than mapWidth x mapHeight")
        precondition(image.hasConsistentLayout, "pixel count does not match the image size")
        let mapCount = mapWidth * mapHeight
        let plane = image.width * image.height
        let levels = UnsafeMutablePointer<Float>.allocate(capacity: mapCount + plane)
        defer { levels.deallocate() }
        normalise(map.baseAddress!, count: mapCount, maxValue: maxValue, into: levels)

        // Resize the levels, not the colours: blending between map cells then follows the map.
        let resized = levels + mapCount
        PlaneResampler(inputWidth: mapWidth, inputHeight: mapHeight,
                       widthPlan: AxisPlan.bilinear(inputLength: mapWidth, outputLength: image.width),
                       heightPlan: AxisPlan.bilinear(inputLength: mapHeight, outputLength: image.height))
            .run(input: levels, output: resized, planes: 1)

        let opacity = clampedToUnit(alpha)
        let palette = ColorPalette(opacity: opacity)
        defer { palette.deallocate() }
        let blended = [Float](unsafeUninitializedCapacity: plane * 3) { output, initialized in
            image.pixels.withUnsafeBufferPointer { pixels in
                let base = pixels.baseAddress!
                let red = base, green = base + (image.channels == 3 ? plane : 0)
                let blue = base + (image.channels == 3 ? 2 * plane : 0)
                let outRed = output.baseAddress!, outGreen = outRed + plane, outBlue = outGreen + plane
                let keep = 1 - opacity
                for i in 0..<plane {
                    let color = palette.premultiplied(resized[i])
                    outRed[i] = keep * red[i] + color.x
                    outGreen[i] = keep * green[i] + color.y
                    outBlue[i] = keep * blue[i] + color.z
                }
            }
            initialized = plane * 3
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: blended)
    }

    /// The colour map at `levels` evenly spaced values, already scaled by the opacity: a table
    /// lookup per pixel instead of interpolating anchors (1/1023 steps are below one 8-bit level).
    private struct ColorPalette {
        static let levels = 1024
        let table: UnsafeMutablePointer<SIMD3<Float>>

        init(opacity: Float) {
            table = .allocate(capacity: Self.levels)
            TurboColorMap.anchors.withUnsafeBufferPointer { anchors in
                for level in 0..<Self.levels {
                    let t = Float(level) / Float(Self.levels - 1)
                    (table + level).initialize(to: TurboColorMap.color(t, table: anchors.baseAddress!) * opacity)
                }
            }
        }

        /// Colour × opacity for a level in [0, 1].
        @inline(__always)
        func premultiplied(_ level: Float) -> SIMD3<Float> {
            table[Int(level * Float(Self.levels - 1) + 0.5)]
        }

        func deallocate() { table.deallocate() }
    }

    /// `map / maxValue` clamped to [0, 1]; NaN and a non-positive `maxValue` give 0.
    private static func normalise(_ map: UnsafePointer<Float>, count: Int, maxValue: Float,
                                  into levels: UnsafeMutablePointer<Float>) {
        guard maxValue > 0 else {
            levels.initialize(repeating: 0, count: count)
            return
        }
        for i in 0..<count {
            levels[i] = clampedToUnit(map[i] / maxValue)
        }
    }
}
