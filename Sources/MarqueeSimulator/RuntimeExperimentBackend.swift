import MarqueeCore
import MarqueeExperiments
import MarqueeRuntime
import Synchronization

/// The real experiments side for the simulator: the scenario's experiment is stored through the same
/// checks and allocation as `POST /v1/experiments`, the runtime serves it (assignment, overrides, exposures),
/// and the report is `ExperimentReporting.report` over the run's logs.
public final class RuntimeExperimentBackend: KPIExperimentBackend {
    private let stored = Mutex<[String: Experiment]>([:])
    let options: ExperimentReporting.Options

    /// `dailySeries` off by default: the simulator prints the table, and a many-seed run needs no charts.
    public init(dailySeries: Bool = false) {
        var options = ExperimentReporting.Options()
        options.dailySeries = dailySeries
        self.options = options
    }

    public func insert(_ experiment: Experiment, into store: any MarqueeStore) async throws {
        var draft = ExperimentDraft(key: experiment.key, variants: experiment.variants, primaryMetric: experiment.primaryMetric)
        draft.hypothesis = experiment.hypothesis
        draft.layer = experiment.layer
        draft.traffic = experiment.traffic
        draft.targeting = experiment.targeting
        draft.status = .running
        draft.startedAt = experiment.startedAt
        draft.secondaryMetrics = experiment.secondaryMetrics
        draft.guardrailMetrics = experiment.guardrailMetrics
        draft.minimumDetectableEffect = experiment.minimumDetectableEffect
        draft.alpha = experiment.alpha
        draft.power = experiment.power
        draft.baseline = experiment.baseline
        let saved = try await ExperimentService.insert(draft, into: store, now: experiment.startedAt ?? experiment.createdAt)
        stored.withLock { $0[saved.key] = saved }
    }

    public func variant(of profile: ProfileID, in experiment: Experiment) -> Int? {
        guard let saved = stored.withLock({ $0[experiment.key] }), let allocation = saved.allocation else { return nil }
        let layerBucket = Bucketing.bucket(unit: profile.rawValue, salt: "layer:" + saved.layer)
        guard allocation.layer.contains(where: { $0.lower <= layerBucket && layerBucket < $0.upper }) else { return nil }
        let bucket = Bucketing.bucket(unit: profile.rawValue, salt: saved.key)
        return allocation.variants.firstIndex { ranges in ranges.contains { $0.lower <= bucket && bucket < $0.upper } }
    }

    public func report(store: any MarqueeStore, experiment: Experiment, now: Timestamp) async throws -> KPIExperimentReport {
        let report = try await ExperimentReporting.report(store: store, key: experiment.key, now: now, options: options)
        let primary = report.metrics.first { $0.metric == experiment.primaryMetric }
        let comparison = primary?.variants.dropFirst().first?.comparison
        return KPIExperimentReport(
            text: report.renderText(), json: String(decoding: try report.jsonData(), as: UTF8.self),
            primaryRejected: comparison.map { $0.pValue < experiment.alpha }, sampleRatioMismatch: report.sampleRatio.mismatch)
    }
}
