import Foundation
import Logging
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import MarqueeStorage
import ServiceLifecycle
import Synchronization
import Testing

/// A store in a temporary folder, with nothing in it.
private func emptyStore() throws -> (SQLiteStore, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-decisions-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return (try SQLiteStore(path: directory.appendingPathComponent("test.sqlite").path), directory)
}

/// A served home page with three items, the second with an artwork choice; `id` makes the decision id.
private func record(_ id: String, profile: String = "p1") -> HomeDecisionRecord {
    HomeDecisionRecord(
        decisionID: DecisionID(trusted: "d-\(id)"), profileID: ProfileID(trusted: profile),
        servedAt: Timestamp(iso8601: "2026-11-20T20:15:00Z")!, device: .tv, daypart: .evening,
        items: [
            ServedItem(rowID: "top-picks", position: 0, titleID: TitleID(trusted: "t1")),
            ServedItem(
                rowID: "genre:comedy", position: 3, titleID: TitleID(trusted: "t\"2"), artworkVariant: ArtworkVariantID(trusted: "v-b"),
                artworkSegment: "comedy-fans", artworkPropensity: 0.25, propensity: 0.125, explored: true),
            ServedItem(rowID: "trending", position: 1, titleID: TitleID(trusted: "t3"), propensity: 1, explored: false),
        ])
}

