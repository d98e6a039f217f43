/// Zero-padded input planes, and producers that write straight into them.
///
/// Winograd and the direct-x16 kernel (not 1x1) read their input from a zero-padded copy (rows of a
/// length that covers every tile or vector step, padding around the data). That copy is a pass over
/// the whole input: 7 % of a 512x512 frame. When the input's producer is the convolution's only
/// reader, the engine instead plans the value inside that padded layout and the producer stores its
/// rows there (`PlaneStrides`); the convolution then writes only the padding (`inputIsPadded`).

/// Where a kernel stores its output planes, in floats: row y of channel c starts at
/// c * plane + y * row. Dense planar CHW is (width, height * width).
public struct PlaneStrides: Equatable, Sendable {
    public var row: Int, plane: Int
    public init(row: Int, plane: Int) { (self.row, self.plane) = (row, plane) }
    public static func dense(height: Int, width: Int) -> PlaneStrides { PlaneStrides(row: width, plane: height * width) }
}

/// A zero-padded layout a convolution reads its input from: `rows` x `rowLength` floats per
/// channel, the data's first value at row `top`, column `left`.
public struct PaddedLayout: Equatable, Sendable {
    public let rows: Int, rowLength: Int, top: Int, left: Int
    public var strides: PlaneStrides { PlaneStrides(row: rowLength, plane: rows * rowLength) }
    /// From the layout's first float to the data's.
    public var origin: Int { top * rowLength + left }
    public func floats(channels: Int) -> Int { channels * rows * rowLength }
}

/// One channel of a zero-padded layout: `height` rows of `width` values (clipped to the plane)
/// at the layout's origin, zeros around them. Only the padding is zeroed, each row's just before
/// the row is filled: zeroing the whole plane first doubled the memory traffic. source nil: the
/// values are already in place, written there by the producer, so only the padding is written.
func fillPadded(_ plane: UnsafeMutablePointer<Float>, layout p: PaddedLayout, height: Int, width: Int,
                source: UnsafePointer<Float>?) {
    let top = min(p.top, p.rows)
    let rows = max(0, min(height, p.rows - p.top))            // data rows inside the plane
    let count = max(0, min(width, p.rowLength - p.left))      // data columns inside it
    plane.update(repeating: 0, count: top * p.rowLength)
    for y in 0..<rows {
        let row = plane + (y + p.top) * p.rowLength
        row.update(repeating: 0, count: p.left)
        if let source { copyFloats(to: row + p.left, from: source + y * width, count: count) }
        (row + p.left + count).update(repeating: 0, count: p.rowLength - p.left - count)
    }
    let below = top + rows
    (plane + below * p.rowLength).update(repeating: 0, count: (p.rows - below) * p.rowLength)
}

/// Fills every channel's padded plane (threads split the channels): from dense planar `input`, or,
/// with `inputIsPadded`, around the data a producer already wrote at `input` (the layout's origin).
/// Returns the layout's first float.
func fillPaddedPlanes(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, layout: PaddedLayout,
                      inputIsPadded: Bool, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool?) -> UnsafePointer<Float> {
    let base = inputIsPadded ? UnsafeMutablePointer(mutating: input) - layout.origin : scratch
    var fill = PaddedFill(input: inputIsPadded ? nil : input, base: base, height: height, width: width, layout: layout)
    if let pool, pool.size > 1 {
        pool.parallelFor(channels, context: &fill) { context, first, end in
            let fill = context!.assumingMemoryBound(to: PaddedFill.self)
            for c in first..<end { fill.pointee.channel(c) }
        }
    } else {
        for c in 0..<channels { fill.channel(c) }
    }
    return UnsafePointer(base)
}

private struct PaddedFill {
    let input: UnsafePointer<Float>?
    let base: UnsafeMutablePointer<Float>
    let height: Int, width: Int
    let layout: PaddedLayout

    func channel(_ c: Int) {
        fillPadded(base + c * layout.strides.plane, layout: layout, height: height, width: width,
                   source: input.map { $0 + c * height * width })
    }
}
