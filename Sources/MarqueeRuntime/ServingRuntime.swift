import Logging
import MarqueeAds
import MarqueeCore
import MarqueeRecommend
import ServiceLifecycle

/// How the serving runtime runs: where its files are, its default tunables, its clock.
public struct RuntimeConfiguration: Sendable {
    /// The recommendation snapshot file to serve from (and to watch for a newer one); nil serves none.
    public var snapshotPath: String?
    /// The key that signs ad tracking beacons (at least 32 bytes). Nil: the store's shared key (created
    /// once, the same for every process serving the store).
    public var beaconSecret: [UInt8]?
    /// Where players reach the server, for the URLs inside VAST/VMAP (nil: the server's own address).
    public var publicBaseURL: String?
    /// The home page's default tunables (a request may carry others).
    public var home: HomeConfiguration
    /// The ad decision's default tunables.
    public var ads: AdDecisionConfiguration
    public var breakPolicy: BreakPolicy
    /// The delivery clock (flights, budgets, caps, pacing, beacon ages); tests fix it.
    public var clock: @Sendable () -> Timestamp
    /// How often the event log's tail and the store's change versions are read (the staleness bound for
    /// what other processes write).
    public var pollInterval: Duration
    /// Whether served home pages and ad pods are logged (tests of other parts may turn it off).
    public var logsDecisions: Bool
    /// How long served home pages stay in the decision log (what clicks join to, and `marquee artwork
    /// evaluate` reads); older ones are deleted hourly. The artwork bandit's counts are kept apart and stay.
    public var homeDecisionRetention: Duration = .seconds(30 * 86_400)
    /// How often the event-log folds (the live signals, the ad delivery state) are checkpointed into the
    /// store, besides after the warm-up and at a graceful shutdown; a start restores them and folds only the
    /// events after. Nil: no checkpoints are written or read (every start replays the whole log).
    public var checkpointInterval: Duration? = .seconds(300)
    /// How often the artwork bandit's counts are read from the store (what other processes served).
    public var artworkRefreshInterval: Duration = .seconds(2)
    /// How often the shared CTR model learns the newly settled decisions of the log, or adopts what another
    /// process learned (see `CTRLearner`).
    public var ctrLearningInterval: Duration = .seconds(10)
    /// Whether work timed by the wall clock runs (the artwork bandit's background refresh, the live aggregates'
    /// publish interval; see `HomeService`); a simulation on its own clock turns it off to replay exactly.
    public var wallClockWork = true
    /// Measures an experiment's primary metric baseline (per-unit mean and standard deviation) for its
    /// planned sample size, when a definition gives none; nil: plans need a given baseline.
    public var experimentBaseline: (@Sendable (_ metric: String, _ targeting: ExperimentTargeting) async throws -> ExperimentBaseline?)?

    public init(
        snapshotPath: String? = nil, beaconSecret: [UInt8]? = nil,
        publicBaseURL: String? = nil, home: HomeConfiguration = HomeConfiguration(),
        ads: AdDecisionConfiguration = AdDecisionConfiguration(), breakPolicy: BreakPolicy = BreakPolicy(),
        clock: @escaping @Sendable () -> Timestamp = { Timestamp.now() }, pollInterval: Duration = .milliseconds(250),
        logsDecisions: Bool = true
    ) {
        self.snapshotPath = snapshotPath
        self.beaconSecret = beaconSecret
        self.publicBaseURL = publicBaseURL
        self.home = home
        self.ads = ads
        self.breakPolicy = breakPolicy
        self.clock = clock
        self.pollInterval = pollInterval
        self.logsDecisions = logsDecisions
    }
}

