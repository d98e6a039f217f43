/// Google's Turbo colour map (Anton Mikhailov, 2019, Apache-2.0), sampled at 17 evenly spaced
/// points of its published 256-entry table and interpolated linearly between them: within 6/255
/// of the full table, and a table this small needs no file or generated code. Turbo keeps low
/// scores dark blue and high ones dark red, which reads well over photographs.
enum TurboColorMap {
    static let intervals = 16

    /// R, G, B for t = 0, 1/16, ..., 1.
    static let anchors: [Float] = [
        0.1900, 0.0718, 0.2322,
        0.2509, 0.2517, 0.6324,
        0.2762, 0.4199, 0.8897,
        0.2594, 0.5777, 0.9986,
        0.1602, 0.7332, 0.9252,
        0.0927, 0.8634, 0.7655,
        0.1922, 0.9474, 0.5993,
        0.4210, 0.9935, 0.3912,
        0.6384, 0.9910, 0.2365,
        0.7994, 0.9277, 0.2042,
        0.9290, 0.8173, 0.2261,
        0.9921, 0.6810, 0.2059,
        0.9853, 0.5018, 0.1324,
        0.9253, 0.3229, 0.0577,
        0.8230, 0.1909, 0.0195,
        0.6747, 0.0895, 0.0045,
        0.4796, 0.0158, 0.0106,
    ]

    /// Colour of `t` in [0, 1] (callers clamp), read from `table` = `anchors`' storage.
    @inline(__always)
    static func color(_ t: Float, table: UnsafePointer<Float>) -> SIMD3<Float> {
        let position = t * Float(intervals)
        let index = min(Int(position), intervals - 1)
        let fraction = position - Float(index)
        let low = table + index * 3
        let lowColor = SIMD3<Float>(low[0], low[1], low[2])
        let highColor = SIMD3<Float>(low[3], low[4], low[5])
        return lowColor + (highColor - lowColor) * fraction
    }
}
