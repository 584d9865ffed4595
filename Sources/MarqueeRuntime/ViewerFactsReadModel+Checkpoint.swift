import Logging
import MarqueeCore
import MarqueeRecommend

extension ViewerFactsReadModel {
    /// The live signals' checkpoint in the store.
    public static let checkpointName = "home.live-signals"

    /// The position of the checkpoint the warm-up restored (nil: it replayed the whole log).
    public var restoredCheckpoint: FoldPosition? { warmUpFold.withLock { $0.restored } }
    /// Events the warm-up folded (after the checkpoint when one was restored).
    public var foldedAtWarmUp: Int { warmUpFold.withLock { $0.folded } }

    /// Fills the live signals up to the tail's starting point (the whole log without a tail): from their
    /// checkpoint and the events after its position when there is a usable one, else from the start of
    /// the log. Returns the events folded.
    func restoreOrReplay(catalog: HomeCatalog) async throws -> Int {
        let end = try await tail?.startingPoint().events ?? Int64.max
        let restored = try await restoredPosition(catalog: catalog)
        let from = restored?.events ?? FoldPosition.Cursor(floor: 0)
        var after = from.floor
        var replayed = 0
        // The next page is read while this one is folded in.
        let store = self.store
        var next = Task { [after] in try await store.events(afterSequence: after, limit: 50_000) }
        while after < end {
            var page = try await next.value
            guard let last = page.last else { break }
            after = last.sequence
            if after < end { next = Task { [after] in try await store.events(afterSequence: after, limit: 50_000) } }
            // Rows above the checkpoint's floor that it holds already are not folded twice.
            page.removeAll { $0.sequence > end || from.contains($0.sequence) }
            live.observe(page.map(\.event), catalog: catalog, profileFacts: self.catalog.facts)
            replayed += page.count
        }
        warmUpFold.withLock { $0 = (restored, replayed) }
        return replayed
    }

    /// Restores the live signals from the store's checkpoint and returns its position; nil (state
    /// untouched: the caller replays the whole log) when checkpoints are off, there is none, or it is unusable.
    private func restoredPosition(catalog: HomeCatalog) async throws -> FoldPosition? {
        guard restoresCheckpoint, let tail else { return nil }
        let live = self.live
        return await FoldCheckpoint.restore(
            Self.checkpointName, format: LiveSignals.checkpointFormat, what: "live signals", from: store,
            end: try await tail.startingPoint(), logger: logger
        ) { try live.restoreCheckpoint($0, catalog: catalog) }
    }
}
