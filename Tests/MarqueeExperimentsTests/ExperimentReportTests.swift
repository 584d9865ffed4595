import Foundation
import MarqueeCore
import Testing

@testable import MarqueeExperiments

#if canImport(FoundationXML)
    import FoundationXML
#endif

// The report against hand computation and the statistics engine called directly; its recommendation rules on
// data built to trigger each; its HTML parsed as XML.

private let t0 = Timestamp(secondsSinceEpoch: 1_800_000_000)
private let now = t0.adding(seconds: 14 * 86_400)

private func experiment(
    key: String = "exp-1", hypothesis: String = "Treatment raises the metric", primary: String, secondary: [String] = [],
    guardrails: [String] = [], weights: [Double] = [0.5, 0.5], planned: Int? = nil, mde: Double = 0.05
) -> Experiment {
    let names = ["control", "treatment", "treatment-b", "treatment-c"]
    return Experiment(
        key: key, hypothesis: hypothesis, variants: weights.enumerated().map { ExperimentVariant(key: names[$0], weight: $1) },
        status: .running, startedAt: t0, primaryMetric: primary, secondaryMetrics: secondary, guardrailMetrics: guardrails,
        minimumDetectableEffect: mde, plannedUnitsPerVariant: planned, createdAt: t0, updatedAt: t0)
}

/// Units whose post value of `metric` is each of `values`.
private func units(_ metric: String, _ values: [Double]) -> [ExperimentUnitValues] {
    values.map { ExperimentUnitValues(post: [metric: UnitMetricValue(numerator: $0)]) }
}

/// A small seeded generator (SplitMix64) with normal draws, so the synthetic samples are the same on every run.
private struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }
    mutating func normal(_ mean: Double = 0, _ sd: Double = 1) -> Double {
        mean + sd * (-2 * log(unit())).squareRoot() * cos(2 * Double.pi * unit())
    }
}

private func normals(_ count: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
    var random = TestRandom(state: seed)
    return (0..<count).map { _ in random.normal(mean, sd) }
}

@Suite("Experiment reports")
struct ExperimentReportTests {
    // MARK: Numbers

    @Test("a mean metric with 4 units per arm: value, differences and interval by hand and by the engine")
    func meanMetricByHand() throws {
        // Control 1, 2, 3, 4: mean 2.5, variance 5/3. Treatment 2, 3, 4, 7: mean 4, variance (78 − 64)/3 = 14/3.
        // Absolute: 1.5, variance 14/12 + 5/12 = 19/12. Relative: 1.5/2.5 = 0.6, variance
        // (14/3)/(2.5²·4) + (5/3)·4²/(2.5⁴·4) = 0.186667 + 0.170667 = 0.357333.
        // Welch's df = (19/12)² / ((14/12)²/3 + (5/12)²/3) = 1083/221 ≈ 4.9005; t(0.975, 4.9) ≈ 2.58.
        let exp = experiment(primary: "viewing_minutes")
        let control = units("viewing_minutes", [1, 2, 3, 4])
        let treatment = units("viewing_minutes", [2, 3, 4, 7])
        let report = try ExperimentReport.build(experiment: exp, units: [control, treatment], now: now)
        let metric = try #require(report.metrics.first)
        #expect(metric.metric == "viewing_minutes" && metric.role == .primary && !metric.cuped)
        #expect(metric.variants.map(\.value) == [2.5, 4])
        #expect(metric.variants.map(\.units) == [4, 4])
        let c = try #require(metric.variants[1].comparison)
        let absolute = try #require(c.absolute)
        let relative = try #require(c.relative)
        #expect(abs(absolute.effect - 1.5) < 1e-12)
        #expect(abs(relative.effect - 0.6) < 1e-12)
        let df = 1083.0 / 221.0
        let tQuantile = StudentT.quantile(0.975, degreesOfFreedom: df)
        #expect(abs(tQuantile - 2.58) < 0.01)
        #expect(abs((absolute.upper - absolute.lower) / 2 - tQuantile * (19.0 / 12).squareRoot()) < 1e-9)
        let relativeVariance = (14.0 / 3) / (6.25 * 4) + (5.0 / 3) * 16 / (39.0625 * 4)
        #expect(abs(relativeVariance - 0.357333) < 1e-6)
        #expect(abs(relative.lower - (0.6 - tQuantile * relativeVariance.squareRoot())) < 1e-9)
        #expect(abs(relative.upper - (0.6 + tQuantile * relativeVariance.squareRoot())) < 1e-9)
        // The engine called directly agrees exactly.
        let a = MetricStatistic.sampleMean(SampleMeanStatistic(values: [1, 2, 3, 4]))
        let b = MetricStatistic.sampleMean(SampleMeanStatistic(values: [2, 3, 4, 7]))
        let direct = try TwoSidedTTest(difference: .relative).result(control: a, treatment: b)
        #expect(relative.pValue == direct.pValue && c.pValue == direct.pValue)
        #expect(relative.lower == direct.interval.lower && relative.upper == direct.interval.upper)
        // One comparison: Holm leaves the p-value as it is.
        #expect(c.correctedPValue == c.pValue && report.comparisons == 1)
        // Chance to win with the flat prior: Φ(0.6 / √0.357333).
        #expect(abs(try #require(c.chanceToWin) - StandardNormal.cdf(0.6 / relativeVariance.squareRoot())) < 1e-12)
        let bayes = try EffectBayesianABTest().result(control: a, treatment: b)
        #expect(c.riskOfControl == bayes.risk[0] && c.riskOfTreatment == bayes.risk[1])
        #expect(c.verdict == .inconclusive)
        #expect(c.pValueInWords == ResultWording.pValue(direct.pValue))
    }