/// Every serving service of one process over one store, wired once: the composition root of everything
/// that is not HTTP. The server builds its routes over it; the CLI's other commands can use it too.
///
/// State that must agree between processes lives in the store (events, the decision logs, the delivery
/// ledger, the ad book, editorial rules, the beacon key); what this runtime holds in memory is a cache of
/// it that the event tail and the change watcher keep within `pollInterval` of the store.
public final class ServingRuntime: Sendable {
    public let store: any MarqueeStore
    public let configuration: RuntimeConfiguration
    public let logger: Logger
    public let snapshots: SnapshotService
    public let editorial: EditorialRuleBook
    public let adBookChanges: AdBookChanges
    /// The served catalog and the profiles table, read by the home page and the ad side; the change
    /// watcher refreshes it.
    public let catalog: CatalogReadModel
    /// The live signals and viewers' facts folded from the event log, read by the home page and the ad
    /// side; the event tail is its one writer.
    public let viewers: ViewerFactsReadModel
    public let home: HomeService
    public let ads: AdService
    /// The running experiments: assignment and overrides on the request path, exposures, definitions.
    public let experiments: ExperimentService
    public let homeDecisionLog: DecisionLogWriter?
    /// The artwork impressions of logged pages, added to the store's statistics every second.
    public let artworkTally: ArtworkImpressionTally
    /// Every committed event, from any process, to the consumers.
    public let tail: EventTail
    /// The one way events come in.
    public let ingestor: EventIngestor
    /// Reloads the ad book, editorial rules, catalog and profiles when the store says they changed.
    public let changes: ChangeWatcher
    private let beaconKey: [UInt8]

    /// Builds the services; `beaconSigner` signs with the configured key or, when none is given, the
    /// store's shared one.
    public init(store: any MarqueeStore, configuration: RuntimeConfiguration, logger: Logger) async throws {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        snapshots = SnapshotService(path: configuration.snapshotPath, logger: logger)
        editorial = EditorialRuleBook()
        adBookChanges = AdBookChanges()
        artworkTally = ArtworkImpressionTally(store: store)
        homeDecisionLog =
            configuration.logsDecisions ? DecisionLogWriter(store: store, logger: logger, tally: artworkTally) : nil
        tail = EventTail(store: store)
        ingestor = EventIngestor(store: store, tail: tail)
        catalog = CatalogReadModel(store: store, snapshots: snapshots)
        viewers = ViewerFactsReadModel(
            catalog: catalog, store: store, tail: tail, restoresCheckpoint: configuration.checkpointInterval != nil, logger: logger)
        // The defaults a unit outside every experiment gets: the engine's own configuration (which learns from
        // the shared log, not its own outcomes).
        var adDefaults = configuration.ads
        adDefaults.learnsFromOwnOutcomes = false
        experiments = ExperimentService(
            store: store, home: configuration.home, ads: adDefaults, breakPolicy: configuration.breakPolicy,
            clock: configuration.clock, logger: logger,
            baselineMeasure: configuration.experimentBaseline ?? { [clock = configuration.clock] metric, targeting in
                try await ExperimentReporting.baseline(store: store, metric: metric, targeting: targeting, now: clock())
            })
        home = HomeService(
            store: store, catalog: catalog, viewers: viewers, editorial: editorial, decisionLog: homeDecisionLog,
            configuration: configuration.home, logger: logger, experiments: experiments, clock: configuration.clock,
            wallClockWork: configuration.wallClockWork)
        let secret = try await Self.beaconSecret(configuration.beaconSecret, store: store)
        beaconKey = secret
        let signer: BeaconSigner
        do {
            signer = try BeaconSigner(secret: secret, baseURL: configuration.publicBaseURL ?? "http://127.0.0.1:8080")
        } catch {
            throw MarqueeError(.invalidValue, code: "invalid_value", message: "beacon secret: \(error)")
        }
        ads = AdService(
            store: store, catalog: catalog, viewers: viewers, changes: adBookChanges, signer: signer, tail: tail, logger: logger,
            configuration: configuration.ads, breakPolicy: configuration.breakPolicy, clock: configuration.clock,
            restoresCheckpoint: configuration.checkpointInterval != nil, experiments: experiments)
        let (catalog, viewers, home, ads, editorial, experiments) = (catalog, viewers, home, ads, editorial, experiments)
        // In this order: the live signals first (a click's artwork reward and the ad side then see a catalog
        // that has the event's title). Each consumer waits for its own warm-up before its first fold.
        // The live signals and the home page fold the event log only (as the warm-up replays it); the ad side
        // also the contextual ad events.
        tail.subscribe { events in await viewers.observe(events) }
        tail.subscribe { events in await home.observe(events) }
        tail.subscribe(contextual: true) { events in await ads.observe(events) }
        changes = ChangeWatcher(store: store) { changed in
            if changed.contains(.adBook) { try await ads.reloadBook() }
            if changed.contains(.editorial) { try await editorial.reload(from: store) }
            if changed.contains(.catalog) { try await catalog.refresh() }
            if changed.contains(.profiles) { try await catalog.reloadProfiles() }
            if changed.contains(.experiments) { try await experiments.reload() }
        }
    }

