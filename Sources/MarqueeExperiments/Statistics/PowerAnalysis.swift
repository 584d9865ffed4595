import Foundation

/// A minimum detectable effect: the smallest true change the experiment should be able to find.
public enum MinimumDetectableEffect: Sendable, Hashable, Codable {
    /// In the metric's units (minutes, a conversion rate's points).
    case absolute(Double)
    /// As a share of the baseline (0.05 is +5%).
    case relative(Double)

    func absoluteChange(from baseline: Double) -> Double {
        switch self {
        case .absolute(let change): change
        case .relative(let share): share * baseline
        }
    }
}

/// How the test statistic is approximated: the normal (z-test; statsmodels' `NormalIndPower`) or Student's t with
/// pooled degrees of freedom n₁ + n₂ − 2 (statsmodels' `TTestIndPower`, through the noncentral t).
public enum PowerApproximation: String, Sendable, Hashable, Codable {
    case normal
    case studentT
}

/// The units a two-variant experiment needs.
public struct SampleSize: Sendable, Hashable, Codable {
    /// Units in the control variant, unrounded (what statsmodels' `solve_power` returns as nobs1).
    public var exactControl: Double
    /// Units per variant, rounded up: control, then treatment (control × ratio).
    public var control: Int
    public var treatment: Int
    public var total: Int { control + treatment }
}

/// Power and sample size of a two-sided, two-sample test at a given alpha (what gbstats lacks).
///
/// Power is the chance of a significant result when the true standardized effect is d = Δ / σ, with n₁ control
/// and n₁·ratio treatment units. The sample size is the n₁ at which the power reaches the target, solved to
/// machine precision on the same power function (both tails counted, as statsmodels does).
public enum PowerAnalysis {
    /// The power of the two-sided test for a standardized effect size (Cohen's d, or Cohen's h for proportions).
    public static func power(
        effectSize d: Double, controlUnits n1: Double, alpha: Double, ratio: Double = 1, approximation: PowerApproximation = .normal
    ) -> Double {
        let n2 = n1 * ratio
        let nobs = 1 / (1 / n1 + 1 / n2)
        switch approximation {
        case .normal:
            let critical = StandardNormal.quantile(1 - alpha / 2)
            let shift = d * nobs.squareRoot()
            return StandardNormal.survival(critical - shift) + StandardNormal.cdf(-critical - shift)
        case .studentT:
            let df = n1 + n2 - 2
            let critical = StudentT.quantile(1 - alpha / 2, degreesOfFreedom: df)
            let delta = d * nobs.squareRoot()
            return NoncentralT.survival(critical, degreesOfFreedom: df, noncentrality: delta)
                + NoncentralT.cdf(-critical, degreesOfFreedom: df, noncentrality: delta)
        }
    }

    /// The control-variant units at which the power reaches `power`.
    public static func sampleSize(
        effectSize d: Double, alpha: Double, power target: Double, ratio: Double = 1, approximation: PowerApproximation = .normal
    ) throws(StatisticsError) -> SampleSize {
        guard alpha > 0, alpha < 1 else { throw .invalidParameter("alpha: must be between 0 and 1 (exclusive), got \(alpha)") }
        guard target > alpha, target < 1 else { throw .invalidParameter("power: must be above alpha and below 1, got \(target)") }
        guard d.isFinite, d != 0 else { throw .invalidParameter("minimum_detectable_effect: must be a finite, non-zero effect") }
        guard ratio > 0, ratio.isFinite else { throw .invalidParameter("ratio: must be positive, got \(ratio)") }
        func shortfall(_ n: Double) -> Double {
            power(effectSize: abs(d), controlUnits: n, alpha: alpha, ratio: ratio, approximation: approximation) - target
        }
        // Power rises with n: bracket the root, then bisect to the last bit.
        var low = 1.0 + 1 / ratio  // leaves at least one degree of freedom for the t approximation
        guard shortfall(low) < 0 else {
            throw .invalidParameter("power: reached with the smallest sample already; the effect is too large to plan for")
        }
        var high = 2 * low
        while shortfall(high) < 0 {
            low = high
            high *= 2
            guard high < 1e15 else { throw .invalidParameter("minimum_detectable_effect: too small to detect with any sample") }
        }
        while true {
            let mid = 0.5 * (low + high)
            if mid <= low || mid >= high { break }
            if shortfall(mid) < 0 { low = mid } else { high = mid }
        }
        let exact = high
        let control = Int(exact.rounded(.up))
        return SampleSize(exactControl: exact, control: control, treatment: Int((exact * ratio).rounded(.up)))
    }