    @Test("a ratio metric is the ratio of the sums, tested by the delta method")
    func ratioOfSums() throws {
        // Control (clicks, impressions): (1, 10), (0, 5), (2, 20), (3, 5): 6/40 = 0.15 (the mean of the per-unit
        // ratios would be (0.1 + 0 + 0.1 + 0.6)/4 = 0.2). Treatment: (2, 10), (1, 10), (3, 20), (2, 10): 8/50 = 0.16.
        let exp = experiment(primary: "ad_ctr")
        let pairs: [[(Double, Double)]] = [[(1, 10), (0, 5), (2, 20), (3, 5)], [(2, 10), (1, 10), (3, 20), (2, 10)]]
        let data = pairs.map { $0.map { ExperimentUnitValues(post: ["ad_ctr": UnitMetricValue(numerator: $0.0, denominator: $0.1)]) } }
        let report = try ExperimentReport.build(experiment: exp, units: data, now: now)
        let metric = report.metrics[0]
        #expect(metric.kind == .ratio)
        #expect(abs(metric.variants[0].value - 0.15) < 1e-15)
        #expect(abs(metric.variants[1].value - 0.16) < 1e-15)
        #expect(metric.variants[0].numerator == 6 && metric.variants[0].denominator == 40)
        #expect(metric.variants[1].numerator == 8 && metric.variants[1].denominator == 50)
        let statistic = { (units: [(Double, Double)]) in
            MetricStatistic.ratio(
                RatioStatistic(
                    n: units.count, numerator: .sampleMean(SampleMeanStatistic(values: units.map(\.0))),
                    denominator: .sampleMean(SampleMeanStatistic(values: units.map(\.1))),
                    sumOfProducts: units.reduce(0) { $0 + $1.0 * $1.1 }))
        }
        let direct = try TwoSidedTTest().result(control: statistic(pairs[0]), treatment: statistic(pairs[1]))
        let relative = try #require(metric.variants[1].comparison?.relative)
        #expect(abs(relative.effect - (0.16 - 0.15) / 0.15) < 1e-12)
        #expect(relative.lower == direct.interval.lower && relative.upper == direct.interval.upper && relative.pValue == direct.pValue)
    }

