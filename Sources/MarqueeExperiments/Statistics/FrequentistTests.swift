import Foundation

/// Whether an effect is reported as treatment − control (absolute) or (treatment − control) / control (relative).
public enum DifferenceType: String, Sendable, Hashable, Codable {
    case relative
    case absolute
}

/// An interval for an effect (confidence or credible). A plain pair, never a trapping range: a degenerate input
/// can make its bounds NaN without crashing anything.
public struct Interval: Sendable, Hashable, Codable {
    public var lower: Double
    public var upper: Double

    public init(_ lower: Double, _ upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// Whether zero lies strictly outside the interval.
    public var excludesZero: Bool { lower > 0 || upper < 0 }
}

/// Why a test returned gbstats' uninformative default instead of a result (gbstats' error messages).
public enum TestRefusal: String, Sendable, Hashable, Codable {
    /// The baseline's mean is 0, so there is nothing to be relative to (the frequentist tests refuse this for
    /// absolute differences too, as gbstats does).
    case baselineZero = "ZERO_NEGATIVE_BASELINE_VARIATION"
    /// A variant's variance is 0 or negative (all values equal, n ≤ 1, a ratio with a zero denominator).
    case zeroVariance = "ZERO_NEGATIVE_VARIANCE"
    /// A variant has no units (Bayesian test).
    case noUnits = "NO_UNITS_IN_VARIATION"
}

/// A frequentist test's answer about treatment vs control.
public struct FrequentistResult: Sendable, Hashable, Codable {
    /// The estimated effect (relative or absolute, as asked).
    public var effect: Double
    /// The two-sided confidence interval (always-valid for the sequential test).
    public var interval: Interval
    public var pValue: Double
    /// The standard error of the effect.
    public var standardError: Double
    public var difference: DifferenceType
    /// Set when the test could not be run and the fields hold gbstats' defaults (effect 0, interval [0, 0], p 1).
    public var refusal: TestRefusal?

    static func refused(_ refusal: TestRefusal, difference: DifferenceType) -> FrequentistResult {
        FrequentistResult(effect: 0, interval: Interval(0, 0), pValue: 1, standardError: 0, difference: difference, refusal: refusal)
    }
}

/// The effect and its variance as gbstats' `frequentist_diff` and `frequentist_variance` compute them.
struct EffectEstimate {
    var effect: Double
    var variance: Double

    init(_ a: ResolvedStatistic, _ b: ResolvedStatistic, difference: DifferenceType) {
        let na = Double(a.n)
        let nb = Double(b.n)
        switch difference {
        case .relative:
            // Divides by the baseline's unadjusted mean as it is (no absolute value: a negative baseline flips the sign).
            let ma = a.unadjustedMean
            effect = (b.mean - a.mean) / ma
            variance = b.variance / (ma * ma * nb) + a.variance * b.unadjustedMean * b.unadjustedMean / (ma * ma * ma * ma * na)
        case .absolute:
            effect = b.mean - a.mean
            variance = b.variance / nb + a.variance / na
        }
    }
}

/// The checks gbstats' `TTest.compute_result` makes before testing.
private func frequentistRefusal(_ a: ResolvedStatistic, _ b: ResolvedStatistic) -> TestRefusal? {
    if a.mean == 0 || a.unadjustedMean == 0 { return .baselineZero }
    if a.hasZeroVariance || b.hasZeroVariance { return .zeroVariance }
    return nil
}

private func checkAlpha(_ alpha: Double) throws(StatisticsError) {
    guard alpha > 0, alpha < 1 else { throw .invalidParameter("alpha: must be between 0 and 1 (exclusive), got \(alpha)") }
}

/// Welch's two-sample t-test with unequal variances (gbstats' `TwoSidedTTest`).
///
/// The p-value and interval use Student's t with Welch–Satterthwaite degrees of freedom; relative effects use
/// the delta method. Valid only when the sample size was fixed in advance: peeking needs ``SequentialTwoSidedTTest``.
public struct TwoSidedTTest: Sendable, Hashable {
    public var alpha: Double
    public var difference: DifferenceType

    public init(alpha: Double = 0.05, difference: DifferenceType = .relative) {
        self.alpha = alpha
        self.difference = difference
    }

