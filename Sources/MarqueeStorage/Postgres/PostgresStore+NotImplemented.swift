import MarqueeCore

/// The protocols of `MarqueeStore` not implemented on PostgreSQL yet: every method throws `unavailable` with
/// code `not_implemented`, naming what is missing. They come in later steps of issue 18 (the README lists them).
extension PostgresStore {
    static func notImplemented(_ what: String) -> MarqueeError {
        MarqueeError(.unavailable, code: "not_implemented", message: "\(what) is not available on PostgreSQL yet")
    }
}

extension PostgresStore: ExperimentStore {
    public func experiments() async throws -> [Experiment] {
        throw Self.notImplemented("experiments (ExperimentStore.experiments)")
    }

    public func experiment(key: String) async throws -> Experiment? {
        throw Self.notImplemented("experiments (ExperimentStore.experiment)")
    }

    public func insertExperiment(_ experiment: Experiment) async throws -> Bool {
        throw Self.notImplemented("experiments (ExperimentStore.insertExperiment)")
    }

    public func replaceExperiment(_ experiment: Experiment) async throws -> Bool {
        throw Self.notImplemented("experiments (ExperimentStore.replaceExperiment)")
    }

    public func changeExperiments(_ change: @escaping @Sendable ([Experiment]) throws -> Experiment) async throws -> Experiment {
        throw Self.notImplemented("experiments (ExperimentStore.changeExperiments)")
    }

    public func recordExposures(_ exposures: [ExperimentExposure]) async throws {
        throw Self.notImplemented("experiments (ExperimentStore.recordExposures)")
    }

    public func exposures(experiment: String) async throws -> [ExperimentExposure] {
        throw Self.notImplemented("experiments (ExperimentStore.exposures)")
    }

    public func experimentHoldout() async throws -> Double {
        throw Self.notImplemented("experiments (ExperimentStore.experimentHoldout)")
    }

    public func setExperimentHoldout(_ share: Double) async throws {
        throw Self.notImplemented("experiments (ExperimentStore.setExperimentHoldout)")
    }
}

extension PostgresStore: MetricStore {
    public func unitMetrics(
        _ windows: [MetricUnitWindow], metrics: [String], pricing: PlanPricing
    ) async throws -> [ProfileID: [String: UnitMetricValue]] {
        throw Self.notImplemented("experiment metrics (MetricStore.unitMetrics)")
    }
}

extension PostgresStore: AnalyticsStore {
    public var analyticsDialect: AnalyticsDialect { .postgresql }
    public func refreshAnalyticsFacts() async throws -> Int {
        throw Self.notImplemented("ad analytics (AnalyticsStore.refreshAnalyticsFacts)")
    }

    public func analyticsQuery(_ statement: AnalyticsStatement, timeLimit: Double, rowLimit: Int) async throws -> AnalyticsRows {
        throw Self.notImplemented("ad analytics (AnalyticsStore.analyticsQuery)")
    }
}

extension PostgresStore: MarqueeStore {}
