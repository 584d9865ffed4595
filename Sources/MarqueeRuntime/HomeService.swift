import Foundation
import Logging
import MarqueeCore
import MarqueeRecommend
import Synchronization

/// The home page's state on this server: the catalog as the builder reads it, the live signals
/// folded from every accepted event, the artwork bandit, cached profiles, and the recent decisions
/// that clicks and plays are joined to. Rebuilt from the store at start-up (`warmUp`).
public final class HomeService: Sendable {
    let store: any MarqueeStore
    let snapshots: SnapshotService
    public let editorial: EditorialRuleBook
    let decisionLog: DecisionLogWriter?
    /// Where the warm-up's replay of the log ends (the tail folds what comes after).
    let tail: EventTail?
    public let configuration: HomeConfiguration
    /// Whether the warm-up starts from the live signals' checkpoint (`restoreOrReplay`).
    let restoresCheckpoint: Bool
    /// What the warm-up restored (the checkpoint's position, nil for none) and how many events it folded.
    let warmUpFold = Mutex<(restored: FoldPosition?, folded: Int)>((nil, 0))
    let logger: Logger
    public let live = LiveSignals()
    public let bandit: ArtworkBandit

    private struct CatalogState: Sendable {
        var catalog: HomeCatalog
        var snapshotIdentity: FileIdentity?
        /// Counts catalog builds (what the top-genres cache was computed against).
        var generation: UInt64
    }
    private let catalogState = Mutex<CatalogState?>(nil)
    private struct GenreKey: Hashable {
        var profile: String
        var count: Int
    }
    /// Each viewer's top genres (ad audiences, CTR features), kept until their history or the catalog changes.
    private let topGenresCache = Mutex<[GenreKey: (revision: UInt64, generation: UInt64, genres: [String])]>([:])
    private let profiles = Mutex<[String: Profile]>([:])
    /// When the artwork counts were last read from the store (wall-clock ms).
    private let artworkRefreshedAt = Atomic<Int64>(Int64.min / 2)

