import Logging
import MarqueeCore
import ServiceLifecycle
import Synchronization

/// Writes a decision log (home pages, ad pods) off the request path, in batches.
///
/// A request hands its record to `enqueue`, which appends it to an in-memory queue and
/// returns at once. Run as a `Service`, the writer wakes every `flushInterval` (sooner once `maxBatch`
/// records wait) and commits what is queued in transactions of at most `maxBatch` records. A failed write
/// keeps its records at the head of the queue, logs the error and is retried after a growing delay.
///
/// On graceful shutdown `run` writes everything queued and returns. Requests still finishing after that can
/// enqueue more, so whoever owns the store calls `flush()` once the application has stopped and before
/// closing the store. The writer does not deduplicate (the store skips decision ids it holds already) and
/// does not persist its queue: records still queued when the process dies are lost.
public final class BatchLogWriter<Record: Sendable>: Service, Sendable {
    struct State {
        var queue: [Record] = []
        /// Records taken from the queue by the write in progress and not committed yet.
        var inFlight = 0
        /// Records committed so far (those of a committed batch, including ids the store held already).
        var written = 0
        /// Set when `enqueue` has asked for an early wake; cleared when the queue is taken.
        var wakeRequested = false
        var shuttingDown = false
    }

    /// Commits one batch (one transaction).
    let write: @Sendable ([Record]) async throws -> Void
    let logger: Logger
    let maxBatch: Int
    let flushInterval: Duration
    private let state = Mutex(State())
    /// Lets one write at a time take the queue, so `flush()` returns only after earlier batches are committed.
    private let writeLock = AsyncLock()
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    static var firstRetryDelay: Duration { .milliseconds(100) }
    static var longestRetryDelay: Duration { .seconds(5) }

    public init(
        logger: Logger, maxBatch: Int = 512, flushInterval: Duration = .milliseconds(50),
        write: @escaping @Sendable ([Record]) async throws -> Void
    ) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.write = write
        self.logger = logger
        self.maxBatch = maxBatch
        self.flushInterval = flushInterval
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Records waiting to be committed (queued or being written).
    public var pending: Int { state.withLock { $0.queue.count + $0.inFlight } }

    /// Records committed so far.
    public var written: Int { state.withLock { $0.written } }

    /// Queues a record for writing. Never suspends; holds a lock only to append.
    public func enqueue(_ record: Record) {
        let wakeNow = state.withLock { s -> Bool in
            s.queue.append(record)
            guard s.queue.count >= maxBatch, !s.wakeRequested else { return false }
            s.wakeRequested = true
            return true
        }
        if wakeNow { wake.yield() }
    }

    /// Writes everything queued so far and returns when it is committed, retrying failed writes with a
    /// growing delay. Returns early, leaving the records queued, only if the calling task is cancelled.
    public func flush() async {
        let target = state.withLock { $0.written + $0.inFlight + $0.queue.count }
        var failures = 0
        while written < target {
            guard let error = await writeQueued() else {
                failures = 0
                continue
            }
            if Task.isCancelled {
                logger.warning(
                    "cancelled while flushing the home decision log; records stay queued",
                    metadata: ["marquee.decision_log.pending": .stringConvertible(pending)])
                return
            }
            failures += 1
            await backOff(after: error, failures: failures)
        }
    }

