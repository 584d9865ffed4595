import Foundation
import Logging
import MarqueeAds
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import MarqueeRuntime
import MarqueeSimulation
import MarqueeStorage
import Synchronization

/// How a KPI simulation runs: the world, the days, the viewers' hidden model and the scenario's knobs.
public struct KPISimulationConfiguration: Sendable {
    public var scenario: KPIScenario = .aa
    /// Seeds the world and every draw of the simulation.
    public var seed: UInt64 = 1
    public var profiles = 5_000
    public var titles = 300
    /// Days of generated history before the simulation (what the model is trained on).
    public var historyDays = 28
    /// Simulated days, from the end of the history.
    public var days = 14
    /// Whether a recommendation snapshot is trained on the history first (without it the home page serves
    /// content neighbours and popularity).
    public var trainsModel = true
    public var viewer = ViewerModel()
    /// The treatment's true click probability × (1 + this).
    public var plantedEffect = 0.0
    /// Judge the scenario by this metric instead of its own primary one (e.g. `ad_ctr` for an A/A test with a
    /// planted click effect).
    public var primaryMetric: String?
    /// The experiment's minimum detectable effect instead of the scenario's 5% (its plan's power is for it).
    public var minimumDetectableEffect: Double?
    /// The share of the treatment's viewers who never come (their traffic and exposures dropped).
    public var injectedSRM = 0.0
    /// Events are ingested in batches, every this many simulated seconds.
    public var ingestIntervalSeconds = 60
    /// The shared CTR model learns from the log every this many simulated seconds.
    public var ctrLearningIntervalSeconds = 600
    public var pageRows = 6
    public var pagePerRow = 10
    /// Where the store is written and kept; nil: a temporary file, deleted at the end.
    public var databasePath: String?
    /// The runtime's defaults (an experiment's overrides apply on top).
    public var home = HomeConfiguration()
    public var ads = AdDecisionConfiguration()
    public var breakPolicy = BreakPolicy()

    public init() {}

    /// Throws naming the first setting out of range.
    public func validate() throws {
        func bad(_ field: String, _ reason: String) -> MarqueeError { MarqueeError.invalidValue(field: field, reason: reason) }
        guard DemoWorldConfiguration.profileRange.contains(profiles) else { throw bad("profiles", "must be between 1 and 100000") }
        guard DemoWorldConfiguration.titleRange.contains(titles) else { throw bad("titles", "must be between 10 and 20000") }
        guard (1...365).contains(historyDays) else { throw bad("historyDays", "must be between 1 and 365") }
        guard (1...90).contains(days) else { throw bad("days", "must be between 1 and 90") }
        guard plantedEffect.isFinite, plantedEffect > -1, plantedEffect <= 10 else {
            throw bad("plantedEffect", "must be greater than -1 and at most 10")
        }
        guard injectedSRM.isFinite, (0...1).contains(injectedSRM) else { throw bad("injectedSRM", "must be between 0 and 1") }
        guard (1...3_600).contains(ingestIntervalSeconds) else { throw bad("ingestIntervalSeconds", "must be between 1 and 3600") }
        guard (1...86_400).contains(ctrLearningIntervalSeconds) else {
            throw bad("ctrLearningIntervalSeconds", "must be between 1 and 86400")
        }
        guard (1...20).contains(pageRows) else { throw bad("pageRows", "must be between 1 and 20") }
        guard (1...40).contains(pagePerRow) else { throw bad("pagePerRow", "must be between 1 and 40") }
        try viewer.validate()
    }

    /// The demo world the simulation starts from: history up to a fixed day (2026-11-01), so a run never
    /// depends on today's date; the campaigns' flights outlast the simulated days.
    public var world: DemoWorldConfiguration {
        DemoWorldConfiguration(seed: seed, profiles: profiles, titles: titles, days: historyDays, flightDaysAfterEnd: days + 30)
    }
}

/// What a run (or one variant of it) did, counted by the simulator from its own ground truth.
public struct KPITotals: Sendable, Hashable, Codable {
    public var viewers = 0
    /// Viewers of the treatment whom an injected sample-ratio mismatch kept away.
    public var droppedViewers = 0
    public var sessions = 0
    public var pages = 0
    /// Pages the viewer left without picking anything.
    public var leaves = 0
    public var plays = 0
    public var completes = 0
    public var pods = 0
    public var adImpressions = 0
    public var adClicks = 0
    public var adSkips = 0
    /// Titles left during an ad.
    public var adAbandons = 0
    public var adSeconds = 0.0
    public var viewingSeconds = 0.0
    public var churned = 0
    /// Titles shown on pages, and of them those in the viewer's favourite genre.
    public var titlesShown = 0
    public var favouriteGenreShown = 0
    /// Plays of a title in the viewer's favourite genre.
    public var favouriteGenrePlays = 0
    /// The ingestor's answers.
    public var eventsAccepted = 0
    public var eventsDuplicate = 0
    public var eventsRejected = 0

    public init() {}

    /// Ad clicks per impression (0 without impressions).
    public var clickThroughRate: Double { adImpressions > 0 ? Double(adClicks) / Double(adImpressions) : 0 }
}

/// One run's outcome.
public struct KPIRunResult: Sendable {
    public var experiment: Experiment
    public var totals: KPITotals
    /// The simulator's own counts per variant (index as in the experiment), for viewers in the experiment.
    public var byVariant: [KPITotals]
    public var report: KPIExperimentReport
    /// Wall-clock seconds: generating and importing the world, training, and the simulated days.
    public var setupSeconds: Double
    public var simulationSeconds: Double
    /// The simulated time span.
    public var start: Timestamp
    public var end: Timestamp
}

