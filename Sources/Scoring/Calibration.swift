/// Setting the decision threshold from defect-free images only.
///
/// Rule (the same as tools/edgeinspect/export.py): threshold = margin x quantile_q(good scores),
/// with numpy's default ("linear") quantile. The quantile tolerates a few unlucky calibration images;
/// the margin above 1 keeps good parts slightly worse than every calibration image from being
/// rejected. Calibration images must not have been used for training: a network reconstructs its
/// training images better than new good parts, which would set the threshold too low.
public struct Calibration {
    public var quantile: Float
    public var margin: Float

    public init(quantile: Float = 0.99, margin: Float = 1.1) {
        self.quantile = quantile
        self.margin = margin
    }

    public func threshold(goodScores: [Float]) -> Float {
        margin * Calibration.quantile(goodScores, quantile)
    }

    /// numpy.quantile(values, q) with the default linear interpolation between order statistics.
    public static func quantile(_ values: [Float], _ q: Float) -> Float {
        precondition(!values.isEmpty, "quantile of no values")
        let sorted = values.sorted()
        let position = Double(q) * Double(sorted.count - 1)
        let lower = Int(position)
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = Float(position - Double(lower))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    /// The highest score's index and its ratio to the next highest, when that ratio is over
    /// `factor`: with a high quantile that one image sets the threshold alone. A defective part
    /// slipped in among the good ones does exactly that, and raises the threshold until similar
    /// defects pass.
    public static func loneOutlier(_ scores: [Float], factor: Float = 1.5) -> (index: Int, ratio: Float)? {
        guard scores.count >= 2, let top = scores.indices.max(by: { scores[$0] < scores[$1] }) else { return nil }
        let next = scores.indices.filter { $0 != top }.map { scores[$0] }.max()!
        return scores[top] > factor * next ? (top, scores[top] / next) : nil
    }

    /// Fraction of `scores` above `threshold`.
    public static func rejectedFraction(_ scores: [Float], threshold: Float) -> Float {
        Float(scores.filter { $0 > threshold }.count) / Float(max(scores.count, 1))
    }

    /// The false-reject rate to expect on new good parts, estimated by k-fold cross-validation:
    /// each fold is scored against the threshold the rule sets from the other folds. Unlike the
    /// in-sample rate (which the margin drives to about zero by construction) this shows what too few
    /// calibration images cost. Folds take every k-th image, so the estimate is deterministic.
    public func estimatedFalseRejectRate(goodScores: [Float], folds: Int = 5) -> Float {
        let k = min(folds, goodScores.count)
        guard k >= 2 else { return .nan }
        var rejected = 0
        for fold in 0..<k {
            var train: [Float] = [], test: [Float] = []
            for (i, s) in goodScores.enumerated() {
                if i % k == fold { test.append(s) } else { train.append(s) }
            }
            let t = threshold(goodScores: train)
            rejected += test.filter { $0 > t }.count
        }
        return Float(rejected) / Float(goodScores.count)
    }

    /// A one-sided upper confidence bound on a false-reject rate measured as `rate` on `images`
    /// parts (Wilson's score interval; z = 1.645 is 95 %). A rate of 0 % from 70 images still allows
    /// 3.7 %: the point estimate alone hides how little a few dozen images say about a 1 % tail.
    public static func falseRejectUpperBound(rate: Float, images: Int, z: Double = 1.645) -> Float {
        guard images > 0, rate.isFinite else { return .nan }
        let n = Double(images), p = Double(rate), z2 = z * z
        let spread = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return Float(min(1, (p + z2 / (2 * n) + spread) / (1 + z2 / n)))
    }
}