    public func result(control: MetricStatistic, treatment: MetricStatistic) throws(StatisticsError) -> FrequentistResult {
        try checkAlpha(alpha)
        let (a, b) = try ResolvedStatistic.pair(control, treatment, bayesian: false)
        if let refusal = frequentistRefusal(a, b) { return .refused(refusal, difference: difference) }
        let estimate = EffectEstimate(a, b, difference: difference)
        let se = estimate.variance.squareRoot()
        let df = Self.welchDegreesOfFreedom(a, b)
        let t = estimate.effect / se
        let width = StudentT.quantile(1 - alpha / 2, degreesOfFreedom: df) * se
        return FrequentistResult(
            effect: estimate.effect, interval: Interval(estimate.effect - width, estimate.effect + width),
            pValue: StudentT.twoSidedTail(t, degreesOfFreedom: df), standardError: se, difference: difference, refusal: nil)
    }

    static func welchDegreesOfFreedom(_ a: ResolvedStatistic, _ b: ResolvedStatistic) -> Double {
        let na = Double(a.n)
        let nb = Double(b.n)
        let sum = b.variance / nb + a.variance / na
        return sum * sum / (b.variance * b.variance / (nb * nb * (nb - 1)) + a.variance * a.variance / (na * na * (na - 1)))
    }
}

/// gbstats' `SequentialTwoSidedTTest`: always-valid intervals and p-values (Waudby-Smith et al., eq. 9 and 155 of
/// arXiv:2103.06476v7) that stay valid however often the experiment is looked at.
///
/// The tuning parameter is the total sample size (both variants) at which the interval is tightest; gbstats'
/// default is 5,000.
public struct SequentialTwoSidedTTest: Sendable, Hashable {
    public var alpha: Double
    public var difference: DifferenceType
    public var tuning: Double

    public init(alpha: Double = 0.05, difference: DifferenceType = .relative, tuning: Double = 5000) {
        self.alpha = alpha
        self.difference = difference
        self.tuning = tuning
    }

    public func result(control: MetricStatistic, treatment: MetricStatistic) throws(StatisticsError) -> FrequentistResult {
        try checkAlpha(alpha)
        guard tuning > 0 else { throw .invalidParameter("tuning: must be positive, got \(tuning)") }
        let (a, b) = try ResolvedStatistic.pair(control, treatment, bayesian: false)
        if let refusal = frequentistRefusal(a, b) { return .refused(refusal, difference: difference) }
        let estimate = EffectEstimate(a, b, difference: difference)
        let n = Double(a.n + b.n)
        let rho2 = (-2 * log(alpha) + log(-2 * log(alpha) + 1)) / tuning
        let s2 = estimate.variance * n
        let nRho2PlusOne = n * rho2 + 1
        let width = s2.squareRoot() * (2 * nRho2PlusOne * log(nRho2PlusOne.squareRoot() / alpha) / (n * n * rho2)).squareRoot()
        let st2 = estimate.effect * estimate.effect * n / estimate.variance
        let evidence = exp(rho2 * st2 / (2 * nRho2PlusOne)) / nRho2PlusOne.squareRoot()
        return FrequentistResult(
            effect: estimate.effect, interval: Interval(estimate.effect - width, estimate.effect + width),
            pValue: min(1 / evidence, 1), standardError: estimate.variance.squareRoot(), difference: difference, refusal: nil)
    }
}

/// gbstats' `check_srm`: the chi-square test of observed units per variant against the planned weights.
///
/// Returns the p-value (1 when there are no units); a small one (gbstats' UI warns below 0.001) means the split
/// is not what was planned, and the experiment's results should not be trusted. Variants with weight ≤ 0 add
/// nothing to the statistic but still count in the degrees of freedom, as in gbstats.
public func checkSRM(users: [Int], weights: [Double]) throws(StatisticsError) -> Double {
    guard users.count == weights.count, users.count >= 2 else {
        throw .invalidParameter("weights: need one weight per variant and at least two variants")
    }
    guard users.allSatisfy({ $0 >= 0 }) else { throw .invalidParameter("users: counts must not be negative") }
    let total = Double(users.reduce(0, +))
    if total == 0 { return 1 }
    let totalWeight = weights.reduce(0, +)
    var x = 0.0
    for (observed, weight) in zip(users, weights) where weight > 0 {
        let expected = weight / totalWeight * total
        x += (Double(observed) - expected) * (Double(observed) - expected) / expected
    }
    return ChiSquare.survival(x, degreesOfFreedom: Double(users.count - 1))
}
