import Foundation
import Testing

@testable import MarqueeExperiments

// Cases worked by hand (the arithmetic is in the comments), independent of gbstats and of the fixture.

@Suite("Statistics computed by hand")
struct HandComputedStatisticsTests {
    @Test("2×2 proportions: 100/1000 vs 125/1000")
    func twoByTwoProportions() throws {
        // Effect 0.125 − 0.1 = 0.025; variance 0.1·0.9/1000 + 0.125·0.875/1000 = 0.000199375; se = 0.0141200;
        // z = 1.77054; two-sided normal p = 2·(1 − Φ(1.77054)) = 0.076638. Welch's df here is ~1,950, so the
        // t-test's p is within 2e-4 of the normal one (and above it: t has heavier tails).
        let a = MetricStatistic.proportion(ProportionStatistic(n: 1000, sum: 100))
        let b = MetricStatistic.proportion(ProportionStatistic(n: 1000, sum: 125))
        let result = try TwoSidedTTest(difference: .absolute).result(control: a, treatment: b)
        #expect(abs(result.effect - 0.025) < 1e-15)
        #expect(abs(result.standardError - 0.000199375.squareRoot()) < 1e-15)
        #expect(result.pValue > 0.076638 && result.pValue < 0.076638 + 2e-4)
        #expect(result.interval.lower < 0 && result.interval.upper > 0)
        // Relative: 0.025 / 0.1 = +25%.
        let relative = try TwoSidedTTest(difference: .relative).result(control: a, treatment: b)
        #expect(abs(relative.effect - 0.25) < 1e-12)
        // Bayesian with gbstats' default (flat) prior: chance to win = Φ(z) = 0.961681; the interval is
        // 0.025 ± 1.959964·0.0141200 = [−0.002675, 0.052675].
        let bayes = try EffectBayesianABTest(difference: .absolute).result(control: a, treatment: b)
        #expect(abs(bayes.chanceToWin - 0.9616810186) < 1e-9)
        #expect(abs(bayes.interval.lower - (0.025 - 1.959963984540054 * 0.014120021246442939)) < 1e-12)
        #expect(abs(bayes.interval.upper - (0.025 + 1.959963984540054 * 0.014120021246442939)) < 1e-12)
    }

    @Test("a sample mean and a ratio by the delta method")
    func meanAndRatio() {
        // Values 1, 2, 3, 4: mean 2.5, sample variance (30 − 100/4) / 3 = 5/3.
        let mean = SampleMeanStatistic(values: [1, 2, 3, 4])
        #expect(mean.mean == 2.5)
        #expect(abs(mean.variance - 5.0 / 3.0) < 1e-15)
        // Units (m, d) = (1, 2), (2, 2), (0, 4), (3, 4): ratio 6/12 = 0.5; Var(m) = 5/3, Var(d) = 4/3,
        // Cov = (18 − 6·12/4)/3 = 0; delta method: (5/3)/3² − 0 + 1.5²·(4/3)/3⁴ = 5/27 + 1/27 = 2/9.
        let ratio = RatioStatistic(
            n: 4, numerator: .sampleMean(SampleMeanStatistic(values: [1, 2, 0, 3])),
            denominator: .sampleMean(SampleMeanStatistic(values: [2, 2, 4, 4])), sumOfProducts: 2 + 4 + 0 + 12)
        #expect(ratio.mean == 0.5)
        #expect(ratio.covariance == 0)
        #expect(abs(ratio.variance - 2.0 / 9.0) < 1e-15)
    }

    @Test("CUPED's theta is pooled over both variants")
    func cupedTheta() throws {
        // A: post 2, 3, 4 with pre 1, 2, 3; B: post 4, 5, 6 with the same pre. Pooled over 6 units:
        // Cov(post, pre) = (52 − 24·12/6)/5 = 0.8 and Var(pre) = (28 − 12²/6)/5 = 0.8, so θ = 1
        // (each variant alone would also give 1; their means differ, which pooling must not mistake for slope).
        let a = RegressionAdjustedStatistic(
            n: 3, post: .sampleMean(SampleMeanStatistic(values: [2, 3, 4])), pre: .sampleMean(SampleMeanStatistic(values: [1, 2, 3])),
            sumOfProducts: 2 + 6 + 12)
        let b = RegressionAdjustedStatistic(
            n: 3, post: .sampleMean(SampleMeanStatistic(values: [4, 5, 6])), pre: .sampleMean(SampleMeanStatistic(values: [1, 2, 3])),
            sumOfProducts: 4 + 10 + 18)
        let theta = try RegressionAdjustedStatistic.theta(a, b)
        #expect(abs(theta - 1) < 1e-12)
        #expect(abs(a.mean(theta: theta) - 1) < 1e-12)
        #expect(abs(b.mean(theta: theta) - 3) < 1e-12)
        // Mixed kinds cannot be pooled: gbstats raises, the engine refuses.
        let mixed = RegressionAdjustedStatistic(
            n: 3, post: .proportion(ProportionStatistic(n: 3, sum: 1)), pre: a.pre, sumOfProducts: 1)
        #expect(throws: StatisticsError.mismatchedStatistics) { try RegressionAdjustedStatistic.theta(a, mixed) }
    }