    @Test("CUPED narrows the interval when pre and post correlate, and reports the unadjusted estimate too")
    func cupedNarrows() throws {
        // post = pre + noise (sd 1) with pre of sd 3: the correlation is ~0.95, so CUPED should cut the variance
        // to about 1 − 0.9 = 10% of the unadjusted one (the interval to about a third of its width).
        let pre = [normals(300, mean: 20, sd: 3, seed: 1), normals(300, mean: 20, sd: 3, seed: 2)]
        let noise = [normals(300, mean: 0, sd: 1, seed: 3), normals(300, mean: 0.5, sd: 1, seed: 4)]
        let data = (0..<2).map { v in
            (0..<300).map { i in
                ExperimentUnitValues(
                    post: ["viewing_minutes": UnitMetricValue(numerator: pre[v][i] + noise[v][i])],
                    pre: ["viewing_minutes": UnitMetricValue(numerator: pre[v][i])])
            }
        }
        let exp = experiment(primary: "viewing_minutes")
        let adjusted = try ExperimentReport.build(experiment: exp, units: data, now: now)
        let plain = try ExperimentReport.build(experiment: exp, units: data, now: now, options: ExperimentReportOptions(cuped: false))
        #expect(adjusted.metrics[0].cuped && !plain.metrics[0].cuped)
        let a = try #require(adjusted.metrics[0].variants[1].comparison)
        let p = try #require(plain.metrics[0].variants[1].comparison)
        let adjustedWidth = try #require(a.relative).upper - a.relative!.lower
        let plainWidth = try #require(p.relative).upper - p.relative!.lower
        #expect(adjustedWidth < 0.5 * plainWidth)
        #expect(adjustedWidth > 0.15 * plainWidth)
        // The unadjusted estimate in the CUPED report is the plain report's.
        #expect(a.unadjustedRelative == p.relative && a.unadjustedAbsolute == p.absolute)
        #expect(p.unadjustedRelative == nil && p.theta == nil)
        // θ ≈ Cov(post, pre)/Var(pre) ≈ 1; the adjusted means are post − θ·pre.
        let theta = try #require(a.theta)
        #expect(abs(theta - 1) < 0.1)
        let meanPost = data[1].reduce(0) { $0 + $1.post["viewing_minutes"]!.numerator } / 300
        let meanPre = pre[1].reduce(0, +) / 300
        #expect(abs(try #require(a.adjustedValue) - (meanPost - theta * meanPre)) < 1e-9)
        // The engine's regression-adjusted test called directly agrees.
        let statistic = { (v: Int) in
            MetricStatistic.regressionAdjusted(
                RegressionAdjustedStatistic(
                    n: 300, post: .sampleMean(SampleMeanStatistic(values: data[v].map { $0.post["viewing_minutes"]!.numerator })),
                    pre: .sampleMean(SampleMeanStatistic(values: pre[v])),
                    sumOfProducts: zip(data[v], pre[v]).reduce(0) { $0 + $1.0.post["viewing_minutes"]!.numerator * $1.1 }))
        }
        let direct = try TwoSidedTTest().result(control: statistic(0), treatment: statistic(1))
        #expect(abs(a.relative!.effect - direct.effect) < 1e-12 && abs(a.pValue - direct.pValue) < 1e-12)
    }

