import MarqueeCore
import Synchronization

/// Hands every event committed to the store — by this process or any other serving the same store — to
/// the consumers (live home signals and artwork rewards, ad delivery, fatigue and CTR labels), in
/// commit order, once each.
///
/// At start the consumers replay the log up to `startingPoint()` themselves (their warm-up); the tail
/// takes over after it. It reads the event log and the contextual ad events through one
/// `CommitOrderedCursor` each, whenever `catchUp()` is called: the runtime calls it every poll interval
/// (the bound on how stale another process's events are here), and the ingest path calls it after its commit and before the
/// acknowledgement, so an event acknowledged by this process is in this process's state at once.
/// One read-and-fold runs at a time; consumers therefore see batches in order.
public final class EventTail: Sendable {
    /// One consumer: folds a batch of events (all from one log, in commit order).
    public typealias Consumer = @Sendable ([Event]) async -> Void

    let store: any MarqueeStore
    let pageSize: Int
    private let consumers = Mutex<[Consumer]>([])
    private let contextualConsumers = Mutex<[Consumer]>([])
    private let cursors = Mutex<(events: CommitOrderedCursor, contextual: CommitOrderedCursor)?>(nil)
    private let start = Mutex<Task<EventLogPosition, any Error>?>(nil)
    private let folding = AsyncLock()
    private let folded = Atomic<Int>(0)

    public init(store: any MarqueeStore, pageSize: Int = 5_000) {
        self.store = store
        self.pageSize = pageSize
    }

    /// Adds a consumer of the event log; `contextual` also hands it the contextual ad events.
    public func subscribe(contextual: Bool = false, _ consumer: @escaping Consumer) {
        consumers.withLock { $0.append(consumer) }
        if contextual { contextualConsumers.withLock { $0.append(consumer) } }
    }

    /// Where the consumers' replay ends and tailing begins: the end of both logs when first asked, the
    /// same answer for every later caller.
    public func startingPoint() async throws -> EventLogPosition {
        let task = start.withLock { current -> Task<EventLogPosition, any Error> in
            if let current { return current }
            let task = Task { [store] in try await store.eventLogEnd() }
            current = task
            return task
        }
        return try await task.value
    }

    /// Events handed to the consumers so far (after the starting point).
    public var foldedCount: Int { folded.load(ordering: .relaxed) }

    /// Reads both logs to their current end and folds what is new. Returns when everything committed
    /// before the call is folded.
    public func catchUp() async throws {
        let position = try await startingPoint()
        await folding.lock()
        defer { folding.unlock() }
        var (events, contextual) = cursors.withLock { state in
            if state == nil {
                state = (CommitOrderedCursor(after: position.events), CommitOrderedCursor(after: position.contextualAdEvents))
            }
            return state!
        }
        try await drain(
            &events, read: { [store] after, limit in try await store.events(afterSequence: after, limit: limit) },
            to: consumers.withLock { $0 })
        try await drain(
            &contextual, read: { [store] after, limit in try await store.contextualAdEvents(afterSequence: after, limit: limit) },
            to: contextualConsumers.withLock { $0 })
        cursors.withLock { $0 = (events, contextual) }
    }

    /// Runs `body` while no batch is being folded (it holds the lock `catchUp` folds under), handing it the
    /// exact position the consumers' state reflects: both cursors' floors and the rows above them folded
    /// already. What `body` reads of the consumers' state therefore matches the position; it should only
    /// copy that state (encoding it can happen after, without holding up the tail or the ingest path).
    /// Before the first `catchUp` the position is the starting point (the end of the warm-up's replay).
    public func withQuiescentPosition<T: Sendable>(_ body: (FoldPosition) async throws -> T) async throws -> T {
        let start = try await startingPoint()
        await folding.lock()
        defer { folding.unlock() }
        let position =
            cursors.withLock { state in
                state.map { FoldPosition(events: $0.events.position, contextualAdEvents: $0.contextual.position) }
            }
            ?? FoldPosition(events: .init(floor: start.events), contextualAdEvents: .init(floor: start.contextualAdEvents))
        return try await body(position)
    }

    private func drain(
        _ cursor: inout CommitOrderedCursor, read: (Int64, Int) async throws -> [(sequence: Int64, event: Event)],
        to consumers: [Consumer]
    ) async throws {
        while true {
            let page = try await read(cursor.floor, pageSize)
            let fresh = cursor.accept(page.map(\.sequence), now: Timestamp.wallClockMilliseconds())
            if !fresh.isEmpty {
                let events = fresh.map { page[$0].event }
                for consumer in consumers { await consumer(events) }
                folded.add(events.count, ordering: .relaxed)
            }
            // A full page may have more behind it; a page of rows delivered before (a gap) does not.
            guard page.count == pageSize, !fresh.isEmpty else { return }
        }
    }
}
