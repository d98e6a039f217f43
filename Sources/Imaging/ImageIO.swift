import CImageCodecs

/// Reading and writing image files through the libpng / libjpeg-turbo shim.
public enum ImageIO {
    /// Decodes a PNG or JPEG file (format from its first bytes, not its name).
    public static func load(path: String) throws(ImageError) -> Image {
        var decoded = ic_image()
        let (status, reason) = callCodec { message, capacity in
            path.withCString { ic_decode_path($0, &decoded, message, capacity) }
        }
        guard status == IC_STATUS_OK else { throw ImageError("\(path): \(reason)") }
        defer { ic_free_image(&decoded) }
        return makeImage(from: decoded)
    }

    /// Decodes a PNG or JPEG held in memory, e.g. an MJPEG frame from a camera.
    public static func decode(bytes: UnsafeRawBufferPointer) throws(ImageError) -> Image {
        var decoded = ic_image()
        let (status, reason) = callCodec { message, capacity in
            ic_decode_memory(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                             &decoded, message, capacity)
        }
        guard status == IC_STATUS_OK else { throw ImageError("cannot decode image: \(reason)") }
        defer { ic_free_image(&decoded) }
        return makeImage(from: decoded)
    }

    /// Writes an 8-bit gray or RGB PNG; samples are clamped to [0, 1] and rounded to the nearest level.
    public static func savePNG(_ image: Image, path: String) throws(ImageError) {
        guard image.hasConsistentLayout else {
            throw ImageError("\(path): image has \(image.pixels.count) samples, not \(image.width) x \(image.height) x \(image.channels)")
        }
        let plane = image.width * image.height
        let channels = image.channels
        var interleaved = [UInt8](repeating: 0, count: plane * channels)
        image.pixels.withUnsafeBufferPointer { source in
            interleaved.withUnsafeMutableBufferPointer { target in
                let input = source.baseAddress!
                let output = target.baseAddress!
                for channel in 0..<channels {
                    let plane0 = input + channel * plane
                    for i in 0..<plane {
                        output[i * channels + channel] = UInt8(clampedToUnit(plane0[i]) * 255 + 0.5)
                    }
                }
            }
        }
        let (status, reason) = callCodec { message, capacity in
            path.withCString { cPath in
                interleaved.withUnsafeBufferPointer {
                    ic_write_png8(cPath, $0.baseAddress, Int32(image.width), Int32(image.height),
                                  Int32(channels), message, capacity)
                }
            }
        }
        guard status == IC_STATUS_OK else { throw ImageError("\(path): \(reason)") }
    }

    /// Writes a 16-bit gray PNG of `value * scale` per sample, rounded and clamped to 0...65535
    /// (NaN becomes 0). Keeps raw anomaly maps exact enough to re-read for analysis.
    public static func saveGray16PNG(_ values: UnsafeBufferPointer<Float>, width: Int, height: Int, scale: Float,
                                     path: String) throws(ImageError) {
        guard width > 0, height > 0, values.count == width * height else {
            throw ImageError("\(path): cannot save \(values.count) values as a \(width) x \(height) image")
        }
        var samples = [UInt16](repeating: 0, count: width * height)
        samples.withUnsafeMutableBufferPointer { target in
            let output = target.baseAddress!
            let input = values.baseAddress!
            for i in 0..<(width * height) {
                let scaled = input[i] * scale
                output[i] = scaled > 0 ? (scaled < 65535 ? UInt16(scaled + 0.5) : 65535) : 0
            }
        }
        let (status, reason) = callCodec { message, capacity in
            path.withCString { cPath in
                samples.withUnsafeBufferPointer {
                    ic_write_png_gray16(cPath, $0.baseAddress, Int32(width), Int32(height), message, capacity)
                }
            }
        }
        guard status == IC_STATUS_OK else { throw ImageError("\(path): \(reason)") }
    }

    /// Runs a shim call with a message buffer and returns its status and message.
    private static func callCodec(_ call: (UnsafeMutablePointer<CChar>, Int) -> ic_status) -> (ic_status, String) {
        let capacity = Int(IC_MESSAGE_CAPACITY)
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            let message = buffer.baseAddress!
            message[0] = 0
            let status = call(message, capacity)
            return (status, String(cString: message))
        }
    }

    /// Interleaved 8-bit samples to planar floats, `v / 255` exactly as torchvision's ToTensor.
    private static func makeImage(from decoded: ic_image) -> Image {
        let width = Int(decoded.width), height = Int(decoded.height), channels = Int(decoded.channels)
        let plane = width * height
        let source = UnsafePointer(decoded.pixels!)
        let pixels = withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { levels in
            for level in 0..<256 { levels[level] = Float(level) / 255 }
            let table = UnsafePointer(levels.baseAddress!)
            return [Float](unsafeUninitializedCapacity: plane * channels) { output, initialized in
                let out = output.baseAddress!
                for channel in 0..<channels {
                    let target = out + channel * plane
                    var index = channel
                    for i in 0..<plane {
                        target[i] = table[Int(source[index])]
                        index += channels
                    }
                }
                initialized = plane * channels
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}

/// `value` limited to [0, 1], NaN mapped to 0 so a broken map cannot poison an 8-bit conversion.
@inline(__always)
func clampedToUnit(_ value: Float) -> Float {
    value > 0 ? (value < 1 ? value : 1) : 0
}