    @Test("Holm's correction over metrics × treatments")
    func holmAcrossMetrics() throws {
        // Two metrics, one treatment: the smaller p-value is doubled, the larger kept (or raised to the first).
        let exp = experiment(primary: "viewing_minutes", secondary: ["sessions"])
        let data = (0..<2).map { v in
            let minutes = normals(200, mean: 100 + Double(v) * 3, sd: 20, seed: 10 + UInt64(v))
            let sessions = normals(200, mean: 5 + Double(v) * 0.3, sd: 2, seed: 20 + UInt64(v))
            return (0..<200).map { i in
                ExperimentUnitValues(
                    post: ["viewing_minutes": UnitMetricValue(numerator: minutes[i]), "sessions": UnitMetricValue(numerator: sessions[i])])
            }
        }
        let report = try ExperimentReport.build(experiment: exp, units: data, now: now)
        let ps = report.metrics.map { $0.variants[1].comparison!.pValue }
        let corrected = report.metrics.map { $0.variants[1].comparison!.correctedPValue }
        let (low, high) = ps[0] < ps[1] ? (0, 1) : (1, 0)
        #expect(abs(corrected[low] - min(1, 2 * ps[low])) < 1e-15)
        #expect(abs(corrected[high] - max(min(1, 2 * ps[low]), ps[high])) < 1e-15)
        #expect(report.comparisons == 2 && report.correction == .holm)
        // Benjamini–Hochberg: the larger stays, the smaller becomes min(2·p, larger).
        let bh = try ExperimentReport.build(
            experiment: exp, units: data, now: now, options: ExperimentReportOptions(correction: .benjaminiHochberg))
        let bhCorrected = bh.metrics.map { $0.variants[1].comparison!.correctedPValue }
        #expect(abs(bhCorrected[high] - ps[high]) < 1e-15)
        #expect(abs(bhCorrected[low] - min(2 * ps[low], ps[high])) < 1e-15)
    }

    // MARK: Sample ratio

    @Test("SRM is flagged on a 60/40 split of a 50/50 experiment with 10,000 units, and not on 50.2/49.8")
    func sampleRatioMismatch() throws {
        // 6,000 vs 4,000 against 5,000 each: χ² = 2·1000²/5000 = 400 (p ≈ 1e-88). 5,020 vs 4,980: χ² = 0.16,
        // p = 2·(1 − Φ(0.4)) = 0.68916.
        let exp = experiment(primary: "viewing_minutes")
        let value = { (v: Int, i: Int) in
            ExperimentUnitValues(post: ["viewing_minutes": UnitMetricValue(numerator: Double((i * 7 + v) % 13))])
        }
        let skewed = [(0..<6000).map { value(0, $0) }, (0..<4000).map { value(1, $0) }]
        let report = try ExperimentReport.build(experiment: exp, units: skewed, now: now)
        #expect(report.sampleRatio.mismatch)
        #expect(report.sampleRatio.pValue < 1e-80)
        #expect(report.sampleRatio.units == [6000, 4000] && report.sampleRatio.observedShares == [0.6, 0.4])
        #expect(report.recommendation.decision == .keepRunning)
        #expect(report.recommendation.reason.contains("sample ratio"))
        #expect(report.renderText().contains("MISMATCH"))

        let fair = [(0..<5020).map { value(0, $0) }, (0..<4980).map { value(1, $0) }]
        let ok = try ExperimentReport.build(experiment: exp, units: fair, now: now)
        #expect(!ok.sampleRatio.mismatch)
        #expect(abs(ok.sampleRatio.pValue - 0.689157) < 1e-5)
        #expect(ok.sampleRatio.pValue == (try checkSRM(users: [5020, 4980], weights: [0.5, 0.5])))
    }

    // MARK: Recommendation

    /// Control and treatment of a primary (ad clicks, +`lift`) and a guardrail (viewing minutes, ×`minutesFactor`).
    private func twoMetricData(count: Int, lift: Double, minutesFactor: Double, seed: UInt64) -> [[ExperimentUnitValues]] {
        (0..<2).map { v in
            let clicks = normals(count, mean: 10 * (v == 1 ? 1 + lift : 1), sd: 2, seed: seed + UInt64(v))
            let minutes = normals(count, mean: 100 * (v == 1 ? minutesFactor : 1), sd: 10, seed: seed + 10 + UInt64(v))
            return (0..<count).map { i in
                ExperimentUnitValues(
                    post: ["ad_clicks": UnitMetricValue(numerator: clicks[i]), "viewing_minutes": UnitMetricValue(numerator: minutes[i])])
            }
        }
    }

    @Test("a clear win with the guardrail intact: ship")
    func clearWinShips() throws {
        let exp = experiment(primary: "ad_clicks", guardrails: ["viewing_minutes"])
        let report = try ExperimentReport.build(
            experiment: exp, units: twoMetricData(count: 500, lift: 0.1, minutesFactor: 1, seed: 100), now: now)
        #expect(report.metrics[0].variants[1].comparison?.verdict == .better)
        #expect(report.guardrails.map(\.outcome) == [.passed])
        #expect(report.recommendation.decision == .ship)
        #expect(report.recommendation.variant == "treatment")
        #expect(report.recommendation.reason.hasPrefix("Ship treatment"))
        #expect(report.renderText().contains("RECOMMENDATION: SHIP TREATMENT"))
    }

