import Foundation
import MarqueeCore

extension ExperimentReport {
    /// Builds the report of `experiment` from its units' metric values.
    ///
    /// - Parameters:
    ///   - units: per variant, in the order of `experiment.variants` (control first), each analyzed unit's
    ///     values over the analysis window and the pre-period.
    ///   - now: the analysis time (for `daysRunning`; nothing else reads the clock).
    ///   - dailySeries: optional per-metric daily values for the "over time" charts (the caller computes them).
    ///
    /// Every metric of the experiment is compared, treatment by treatment, with control: the relative and absolute
    /// difference by Welch's t-test (or the sequential test), CUPED-adjusted for mean and proportion metrics with
    /// pre-period data (and then also unadjusted), and by the Bayesian test for chance to win and risk. The
    /// relative tests' p-values are corrected together (metrics × treatments) with `options.correction`.
    ///
    /// The recommendation, rule by rule, first match wins:
    /// 1. Sample ratio mismatch (SRM p < 0.001): keep running and investigate; the results are not trusted.
    /// 2. A treatment whose primary metric is significantly better after correction and that harms no guardrail:
    ///    ship it (the one with the largest relative improvement when several do).
    /// 3. Every treatment harms a guardrail (its interval lies wholly on the harmful side) or is significantly
    ///    worse on the primary metric: don't ship.
    /// 4. Every variant has reached the planned units per variant: no detectable effect, don't ship (keep control).
    /// 5. Otherwise keep running, with the units the planned power still needs. The plan is the experiment's
    ///    `plannedUnitsPerVariant`, or else a power analysis (t approximation) of control's observed primary metric
    ///    (its mean and standard deviation per unit, unadjusted; the treatments' largest observed standard
    ///    deviation for theirs) at the experiment's MDE as a relative lift — the test the report runs — alpha and
    ///    power.
    public static func build(
        experiment: Experiment, units: [[ExperimentUnitValues]], now: Timestamp,
        options: ExperimentReportOptions = ExperimentReportOptions(),
        dailySeries: [ExperimentDailySeries] = []
    ) throws(ExperimentReportError) -> ExperimentReport {
        let metrics = try validate(experiment: experiment, units: units, options: options, dailySeries: dailySeries)
        let alpha = experiment.alpha
        let counts = units.map(\.count)
        let variantNames = experiment.variants.map(\.name)

        // Sample ratio.
        let weights = experiment.variants.map(\.weight)
        let srmP = try statistics { () throws(StatisticsError) in try checkSRM(users: counts, weights: weights) }
        let sampleRatio = sampleRatioCheck(
            counts: counts, weights: weights, names: variantNames, pValue: srmP, threshold: options.srmThreshold)

        var tuning: Double?
        if options.test == .sequential {
            tuning = options.sequentialTuning ?? experiment.plannedUnitsPerVariant.map { Double($0 * experiment.variants.count) } ?? 5000
        }
        let frequentist = {
            (difference: DifferenceType, a: MetricStatistic, b: MetricStatistic) throws(StatisticsError) -> FrequentistResult in
            switch options.test {
            case .fixedHorizon: try TwoSidedTTest(alpha: alpha, difference: difference).result(control: a, treatment: b)
            case .sequential:
                try SequentialTwoSidedTTest(alpha: alpha, difference: difference, tuning: tuning ?? 5000).result(control: a, treatment: b)
            }
        }

        // Per metric, per variant: the statistics and the comparisons (p-values corrected below).
        var reports: [MetricReport] = []
        var arms: [[Arm]] = []
        for (metric, role) in metrics {
            let cuped = options.cuped && metric.kind != .ratio && units.contains { $0.contains { $0.pre?[metric.key] != nil } }
            let metricArms = units.map { Arm($0, metric: metric, cuped: cuped) }
            arms.append(metricArms)
            var results: [VariantMetricResult] = []
            for (v, arm) in metricArms.enumerated() {
                var result = VariantMetricResult(
                    variant: experiment.variants[v].key, units: arm.n, value: arm.post.value, numerator: arm.numerator,
                    denominator: arm.denominator, comparison: nil)
                if v > 0 {
                    let control = metricArms[0]
                    let (a, b) = (control.tested, arm.tested)
                    let relative = try statistics { () throws(StatisticsError) in try frequentist(.relative, a, b) }
                    let absolute = try statistics { () throws(StatisticsError) in try frequentist(.absolute, a, b) }
                    let bayes = try statistics { () throws(StatisticsError) in
                        try EffectBayesianABTest(alpha: alpha, difference: .relative, inverse: !metric.higherIsBetter, prior: options.prior)
                            .result(control: a, treatment: b)
                    }
                    var comparison = VariantComparison(
                        relative: ReportEffect(relative), absolute: ReportEffect(absolute), pValue: relative.pValue, correctedPValue: 1,
                        verdict: .notComputed, refusal: relative.refusal, pValueInWords: ResultWording.pValue(relative.pValue))
                    if comparison.relative == nil && comparison.refusal == nil { comparison.refusal = .zeroVariance }
                    if case .regressionAdjusted(let ca) = a, case .regressionAdjusted(let cb) = b {
                        let theta = try statistics { () throws(StatisticsError) in try RegressionAdjustedStatistic.theta(ca, cb) }
                        comparison.theta = theta
                        comparison.adjustedControlValue = ca.mean(theta: theta)
                        comparison.adjustedValue = cb.mean(theta: theta)
                        comparison.unadjustedRelative = ReportEffect(
                            try statistics { () throws(StatisticsError) in try frequentist(.relative, control.post, arm.post) })
                        comparison.unadjustedAbsolute = ReportEffect(
                            try statistics { () throws(StatisticsError) in try frequentist(.absolute, control.post, arm.post) })
                    }
                    if bayes.refusal == nil, bayes.chanceToWin.isFinite, bayes.risk.allSatisfy(\.isFinite) {
                        comparison.chanceToWin = bayes.chanceToWin
                        comparison.riskOfControl = bayes.risk[0]
                        comparison.riskOfTreatment = bayes.risk[1]
                        comparison.chanceToWinInWords = ResultWording.chanceToWin(
                            bayes.chanceToWin, variant: variantNames[v], control: variantNames[0], prior: options.prior)
                    }
                    if let r = comparison.relative {
                        comparison.effectInWords = ResultWording.effect(
                            r.effect, interval: Interval(r.lower, r.upper), level: 1 - alpha, metric: metric.name.lowercased(),
                            variant: variantNames[v], difference: .relative)
                    }
                    result.comparison = comparison
                }
                results.append(result)
            }
            reports.append(
                MetricReport(
                    metric: metric.key, name: metric.name, kind: metric.kind, unit: metric.unit, higherIsBetter: metric.higherIsBetter,
                    role: role, cuped: cuped, variants: results))
        }

        // The correction across metrics × treatments whose tests ran, then each comparison's verdict.
        var keyed: [(key: (Int, Int), pValue: Double)] = []
        for (m, report) in reports.enumerated() {
            for (v, result) in report.variants.enumerated() where result.comparison?.relative != nil {
                keyed.append((key: (m, v), pValue: min(max(result.comparison!.pValue, 0), 1)))
            }
        }
        let corrected = try statistics { () throws(StatisticsError) in try options.correction.adjust(keyed) }
        for entry in corrected {
            let (m, v) = entry.key
            reports[m].variants[v].comparison?.correctedPValue = entry.pValue
        }
        for m in reports.indices {
            for v in reports[m].variants.indices {
                guard var comparison = reports[m].variants[v].comparison else { continue }
                if let relative = comparison.relative {
                    if comparison.correctedPValue < alpha {
                        comparison.verdict = (relative.effect > 0) == reports[m].higherIsBetter ? .better : .worse
                    } else {
                        comparison.verdict = .inconclusive
                    }
                }
                reports[m].variants[v].comparison = comparison
            }
        }

        let guardrails = guardrailReports(experiment: experiment, reports: reports)
        let recommendation = recommend(
            experiment: experiment, reports: reports, primaryArms: arms[0], guardrails: guardrails, sampleRatio: sampleRatio, counts: counts
        )

        var daysRunning: Double?
        if let start = experiment.startedAt {
            let end = min(experiment.stoppedAt ?? now, now)
            daysRunning = max(0, Double(end.millisecondsSinceEpoch - start.millisecondsSinceEpoch) / 86_400_000)
        }
        return ExperimentReport(
            experiment: experiment.key, hypothesis: experiment.hypothesis, status: experiment.status, startedAt: experiment.startedAt,
            stoppedAt: experiment.stoppedAt, analyzedAt: now, daysRunning: daysRunning, alpha: alpha, power: experiment.power,
            minimumDetectableEffect: experiment.minimumDetectableEffect, test: options.test, sequentialTuning: tuning,
            correction: options.correction, comparisons: keyed.count, prior: options.prior,
            variants: experiment.variants.enumerated().map {
                ReportVariant(key: $1.key, name: $1.name, weight: $1.weight, units: counts[$0])
            },
            sampleRatio: sampleRatio, metrics: reports, guardrails: guardrails, recommendation: recommendation, series: dailySeries)
    }

