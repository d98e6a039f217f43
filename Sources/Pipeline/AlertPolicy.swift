/// From per-frame verdicts to alerts: an alert needs `required` anomalous frames among the last
/// `window` (N-of-M debounce, so one noisy frame does not reject a part), and after an alert no
/// other is raised for `cooldownNs` (one defect passing under the camera gives one reject pulse).
/// The window keeps sliding during the cooldown; a defect still in view after it alerts again.
public struct AlertPolicy {
    public let required: Int
    public let window: Int
    public let cooldownNs: UInt64
    private var history: [Bool]
    private var next = 0
    private var filled = 0
    private var lastAlert: UInt64? = nil

    public struct Decision: Equatable {
        /// At least `required` of the last `window` frames were anomalous.
        public var confirmed: Bool
        /// Confirmed, and outside the cooldown: raise the alert now.
        public var alert: Bool
        /// Confirmed but held back by the cooldown.
        public var suppressed: Bool
    }

    public init(required: Int, window: Int, cooldownNs: UInt64) {
        precondition(required >= 1 && window >= required, "debounce needs 1 <= N <= M")
        self.required = required
        self.window = window
        self.cooldownNs = cooldownNs
        history = [Bool](repeating: false, count: window)
    }

    public mutating func decide(anomalous: Bool, now: UInt64) -> Decision {
        history[next] = anomalous
        next = (next + 1) % window
        filled = min(filled + 1, window)
        var count = 0
        for i in 0..<filled where history[i] { count += 1 }
        let confirmed = count >= required
        var alert = false, suppressed = false
        if confirmed {
            if let last = lastAlert, now &- last < cooldownNs {
                suppressed = true
            } else {
                alert = true
                lastAlert = now
            }
        }
        return Decision(confirmed: confirmed, alert: alert, suppressed: suppressed)
    }

    /// Forgets the history (after the camera was lost: frames either side are not neighbours).
    public mutating func reset() {
        for i in 0..<window { history[i] = false }
        next = 0
        filled = 0
    }
}