    /// Units for a test of means: the effect is the minimum detectable effect over the metric's standard deviation.
    public static func sampleSizeForMeans(
        baselineMean: Double, standardDeviation: Double, minimumDetectableEffect: MinimumDetectableEffect, alpha: Double = 0.05,
        power: Double = 0.8, ratio: Double = 1, approximation: PowerApproximation = .studentT
    ) throws(StatisticsError) -> SampleSize {
        guard standardDeviation > 0, standardDeviation.isFinite else {
            throw .invalidParameter("standard_deviation: must be positive, got \(standardDeviation)")
        }
        let change = minimumDetectableEffect.absoluteChange(from: baselineMean)
        return try sampleSize(
            effectSize: change / standardDeviation, alpha: alpha, power: power, ratio: ratio, approximation: approximation)
    }

    /// Units for a test of a *relative* lift of a mean, the way the report tests it: the ratio of the variants'
    /// means, whose delta-method variance is σ²/μ² · (1/n_t + (1+δ)²/n_c) when the treatment keeps control's σ
    /// and moves its mean to μ(1+δ) (GrowthBook's power calculator, `frequentistVariance` with `relative`); a
    /// `treatmentStandardDeviation` replaces the treatment's σ (a proportion's √(p'(1−p')), say). Against
    /// the absolute difference's 2σ²/n (at ratio 1) this asks (1 + (1+δ)²) / 2 times the units for a rise — 1.105×
    /// at +10%, 1.345× at +30% — and fewer for a fall. The standardized effect handed to the power function is
    /// δμ/σ · √((1+r) / (ρ² + r(1+δ)²)) with r = n_t / n_c and ρ = σ_t / σ, which gives the same δ / SE at every n.
    public static func sampleSizeForRelativeLift(
        baselineMean: Double, standardDeviation: Double, treatmentStandardDeviation: Double? = nil, lift: Double,
        alpha: Double = 0.05, power: Double = 0.8,
        ratio: Double = 1, approximation: PowerApproximation = .studentT
    ) throws(StatisticsError) -> SampleSize {
        guard standardDeviation > 0, standardDeviation.isFinite else {
            throw .invalidParameter("standard_deviation: must be positive, got \(standardDeviation)")
        }
        guard baselineMean != 0, baselineMean.isFinite else {
            throw .invalidParameter("baseline_mean: a relative lift needs a non-zero mean, got \(baselineMean)")
        }
        guard lift > -1, lift.isFinite else { throw .invalidParameter("minimum_detectable_effect: must be above -1, got \(lift)") }
        guard ratio > 0, ratio.isFinite else { throw .invalidParameter("ratio: must be positive, got \(ratio)") }
        let rho = (treatmentStandardDeviation ?? standardDeviation) / standardDeviation
        guard rho > 0, rho.isFinite else {
            throw .invalidParameter("treatment_standard_deviation: must be positive, got \(treatmentStandardDeviation ?? 0)")
        }
        let d = lift * abs(baselineMean) / standardDeviation
        let scale = ((1 + ratio) / (rho * rho + ratio * (1 + lift) * (1 + lift))).squareRoot()
        return try sampleSize(effectSize: d * scale, alpha: alpha, power: power, ratio: ratio, approximation: approximation)
    }

    /// Cohen's h, the variance-stabilized difference of two proportions: 2·asin(√p₂) − 2·asin(√p₁)
    /// (statsmodels' `proportion_effectsize(p2, p1)`).
    public static func cohensH(from p1: Double, to p2: Double) -> Double {
        2 * (asin(p2.squareRoot()) - asin(p1.squareRoot()))
    }

    /// Units for a test of proportions (the normal approximation on Cohen's h, as statsmodels plans it).
    public static func sampleSizeForProportions(
        baselineRate: Double, minimumDetectableEffect: MinimumDetectableEffect, alpha: Double = 0.05, power: Double = 0.8,
        ratio: Double = 1
    ) throws(StatisticsError) -> SampleSize {
        guard baselineRate > 0, baselineRate < 1 else {
            throw .invalidParameter("baseline_rate: must be between 0 and 1 (exclusive), got \(baselineRate)")
        }
        let treated = baselineRate + minimumDetectableEffect.absoluteChange(from: baselineRate)
        guard treated > 0, treated < 1 else {
            throw .invalidParameter("minimum_detectable_effect: moves the rate to \(treated), outside (0, 1)")
        }
        return try sampleSize(
            effectSize: cohensH(from: baselineRate, to: treated), alpha: alpha, power: power, ratio: ratio, approximation: .normal)
    }
}