    @Test("sample-ratio mismatch: 5,200 vs 4,800 on a 50/50 split")
    func srm() throws {
        // Expected 5,000 each: χ² = 200²/5000 · 2 = 16 on 1 df, p = 2·(1 − Φ(4)) = 6.334248e-5.
        #expect(abs(try checkSRM(users: [5200, 4800], weights: [0.5, 0.5]) - 6.334248366623996e-05) < 1e-12)
        #expect(try checkSRM(users: [5000, 5000], weights: [1, 1]) == 1)
        #expect(throws: StatisticsError.self) { try checkSRM(users: [1, 2], weights: [1]) }
        #expect(throws: StatisticsError.self) { try checkSRM(users: [-1, 2], weights: [1, 1]) }
    }

    @Test("distributions at known points")
    func distributions() {
        #expect(abs(StandardNormal.quantile(0.975) - 1.959963984540054) < 1e-14)
        // t with 1 df is Cauchy: quantile tan(π(p − ½)); with 2 df it is (2p − 1)/√(2p(1 − p)) = 4.302653 at 0.975.
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 1) - tan(Double.pi * 0.475)) < 1e-9)
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: 2) - 0.95 / (2 * 0.975 * 0.025).squareRoot()) < 1e-9)
        // Chi-square with 2 df is exponential with mean 2: P(X > x) = e^(−x/2).
        #expect(abs(ChiSquare.survival(3, degreesOfFreedom: 2) - exp(-1.5)) < 1e-14)
        // The noncentral t with δ = 0 is the central t.
        #expect(abs(NoncentralT.cdf(1.3, degreesOfFreedom: 7, noncentrality: 0) - StudentT.cdf(1.3, degreesOfFreedom: 7)) < 1e-12)
    }

    @Test("Holm and Benjamini–Hochberg on four p-values")
    func multipleTesting() throws {
        // Sorted 0.005, 0.01, 0.03, 0.04. Holm: ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max 0.02, 0.03,
        // 0.06, 0.06. BH: ×4/1, ×4/2, ×4/3, ×4/4 = 0.02, 0.02, 0.04, 0.04 → running min from the top: the same.
        let p = [0.01, 0.04, 0.03, 0.005]
        let holm = try MultipleTestingCorrection.holm.adjust(p)
        let bh = try MultipleTestingCorrection.benjaminiHochberg.adjust(p)
        for (actual, expected) in zip(holm, [0.03, 0.06, 0.06, 0.02]) { #expect(abs(actual - expected) < 1e-15) }
        for (actual, expected) in zip(bh, [0.02, 0.04, 0.04, 0.02]) { #expect(abs(actual - expected) < 1e-15) }
        #expect(try MultipleTestingCorrection.none.adjust(p) == p)
        let keyed = try MultipleTestingCorrection.holm.adjust([(key: "ctr/B", pValue: 0.01), (key: "minutes/B", pValue: 0.04)])
        #expect(keyed.map(\.key) == ["ctr/B", "minutes/B"])
        #expect(keyed.map(\.pValue) == [0.02, 0.04])
        #expect(throws: StatisticsError.self) { try MultipleTestingCorrection.holm.adjust([0.1, 1.5]) }
    }

    @Test("sample size for d = 0.5 at alpha 0.05 and power 0.8")
    func sampleSize() throws {
        // Normal: n = 2(z.975 + z.8)²/d² = 8 · 2.801585² = 62.79 (a hair less counting the far tail) → 63.
        let normal = try PowerAnalysis.sampleSize(effectSize: 0.5, alpha: 0.05, power: 0.8)
        #expect(normal.exactControl < 62.79103787479271 && normal.exactControl > 62.78)
        #expect(normal.control == 63 && normal.treatment == 63 && normal.total == 126)
        // t-test: 64 per group (Cohen's table for d = 0.5).
        #expect(try PowerAnalysis.sampleSize(effectSize: 0.5, alpha: 0.05, power: 0.8, approximation: .studentT).control == 64)
        // Means with a relative MDE: +5% of 40 minutes is 2 minutes; σ = 4 gives d = 0.5 again.
        let means = try PowerAnalysis.sampleSizeForMeans(
            baselineMean: 40, standardDeviation: 4, minimumDetectableEffect: .relative(0.05), approximation: .studentT)
        #expect(means.control == 64)
        // A relative lift as the report tests it (delta method): n = (z.975 + z.8)² σ²/(μδ)² · (ρ²/r + (1+δ)²).
        // +5% of 40 with σ = 4: 7.848879 · 4 · (1 + 1.1025) = 66.009 (normal; the far tail adds nothing visible).
        let lift = try PowerAnalysis.sampleSizeForRelativeLift(
            baselineMean: 40, standardDeviation: 4, lift: 0.05, approximation: .normal)
        #expect(abs(lift.exactControl - 66.009) < 0.01 && lift.control == 67)
        // Twice the treatment units, its σ 6 (ρ = 1.5): 7.848879 · 4 · (2.25/2 + 1.1025) = 69.93; treatment 139.86.
        let uneven = try PowerAnalysis.sampleSizeForRelativeLift(
            baselineMean: 40, standardDeviation: 4, treatmentStandardDeviation: 6, lift: 0.05, ratio: 2, approximation: .normal)
        #expect(abs(uneven.exactControl - 69.93) < 0.01 && uneven.control == 70 && uneven.treatment == 140)
        // Proportions: 10% → 12% has h = 2·asin(√0.12) − 2·asin(√0.10) = 0.063982; n = 2 · 7.848879/h² ≈ 3,834.6.
        let proportions = try PowerAnalysis.sampleSizeForProportions(baselineRate: 0.10, minimumDetectableEffect: .absolute(0.02))
        #expect(abs(PowerAnalysis.cohensH(from: 0.1, to: 0.12) - 0.063982) < 1e-6)
        #expect(proportions.control == 3835)
        #expect(throws: StatisticsError.self) {
            try PowerAnalysis.sampleSizeForProportions(baselineRate: 0.95, minimumDetectableEffect: .relative(0.1))
        }
        #expect(throws: StatisticsError.self) { try PowerAnalysis.sampleSize(effectSize: 0, alpha: 0.05, power: 0.8) }
        #expect(throws: StatisticsError.self) { try PowerAnalysis.sampleSize(effectSize: 0.2, alpha: 0.05, power: 1) }
    }

    @Test("refusals: mismatched statistics, bad alpha, a prior that cannot be rescaled")
    func refusals() throws {
        let mean = MetricStatistic.sampleMean(SampleMeanStatistic(values: [1, 2, 3]))
        let proportion = MetricStatistic.proportion(ProportionStatistic(n: 3, sum: 1))
        #expect(throws: StatisticsError.mismatchedStatistics) { try TwoSidedTTest().result(control: mean, treatment: proportion) }
        #expect(throws: StatisticsError.self) { try TwoSidedTTest(alpha: 0).result(control: mean, treatment: mean) }
        let negative = MetricStatistic.sampleMean(SampleMeanStatistic(n: -2, sum: 1, sumOfSquares: 1))
        #expect(throws: StatisticsError.self) { try TwoSidedTTest().result(control: mean, treatment: negative) }
        #expect(throws: StatisticsError.self) { try SequentialTwoSidedTTest(tuning: 0).result(control: mean, treatment: mean) }
        // A zero baseline with an absolute prior on a relative effect: gbstats raises ZeroDivisionError.
        let zero = MetricStatistic.sampleMean(SampleMeanStatistic(values: [-1, 1]))
        let test = EffectBayesianABTest(difference: .relative, prior: .proper(mean: 0, standardDeviation: 1, scale: .absolute))
        #expect(throws: StatisticsError.priorNotRescalable) { try test.result(control: zero, treatment: mean) }
        // gbstats' defaults for a zero-variance variant: effect 0, interval [0, 0], p 1, chance to win ½.
        let flat = MetricStatistic.sampleMean(SampleMeanStatistic(values: [2, 2, 2]))
        let refused = try TwoSidedTTest().result(control: flat, treatment: mean)
        #expect(refused.refusal == .zeroVariance && refused.pValue == 1 && refused.interval == Interval(0, 0))
        #expect(try EffectBayesianABTest().result(control: flat, treatment: mean).chanceToWin == 0.5)
    }

    @Test("guardrails fail only when the interval lies wholly on the harmful side")
    func guardrails() {
        #expect(GuardrailVerdict(interval: Interval(-0.08, -0.01), harmful: .decrease) == .failed)
        #expect(GuardrailVerdict(interval: Interval(-0.08, 0.01), harmful: .decrease) == .passed)
        #expect(GuardrailVerdict(interval: Interval(0.01, 0.08), harmful: .decrease) == .passed)
        #expect(GuardrailVerdict(interval: Interval(0.01, 0.08), harmful: .increase) == .failed)
        #expect(GuardrailVerdict(interval: Interval(-0.01, 0.08), harmful: .increase) == .passed)
        #expect(
            GuardrailVerdict(interval: Interval(0.01, 0.08), harmful: .increase, refusal: .zeroVariance) == .inconclusive(.zeroVariance))
        let result = FrequentistResult(
            effect: 0.05, interval: Interval(0.02, 0.08), pValue: 0.001, standardError: 0.015, difference: .relative, refusal: nil)
        #expect(GuardrailVerdict(result, harmful: .increase) == .failed)
    }
}
