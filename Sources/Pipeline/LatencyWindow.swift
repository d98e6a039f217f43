/// The last `capacity` latencies, for percentiles in the status file: a long-running daemon must
/// report how it does now, not averaged over months.
public struct LatencyWindow {
    private var samples: [Double]
    private var next = 0
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        samples = [Double](repeating: 0, count: max(capacity, 1))
    }

    public mutating func add(_ seconds: Double) {
        samples[next] = seconds
        next = (next + 1) % samples.count
        count = min(count + 1, samples.count)
    }

    /// The q-quantile (0...1) by the nearest-rank rule; nil while empty.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let sorted = samples[0..<count].sorted()
        let rank = Int((q * Double(count)).rounded(.up))
        return sorted[min(max(rank, 1), count) - 1]
    }
}