    @Test("a harmed guardrail: don't ship, even with a winning primary")
    func harmedGuardrail() throws {
        let exp = experiment(primary: "ad_clicks", guardrails: ["viewing_minutes"])
        let report = try ExperimentReport.build(
            experiment: exp, units: twoMetricData(count: 500, lift: 0.1, minutesFactor: 0.9, seed: 200), now: now)
        #expect(report.metrics[0].variants[1].comparison?.verdict == .better)
        let guardrail = try #require(report.guardrails.first)
        #expect(guardrail.metric == "viewing_minutes" && guardrail.outcome == .failed)
        #expect(try #require(guardrail.upper) < 0)
        #expect(report.metrics[1].role == .guardrail)
        #expect(report.recommendation.decision == .dontShip)
        #expect(report.recommendation.reason.contains("viewing minutes"))
    }

    @Test("a primary significantly worse: don't ship")
    func significantlyWorse() throws {
        let exp = experiment(primary: "ad_clicks")
        let report = try ExperimentReport.build(
            experiment: exp, units: twoMetricData(count: 500, lift: -0.1, minutesFactor: 1, seed: 300), now: now)
        #expect(report.metrics[0].variants[1].comparison?.verdict == .worse)
        #expect(report.recommendation.decision == .dontShip)
        #expect(report.recommendation.reason.contains("significantly worse"))
    }

    @Test("for a metric where lower is better, a fall is the win")
    func lowerIsBetter() throws {
        // Ad skips fall by 20%: better, and the Bayesian chance to win is that of a fall.
        let exp = experiment(primary: "ad_skips")
        let data = (0..<2).map { v in units("ad_skips", normals(400, mean: v == 0 ? 5 : 4, sd: 1, seed: 400 + UInt64(v))) }
        let report = try ExperimentReport.build(experiment: exp, units: data, now: now)
        let c = try #require(report.metrics[0].variants[1].comparison)
        #expect(c.relative!.effect < 0 && c.verdict == .better)
        #expect(try #require(c.chanceToWin) > 0.99)
        #expect(report.recommendation.decision == .ship)
    }

    @Test("an inconclusive small sample: keep running, with the units a power analysis of control needs")
    func keepRunningSmallSample() throws {
        let exp = experiment(primary: "viewing_minutes", mde: 0.05)
        let control = normals(20, mean: 100, sd: 30, seed: 500)
        let treatment = normals(20, mean: 100, sd: 30, seed: 501)
        let report = try ExperimentReport.build(
            experiment: exp, units: [units("viewing_minutes", control), units("viewing_minutes", treatment)], now: now)
        #expect(report.metrics[0].variants[1].comparison?.verdict == .inconclusive)
        let recommendation = report.recommendation
        #expect(recommendation.decision == .keepRunning)
        #expect(recommendation.plannedUnitsSource == "observed")
        // The plan from control's sample mean and standard deviation, computed here independently.
        let mean = control.reduce(0, +) / 20
        let sd = (control.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 19).squareRoot()
        let tMean = treatment.reduce(0, +) / 20
        let tSD = (treatment.reduce(0) { $0 + ($1 - tMean) * ($1 - tMean) } / 19).squareRoot()
        let expected = try PowerAnalysis.sampleSizeForRelativeLift(
            baselineMean: mean, standardDeviation: sd, treatmentStandardDeviation: tSD, lift: 0.05, alpha: 0.05, power: 0.8)
        #expect(recommendation.plannedUnitsPerVariant == expected.control)
        // Roughly (1.96 + 0.84)²·(σ_t²/σ_c² + 1.05²)·(σ_c / 5% of the mean)², some hundreds of units.
        let byHand = pow(1.959964 + 0.841621, 2) * (tSD * tSD / (sd * sd) + 1.05 * 1.05) * pow(sd / (0.05 * mean), 2)
        #expect(abs(Double(expected.control) - byHand) < 3)
        #expect(recommendation.additionalUnitsPerVariant == expected.control - 20)
        #expect(recommendation.additionalUnitsTotal == 2 * expected.control - 40)
        #expect(try #require(recommendation.additionalUnitsPerVariant) > 0)
        #expect(recommendation.reason.hasPrefix("Keep running"))
    }

