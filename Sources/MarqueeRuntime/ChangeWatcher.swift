import MarqueeCore
import Synchronization

/// Polls the store's change versions and reloads what another process (or this one) changed: the ad
/// book, the editorial rules, the catalog, the profiles. The runtime checks every poll interval, so the
/// staleness of those caches in a process is at most that interval plus one reload.
public final class ChangeWatcher: Sendable {
    let store: any MarqueeStore
    let reload: @Sendable (_ changed: Set<Kind>) async throws -> Void
    private let seen = Mutex<ChangeVersions?>(nil)

    /// A kind of cached state.
    public enum Kind: Sendable, Hashable {
        case adBook, editorial, catalog, profiles, experiments
    }

    public init(
        store: any MarqueeStore, reload: @escaping @Sendable (_ changed: Set<Kind>) async throws -> Void
    ) {
        self.store = store
        self.reload = reload
    }

    /// Reads the versions; reloads the kinds whose version moved since the last check (none on the first).
    public func check() async throws {
        let now = try await store.changeVersions()
        let before = seen.withLock { $0 }
        guard let before else {
            seen.withLock { $0 = now }
            return
        }
        var changed: Set<Kind> = []
        if now.adBook != before.adBook { changed.insert(.adBook) }
        if now.editorial != before.editorial { changed.insert(.editorial) }
        if now.catalog != before.catalog { changed.insert(.catalog) }
        if now.profiles != before.profiles { changed.insert(.profiles) }
        if now.experiments != before.experiments { changed.insert(.experiments) }
        guard !changed.isEmpty else { return }
        try await reload(changed)
        // Only after the reload: a failed one is tried again at the next check.
        seen.withLock { $0 = now }
    }
}
