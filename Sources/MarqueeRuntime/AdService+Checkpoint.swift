import Logging
import MarqueeAds
import MarqueeCore

extension AdService {
    /// The delivery state's checkpoint in the store.
    public static let checkpointName = "ads.delivery"

    /// The position of the checkpoint the warm-up restored (nil: it replayed every ad event).
    public var restoredCheckpoint: FoldPosition? { warmUpFold.withLock { $0.restored } }
    /// Ad events the warm-up folded (after the checkpoint when one was restored).
    public var foldedAtWarmUp: Int { warmUpFold.withLock { $0.folded } }

    /// Folds the ad events up to the tail's starting point (all of them without a tail) into the engine:
    /// from the delivery checkpoint and the ad events after its position when there is a usable one, else
    /// from the start of both logs. The traffic curve is learned from every impression up to `end` before
    /// any is folded (as new pacers start from it). Returns the events folded.
    func restoreOrReplay(end: EventLogPosition) async throws -> Int {
        let restored = await restoredPosition(end: end)
        let from = restored ?? FoldPosition(events: .init(floor: 0), contextualAdEvents: .init(floor: 0))
        // The log's events, then the beacons' events of viewers without a profile (contextual pods), kept apart.
        var pages: [[Event]] = []
        var counts = engine.trafficCounts
        for (cursor, last, contextual) in [
            (from.events, end.events, false), (from.contextualAdEvents, end.contextualAdEvents, true),
        ] {
            try await readAdEvents(after: cursor, through: last, contextual: contextual) { page in
                let relevant = page.map(\.event)
                for e in relevant where e.type == .adImpression { TrafficCurve.count(e.timestamp.millisecondsSinceEpoch, into: &counts) }
                pages.append(relevant)
            }
        }
        // The hourly shape of ad traffic (`TrafficCurve.learned` over the same impressions).
        if counts.contains(where: { $0 > 0 }) { engine.setTrafficCurve(TrafficCurve(counts: counts)) }
        var replayed = 0
        for relevant in pages {
            engine.observe(relevant)
            replayed += relevant.count
        }
        warmUpFold.withLock { $0 = (restored, replayed) }
        return replayed
    }

    /// Reads the ad events of one log after `cursor` (skipping the rows it holds) through `last`, a page at a time.
    private func readAdEvents(
        after cursor: FoldPosition.Cursor, through last: Int64, contextual: Bool,
        _ body: ([(sequence: Int64, event: Event)]) throws -> Void
    ) async throws {
        var after = cursor.floor
        while after < last {
            let page =
                contextual
                ? try await store.contextualAdEvents(afterSequence: after, limit: 50_000)
                : try await store.adEvents(afterSequence: after, limit: 50_000)
            guard let tail = page.last else { return }
            after = tail.sequence
            try body(page.filter { $0.sequence <= last && !cursor.delivered.contains($0.sequence) })
        }
    }

    /// Restores the engine's delivery state from the store's checkpoint and returns its position; nil (state
    /// untouched: the caller replays every ad event) when checkpoints are off, there is none, or it is unusable.
    private func restoredPosition(end: EventLogPosition) async -> FoldPosition? {
        guard restoresCheckpoint, tail != nil else { return nil }
        let engine = self.engine
        return await FoldCheckpoint.restore(
            Self.checkpointName, format: AdDecisionEngine.checkpointFormat, what: "delivery state", from: store, end: end, logger: logger
        ) { try engine.restoreCheckpoint($0) }
    }
}
