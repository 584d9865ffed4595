import Foundation

/// A normal prior on the effect (gbstats' `GaussianPrior`), on the relative or the absolute scale.
///
/// gbstats 0.8.0's default is improper (ignored): mean 0, variance 1, on the relative scale, not proper, so the
/// posterior is the normal approximation of the data alone. A proper prior shrinks the effect towards its mean;
/// gbstats' experiment runner uses prior standard deviation 0.1 (relative) when a metric turns one on.
public struct GaussianPrior: Sendable, Hashable, Codable {
    public var mean: Double
    public var variance: Double
    public var proper: Bool
    /// The scale the mean and variance are stated on.
    public var scale: DifferenceType

    public init(mean: Double = 0, variance: Double = 1, proper: Bool = false, scale: DifferenceType = .relative) {
        self.mean = mean
        self.variance = variance
        self.proper = proper
        self.scale = scale
    }

    /// gbstats' default: improper (no influence).
    public static let improper = GaussianPrior()

    /// A proper prior with the given mean and standard deviation.
    public static func proper(mean: Double, standardDeviation: Double, scale: DifferenceType) -> GaussianPrior {
        GaussianPrior(mean: mean, variance: standardDeviation * standardDeviation, proper: true, scale: scale)
    }
}

/// A Bayesian test's answer about treatment vs control.
public struct BayesianResult: Sendable, Hashable, Codable {
    /// The posterior probability that the treatment is better (for an inverse metric, that its value is lower).
    public var chanceToWin: Double
    /// The posterior mean of the effect.
    public var effect: Double
    /// The equal-tailed credible interval at level 1 − alpha.
    public var interval: Interval
    /// The posterior standard deviation of the effect.
    public var standardDeviation: Double
    /// Expected loss: [of choosing control, of choosing treatment], in the effect's units (gbstats' order; for
    /// an inverse metric the two are swapped, as gbstats does).
    public var risk: [Double]
    public var difference: DifferenceType
    public var refusal: TestRefusal?

    static func refused(_ refusal: TestRefusal, difference: DifferenceType) -> BayesianResult {
        BayesianResult(
            chanceToWin: 0.5, effect: 0, interval: Interval(0, 0), standardDeviation: 0, risk: [0, 0], difference: difference,
            refusal: refusal)
    }
}

/// gbstats 0.8.0's `EffectBayesianABTest`: a normal posterior for the effect from the data's normal approximation
/// (the same effect and variance as the t-test) and a Gaussian prior.
///
/// Chance to win = P(effect > 0 | data); the credible interval is the posterior's equal-tailed interval; risk is
/// the expected loss E[max(0, effect)] of keeping control and E[max(0, −effect)] of shipping treatment.
public struct EffectBayesianABTest: Sendable, Hashable {
    public var alpha: Double
    public var difference: DifferenceType
    /// Lower is better (abandons, time to select): chance to win is P(effect < 0).
    public var inverse: Bool
    public var prior: GaussianPrior

    public init(alpha: Double = 0.05, difference: DifferenceType = .relative, inverse: Bool = false, prior: GaussianPrior = .improper) {
        self.alpha = alpha
        self.difference = difference
        self.inverse = inverse
        self.prior = prior
    }

    public func result(control: MetricStatistic, treatment: MetricStatistic) throws(StatisticsError) -> BayesianResult {
        guard alpha > 0, alpha < 1 else { throw .invalidParameter("alpha: must be between 0 and 1 (exclusive), got \(alpha)") }
        guard prior.variance > 0 || !prior.proper else { throw .invalidParameter("prior: a proper prior needs a positive variance") }
        let (a, b) = try ResolvedStatistic.pair(control, treatment, bayesian: true)
        // The prior moves to the effect's scale first (gbstats does this in its initializer, before any check).
        let baseline = a.unadjustedMean
        var priorMean = prior.mean
        var priorVariance = prior.variance
        if prior.scale != difference {
            if difference == .relative {
                // gbstats divides by the baseline here: at a zero baseline it raises ZeroDivisionError.
                guard baseline != 0 else { throw .priorNotRescalable }
                priorMean /= abs(baseline)
                priorVariance /= baseline * baseline
            } else {
                priorMean *= abs(baseline)
                priorVariance *= baseline * baseline
            }
        }
        if difference == .relative && (a.mean == 0 || a.unadjustedMean == 0) { return .refused(.baselineZero, difference: difference) }
        if a.n == 0 || b.n == 0 { return .refused(.noUnits, difference: difference) }
        if a.hasZeroVariance || b.hasZeroVariance { return .refused(.zeroVariance, difference: difference) }
        // gbstats computes 0 / priorVariance even for an improper prior: a variance rescaled to 0 (a relative prior
        // on an absolute effect at a zero baseline) raises ZeroDivisionError there.
        guard priorVariance != 0 else { throw .priorNotRescalable }

        let data = EffectEstimate(a, b, difference: difference)
        let precision = 1 / data.variance + (prior.proper ? 1 / priorVariance : 0)
        let mean = prior.proper ? (data.effect / data.variance + priorMean / priorVariance) / precision : data.effect
        let sd = (1 / precision).squareRoot()
        let z = mean / sd
        let chanceToWin = inverse ? StandardNormal.cdf(-z) : StandardNormal.cdf(z)
        let interval = Interval(
            mean + sd * StandardNormal.quantile(alpha / 2), mean + sd * StandardNormal.quantile(1 - alpha / 2))
        // E[max(0, X)] = μΦ(μ/σ) + σφ(μ/σ) and E[max(0, −X)] = σφ(μ/σ) − μΦ(−μ/σ) for X ~ N(μ, σ²): gbstats'
        // P(X > 0)·E[X | X > 0] and −P(X < 0)·E[X | X < 0] from truncated normal means, in closed form.
        let riskOfControl = mean * StandardNormal.cdf(z) + sd * StandardNormal.density(z)
        let riskOfTreatment = sd * StandardNormal.density(z) - mean * StandardNormal.cdf(-z)
        return BayesianResult(
            chanceToWin: chanceToWin, effect: mean, interval: interval, standardDeviation: sd,
            risk: inverse ? [riskOfTreatment, riskOfControl] : [riskOfControl, riskOfTreatment], difference: difference, refusal: nil)
    }
}
