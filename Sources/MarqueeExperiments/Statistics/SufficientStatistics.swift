/// The sum and sum of squares of a metric over n units: all a t-test needs of a continuous metric.
///
/// Mirrors gbstats' `SampleMeanStatistic`: the variance is the sample variance (n − 1), and 0 when n ≤ 1.
public struct SampleMeanStatistic: Sendable, Hashable, Codable {
    public var n: Int
    public var sum: Double
    public var sumOfSquares: Double

    public init(n: Int, sum: Double, sumOfSquares: Double) {
        self.n = n
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    /// Reduces unit values to the statistic.
    public init(values: some Sequence<Double>) {
        var n = 0
        var sum = 0.0
        var squares = 0.0
        for value in values {
            n += 1
            sum += value
            squares += value * value
        }
        self.init(n: n, sum: sum, sumOfSquares: squares)
    }

    public var mean: Double { n == 0 ? 0 : sum / Double(n) }

    public var variance: Double {
        guard n > 1 else { return 0 }
        return (sumOfSquares - sum * sum / Double(n)) / Double(n - 1)
    }
}

/// The count of units that converted (sum) among n: a 0/1 metric.
///
/// Mirrors gbstats' `ProportionStatistic`: the variance is p(1 − p), the sum of squares equals the sum.
public struct ProportionStatistic: Sendable, Hashable, Codable {
    public var n: Int
    public var sum: Double

    public init(n: Int, sum: Double) {
        self.n = n
        self.sum = sum
    }

    public var mean: Double { n == 0 ? 0 : sum / Double(n) }
    public var sumOfSquares: Double { sum }
    public var variance: Double { mean * (1 - mean) }
}

/// A per-unit metric that is either continuous or 0/1: the parts that ratios and CUPED are made of.
public enum BaseStatistic: Sendable, Hashable, Codable {
    case sampleMean(SampleMeanStatistic)
    case proportion(ProportionStatistic)

    public var n: Int {
        switch self {
        case .sampleMean(let s): s.n
        case .proportion(let s): s.n
        }
    }

    public var sum: Double {
        switch self {
        case .sampleMean(let s): s.sum
        case .proportion(let s): s.sum
        }
    }

    public var mean: Double {
        switch self {
        case .sampleMean(let s): s.mean
        case .proportion(let s): s.mean
        }
    }

    public var variance: Double {
        switch self {
        case .sampleMean(let s): s.variance
        case .proportion(let s): s.variance
        }
    }

    /// The two variants' statistics pooled into one over n units (gbstats' `create_joint_statistic`).
    static func joint(_ a: BaseStatistic, _ b: BaseStatistic, n: Int) throws(StatisticsError) -> BaseStatistic {
        switch (a, b) {
        case (.proportion(let a), .proportion(let b)):
            return .proportion(ProportionStatistic(n: n, sum: a.sum + b.sum))
        case (.sampleMean(let a), .sampleMean(let b)):
            return .sampleMean(SampleMeanStatistic(n: n, sum: a.sum + b.sum, sumOfSquares: a.sumOfSquares + b.sumOfSquares))
        default:
            throw .mismatchedStatistics
        }
    }
}

/// A ratio of two per-unit metrics (clicks per impression), whose variance comes from the delta method.
///
/// Mirrors gbstats' `RatioStatistic`: the mean is Σnumerator / Σdenominator (0 when the denominator sums to 0);
/// the variance is that of the ratio of the two means, Var(m)/d² − 2·Cov(m, d)·m/d³ + m²·Var(d)/d⁴, and 0 when
/// the denominator's mean is 0 or n ≤ 1.
public struct RatioStatistic: Sendable, Hashable, Codable {
    /// The number of units (not of denominator events).
    public var n: Int
    public var numerator: BaseStatistic
    public var denominator: BaseStatistic
    /// Σ numerator·denominator over units.
    public var sumOfProducts: Double

    public init(n: Int, numerator: BaseStatistic, denominator: BaseStatistic, sumOfProducts: Double) {
        self.n = n
        self.numerator = numerator
        self.denominator = denominator
        self.sumOfProducts = sumOfProducts
    }

    public var mean: Double { denominator.sum == 0 ? 0 : numerator.sum / denominator.sum }

    public var covariance: Double {
        guard n > 1 else { return 0 }
        return (sumOfProducts - numerator.sum * denominator.sum / Double(n)) / Double(n - 1)
    }

    public var variance: Double {
        let d = denominator.mean
        guard d != 0, n > 1 else { return 0 }
        let m = numerator.mean
        return numerator.variance / (d * d) - 2 * covariance * m / (d * d * d) + m * m * denominator.variance / (d * d * d * d)
    }
}

/// A metric with its pre-experiment value per unit, for CUPED (regression adjustment).
///
/// Mirrors gbstats' `RegressionAdjustedStatistic`. The adjustment θ is not stored: a test computes it from both
/// variants pooled (``RegressionAdjustedStatistic/theta(_:_:)``), as gbstats does, and the adjusted mean is
/// post − θ·pre with variance Var(post) + θ²·Var(pre) − 2θ·Cov(post, pre).
public struct RegressionAdjustedStatistic: Sendable, Hashable, Codable {
    public var n: Int
    public var post: BaseStatistic
    public var pre: BaseStatistic
    /// Σ post·pre over units.
    public var sumOfProducts: Double

    public init(n: Int, post: BaseStatistic, pre: BaseStatistic, sumOfProducts: Double) {
        self.n = n
        self.post = post
        self.pre = pre
        self.sumOfProducts = sumOfProducts
    }

