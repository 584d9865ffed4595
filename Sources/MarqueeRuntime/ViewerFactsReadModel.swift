import Logging
import MarqueeAds
import MarqueeCore
import MarqueeRecommend
import Synchronization

/// What this process knows of each viewer from the event log: the live signals (history, trending,
/// engagement) that home pages are built from, and the facts the ad side decides with (region, plan,
/// top genres). A read model that the home page and the ad side both read; the event tail is its one
/// writer (`observe`), after the warm-up replayed the log up to the tail's starting point.
public final class ViewerFactsReadModel: Sendable {
    let catalog: CatalogReadModel
    let store: any MarqueeStore
    /// Where the warm-up's replay of the log ends (the tail folds what comes after).
    let tail: EventTail?
    let logger: Logger
    public let live = LiveSignals()
    /// Whether the warm-up starts from the live signals' checkpoint (`restoreOrReplay`).
    let restoresCheckpoint: Bool
    /// What the warm-up restored (the checkpoint's position, nil for none) and how many events it folded.
    let warmUpFold = Mutex<(restored: FoldPosition?, folded: Int)>((nil, 0))

    private struct GenreKey: Hashable {
        var profile: String
        var count: Int
    }
    /// Each viewer's top genres, kept until their history or the catalog changes.
    private let topGenresCache = Mutex<[GenreKey: (revision: UInt64, generation: UInt64, genres: [String])]>([:])
    private let warming = Mutex<Task<Void, any Error>?>(nil)

    public init(
        catalog: CatalogReadModel, store: any MarqueeStore, tail: EventTail? = nil, restoresCheckpoint: Bool = false, logger: Logger
    ) {
        self.catalog = catalog
        self.restoresCheckpoint = restoresCheckpoint
        self.store = store
        self.tail = tail
        self.logger = logger
        let live = self.live
        catalog.onRebuild { live.catalogGrew(to: $0.count) }
    }

    /// Loads the catalog and profiles and replays the event log into the live signals. Runs once;
    /// later callers (every read, and the tail's first fold) wait for the first.
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
        try await self.catalog.warmUp()
        let catalog = try await self.catalog.current()
        // From the checkpoint when there is a usable one, then the log up to the tail's starting point (all of
        // it without a tail); the tail folds the rest.
        let replayed = try await restoreOrReplay(catalog: catalog)
        _ = live.aggregates(fresh: true)
        logger.info(
            "viewer facts loaded",
            metadata: ["marquee.viewers.events": .stringConvertible(replayed), "marquee.viewers.titles": .stringConvertible(catalog.count)])
    }

    /// Folds committed events into the live signals; an event naming a title the catalog does not have
    /// yet rebuilds the catalog first.
    public func observe(_ events: [Event]) async {
        guard !events.isEmpty else { return }
        do {
            // The warm-up replays the log up to the tail's starting point; these events come after it.
            try await warmUp()
            var catalog = try await self.catalog.current()
            if events.contains(where: { e in e.titleID.map { catalog.index[$0.rawValue] == nil } ?? false }) {
                catalog = try await self.catalog.refresh()
            }
            live.observe(events, catalog: catalog, profileFacts: self.catalog.facts)
        } catch {
            logger.error("could not fold events into the viewer facts", metadata: ["marquee.error": "\(error)"])
        }
    }

    /// The viewer's genres by affinity (liked history, recent first weighted), strongest first:
    /// what ad audiences and the CTR model's viewer features are made of.
    public func topGenres(_ profileID: String, count: Int = 3) async throws -> [String] {
        try await warmUp()
        let (catalog, generation) = try await self.catalog.currentAndGeneration()
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

    /// What an ad decision knows of the viewer behind `profileKey`: plan, region and top genres; nil
    /// for a key that is not a known profile (a contextual request).
    public func adViewer(_ profileKey: String) async throws -> ViewerFacts? {
        guard ProfileID.problem(with: profileKey) == nil, let profile = try await catalog.profile(profileKey) else { return nil }
        return ViewerFacts(
            profileID: profile.id, plan: profile.plan, region: profile.region, topGenres: try await topGenres(profileKey))
    }
}