    // MARK: Validation

    /// The experiment's metrics with their roles, once the input is known to be usable.
    private static func validate(
        experiment: Experiment, units: [[ExperimentUnitValues]], options: ExperimentReportOptions, dailySeries: [ExperimentDailySeries]
    ) throws(ExperimentReportError) -> [(MetricDefinition, MetricRole)] {
        let variants = experiment.variants
        guard variants.count >= 2 else {
            throw .invalid(field: "variants", reason: "an experiment has at least 2 variants (got \(variants.count))")
        }
        guard variants.allSatisfy({ $0.weight.isFinite && $0.weight >= 0 }), variants.contains(where: { $0.weight > 0 }) else {
            throw .invalid(field: "weights", reason: "each weight must be a number from 0 to 1, and one at least above 0")
        }
        guard units.count == variants.count else {
            throw .invalid(field: "units", reason: "one list of units per variant (\(variants.count) variants, got \(units.count) lists)")
        }
        guard experiment.alpha > 0, experiment.alpha < 1 else {
            throw .invalid(field: "alpha", reason: "must be between 0 and 1 (exclusive), got \(experiment.alpha)")
        }
        guard experiment.power > 0, experiment.power < 1 else {
            throw .invalid(field: "power", reason: "must be between 0 and 1 (exclusive), got \(experiment.power)")
        }
        guard options.srmThreshold > 0, options.srmThreshold < 1 else {
            throw .invalid(field: "srmThreshold", reason: "must be between 0 and 1 (exclusive), got \(options.srmThreshold)")
        }
        if let tuning = options.sequentialTuning, !(tuning > 0 && tuning.isFinite) {
            throw .invalid(field: "sequentialTuning", reason: "must be a positive number of units, got \(tuning)")
        }
        guard !options.prior.proper || options.prior.variance > 0 else {
            throw .invalid(field: "prior", reason: "a proper prior needs a positive variance")
        }

        var metrics: [(MetricDefinition, MetricRole)] = []
        var seen = Set<String>()
        let roles: [(String, [String], MetricRole)] = [
            ("primaryMetric", [experiment.primaryMetric], .primary), ("secondaryMetrics", experiment.secondaryMetrics, .secondary),
            ("guardrailMetrics", experiment.guardrailMetrics, .guardrail),
        ]
        for (field, keys, role) in roles {
            for key in keys {
                guard let metric = MetricCatalog.metric(key) else {
                    throw .invalid(field: field, reason: "unknown metric '\(key)' (not in the metric catalog)")
                }
                if seen.insert(key).inserted { metrics.append((metric, role)) }
            }
        }

        for (v, list) in units.enumerated() {
            for (i, unit) in list.enumerated() {
                for (metric, _) in metrics {
                    for (period, values) in [("post", unit.post), ("pre", unit.pre ?? [:])] {
                        guard let value = values[metric.key] else { continue }
                        let field = "units[\(v)][\(i)].\(period).\(metric.key)"
                        guard value.numerator.isFinite, value.denominator.isFinite else {
                            throw .invalid(field: field, reason: "must be a finite number")
                        }
                        if metric.kind == .proportion && value.numerator != 0 && value.numerator != 1 {
                            throw .invalid(field: field, reason: "a proportion metric's value is 0 or 1, got \(value.numerator)")
                        }
                    }
                }
            }
        }

        let keys = Set(metrics.map(\.0.key))
        for (i, series) in dailySeries.enumerated() {
            guard keys.contains(series.metric) else {
                throw .invalid(field: "dailySeries[\(i)].metric", reason: "'\(series.metric)' is not one of the experiment's metrics")
            }
            guard series.values.count == variants.count else {
                throw .invalid(
                    field: "dailySeries[\(i)].values",
                    reason: "one list per variant (\(variants.count) variants, got \(series.values.count))")
            }
            for (v, values) in series.values.enumerated() {
                guard values.count == series.days.count else {
                    throw .invalid(
                        field: "dailySeries[\(i)].values[\(v)]",
                        reason: "one value per day (\(series.days.count) days, got \(values.count))")
                }
                guard values.allSatisfy({ $0?.isFinite ?? true }) else {
                    throw .invalid(field: "dailySeries[\(i)].values[\(v)]", reason: "values must be finite numbers (or null)")
                }
            }
        }
        return metrics
    }