    @Test("the experiment's planned units: keep running below them, no detectable effect at them")
    func plannedUnits() throws {
        // Unequal weights 0.25/0.75: the plan of 1,000 per variant needs 4,000 units in all.
        let exp = experiment(primary: "viewing_minutes", weights: [0.25, 0.75], planned: 1000)
        let below = [
            units("viewing_minutes", normals(250, mean: 100, sd: 30, seed: 600)),
            units("viewing_minutes", normals(750, mean: 100, sd: 30, seed: 601)),
        ]
        let running = try ExperimentReport.build(experiment: exp, units: below, now: now)
        #expect(running.recommendation.decision == .keepRunning)
        #expect(running.recommendation.plannedUnitsSource == "experiment")
        #expect(running.recommendation.additionalUnitsPerVariant == 750)
        #expect(running.recommendation.additionalUnitsTotal == 3000)

        let reached = [
            units("viewing_minutes", normals(1000, mean: 100, sd: 30, seed: 602)),
            units("viewing_minutes", normals(3000, mean: 100, sd: 30, seed: 603)),
        ]
        let done = try ExperimentReport.build(experiment: exp, units: reached, now: now)
        #expect(done.metrics[0].variants[1].comparison?.verdict == .inconclusive)
        #expect(done.recommendation.decision == .dontShip)
        #expect(done.recommendation.reason.contains("no treatment changes"))
    }

    @Test("the sequential test widens the interval and is labelled")
    func sequentialIsWider() throws {
        let exp = experiment(primary: "ad_clicks")
        let data = twoMetricData(count: 300, lift: 0.02, minutesFactor: 1, seed: 700)
        let fixed = try ExperimentReport.build(experiment: exp, units: data, now: now)
        let sequential = try ExperimentReport.build(
            experiment: exp, units: data, now: now, options: ExperimentReportOptions(test: .sequential))
        let f = try #require(fixed.metrics[0].variants[1].comparison?.relative)
        let s = try #require(sequential.metrics[0].variants[1].comparison?.relative)
        #expect(s.upper - s.lower > f.upper - f.lower)
        #expect(sequential.sequentialTuning == 5000 && fixed.sequentialTuning == nil)
        let a = MetricStatistic.sampleMean(SampleMeanStatistic(values: data[0].map { $0.post["ad_clicks"]!.numerator }))
        let b = MetricStatistic.sampleMean(SampleMeanStatistic(values: data[1].map { $0.post["ad_clicks"]!.numerator }))
        let direct = try SequentialTwoSidedTTest().result(control: a, treatment: b)
        #expect(s.lower == direct.interval.lower && s.pValue == direct.pValue)
        #expect(sequential.renderText().contains("sequential"))
    }

    @Test("an empty or constant experiment gives a report, not a crash")
    func degenerate() throws {
        let exp = experiment(primary: "viewing_minutes", guardrails: ["churned"])
        let empty = try ExperimentReport.build(experiment: exp, units: [[], []], now: now)
        #expect(empty.metrics[0].variants[1].comparison?.verdict == .notComputed)
        #expect(empty.guardrails.map(\.outcome) == [.inconclusive])
        #expect(empty.recommendation.decision == .keepRunning)
        #expect(empty.sampleRatio.pValue == 1)
        _ = try empty.jsonData()
        _ = empty.renderText()
        #expect(try parseXML(empty.renderHTML()).ok)
    }

    // MARK: Refusals

