import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// What only the PostgreSQL store has: its URL, its connection errors, its partitions and its migrations.
/// The tests that need a server run when `MARQUEE_TEST_DATABASE_URL` is set (scripts/test.sh sets it).
@Suite struct PostgresStoreTests {
    @Test func urlsAreParsedAndShownWithoutThePassword() throws {
        let full = try PostgresLocation(url: "postgres://ana:s%40cret@db.example:6543/marquee?sslmode=require")
        #expect(full.host == "db.example")
        #expect(full.port == 6543)
        #expect(full.username == "ana")
        #expect(full.password == "s@cret")
        #expect(full.database == "marquee")
        #expect(full.tls == .require)
        #expect(full.redacted == "postgres://ana@db.example:6543/marquee?sslmode=require")

        let short = try PostgresLocation(url: "postgresql://ana@localhost")
        #expect(short.port == 5432)
        #expect(short.database == "ana")
        #expect(short.password == nil)
        #expect(short.tls == .prefer)
        #expect(short.redacted == "postgres://ana@localhost:5432/ana")
    }

    @Test(arguments: [
        ("mysql://ana@db/marquee", "must start with postgres://"),
        ("postgres://db.example/marquee", "names no user"),
        ("postgres://ana:pw@/marquee", "names no host"),
        ("postgres://ana:pw@db/marquee?sslmode=sometimes", "sslmode"),
        ("postgres://ana:pw@db/marquee?pool=9", "unknown parameter 'pool'"),
    ])
    func badURLsAreRefusedByName(_ url: String, _ expected: String) throws {
        let error = try #require(throws: MarqueeError.self) { try PostgresLocation(url: url) }
        #expect(error.kind == .invalidValue)
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(!error.message.contains("pw@"))
    }