    /// Runs the statistics engine, turning its refusals into the report's error (naming the field).
    private static func statistics<T>(_ body: () throws(StatisticsError) -> T) throws(ExperimentReportError) -> T {
        do throws(StatisticsError) {
            return try body()
        } catch {
            switch error {
            case .priorNotRescalable: throw .invalid(field: "prior", reason: error.description)
            case .mismatchedStatistics: throw .invalid(field: "statistics", reason: error.description)
            case .invalidParameter(let message):
                let parts = message.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                throw .invalid(field: parts.count == 2 ? parts[0] : "statistics", reason: parts.count == 2 ? parts[1] : message)
            }
        }
    }

    // MARK: Parts

    private static func sampleRatioCheck(
        counts: [Int], weights: [Double], names: [String], pValue: Double, threshold: Double
    )
        -> SampleRatioCheck
    {
        let total = counts.reduce(0, +)
        let weightSum = weights.reduce(0, +)
        let expected = weights.map { $0 / weightSum }
        let observed = counts.map { total == 0 ? 0 : Double($0) / Double(total) }
        let mismatch = pValue < threshold
        let split = zip(names, zip(counts, expected)).map { "\($0) \(ReportFormat.grouped($1.0)) (planned \(ResultWording.percent($1.1)))" }
            .joined(separator: ", ")
        let message =
            mismatch
            ? "Sample ratio mismatch: \(split) (p \(ReportFormat.pRelation(pValue)), below \(ReportFormat.value(threshold))). The split is not what was planned: "
                + "assignment or exposure logging is broken somewhere, so the results cannot be trusted until it is found."
            : "The split matches the plan: \(split) (p \(ReportFormat.pRelation(pValue)))."
        return SampleRatioCheck(
            units: counts, expectedShares: expected, observedShares: observed, pValue: pValue, threshold: threshold, mismatch: mismatch,
            message: message)
    }