/// Runs `writer` in a service group while `body` runs, then shuts the group down gracefully and waits for it.
private func whileRunning(_ writer: DecisionLogWriter, _ body: () async throws -> Void) async throws {
    let group = ServiceGroup(services: [writer], logger: quietLogger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        try await body()
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// A gate that tasks wait on until it is opened.
private final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { s -> Bool in
                if !s.open { s.waiters.append(continuation) }
                return s.open
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Forwards to a real store, but each append first announces itself and then waits for the gate.
private final class GatedStore: DecisionLogStore {
    let base: SQLiteStore
    let gate = Gate()
    let appendStarted: AsyncStream<Void>
    private let started: AsyncStream<Void>.Continuation

    init(base: SQLiteStore) {
        self.base = base
        (appendStarted, started) = AsyncStream.makeStream(of: Void.self)
    }

    func appendHomeDecisions(_ records: [HomeDecisionRecord], countingArtwork: Bool) async throws {
        started.yield()
        await gate.wait()
        try await base.appendHomeDecisions(records, countingArtwork: countingArtwork)
    }
    func addArtworkImpressions(_ counts: [ArtworkImpressionCount]) async throws { try await base.addArtworkImpressions(counts) }
    func homeDecisionCount() async throws -> Int { try await base.homeDecisionCount() }
    func homeDecision(id: DecisionID) async throws -> HomeDecisionRecord? { try await base.homeDecision(id: id) }
    func artworkLog(limit: Int) async throws -> [ArtworkLogEntry] { try await base.artworkLog(limit: limit) }
    func artworkStats() async throws -> [ArtworkStat] { try await base.artworkStats() }
    func deleteHomeDecisions(servedBefore bound: Timestamp) async throws -> Int { try await base.deleteHomeDecisions(servedBefore: bound) }
}

/// Forwards to a real store after failing the first `failures` appends.
private final class FlakyStore: DecisionLogStore {
    struct Unavailable: Error {}
    let base: SQLiteStore
    let failures: Int
    private let calls = Mutex(0)

    init(base: SQLiteStore, failures: Int) {
        self.base = base
        self.failures = failures
    }

    var appendCalls: Int { calls.withLock { $0 } }

    func appendHomeDecisions(_ records: [HomeDecisionRecord], countingArtwork: Bool) async throws {
        let call = calls.withLock { n -> Int in
            n += 1
            return n
        }
        if call <= failures { throw Unavailable() }
        try await base.appendHomeDecisions(records, countingArtwork: countingArtwork)
    }
    func addArtworkImpressions(_ counts: [ArtworkImpressionCount]) async throws { try await base.addArtworkImpressions(counts) }
    func homeDecisionCount() async throws -> Int { try await base.homeDecisionCount() }
    func homeDecision(id: DecisionID) async throws -> HomeDecisionRecord? { try await base.homeDecision(id: id) }
    func artworkLog(limit: Int) async throws -> [ArtworkLogEntry] { try await base.artworkLog(limit: limit) }
    func artworkStats() async throws -> [ArtworkStat] { try await base.artworkStats() }
    func deleteHomeDecisions(servedBefore bound: Timestamp) async throws -> Int { try await base.deleteHomeDecisions(servedBefore: bound) }
}

@Suite struct DecisionLogWriterTests {
    @Test func recordsFromConcurrentRequestsAreAllWrittenByShutdown() async throws {
        let (store, directory) = try emptyStore()
        defer {
            try? store.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let writer = DecisionLogWriter(store: store, logger: quietLogger, maxBatch: 512, flushInterval: .milliseconds(20))
        try await whileRunning(writer) {
            await withTaskGroup(of: Void.self) { producers in
                for p in 0..<8 {
                    producers.addTask {
                        for i in 0..<1250 { writer.enqueue(record("\(p)-\(i)", profile: "p\(p)")) }
                    }
                }
            }
        }
        await writer.flush()
        #expect(try await store.homeDecisionCount() == 10_000)
        #expect(writer.written == 10_000)
        #expect(writer.pending == 0)
        let expected = record("7-1249", profile: "p7")
        let stored = try #require(try await store.homeDecision(id: expected.decisionID))
        #expect(stored == expected)
        #expect(stored.items[1].artworkVariant?.rawValue == "v-b")
        #expect(stored.items[1].artworkSegment == "comedy-fans")
        #expect(stored.items[1].artworkPropensity == 0.25)
        #expect(stored.items[1].propensity == 0.125)
        #expect(stored.items[1].explored)
        #expect(stored.items[1].titleID.rawValue == "t\"2")
        #expect(stored.items.map(\.rowID) == ["top-picks", "genre:comedy", "trending"])
        #expect(stored.items.map(\.position) == [0, 3, 1])
    }

    @Test func enqueueReturnsBeforeTheStoreHasTheRecords() async throws {
        let (base, directory) = try emptyStore()
        defer {
            try? base.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let store = GatedStore(base: base)
        let writer = DecisionLogWriter(store: store, logger: quietLogger, maxBatch: 512, flushInterval: .milliseconds(10))
        // A synchronous closure: enqueue cannot suspend, let alone wait for the database.
        let enqueueAll: () -> Void = {
            for i in 0..<10_000 { writer.enqueue(record("\(i)")) }
        }
        try await whileRunning(writer) {
            enqueueAll()
            // The writer has started a write, which the gate holds: nothing is committed yet.
            var starts = store.appendStarted.makeAsyncIterator()
            _ = await starts.next()
            #expect(writer.pending == 10_000)
            #expect(writer.written == 0)
            let committed = try await base.homeDecisionCount()
            #expect(committed == 0)
            store.gate.open()
        }
        await writer.flush()
        #expect(try await base.homeDecisionCount() == 10_000)
        #expect(writer.written == 10_000)
        #expect(writer.pending == 0)
    }

    @Test func failedWritesAreRetriedWithoutLosingRecords() async throws {
        let (base, directory) = try emptyStore()
        defer {
            try? base.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let store = FlakyStore(base: base, failures: 2)
        let writer = DecisionLogWriter(store: store, logger: quietLogger, maxBatch: 512, flushInterval: .milliseconds(10))
        for i in 0..<1000 { writer.enqueue(record("\(i)")) }
        let clock = ContinuousClock()
        let started = clock.now
        // Graceful shutdown drains the queue, so the group returns only once the retries have succeeded.
        try await whileRunning(writer) {}
        #expect(try await base.homeDecisionCount() == 1000)
        #expect(writer.written == 1000)
        #expect(writer.pending == 0)
        // Two failed attempts at the first batch, then both batches: the failures back off instead of spinning.
        #expect(store.appendCalls == 4)
        #expect(clock.now - started >= .milliseconds(300))
    }

    @Test func flushRetriesAFailingStoreToo() async throws {
        let (base, directory) = try emptyStore()
        defer {
            try? base.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let store = FlakyStore(base: base, failures: 2)
        let writer = DecisionLogWriter(store: store, logger: quietLogger)
        for i in 0..<10 { writer.enqueue(record("\(i)")) }
        await writer.flush()
        #expect(try await base.homeDecisionCount() == 10)
        #expect(store.appendCalls == 3)
        #expect(writer.pending == 0)
    }

    @Test func aDecisionIDIsWrittenOnce() async throws {
        let (store, directory) = try emptyStore()
        defer {
            try? store.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let writer = DecisionLogWriter(store: store, logger: quietLogger)
        let first = record("same")
        var second = first
        second.items.removeLast()
        writer.enqueue(first)
        writer.enqueue(first)  // the same batch
        await writer.flush()
        writer.enqueue(second)  // a later batch, same decision id
        await writer.flush()
        #expect(try await store.homeDecisionCount() == 1)
        #expect(try await store.homeDecision(id: first.decisionID) == first)
    }
}