    /// Writes on every wake until a graceful shutdown, then writes what is queued and returns.
    /// Cancellation stops it at once, leaving unwritten records queued for `flush()`.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { [wake, flushInterval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: flushInterval)
                    wake.yield()
                }
            }
            await withGracefulShutdownHandler {
                await self.writeUntilShutdown()
            } onGracefulShutdown: {
                self.state.withLock { $0.shuttingDown = true }
                self.wake.yield()
            }
            group.cancelAll()
        }
    }

    private func writeUntilShutdown() async {
        var failures = 0
        for await _ in wakes {
            // Read before writing: a write that starts after the shutdown began takes everything queued by then.
            let stopping = state.withLock { $0.shuttingDown }
            if let error = await writeQueued() {
                if Task.isCancelled { return }
                failures += 1
                await backOff(after: error, failures: failures)
            } else {
                failures = 0
                if stopping { return }
            }
        }
    }

    /// Takes the whole queue and commits it in batches of at most `maxBatch`; on a failure puts the
    /// uncommitted records back at the head of the queue and returns the error.
    private func writeQueued() async -> (any Error)? {
        await writeLock.lock()
        defer { writeLock.unlock() }
        let taken = state.withLock { s -> [Record] in
            var taken: [Record] = []
            swap(&taken, &s.queue)
            s.inFlight = taken.count
            s.wakeRequested = false
            return taken
        }
        var start = 0
        while start < taken.count {
            let end = min(start + maxBatch, taken.count)
            do {
                try await write(Array(taken[start..<end]))
            } catch {
                state.withLock { s in
                    s.queue = Array(taken[start...]) + s.queue
                    s.inFlight = 0
                }
                return error
            }
            state.withLock { s in
                s.written += end - start
                s.inFlight -= end - start
            }
            start = end
        }
        return nil
    }

    private func backOff(after error: any Error, failures: Int) async {
        let delay = min(Self.firstRetryDelay * (1 << min(failures - 1, 16)), Self.longestRetryDelay)
        logger.error(
            "could not write the home decision log; retrying",
            metadata: [
                "marquee.decision_log.pending": .stringConvertible(pending),
                "marquee.decision_log.failures": .stringConvertible(failures),
                "marquee.decision_log.retry_in": "\(delay)",
                "marquee.error": "\(error)",
            ])
        try? await Task.sleep(for: delay)
    }
}

/// A lock for async code: `lock()` suspends until the holder calls `unlock()`; waiters go first come, first served.
/// Not reentrant.
final class AsyncLock: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { s -> Bool in
                if s.held {
                    s.waiters.append(continuation)
                    return false
                }
                s.held = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            precondition(s.held, "unlock of an AsyncLock that is not locked")
            if s.waiters.isEmpty {
                s.held = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// The home page's decision log.
public typealias DecisionLogWriter = BatchLogWriter<HomeDecisionRecord>

extension BatchLogWriter where Record == HomeDecisionRecord {
    /// Logs pages every `flushInterval`; their artwork impressions are counted in the same transaction, or,
    /// given a `tally`, summed there and written by its own flush (far fewer statements: a batch of pages
    /// shows most titles' artwork, and a tally of a second holds each (title, variant, segment) once).
    public convenience init(
        store: any DecisionLogStore, logger: Logger, maxBatch: Int = 512, flushInterval: Duration = .milliseconds(50),
        tally: ArtworkImpressionTally? = nil
    ) {
        self.init(logger: logger, maxBatch: maxBatch, flushInterval: flushInterval) { records in
            guard let tally else { return try await store.appendHomeDecisions(records) }
            try await store.appendHomeDecisions(records, countingArtwork: false)
            tally.add(ArtworkImpressionCount.of(records))
        }
    }
}

/// Artwork impressions of logged pages, summed until `flush` adds them to the store's artwork statistics.
/// What the statistics lag by is the flush interval (1 s in the runtime); a crash loses at most that much of
/// the counts (the bandit of this process counted them at once; the pages themselves are logged).
public final class ArtworkImpressionTally: Sendable {
    private let pending = Mutex<[ArtworkImpressionCount]>([])
    let store: any DecisionLogStore

    public init(store: any DecisionLogStore) { self.store = store }

    func add(_ counts: [ArtworkImpressionCount]) {
        guard !counts.isEmpty else { return }
        pending.withLock { $0 += counts }
    }

    /// Adds what was tallied to the store in one transaction; kept for the next flush if that fails.
    public func flush() async throws {
        let taken = pending.withLock { p -> [ArtworkImpressionCount] in
            defer { p = [] }
            return p
        }
        guard !taken.isEmpty else { return }
        do {
            try await store.addArtworkImpressions(ArtworkImpressionCount.merged(taken))
        } catch {
            pending.withLock { $0 += taken }
            throw error
        }
    }
}
