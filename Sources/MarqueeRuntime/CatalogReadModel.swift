import MarqueeCore
import MarqueeRecommend
import Synchronization

/// The catalog as this process serves it and the profiles table: a read model of the store that the
/// home page and the ad side both read, and that neither owns. `ServingRuntime` owns it; the change
/// watcher refreshes it when another process (or this one) changed titles or profiles, and a newer
/// recommendation snapshot is picked up at the next read.
public final class CatalogReadModel: Sendable {
    let store: any MarqueeStore
    let snapshots: SnapshotService

    private struct CatalogState: Sendable {
        var catalog: HomeCatalog
        var snapshotIdentity: FileIdentity?
        /// Counts catalog builds (what caches computed from a catalog are checked against).
        var generation: UInt64
    }
    private let state = Mutex<CatalogState?>(nil)
    private let profiles = Mutex<[String: Profile]>([:])
    /// Told of every new build before it is served (the live signals make room for new titles).
    private let rebuildObservers = Mutex<[@Sendable (HomeCatalog) -> Void]>([])
    private let warming = Mutex<Task<Void, any Error>?>(nil)

    public init(store: any MarqueeStore, snapshots: SnapshotService) {
        self.store = store
        self.snapshots = snapshots
    }

    /// Builds the catalog and reads every profile; runs once, later callers wait for the first.
    public func warmUp() async throws {
        let task = warming.withLock { current -> Task<Void, any Error> in
            if let current { return current }
            let task = Task {
                try await self.refresh()
                try await self.reloadProfiles()
            }
            current = task
            return task
        }
        try await task.value
    }

    /// Calls `observer` with every catalog built from now on, before the build is served.
    public func onRebuild(_ observer: @escaping @Sendable (HomeCatalog) -> Void) {
        rebuildObservers.withLock { $0.append(observer) }
    }

    // MARK: Catalog

    /// Re-reads the titles (after a catalog change) and rebuilds the catalog, keeping indices.
    @discardableResult
    public func refresh() async throws -> HomeCatalog { try await rebuild().catalog }

    /// Builds the catalog from the store and the loaded snapshot, and numbers the build.
    private func rebuild() async throws -> (catalog: HomeCatalog, generation: UInt64) {
        let titles = try await store.titles(limit: 10_000_000, offset: 0).items
        let loaded = snapshots.snapshot
        let previous = state.withLock { $0?.catalog }
        let catalog = HomeCatalog(titles: titles, snapshot: loaded?.snapshot, previous: previous)
        let generation = state.withLock { state -> UInt64 in
            let generation = (state?.generation ?? 0) + 1
            state = CatalogState(catalog: catalog, snapshotIdentity: loaded?.fileIdentity, generation: generation)
            return generation
        }
        for observer in rebuildObservers.withLock({ $0 }) { observer(catalog) }
        return (catalog, generation)
    }

    /// The current catalog, rebuilt first when a newer model snapshot was loaded.
    public func current() async throws -> HomeCatalog { try await currentAndGeneration().catalog }

    /// The current catalog and the number of the build it comes from.
    func currentAndGeneration() async throws -> (catalog: HomeCatalog, generation: UInt64) {
        let loaded = snapshots.snapshot
        if let state = state.withLock({ $0 }), state.snapshotIdentity == loaded?.fileIdentity {
            return (state.catalog, state.generation)
        }
        return try await rebuild()
    }

    /// A title by id from the served catalog (nil when unknown).
    public func title(_ id: String) async throws -> Title? {
        let catalog = try await current()
        return catalog.index[id].map { catalog.titles[$0] }
    }

    // MARK: Profiles

    /// Reads every profile again (another process changed some).
    public func reloadProfiles() async throws {
        let all = try await store.profiles(limit: 100_000_000, offset: 0, plan: nil).items
        profiles.withLock { table in for p in all { table[p.id.rawValue] = p } }
    }

    /// Takes the profiles this process just wrote.
    public func profilesChanged(_ changed: [Profile]) {
        profiles.withLock { table in for p in changed { table[p.id.rawValue] = p } }
    }

    /// A profile by id, read from the store (and kept) when it is not in the table yet.
    public func profile(_ id: String) async throws -> Profile? {
        if let p = profiles.withLock({ $0[id] }) { return p }
        guard let p = try await store.profile(id: ProfileID(trusted: id)) else { return nil }
        profiles.withLock { $0[id] = p }
        return p
    }

    /// A known profile's region and plan (nil for one not in the table).
    public func facts(_ id: ProfileID) -> (region: String, plan: Plan)? {
        profiles.withLock { $0[id.rawValue] }.map { ($0.region, $0.plan) }
    }
}