    private static func guardrailReports(experiment: Experiment, reports: [MetricReport]) -> [GuardrailReport] {
        var out: [GuardrailReport] = []
        var seen = Set<String>()
        for key in experiment.guardrailMetrics where seen.insert(key).inserted {
            guard let report = reports.first(where: { $0.metric == key }) else { continue }
            let harmful: HarmfulDirection = report.higherIsBetter ? .decrease : .increase
            for (v, result) in report.variants.enumerated() {
                guard v > 0, let comparison = result.comparison else { continue }
                let name = experiment.variants[v].name
                guard let relative = comparison.relative else {
                    let refusal = comparison.refusal ?? .zeroVariance
                    out.append(
                        GuardrailReport(
                            metric: key, name: report.name, variant: result.variant, outcome: .inconclusive, lower: nil, upper: nil,
                            refusal: refusal, message: "\(report.name) in \(name): not measured (\(refusal.rawValue)).")
                    )
                    continue
                }
                let verdict = GuardrailVerdict(interval: Interval(relative.lower, relative.upper), harmful: harmful)
                let interval = "\(ResultWording.signedPercent(relative.lower)) to \(ResultWording.signedPercent(relative.upper))"
                let outcome: GuardrailReport.Outcome
                let message: String
                switch verdict {
                case .failed:
                    outcome = .failed
                    message =
                        "\(report.name) in \(name): harmed. Its interval \(interval) lies wholly on the harmful side "
                        + "(\(harmful == .decrease ? "a fall" : "a rise") is harm)."
                case .passed:
                    outcome = .passed
                    message = "\(report.name) in \(name): no evidence of harm (interval \(interval))."
                case .inconclusive(let refusal):
                    outcome = .inconclusive
                    message = "\(report.name) in \(name): not measured (\(refusal.rawValue))."
                }
                out.append(
                    GuardrailReport(
                        metric: key, name: report.name, variant: result.variant, outcome: outcome, lower: relative.lower,
                        upper: relative.upper, refusal: nil, message: message))
            }
        }
        return out
    }

