import Pipeline
import XCTest

final class AlertPolicyTests: XCTestCase {
    let ms: UInt64 = 1_000_000

    func run(_ policy: inout AlertPolicy, _ verdicts: [Bool], every step: UInt64) -> [AlertPolicy.Decision] {
        var now: UInt64 = 1_000 * ms
        return verdicts.map { verdict in
            now += step
            return policy.decide(anomalous: verdict, now: now)
        }
    }

    func testTwoOfThreeIgnoresASingleNoisyFrame() {
        var policy = AlertPolicy(required: 2, window: 3, cooldownNs: 0)
        let decisions = run(&policy, [true, false, false, true, false, true, true], every: 10 * ms)
        XCTAssertEqual(decisions.map { $0.confirmed }, [false, false, false, false, false, true, true])
        XCTAssertEqual(decisions.map { $0.alert }, [false, false, false, false, false, true, true])
    }

    func testCooldownHoldsBackRepeatsThenAlertsAgain() {
        var policy = AlertPolicy(required: 1, window: 1, cooldownNs: 100 * ms)
        // 40 ms apart: alert at t0, t0+40 and t0+80 suppressed, t0+120 alerts again.
        let decisions = run(&policy, [true, true, true, true, false, true], every: 40 * ms)
        XCTAssertEqual(decisions.map { $0.alert }, [true, false, false, true, false, false])
        XCTAssertEqual(decisions.map { $0.suppressed }, [false, true, true, false, false, true])
    }

    func testResetForgetsTheWindow() {
        var policy = AlertPolicy(required: 2, window: 2, cooldownNs: 0)
        XCTAssertFalse(policy.decide(anomalous: true, now: 1).confirmed)
        policy.reset()
        XCTAssertFalse(policy.decide(anomalous: true, now: 2).confirmed)
        XCTAssertTrue(policy.decide(anomalous: true, now: 3).alert)
    }

    func testLatencyQuantilesUseTheNewestSamplesOnly() {
        var window = LatencyWindow(capacity: 4)
        XCTAssertNil(window.quantile(0.5))
        for value in [100.0, 100, 100, 100, 1, 2, 3, 4] { window.add(value) }
        XCTAssertEqual(window.count, 4)
        XCTAssertEqual(window.quantile(0.5), 2)
        XCTAssertEqual(window.quantile(0.99), 4)
        XCTAssertEqual(window.quantile(0), 1)
    }

    func testBackoffDoublesToItsCapAndResets() {
        var backoff = Backoff(minimumMs: 250, maximumMs: 1500)
        XCTAssertEqual((0..<5).map { _ in backoff.next() }, [250, 500, 1000, 1500, 1500])
        backoff.reset()
        XCTAssertEqual(backoff.next(), 250)
    }
}