    @Test("bad input is refused naming the field")
    func refusals() {
        let exp = experiment(primary: "viewing_minutes")
        #expect(throws: ExperimentReportError.invalid(field: "units", reason: "one list of units per variant (2 variants, got 1 lists)")) {
            try ExperimentReport.build(experiment: exp, units: [[]], now: now)
        }
        #expect(throws: ExperimentReportError.invalid(field: "primaryMetric", reason: "unknown metric 'nope' (not in the metric catalog)"))
        {
            try ExperimentReport.build(experiment: experiment(primary: "nope"), units: [[], []], now: now)
        }
        #expect(
            throws: ExperimentReportError.invalid(
                field: "units[1][0].post.active_day_7", reason: "a proportion metric's value is 0 or 1, got 2.0")
        ) {
            try ExperimentReport.build(experiment: experiment(primary: "active_day_7"), units: [[], units("active_day_7", [2])], now: now)
        }
        #expect(throws: ExperimentReportError.invalid(field: "units[0][1].post.viewing_minutes", reason: "must be a finite number")) {
            try ExperimentReport.build(experiment: exp, units: [units("viewing_minutes", [1, .nan]), []], now: now)
        }
        let series = ExperimentDailySeries(metric: "sessions", days: [t0], values: [[1], [2]])
        #expect(
            throws: ExperimentReportError.invalid(
                field: "dailySeries[0].metric", reason: "'sessions' is not one of the experiment's metrics")
        ) {
            try ExperimentReport.build(experiment: exp, units: [[], []], now: now, dailySeries: [series])
        }
    }

    // MARK: Rendering and JSON

    private func richReport(hypothesis: String) throws -> ExperimentReport {
        let exp = experiment(
            key: "ads<&>\"'", hypothesis: hypothesis, primary: "ad_clicks", secondary: ["ad_ctr"], guardrails: ["viewing_minutes"],
            weights: [0.34, 0.33, 0.33])
        var data = twoMetricData(count: 300, lift: 0.08, minutesFactor: 1, seed: 800)
        data.append(twoMetricData(count: 300, lift: -0.01, minutesFactor: 0.98, seed: 900)[1])
        for v in data.indices {
            for i in data[v].indices {
                data[v][i].post["ad_ctr"] = UnitMetricValue(numerator: Double(i % 3), denominator: Double(10 + i % 7))
                data[v][i].pre = ["ad_clicks": UnitMetricValue(numerator: data[v][i].post["ad_clicks"]!.numerator + Double(i % 5) - 2)]
            }
        }
        let days = (1...5).map { t0.adding(seconds: Double($0) * 86_400) }
        let series = [
            ExperimentDailySeries(
                metric: "ad_clicks", days: days,
                values: [[9, 9.5, 10, 10, 10.1], [nil, 10.5, 10.9, 10.8, 10.8], [9.8, 9.9, nil, 9.9, 10]])
        ]
        return try ExperimentReport.build(experiment: exp, units: data, now: now, dailySeries: series)
    }

    @Test("the HTML is one well-formed, self-contained file with accessible charts and the hypothesis escaped")
    func htmlIsWellFormed() throws {
        let hypothesis = "Clicks rise <script>alert(\"x\")</script> & 'nothing' breaks\u{0001}"
        let report = try richReport(hypothesis: hypothesis)
        let html = report.renderHTML()
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;nothing&#39;"))
        #expect(html.contains("ads&lt;&amp;&gt;&quot;&#39;"))
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        #expect(!html.contains("<link") && !html.contains("<img") && !html.contains("@import") && !html.contains("url("))
        let parsed = try parseXML(html)
        #expect(parsed.ok, "not well-formed: \(parsed.error ?? "")")
        #expect(parsed.root == "html")
        // The page title, and every chart an <svg role="img"> whose first child is its <title>.
        #expect(parsed.headTitle == "Experiment report: ads<&>\"'")
        #expect(parsed.svgCount == 2)
        #expect(parsed.svgRoles == ["img", "img"])
        #expect(parsed.svgFirstChildren == ["title", "title"])
        #expect(parsed.columnHeaders >= 10)
        // The text decodes back to the hypothesis (the control character replaced).
        #expect(parsed.text.contains("Clicks rise <script>alert(\"x\")</script> & 'nothing' breaks\u{FFFD}"))
        // The forest plot has one interval per metric × treatment; the series chart one line per unbroken run.
        #expect(html.components(separatedBy: "<circle").count - 1 >= 6)
        #expect(html.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(html.contains("Recommendation:"))
        // libxml2's own checker agrees, where the machine has it (as XML: the HTML is written to be well-formed).
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint") {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).html")
            try Data(html.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/xmllint")
            process.arguments = ["--noout", file.path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    @Test("the text report has the recommendation, the checks and one row per metric and variant")
    func textReport() throws {
        let report = try richReport(hypothesis: "h")
        let text = report.renderText()
        #expect(text.contains("RECOMMENDATION:"))
        #expect(text.contains("Sample ratio: ok"))
        #expect(text.contains("Guardrails:"))
        #expect(text.contains("p (Holm)"))
        // The table: the lines after the header's rule up to the first blank line.
        let lines = text.components(separatedBy: "\n")
        let rule = try #require(lines.firstIndex { $0.hasPrefix("-----") })
        let table = lines[(rule + 1)...].prefix { !$0.isEmpty }
        #expect(table.count == 9)
        #expect(table.filter { $0.contains("treatment-b") }.count == 3)
        #expect(text.contains("CUPED (regression adjustment on the pre-period)"))
    }

    @Test("the JSON has sorted keys, the same bytes every time, and decodes back to the report")
    func jsonIsStable() throws {
        let report = try richReport(hypothesis: "h")
        let data = try report.jsonData(prettyPrinted: true)
        #expect(try report.jsonData(prettyPrinted: true) == data)
        #expect(try JSONDecoder().decode(ExperimentReport.self, from: data) == report)
        let text = try #require(String(data: data, encoding: .utf8))
        let topKeys = text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  \""), !line.hasPrefix("   ") else { return nil }
            return String(line.dropFirst(3).prefix { $0 != "\"" })
        }
        #expect(topKeys.count == 19)  // the report's 21 fields less stoppedAt and sequentialTuning (nil here)
        #expect(topKeys == topKeys.sorted())
        #expect(topKeys.first == "alpha" && topKeys.contains("recommendation") && topKeys.contains("sampleRatio"))
    }
}