    /// Nothing listens on port 1 of the loopback: the error names the URL, never the password.
    @Test func anUnreachableServerIsNamedWithoutItsPassword() async throws {
        let error = try await #require(throws: MarqueeError.self) {
            _ = try await PostgresStore.open(url: "postgres://ana:hunter2secret@127.0.0.1:1/marquee")
        }
        #expect(error.kind == .unavailable)
        #expect(error.code == "database_unreachable")
        #expect(error.message.hasPrefix("cannot connect to PostgreSQL at postgres://ana@127.0.0.1:1/marquee: "), "\(error.message)")
        #expect(!error.message.contains("hunter2secret"))
    }

    /// Month boundaries checked against Timestamp's own ISO 8601 parser.
    @Test func partitionsCoverWholeUTCMonths() throws {
        func ms(_ iso: String) -> Int64 { Timestamp(iso8601: iso)!.millisecondsSinceEpoch }
        let jan = PostgresStore.month(ofMilliseconds: ms("2026-01-01T00:00:00Z"))
        #expect(jan == 2026 * 12)
        #expect(PostgresStore.month(ofMilliseconds: ms("2025-12-31T23:59:59.999Z")) == jan - 1)
        #expect(PostgresStore.month(ofMilliseconds: ms("2024-02-29T12:00:00Z")) == 2024 * 12 + 1)
        #expect(PostgresStore.month(ofMilliseconds: -1) == 1969 * 12 + 11)

        let p = PostgresStore.partition(ofMonth: jan)
        #expect(p.name == "events_y2026m01")
        #expect(p.from == ms("2026-01-01T00:00:00Z"))
        #expect(p.to == ms("2026-02-01T00:00:00Z"))
        let dec = PostgresStore.partition(ofMonth: 2025 * 12 + 11)
        #expect(dec.name == "events_y2025m12")
        #expect(dec.from == ms("2025-12-01T00:00:00Z"))
        #expect(dec.to == ms("2026-01-01T00:00:00Z"))
        let leap = PostgresStore.partition(ofMonth: 2024 * 12 + 1)
        #expect(leap.to - leap.from == 29 * 86_400_000)
        #expect(PostgresStore.partition(ofMonth: 1969 * 12 + 11).to == 0)
    }

    // MARK: With a server

    static var server: String? { StoreFactory.databaseURL }

    /// Opening again applies nothing; `migrate` on a migrated schema answers with no names.
    @Test(.enabled(if: server != nil)) func migrationsApplyOnce() async throws {
        let url = try #require(Self.server)
        let schema = "test_migrate_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresStore.createSchema(schema, url: url)
        let location = try PostgresLocation(url: url)
        #expect(try await PostgresStore.migrate(location, schema: schema) == PostgresStore.migrations.map(\.name))
        #expect(try await PostgresStore.migrate(location, schema: schema) == [])
        let store = try await PostgresStore.open(url: url, schema: schema)
        #expect(try await store.integer("counting", "SELECT COUNT(*) FROM schema_migrations") == Int64(PostgresStore.migrations.count))
        await store.close()
    }

    /// The schema refuses what the validator would, and the event log refuses updates and deletes.
    @Test(.enabled(if: server != nil)) func theSchemaHoldsWithoutTheValidator() async throws {
        let store = try await StoreFactory.freshPostgresStore(url: try #require(Self.server))
        try await store.upsertTitles(smallDataset().titles)
        try await store.upsertProfiles(smallDataset().profiles)
        _ = try await store.appendEvents(smallDataset().events, receivedAt: Timestamp(secondsSinceEpoch: 0))
        let columns = "(seq, id, profile_id, type, occurred_at, received_at, title_id"
        let bad = [
            "INSERT INTO events \(columns)) VALUES (900, 'x1', 'p1', 'explode', 1767225600000, 0, 't1')",
            "INSERT INTO events \(columns)) VALUES (901, 'x2', 'ghost', 'play', 1767225600000, 0, 't1')",
            "INSERT INTO events \(columns), rating) VALUES (902, 'x3', 'p1', 'rate', 1767225600000, 0, 't1', 9)",
            "INSERT INTO events \(columns)) VALUES (903, 'x4', 'p1', 'play', 1767225600000, 0, NULL)",
            "INSERT INTO profiles (id, plan, region, language, maturity_limit, created_at) VALUES ('p9', 'gold', 'us', 'en', '18+', 0)",
            "UPDATE events SET rating = 5",
            "DELETE FROM events",
            "INSERT INTO shared_secrets (name, value) VALUES ('short', '\\x00')",
        ]
        for sql in bad {
            await #expect(throws: MarqueeError.self, "\(sql)") { try await store.execute(sql) }
        }
        #expect(try await store.eventCount() == 10)
        // The partition of January 2026 holds them.
        #expect(try await store.integer("counting", "SELECT COUNT(*) FROM events_y2026m01") == 10)
        await store.close()
    }

    /// A sequence value taken by a transaction that rolled back is a gap in the log, never a row: the reader
    /// skips it (the runtime's cursor gives up on such gaps after its grace period).
    @Test(.enabled(if: server != nil)) func aRolledBackBatchLeavesOnlyAGap() async throws {
        let store = try await StoreFactory.freshPostgresStore(url: try #require(Self.server))
        let data = smallDataset()
        try await store.upsertTitles(data.titles)
        try await store.upsertProfiles(data.profiles)
        _ = try await store.appendEvents(Array(data.events.prefix(2)), receivedAt: Timestamp(secondsSinceEpoch: 0))
        // A batch whose transaction fails after taking its sequence values (a row the schema refuses).
        var bad = data.events[2]
        bad.rating = 9
        await #expect(throws: MarqueeError.self) {
            _ = try await store.appendEvents([data.events[3], bad], receivedAt: Timestamp(secondsSinceEpoch: 0))
        }
        #expect(try await store.containsEvents(ids: [data.events[3].id]) == [])
        _ = try await store.appendEvents([data.events[4]], receivedAt: Timestamp(secondsSinceEpoch: 0))
        let log = try await store.events(afterSequence: 0, limit: 10)
        #expect(log.map(\.event.id) == [data.events[0].id, data.events[1].id, data.events[4].id])
        #expect(log.map(\.sequence) == [1, 2, 5])
        await store.close()
    }
}