    public init(
        store: any MarqueeStore, snapshots: SnapshotService, editorial: EditorialRuleBook, decisionLog: DecisionLogWriter?,
        tail: EventTail? = nil, configuration: HomeConfiguration = HomeConfiguration(), restoresCheckpoint: Bool = false,
        logger: Logger
    ) {
        self.store = store
        self.restoresCheckpoint = restoresCheckpoint
        self.tail = tail
        self.snapshots = snapshots
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

    /// Loads titles, profiles, editorial rules and the whole event log into memory, and warms the
    /// artwork bandit from the decision log. Runs once, before the server accepts requests (or at
    /// the first use, for routers driven in-process); later callers wait for the first.
    public func warmUp() async throws { _ = try await ensureWarm() }

    /// Returns true when this call started the warm-up.
    private func ensureWarm() async throws -> Bool {
        let (task, started) = warming.withLock { current -> (Task<Void, any Error>, Bool) in
            if let current { return (current, false) }
            let task = Task { try await self.load() }
            current = task
            return (task, true)
        }
        try await task.value
        return started
    }

    private func load() async throws {
        let catalog = try await refreshCatalog()
        let all = try await store.profiles(limit: 100_000_000, offset: 0, plan: nil).items
        profiles.withLock { table in for p in all { table[p.id.rawValue] = p } }
        try await editorial.reload(from: store)
        let replayed = try await restoreOrReplay(catalog: catalog)
        let artworkCounts = try await refreshArtworkStats(catalog: catalog)
        _ = live.aggregates(fresh: true)
        // The artwork bandit re-estimates its choice probabilities here, never on a request.
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
        logger.info(
            "home page state loaded",
            metadata: [
                "marquee.home.events": .stringConvertible(replayed), "marquee.home.titles": .stringConvertible(catalog.count),
                "marquee.home.artwork_counts": .stringConvertible(artworkCounts),
            ])
    }

    public func facts(_ id: ProfileID) -> (region: String, plan: Plan)? {
        profiles.withLock { $0[id.rawValue] }.map { ($0.region, $0.plan) }
    }

    /// Re-reads the titles (after a catalog change) and rebuilds the catalog, keeping indices.
    @discardableResult
    public func refreshCatalog() async throws -> HomeCatalog { try await rebuildCatalog().catalog }

    /// Builds the catalog from the store and the loaded snapshot, and numbers the build.
    private func rebuildCatalog() async throws -> (catalog: HomeCatalog, generation: UInt64) {
        let titles = try await store.titles(limit: 10_000_000, offset: 0).items
        let loaded = snapshots.snapshot
        let previous = catalogState.withLock { $0?.catalog }
        let catalog = HomeCatalog(titles: titles, snapshot: loaded?.snapshot, previous: previous)
        let generation = catalogState.withLock { state -> UInt64 in
            let generation = (state?.generation ?? 0) + 1
            state = CatalogState(catalog: catalog, snapshotIdentity: loaded?.fileIdentity, generation: generation)
            return generation
        }
        live.catalogGrew(to: catalog.count)
        return (catalog, generation)
    }

    /// The current catalog, rebuilt first when a newer model snapshot was loaded.
    public func catalog() async throws -> HomeCatalog { try await catalogAndGeneration().catalog }

    /// The current catalog and the number of the build it comes from.
    private func catalogAndGeneration() async throws -> (catalog: HomeCatalog, generation: UInt64) {
        let loaded = snapshots.snapshot
        if let state = catalogState.withLock({ $0 }), state.snapshotIdentity == loaded?.fileIdentity {
            return (state.catalog, state.generation)
        }
        return try await rebuildCatalog()
    }

    /// The viewer's top titles from the same live state and rules as their home page: the model's
    /// scores with new history folded in, without titles they may not see (maturity, region, block
    /// rules) or have ruled out (watched, disliked and its neighbours).
    public func recommendations(
        for profile: Profile, count: Int, genre: String?, device: Device?, at: LocalTime
    ) async throws
        -> (items: [HomePageBuilder.RankedTitle], personalized: Bool, catalog: HomeCatalog)
    {
        _ = try await ensureWarm()
        let catalog = try await self.catalog()
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
        _ = try await ensureWarm()
        let catalog = try await self.catalog()
        guard let t = catalog.index[titleID] else { return nil }
        let viewer = profile.map { ($0, live.profile($0.id.rawValue)) }
        return (builder(catalog, bandit: nil).similar(to: t, viewer: viewer, at: at, count: count), catalog)
    }

    /// A page builder over `catalog` with the live counts and the editorial rules as they are now.
    private func builder(_ catalog: HomeCatalog, bandit: ArtworkBandit?) -> HomePageBuilder {
        HomePageBuilder(
            catalog: catalog, aggregates: live.aggregates(), rules: editorial.rules, configuration: configuration, bandit: bandit)
    }

    /// Sets the artwork bandit's counts to the store's statistics (impressions and rewards logged by every
    /// process serving the store); returns how many (title, variant, segment) counts were read.
    @discardableResult
    public func refreshArtworkStats() async throws -> Int { try await refreshArtworkStats(catalog: catalog()) }

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

    /// Reads every profile again (another process changed some).
    public func reloadProfiles() async throws {
        let all = try await store.profiles(limit: 100_000_000, offset: 0, plan: nil).items
        profiles.withLock { table in for p in all { table[p.id.rawValue] = p } }
    }

    public func profilesChanged(_ changed: [Profile]) {
        profiles.withLock { table in for p in changed { table[p.id.rawValue] = p } }
    }

    public func profile(_ id: String) async throws -> Profile? {
        if let p = profiles.withLock({ $0[id] }) { return p }
        guard let p = try await store.profile(id: ProfileID(trusted: id)) else { return nil }
        profiles.withLock { $0[id] = p }
        return p
    }

    /// Folds accepted events into the live state; a click or play carrying a decision id rewards the artwork shown.
    public func observe(_ events: [Event]) async {
        guard !events.isEmpty else { return }
        do {
            // The warm-up replays the log up to the tail's starting point; these events come after it.
            _ = try await ensureWarm()
            var catalog = try await self.catalog()
            if events.contains(where: { e in e.titleID.map { catalog.index[$0.rawValue] == nil } ?? false }) {
                catalog = try await refreshCatalog()
            }
            live.observe(events, catalog: catalog, profileFacts: facts)
            // The store credited the artwork of a page that a click or play joins (in the event's own
            // transaction); the bandit reads the new counts now, at most twice a second.
            let joinsPages = events.contains { ($0.type == .play || $0.type == .click) && $0.decisionID != nil }
            if joinsPages, Timestamp.wallClockMilliseconds() - artworkRefreshedAt.load(ordering: .relaxed) >= 500 {
                try await refreshArtworkStats()
            }
        } catch {
            logger.error("could not fold events into the home page state", metadata: ["marquee.error": "\(error)"])
        }
    }

    /// A title by id from the served catalog (nil when unknown).
    public func title(_ id: String) async throws -> Title? {
        let catalog = try await self.catalog()
        return catalog.index[id].map { catalog.titles[$0] }
    }

    /// The viewer's genres by affinity (liked history, recent first weighted), strongest first:
    /// what ad audiences and the CTR model's viewer features are made of.
    public func topGenres(_ profileID: String, count: Int = 3) async throws -> [String] {
        _ = try await ensureWarm()
        let (catalog, generation) = try await catalogAndGeneration()
        let signals = live.profile(profileID)
        let key = GenreKey(profile: profileID, count: count)
        if signals.historyRevision != 0, let hit = topGenresCache.withLock({ $0[key] }), hit.revision == signals.historyRevision,
            hit.generation == generation
        {
            return hit.genres
        }
        let genres = catalog.topGenres(of: signals, count: count)
        if signals.historyRevision != 0 {
            topGenresCache.withLock { $0[key] = (signals.historyRevision, generation, genres) }
        }
        return genres
    }

    /// Builds a page and logs it: the decision record goes to the asynchronous writer, the artwork
    /// impressions to the bandit.
    public func page(for request: HomeRequest, decisionID: String) async throws -> (HomePage, HomeCatalog) {
        _ = try await ensureWarm()
        let catalog = try await self.catalog()
        let page = builder(catalog, bandit: bandit).build(request, signals: live.profile(request.profile.id.rawValue))
        let (items, shown) = page.served(in: catalog)
        bandit.recordImpressions(shown, segment: page.segment)
        decisionLog?.enqueue(
            HomeDecisionRecord(
                decisionID: DecisionID(trusted: decisionID), profileID: request.profile.id, servedAt: Timestamp.now(),
                device: request.device, daypart: page.daypart, items: items))
        return (page, catalog)
    }
}