// MARK: XML

/// What the HTML tests read of a parsed document.
private final class HTMLProbe: NSObject, XMLParserDelegate {
    var root: String?
    var stack: [String] = []
    var text = ""
    var headTitle = ""
    var svgCount = 0
    var svgRoles: [String] = []
    var svgFirstChildren: [String] = []
    var expectSVGChild = false
    var columnHeaders = 0

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        if root == nil { root = elementName }
        if expectSVGChild {
            svgFirstChildren.append(elementName)
            expectSVGChild = false
        }
        if elementName == "svg" {
            svgCount += 1
            svgRoles.append(attributeDict["role"] ?? "")
            expectSVGChild = true
        }
        if elementName == "th" && attributeDict["scope"] == "col" { columnHeaders += 1 }
        stack.append(elementName)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
        if stack.suffix(2) == ["head", "title"] { headTitle += string }
    }
}

private struct ParsedHTML {
    var ok: Bool
    var error: String?
    var root: String?
    var text: String
    var headTitle: String
    var svgCount: Int
    var svgRoles: [String]
    var svgFirstChildren: [String]
    var columnHeaders: Int
}

private func parseXML(_ html: String) throws -> ParsedHTML {
    let parser = XMLParser(data: Data(html.utf8))
    let probe = HTMLProbe()
    parser.delegate = probe
    let ok = parser.parse()
    return ParsedHTML(
        ok: ok, error: parser.parserError.map { "\($0)" }, root: probe.root, text: probe.text, headTitle: probe.headTitle,
        svgCount: probe.svgCount, svgRoles: probe.svgRoles, svgFirstChildren: probe.svgFirstChildren, columnHeaders: probe.columnHeaders)
}
