import MarqueeCore
import MarqueeExperiments

/// An experiment's report from the store: its exposed units, their metrics from the logs over their own
/// windows (from the first exposure to the analysis time, or the stop), the same metrics over the pre-period
/// for CUPED, and the statistics (`ExperimentReport.build`). The server's report route, the CLI and the
/// simulator all call this.
public enum ExperimentReporting {
    public struct Options: Sendable {
        /// The statistics' options (test, CUPED, correction, prior).
        public var report = ExperimentReportOptions()
        /// Days before each unit's first exposure whose metrics are the CUPED covariate (0: none).
        public var preDays = 14
        /// Whether to compute each metric's value per variant at the end of every day (a store pass per day).
        public var dailySeries = true
        public var pricing = PlanPricing.standard

        public init() {}
    }

    /// The report of `key` as of `now` (a stopped experiment is analysed up to its stop).
    public static func report(
        store: any MarqueeStore, key: String, now: Timestamp, options: Options = Options()
    ) async throws -> ExperimentReport {
        guard let experiment = try await store.experiment(key: key) else {
            throw MarqueeError.notFound("experiment", id: EventInput.clipForMessage(key))
        }
        return try await report(store: store, experiment: experiment, now: now, options: options)
    }

    public static func report(
        store: any MarqueeStore, experiment: Experiment, now: Timestamp, options: Options = Options()
    ) async throws -> ExperimentReport {
        let end = min(now, experiment.stoppedAt ?? now)
        let exposures = try await store.exposures(experiment: experiment.key).filter {
            $0.firstAt < end && $0.variant >= 0 && $0.variant < experiment.variants.count
        }
        let metrics = experiment.metrics
        let post = try await store.unitMetrics(
            exposures.map { MetricUnitWindow(profileID: $0.profileID, from: $0.firstAt, to: end) }, metrics: metrics,
            pricing: options.pricing)
        var pre: [ProfileID: [String: UnitMetricValue]] = [:]
        if options.preDays > 0 && options.report.cuped {
            pre = try await store.unitMetrics(
                exposures.map {
                    MetricUnitWindow(
                        profileID: $0.profileID, from: $0.firstAt.adding(seconds: -Double(options.preDays) * 86_400), to: $0.firstAt)
                }, metrics: metrics, pricing: options.pricing)
        }
        var units = [[ExperimentUnitValues]](repeating: [], count: experiment.variants.count)
        for e in exposures {
            units[e.variant].append(
                ExperimentUnitValues(post: post[e.profileID] ?? [:], pre: options.report.cuped ? pre[e.profileID] : nil))
        }
        let series =
            options.dailySeries
            ? try await dailySeries(store: store, experiment: experiment, exposures: exposures, end: end, options: options) : []
        return try build(experiment: experiment, units: units, now: now, options: options.report, series: series)
    }

    /// The statistics, with a refusal as a 422 naming the field (synchronous: the compiler of Swift 6.3 fails on
    /// this typed-throws catch inside an async function).
    static func build(
        experiment: Experiment, units: [[ExperimentUnitValues]], now: Timestamp, options: ExperimentReportOptions,
        series: [ExperimentDailySeries]
    ) throws -> ExperimentReport {
        let result = Result { () throws(ExperimentReportError) -> ExperimentReport in
            try ExperimentReport.build(experiment: experiment, units: units, now: now, options: options, dailySeries: series)
        }
        switch result {
        case .success(let report): return report
        case .failure(let error): throw MarqueeError(.invalidValue, code: "invalid_value", message: "\(error)")
        }
    }

    /// Each metric per variant at the end of each day since the start: the units exposed by then, over their
    /// events up to then (ratios of sums, means over units).
    static func dailySeries(
        store: any MarqueeStore, experiment: Experiment, exposures: [ExperimentExposure], end: Timestamp, options: Options
    ) async throws -> [ExperimentDailySeries] {
        guard let start = experiment.startedAt ?? exposures.map(\.firstAt).min(), start < end else { return [] }
        let metrics = experiment.metrics
        var days: [Timestamp] = []
        var cut = start.adding(seconds: 86_400)
        while days.count < 120 {
            days.append(min(cut, end))
            if cut >= end { break }
            cut = cut.adding(seconds: 86_400)
        }
        var values = [[[Double?]]](
            repeating: [[Double?]](repeating: [], count: experiment.variants.count), count: metrics.count)
        for day in days {
            let exposed = exposures.filter { $0.firstAt < day }
            let measured = try await store.unitMetrics(
                exposed.map { MetricUnitWindow(profileID: $0.profileID, from: $0.firstAt, to: day) }, metrics: metrics,
                pricing: options.pricing)
            for (m, key) in metrics.enumerated() {
                let ratio = MetricCatalog.metric(key)?.kind == .ratio
                for v in experiment.variants.indices {
                    var numerator = 0.0
                    var denominator = 0.0
                    for e in exposed where e.variant == v {
                        let value = measured[e.profileID]?[key] ?? .zero
                        numerator += value.numerator
                        denominator += ratio ? value.denominator : 1
                    }
                    values[m][v].append(denominator > 0 ? numerator / denominator : nil)
                }
            }
        }
        return metrics.enumerated().map { m, key in ExperimentDailySeries(metric: key, days: days, values: values[m]) }
    }

    /// The primary metric's per-unit mean and standard deviation over the `days` before `now`, among the
    /// profiles the targeting admits (by plan and region; devices are not known per profile) — the baseline
    /// of a planned sample size. A ratio metric's standard deviation is the delta method's, per unit.
    public static func baseline(
        store: any MarqueeStore, metric: String, targeting: ExperimentTargeting, now: Timestamp, days: Int = 14,
        pricing: PlanPricing = .standard
    ) async throws -> ExperimentBaseline? {
        guard let definition = MetricCatalog.metric(metric) else { return nil }
        var profiles: [Profile] = []
        var offset = 0
        while true {
            let page = try await store.profiles(limit: 1_000, offset: offset, plan: nil)
            profiles += page.items.filter { targeting.admits(plan: $0.plan, region: $0.region, device: nil) }
            offset += page.items.count
            if page.items.isEmpty || offset >= page.total { break }
        }
        guard profiles.count >= 2 else { return nil }
        let from = now.adding(seconds: -Double(days) * 86_400)
        let values = try await store.unitMetrics(
            profiles.map { MetricUnitWindow(profileID: $0.id, from: from, to: now) }, metrics: [metric], pricing: pricing)
        let n = Double(profiles.count)
        let xs = profiles.map { values[$0.id]?[metric] ?? .zero }
        let meanN = xs.reduce(0) { $0 + $1.numerator } / n
        let varN = xs.reduce(0) { $0 + ($1.numerator - meanN) * ($1.numerator - meanN) } / (n - 1)
        guard definition.kind == .ratio else {
            return varN > 0 ? ExperimentBaseline(mean: meanN, standardDeviation: varN.squareRoot(), source: "measured") : nil
        }
        let meanD = xs.reduce(0) { $0 + $1.denominator } / n
        guard meanD > 0 else { return nil }
        let varD = xs.reduce(0) { $0 + ($1.denominator - meanD) * ($1.denominator - meanD) } / (n - 1)
        let cov = xs.reduce(0) { $0 + ($1.numerator - meanN) * ($1.denominator - meanD) } / (n - 1)
        let r = meanN / meanD
        let variance = (varN - 2 * r * cov + r * r * varD) / (meanD * meanD)
        return variance > 0 ? ExperimentBaseline(mean: r, standardDeviation: variance.squareRoot(), source: "measured") : nil
    }
}
