import Foundation
import Logging
import MarqueeCore
import MarqueeRecommend
import Synchronization

/// The home page's own state on this server: the artwork bandit and the decisions it logs. The catalog,
/// the profiles and the live signals it builds pages from are the shared read models (`CatalogReadModel`,
/// `ViewerFactsReadModel`), which the ad side reads too.
public final class HomeService: Sendable {
    let store: any MarqueeStore
    /// The served catalog and the profiles table (shared with the ad side).
    public let catalog: CatalogReadModel
    /// The live signals folded from every committed event (shared with the ad side).
    public let viewers: ViewerFactsReadModel
    public let editorial: EditorialRuleBook
    let decisionLog: DecisionLogWriter?
    public let configuration: HomeConfiguration
    /// The running experiments, whose home overrides each page applies for its viewer.
    let experiments: ExperimentService?
    /// When pages are served (the decision log's `servedAt`); tests and simulations fix it.
    public let clock: @Sendable () -> Timestamp
    /// Whether work timed by the wall clock runs: the artwork bandit's background re-estimation, its counts
    /// re-read when clicks join pages, and the live aggregates republished at most every publish interval. A
    /// simulation on its own clock turns it off (pages then read fresh aggregates, and the simulation calls
    /// `bandit.refreshStale` and `refreshArtworkStats` itself), so a run replays exactly.
    let wallClockWork: Bool
    let logger: Logger
    public let bandit: ArtworkBandit
    /// The live signals the pages are built from (the viewer facts' own).
    public var live: LiveSignals { viewers.live }
    /// When the artwork counts were last read from the store (wall-clock ms).
    private let artworkRefreshedAt = Atomic<Int64>(Int64.min / 2)

    public init(
        store: any MarqueeStore, catalog: CatalogReadModel, viewers: ViewerFactsReadModel, editorial: EditorialRuleBook,
        decisionLog: DecisionLogWriter?, configuration: HomeConfiguration = HomeConfiguration(), logger: Logger,
        experiments: ExperimentService? = nil, clock: @escaping @Sendable () -> Timestamp = { Timestamp.now() },
        wallClockWork: Bool = true
    ) {
        self.wallClockWork = wallClockWork
        self.experiments = experiments
        self.clock = clock
        self.store = store
        self.catalog = catalog
        self.viewers = viewers
        self.editorial = editorial
        self.decisionLog = decisionLog
        self.configuration = configuration
        self.logger = logger
        var banditConfiguration = ArtworkBanditConfiguration()
        banditConfiguration.seed = configuration.seed
        banditConfiguration.deferredRefresh = true
        bandit = ArtworkBandit(configuration: banditConfiguration)
    }

    private let warming = Mutex<Task<Void, any Error>?>(nil)

    /// Waits for the read models' warm-up (titles, profiles, the event log replayed), loads the editorial
    /// rules and warms the artwork bandit from the store's counts. Runs once, before the server accepts
    /// requests (or at the first use, for routers driven in-process); later callers wait for the first.
    public func warmUp() async throws {
        let task = warming.withLock { current -> Task<Void, any Error> in
            if let current { return current }
            let task = Task { try await self.load() }
            current = task
            return task
        }
        try await task.value
    }

    private func load() async throws {
        try await viewers.warmUp()
        let catalog = try await self.catalog.current()
        try await editorial.reload(from: store)
        let artworkCounts = try await refreshArtworkStats(catalog: catalog)
        // The artwork bandit re-estimates its choice probabilities here, never on a request.
        if wallClockWork { startArtworkRefresh() }
        logger.info(
            "home page state loaded",
            metadata: [
                "marquee.home.titles": .stringConvertible(catalog.count), "marquee.home.artwork_counts": .stringConvertible(artworkCounts),
            ])
    }