/// The demo world run forward through the real serving runtime, in process: synthetic viewers with latent
/// tastes ask for home pages (`HomeService.page`), choose by `ViewerModel`, play titles whose breaks come
/// from the real VMAP schedule and whose pods come from `AdService.decide`, answer ads by the hidden
/// `AdResponseModel`, tire of ads and churn; every event goes through `EventIngestor`. The scenario's
/// experiment is stored running before the first day, and the report is asked for at the end through the
/// `KPIExperimentBackend` seam.
///
/// Deterministic for a seed as far as the runtime allows: every draw of the simulator comes from a
/// `SeededGenerator`, actions run one at a time in simulated-time order, and the runtime's periodic work
/// (CTR learning, delivery refresh, decision-log flushes, artwork counts) runs at fixed simulated times.
/// What the runtime draws itself (the ad decision's seed) is not the simulator's to fix; see the README.
public struct KPISimulation: Sendable {
    public var configuration: KPISimulationConfiguration
    public var backend: any KPIExperimentBackend
    public var logger: Logger

    public init(
        configuration: KPISimulationConfiguration, backend: any KPIExperimentBackend = RuntimeExperimentBackend(),
        logger: Logger = Logger(label: "marquee.simulate", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
    }

    /// Runs the simulation. `stage` receives short status lines; `progress` (done, total) the simulated days.
    public func run(stage: ((String) -> Void)? = nil, progress: ((Int, Int) -> Void)? = nil) async throws -> KPIRunResult {
        let c = configuration
        try c.validate()
        let setupStarted = ContinuousClock.now
        let fm = FileManager.default
        let temporary = c.databasePath == nil
        let path =
            c.databasePath
            ?? fm.temporaryDirectory.appendingPathComponent("marquee-simulate-\(c.seed)-\(UUID().uuidString).sqlite").path
        if fm.fileExists(atPath: path) {
            throw MarqueeError.invalidValue(field: "db", reason: "\(path) exists already; give a new file")
        }
        defer {
            if temporary {
                for suffix in ["", "-wal", "-shm", ".model"] { try? fm.removeItem(atPath: path + suffix) }
            }
        }
        let world = c.world
        let dataset = DemoWorld.generate(world) { stage?("world: " + $0) }
        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        _ = try await store.importDataset(dataset, receivedAt: nil, progress: nil)
        stage?("world stored: \(dataset.profiles.count) profiles, \(dataset.titles.count) titles, \(dataset.events.count) events")
        var snapshotPath: String?
        if c.trainsModel {
            let (snapshot, summary) = try await SnapshotTrainer.train(from: store, tune: false, now: world.end)
            try snapshot.write(to: path + ".model")
            snapshotPath = path + ".model"
            stage?("model trained on \(summary.interactions) interactions")
        }
        let start = world.end
        var experiment = c.scenario.experiment(start: start)
        if let primary = c.primaryMetric {
            experiment.secondaryMetrics.removeAll { $0 == primary }
            experiment.guardrailMetrics.removeAll { $0 == primary }
            experiment.primaryMetric = primary
        }
        if let mde = c.minimumDetectableEffect { experiment.minimumDetectableEffect = mde }
        try await backend.insert(experiment, into: store)

        let clock = SimulatedClock(start)
        var runtimeConfiguration = RuntimeConfiguration(
            snapshotPath: snapshotPath, home: c.home, ads: c.ads, breakPolicy: c.breakPolicy, clock: { clock.now },
            pollInterval: .seconds(3_600), logsDecisions: true)
        runtimeConfiguration.checkpointInterval = nil
        runtimeConfiguration.wallClockWork = false
        let runtime = try await ServingRuntime(store: store, configuration: runtimeConfiguration, logger: logger)
        try await runtime.warmUp()
        let setupSeconds = Self.seconds(since: setupStarted)
        stage?("runtime warm: simulating \(c.days) days")

        let simulationStarted = ContinuousClock.now
        var run = try await Run(
            configuration: c, experiment: experiment, backend: backend, runtime: runtime, clock: clock,
            viewers: DemoWorld.latentViewers(world), start: start)
        try await run.simulate(progress: progress)
        let end = clock.now
        // Everything served is in the store before the report reads it (exposures, decision logs).
        await runtime.flush()
        let report = try await backend.report(store: store, experiment: experiment, now: end)
        return KPIRunResult(
            experiment: experiment, totals: run.totals, byVariant: run.byVariant, report: report, setupSeconds: setupSeconds,
            simulationSeconds: Self.seconds(since: simulationStarted), start: start, end: end)
    }

    static func seconds(since instant: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - instant
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// The simulated time: the runtime's clock (every service of the runtime reads it, the home decision log
/// included). The process's `ServerClock` is left alone: other work of the process (tests running beside a
/// simulation) keeps the real time.
final class SimulatedClock: Sendable {
    private let milliseconds: Atomic<Int64>

    init(_ start: Timestamp) {
        milliseconds = Atomic(start.millisecondsSinceEpoch)
    }

    var now: Timestamp { Timestamp(millisecondsSinceEpoch: milliseconds.load(ordering: .relaxed)) }

    func set(_ ms: Int64) {
        guard ms != milliseconds.load(ordering: .relaxed) else { return }
        milliseconds.store(ms, ordering: .relaxed)
    }
}