    private static func recommend(
        experiment: Experiment, reports: [MetricReport], primaryArms: [Arm], guardrails: [GuardrailReport], sampleRatio: SampleRatioCheck,
        counts: [Int]
    ) -> ExperimentRecommendation {
        let primary = reports[0]
        let names = experiment.variants.map(\.name)
        let sign = primary.higherIsBetter ? 1.0 : -1.0

        // The plan: the experiment's own, else a power analysis of control's observed primary metric.
        var planned: Int?
        var plannedSource: String?
        if let units = experiment.plannedUnitsPerVariant, units > 0 {
            planned = units
            plannedSource = "experiment"
        } else if let size = try? PowerAnalysis.sampleSizeForRelativeLift(
            baselineMean: primaryArms[0].post.value, standardDeviation: primaryArms[0].unitVariance.squareRoot(),
            treatmentStandardDeviation: primaryArms.dropFirst().map(\.unitVariance).filter { $0 > 0 }.max()?.squareRoot(),
            lift: experiment.minimumDetectableEffect, alpha: experiment.alpha, power: experiment.power)
        {
            planned = size.control
            plannedSource = "observed"
        }
        var recommendation = ExperimentRecommendation(
            decision: .keepRunning, variant: nil, reason: "", plannedUnitsPerVariant: planned, plannedUnitsSource: plannedSource,
            additionalUnitsPerVariant: nil, additionalUnitsTotal: nil)

        // 1. SRM.
        if sampleRatio.mismatch {
            recommendation.reason =
                "Keep running, but investigate first: the sample ratio does not match the plan (SRM p \(ReportFormat.pRelation(sampleRatio.pValue))), "
                + "so no result of this experiment can be trusted until the cause is found and fixed."
            return recommendation
        }

        let treatments = Array(1..<experiment.variants.count)
        let harmed = { (v: Int) in
            guardrails.filter { $0.variant == experiment.variants[v].key && $0.outcome == .failed }.map(\.name)
        }
        let comparison = { (v: Int) in primary.variants[v].comparison }
        let describe = { (v: Int) -> String in
            guard let c = comparison(v), let r = c.relative else { return "" }
            return "\(ResultWording.signedPercent(r.effect)), interval \(ResultWording.signedPercent(r.lower)) to "
                + "\(ResultWording.signedPercent(r.upper)), corrected p \(ReportFormat.pRelation(c.correctedPValue))"
        }

        // 2. A clear win without harm.
        let winners = treatments.filter { comparison($0)?.verdict == .better && harmed($0).isEmpty }
        if let best = winners.max(by: { sign * (comparison($0)?.relative?.effect ?? 0) < sign * (comparison($1)?.relative?.effect ?? 0) }) {
            recommendation.decision = .ship
            recommendation.variant = experiment.variants[best].key
            let guardrailNote = experiment.guardrailMetrics.isEmpty ? "" : " and no guardrail is harmed"
            recommendation.reason =
                "Ship \(names[best]): it \(sign > 0 ? "raises" : "lowers") \(primary.name.lowercased()) significantly after correction "
                + "(\(describe(best)))\(guardrailNote)."
            return recommendation
        }

        // 3. Every treatment harms a guardrail or loses on the primary metric.
        let blocked = treatments.filter { !harmed($0).isEmpty || comparison($0)?.verdict == .worse }
        if blocked.count == treatments.count {
            recommendation.decision = .dontShip
            let causes = treatments.map { v -> String in
                let harms = harmed(v)
                if !harms.isEmpty { return "\(names[v]) harms the guardrail \(harms.joined(separator: ", ").lowercased())" }
                return "\(names[v]) makes \(primary.name.lowercased()) significantly worse (\(describe(v)))"
            }
            recommendation.reason = "Don't ship: " + causes.joined(separator: "; ") + ". Keep \(names[0])."
            return recommendation
        }

        // 4. The plan is reached without a detectable effect.
        let fewest = counts.min() ?? 0
        let mde = ResultWording.percent(experiment.minimumDetectableEffect)
        if let planned, fewest >= planned {
            recommendation.decision = .dontShip
            recommendation.reason =
                "Don't ship: every variant has reached the planned \(ReportFormat.grouped(planned)) units and no treatment changes "
                + "\(primary.name.lowercased()) detectably (the experiment was planned to detect \(mde)). Keep \(names[0])."
            return recommendation
        }

        // 5. Keep running.
        guard let planned else {
            recommendation.reason =
                "Keep running: no significant difference in \(primary.name.lowercased()) yet, and the units the planned power needs are "
                + "unknown (the experiment has no planned units and control's observed metric has no variance or a zero mean)."
            return recommendation
        }
        let weights = experiment.variants.map(\.weight)
        let smallestShare = (weights.filter { $0 > 0 }.min() ?? 1) / weights.reduce(0, +)
        let neededTotal = Int((Double(planned) / smallestShare).rounded(.up))
        let perVariant = max(0, planned - fewest)
        recommendation.additionalUnitsPerVariant = perVariant
        recommendation.additionalUnitsTotal = max(perVariant, neededTotal - counts.reduce(0, +))
        let source = plannedSource == "experiment" ? "the plan" : "a power analysis of \(names[0])'s observed variance"
        recommendation.reason =
            "Keep running: no significant difference in \(primary.name.lowercased()) yet. \(ReportFormat.grouped(perVariant)) more units in the "
            + "smallest variant (\(ReportFormat.grouped(recommendation.additionalUnitsTotal ?? 0)) more in all) reach the \(ReportFormat.grouped(planned)) per "
            + "variant that \(source) needs for \(ResultWording.percent(experiment.power)) power to detect \(mde)."
        return recommendation
    }
}