    private func startArtworkRefresh() {
        Task.detached { [weak self] in
            while let bandit = self?.bandit {
                // At most 16 keys per 20 ms: under load every shown title turns stale, and re-estimating
                // all of them at once would take the CPU the requests need. A policy that is a few
                // seconds old is still the one logged with its propensities.
                if bandit.refreshStale(limit: 16) == 0 {
                    try? await Task.sleep(for: .milliseconds(100))
                } else {
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    /// Re-reads the titles and rebuilds the shared catalog (a forward for the catalog routes).
    @discardableResult
    public func refreshCatalog() async throws -> HomeCatalog { try await catalog.refresh() }

    /// Takes the profiles this process just wrote into the shared table (a forward for the profile routes).
    public func profilesChanged(_ changed: [Profile]) { catalog.profilesChanged(changed) }

    /// A profile by id from the shared table.
    public func profile(_ id: String) async throws -> Profile? { try await catalog.profile(id) }

    /// A title by id from the served catalog (nil when unknown).
    public func title(_ id: String) async throws -> Title? { try await catalog.title(id) }

    /// The viewer's top titles from the same live state and rules as their home page: the model's
    /// scores with new history folded in, without titles they may not see (maturity, region, block
    /// rules) or have ruled out (watched, disliked and its neighbours).
    public func recommendations(
        for profile: Profile, count: Int, genre: String?, device: Device?, at: LocalTime
    ) async throws
        -> (items: [HomePageBuilder.RankedTitle], personalized: Bool, catalog: HomeCatalog)
    {
        try await warmUp()
        let catalog = try await self.catalog.current()
        if let genre, !catalog.genreKeys.contains(genre) {
            throw MarqueeError(
                .invalidValue, code: "invalid_value",
                message:
                    "genre must be one of the catalog's genres: \(catalog.genreKeys.sorted().prefix(50).joined(separator: ", "))")
        }
        let result = builder(catalog, bandit: nil).recommendations(
            profile: profile, signals: live.profile(profile.id.rawValue), device: device, at: at, count: count, genre: genre)
        return (result.items, result.personalized, catalog)
    }

    /// "More like this" for a title, filtered for `profile` when one is given (else by the blocks in
    /// force everywhere); nil when the title is not in the catalog.
    public func similar(
        to titleID: String, profile: Profile?, count: Int, at: Timestamp
    ) async throws
        -> (items: [HomePageBuilder.RankedTitle], catalog: HomeCatalog)?
    {
        try await warmUp()
        let catalog = try await self.catalog.current()
        guard let t = catalog.index[titleID] else { return nil }
        let viewer = profile.map { ($0, live.profile($0.id.rawValue)) }
        return (builder(catalog, bandit: nil).similar(to: t, viewer: viewer, at: at, count: count), catalog)
    }

    /// A page builder over `catalog` with the live counts and the editorial rules as they are now.
    private func builder(_ catalog: HomeCatalog, bandit: ArtworkBandit?, configuration: HomeConfiguration? = nil) -> HomePageBuilder {
        HomePageBuilder(
            catalog: catalog, aggregates: live.aggregates(fresh: !wallClockWork), rules: editorial.rules,
            configuration: configuration ?? self.configuration,
            bandit: bandit)
    }

    /// Sets the artwork bandit's counts to the store's statistics (impressions and rewards logged by every
    /// process serving the store); returns how many (title, variant, segment) counts were read.
    @discardableResult
    public func refreshArtworkStats() async throws -> Int { try await refreshArtworkStats(catalog: catalog.current()) }

    private func refreshArtworkStats(catalog: HomeCatalog) async throws -> Int {
        artworkRefreshedAt.store(Timestamp.wallClockMilliseconds(), ordering: .relaxed)
        let stats = try await store.artworkStats()
        for stat in stats {
            guard let t = catalog.index[stat.titleID.rawValue],
                let v = catalog.titles[t].artwork.firstIndex(where: { $0.id == stat.variant })
            else { continue }
            bandit.raiseCounts(
                title: t, variant: v, segment: stat.segment, impressions: Double(stat.impressions), successes: Double(stat.rewards))
        }
        return stats.count
    }

    /// Rewards the artwork shown when a committed click or play carries a page's decision id: the store
    /// credited it in the event's own transaction, and the bandit reads the new counts now, at most twice
    /// a second. (The live signals are folded by `ViewerFactsReadModel`, the tail's first consumer.)
    public func observe(_ events: [Event]) async {
        let joinsPages = events.contains { ($0.type == .play || $0.type == .click) && $0.decisionID != nil }
        guard joinsPages, wallClockWork else { return }
        do {
            try await warmUp()
            if Timestamp.wallClockMilliseconds() - artworkRefreshedAt.load(ordering: .relaxed) >= 500 {
                try await refreshArtworkStats()
            }
        } catch {
            logger.error("could not refresh the artwork counts", metadata: ["marquee.error": "\(error)"])
        }
    }

    /// Builds a page and logs it: the decision record goes to the asynchronous writer, the artwork
    /// impressions to the bandit.
    public func page(for request: HomeRequest, decisionID: String) async throws -> (HomePage, HomeCatalog) {
        try await warmUp()
        let catalog = try await self.catalog.current()
        let configuration = experiments?.homeConfiguration(profile: request.profile, device: request.device) ?? self.configuration
        let page = builder(catalog, bandit: bandit, configuration: configuration).build(
            request, signals: live.profile(request.profile.id.rawValue))
        let (items, shown) = page.served(in: catalog)
        bandit.recordImpressions(shown, segment: page.segment)
        decisionLog?.enqueue(
            HomeDecisionRecord(
                decisionID: DecisionID(trusted: decisionID), profileID: request.profile.id, servedAt: clock(),
                device: request.device, daypart: page.daypart, items: items))
        return (page, catalog)
    }
}