    /// Writes `baseURL` into the URLs of VAST/VMAP documents and beacons from now on (the server's address
    /// once it is bound, when it listens on a port chosen by the system).
    public func useBaseURL(_ baseURL: String) throws {
        ads.replaceSigner(try BeaconSigner(secret: beaconKey, baseURL: baseURL))
    }

    /// The given key, or the store's shared one (created by the first process that asks).
    static func beaconSecret(_ given: [UInt8]?, store: any MarqueeStore) async throws -> [UInt8] {
        if let given {
            guard given.count >= 32 else {
                throw MarqueeError(.invalidValue, code: "invalid_value", message: "the beacon secret must be at least 32 bytes")
            }
            return given
        }
        var generator = SystemRandomNumberGenerator()
        let fresh = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return try await store.sharedSecret(named: "beacon-signing-key", creatingWith: fresh)
    }

    /// The long-running parts, in start order (they stop in reverse: the decision logs after the server).
    public var services: [any Service] {
        let (tail, changes, poll) = (tail, changes, configuration.pollInterval)
        var list: [any Service] = [
            snapshots,
            PeriodicWork(name: "event log tail", interval: poll, logger: logger) { try await tail.catchUp() },
            PeriodicWork(name: "change versions", interval: poll, logger: logger) { try await changes.check() },
        ]
        if let homeDecisionLog { list.append(homeDecisionLog) }
        let tally = artworkTally
        list.append(PeriodicWork(name: "artwork impressions", interval: .seconds(1), logger: logger) { try await tally.flush() })
        let experiments = self.experiments
        list.append(
            PeriodicWork(name: "experiment exposures", interval: .seconds(1), logger: logger) { try await experiments.flushExposures() })
        if let interval = configuration.checkpointInterval {
            list.append(CheckpointSaver(runtime: self, logger: logger))
            list.append(PeriodicWork(name: "checkpoints", interval: interval, logger: logger) { [self] in try await saveCheckpoints() })
        }
        let (home, store, clock, retention) = (home, store, configuration.clock, configuration.homeDecisionRetention)
        list.append(
            PeriodicWork(name: "artwork counts", interval: configuration.artworkRefreshInterval, logger: logger) {
                try await home.refreshArtworkStats()
            })
        let ads = self.ads
        list.append(
            PeriodicWork(name: "CTR learning", interval: configuration.ctrLearningInterval, logger: logger) {
                try await ads.learner.step()
            })
        list.append(
            PeriodicWork(name: "delivery ledger", interval: poll, logger: logger) { try await ads.refreshDelivery() })
        list.append(
            PeriodicWork(name: "expired reservations", interval: .seconds(30), logger: logger) {
                try await ads.releaseExpiredReservations()
            })
        list.append(
            PeriodicWork(name: "home decision retention", interval: .seconds(3_600), logger: logger) {
                let seconds = retention.components.seconds
                _ = try await store.deleteHomeDecisions(servedBefore: clock().adding(seconds: -Double(seconds)))
            })
        return list
    }

    /// Loads the snapshot and every service's state before the first request.
    public func warmUp() async throws {
        try await changes.check()
        try await experiments.reload()
        await snapshots.reloadIfChanged()
        try await viewers.warmUp()
        try await home.warmUp()
        try await ads.warmUp()
        // Spend and reservations as the ledger has them (every process's), not only as the log replay saw them.
        try await ads.releaseExpiredReservations()
        try await ads.refreshDelivery()
        try await tail.catchUp()
    }

    /// Writes what the decision logs still hold (after the HTTP server stopped, before the store closes).
    public func flush() async {
        await homeDecisionLog?.flush()
        do {
            try await artworkTally.flush()
        } catch {
            logger.error("could not count the last artwork impressions", metadata: ["marquee.error": "\(error)"])
        }
        do {
            try await experiments.flushExposures()
        } catch {
            logger.error("could not write the last experiment exposures", metadata: ["marquee.error": "\(error)"])
        }
    }
}