/// One variant's statistics of one metric.
struct Arm {
    var n: Int
    /// Without CUPED.
    var post: MetricStatistic
    /// What the tests compare: CUPED's regression-adjusted statistic when the metric is adjusted, else `post`.
    var tested: MetricStatistic
    var numerator: Double
    var denominator: Double

    init(_ units: [ExperimentUnitValues], metric: MetricDefinition, cuped: Bool) {
        let key = metric.key
        let values = units.map { $0.post[key] ?? .zero }
        n = units.count
        numerator = values.reduce(0) { $0 + $1.numerator }
        switch metric.kind {
        case .mean, .proportion:
            denominator = Double(n)
            let base = { (xs: [Double]) -> BaseStatistic in
                metric.kind == .proportion
                    ? .proportion(ProportionStatistic(n: xs.count, sum: xs.reduce(0, +))) : .sampleMean(SampleMeanStatistic(values: xs))
            }
            let postValues = values.map(\.numerator)
            let postBase = base(postValues)
            switch postBase {
            case .sampleMean(let s): post = .sampleMean(s)
            case .proportion(let s): post = .proportion(s)
            }
            if cuped {
                let preValues = units.map { $0.pre?[key]?.numerator ?? 0 }
                let products = zip(postValues, preValues).reduce(0) { $0 + $1.0 * $1.1 }
                tested = .regressionAdjusted(
                    RegressionAdjustedStatistic(n: n, post: postBase, pre: base(preValues), sumOfProducts: products))
            } else {
                tested = post
            }
        case .ratio:
            denominator = values.reduce(0) { $0 + $1.denominator }
            post = .ratio(
                RatioStatistic(
                    n: n, numerator: .sampleMean(SampleMeanStatistic(values: values.map(\.numerator))),
                    denominator: .sampleMean(SampleMeanStatistic(values: values.map(\.denominator))),
                    sumOfProducts: values.reduce(0) { $0 + $1.numerator * $1.denominator }))
            tested = post
        }
    }

    /// The per-unit variance of the unadjusted metric (the delta method's for a ratio).
    var unitVariance: Double {
        switch post {
        case .sampleMean(let s): s.variance
        case .proportion(let s): s.variance
        case .ratio(let s): s.variance
        case .regressionAdjusted(let s): s.post.variance
        }
    }
}

extension ReportEffect {
    /// The test's effect, or nil when it was refused or is not a finite number.
    init?(_ result: FrequentistResult) {
        guard result.refusal == nil, result.effect.isFinite, result.interval.lower.isFinite, result.interval.upper.isFinite,
            result.pValue.isFinite
        else { return nil }
        self.init(effect: result.effect, lower: result.interval.lower, upper: result.interval.upper, pValue: result.pValue)
    }
}

/// Number formats shared by the report's text and HTML.
enum ReportFormat {
    /// 12,345.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// "= 0.0123" or "< 0.0001", to follow "p ".
    static func pRelation(_ p: Double) -> String {
        let text = Self.p(p)
        return text.hasPrefix("<") ? "< " + text.dropFirst() : "= " + text
    }

    /// A p-value for tables: four decimals, "<0.0001" below.
    static func p(_ p: Double) -> String {
        guard p.isFinite else { return "n/a" }
        if p < 0.0001 { return "<0.0001" }
        return String(format: "%.4f", p)
    }
}