    public var covariance: Double {
        guard n > 1 else { return 0 }
        return (sumOfProducts - post.sum * pre.sum / Double(n)) / Double(n - 1)
    }

    public func mean(theta: Double) -> Double { post.mean - theta * pre.mean }

    public func variance(theta: Double) -> Double {
        guard n > 1 else { return 0 }
        return post.variance + theta * theta * pre.variance - 2 * theta * covariance
    }

    /// gbstats' `compute_theta`: Cov(post, pre) / Var(pre) over both variants pooled; 0 when either pooled
    /// variance is 0 (the tests then fall back to the unadjusted metric). Throws when the variants' post or pre
    /// statistics are of different kinds.
    public static func theta(_ a: RegressionAdjustedStatistic, _ b: RegressionAdjustedStatistic) throws(StatisticsError) -> Double {
        let n = a.n + b.n
        let post = try BaseStatistic.joint(a.post, b.post, n: n)
        let pre = try BaseStatistic.joint(a.pre, b.pre, n: n)
        if pre.variance == 0 || post.variance == 0 { return 0 }
        let joint = RegressionAdjustedStatistic(n: n, post: post, pre: pre, sumOfProducts: a.sumOfProducts + b.sumOfProducts)
        return joint.covariance / pre.variance
    }
}

/// One variant's sufficient statistic for one metric: what the tests take.
public enum MetricStatistic: Sendable, Hashable, Codable {
    case sampleMean(SampleMeanStatistic)
    case proportion(ProportionStatistic)
    case ratio(RatioStatistic)
    case regressionAdjusted(RegressionAdjustedStatistic)

    public var n: Int {
        switch self {
        case .sampleMean(let s): s.n
        case .proportion(let s): s.n
        case .ratio(let s): s.n
        case .regressionAdjusted(let s): s.n
        }
    }

    /// The metric's value for the variant (for CUPED, the unadjusted post-period mean).
    public var value: Double {
        switch self {
        case .sampleMean(let s): s.mean
        case .proportion(let s): s.mean
        case .ratio(let s): s.mean
        case .regressionAdjusted(let s): s.post.mean
        }
    }

    fileprivate var kind: Int {
        switch self {
        case .sampleMean: 0
        case .proportion: 1
        case .ratio: 2
        case .regressionAdjusted: 3
        }
    }
}

/// What a test reads of a variant once CUPED's θ is fixed: gbstats' `n`, `mean`, `unadjusted_mean`, `variance`.
struct ResolvedStatistic: Sendable {
    var n: Int
    var mean: Double
    var unadjustedMean: Double
    var variance: Double

    var hasZeroVariance: Bool { variance <= 0 }

    init(n: Int, mean: Double, unadjustedMean: Double, variance: Double) {
        self.n = n
        self.mean = mean
        self.unadjustedMean = unadjustedMean
        self.variance = variance
    }

    init(_ base: BaseStatistic) {
        self.init(n: base.n, mean: base.mean, unadjustedMean: base.mean, variance: base.variance)
    }

    init(_ s: RegressionAdjustedStatistic, theta: Double) {
        self.init(n: s.n, mean: s.mean(theta: theta), unadjustedMean: s.post.mean, variance: s.variance(theta: theta))
    }

    /// Both variants as the tests see them. CUPED pairs get the pooled θ; when θ is 0 the frequentist tests fall
    /// back to the post-period statistics and the Bayesian test keeps the adjusted form with θ = 0, exactly as
    /// gbstats 0.8.0 does (its Bayesian test restores the statistics it was given after the fallback).
    static func pair(
        _ a: MetricStatistic, _ b: MetricStatistic, bayesian: Bool
    ) throws(StatisticsError) -> (
        ResolvedStatistic, ResolvedStatistic
    ) {
        guard a.kind == b.kind else { throw .mismatchedStatistics }
        guard a.n >= 0, b.n >= 0 else { throw .invalidParameter("n: a variant's unit count must not be negative") }
        switch (a, b) {
        case (.regressionAdjusted(let a), .regressionAdjusted(let b)):
            let theta = try RegressionAdjustedStatistic.theta(a, b)
            if theta == 0 && !bayesian { return (ResolvedStatistic(a.post), ResolvedStatistic(b.post)) }
            return (ResolvedStatistic(a, theta: theta), ResolvedStatistic(b, theta: theta))
        default:
            return (ResolvedStatistic(a), ResolvedStatistic(b))
        }
    }

    private init(_ s: MetricStatistic) {
        switch s {
        case .sampleMean(let s): self.init(BaseStatistic.sampleMean(s))
        case .proportion(let s): self.init(BaseStatistic.proportion(s))
        case .ratio(let r): self.init(n: r.n, mean: r.mean, unadjustedMean: r.mean, variance: r.variance)
        case .regressionAdjusted(let r): self.init(r, theta: 0)
        }
    }
}

/// Why the engine refuses a computation (gbstats would raise, or the input makes no sense).
public enum StatisticsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The two variants' statistics are of different kinds (a mean against a proportion, say).
    case mismatchedStatistics
    /// A Bayesian prior was given on the other scale (relative vs absolute) and the baseline mean is 0, so it
    /// cannot be rescaled (gbstats 0.8.0 raises ZeroDivisionError here).
    case priorNotRescalable
    /// A parameter is outside its range; the string names it and the range.
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .mismatchedStatistics:
            "statistics: both variants need the same kind of statistic (and, for CUPED, the same kinds of post and pre parts)"
        case .priorNotRescalable: "prior: cannot rescale a prior between relative and absolute effects when the baseline mean is 0"
        case .invalidParameter(let message): message
        }
    }
}
