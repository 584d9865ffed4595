import Foundation
import GRDB
import MarqueeCore
import Testing

@testable import MarqueeStorage

func temporaryStorePath() throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("store.sqlite").path
}

func smallDataset() -> Dataset {
    let t0 = Timestamp(iso8601: "2026-01-01T00:00:00Z")!
    var data = Dataset()
    data.titles = (1...3).map { Title(id: TitleID(trusted: "t\($0)"), name: "T\($0)", dateAdded: t0) }
    data.profiles = (1...2).map { Profile(id: ProfileID(trusted: "p\($0)"), plan: .standardWithAds, region: "us-west", createdAt: t0) }
    data.events = (0..<10).map {
        Event(
            id: EventID(trusted: "e\($0)"), profileID: ProfileID(trusted: "p\($0 % 2 + 1)"), type: .play,
            timestamp: t0.adding(seconds: Double($0)), titleID: TitleID(trusted: "t\($0 % 3 + 1)"))
    }
    return data
}

@Suite struct SQLiteStoreTests {
    @Test func storesInWALModeAndSurvivesReopen() async throws {
        let path = try temporaryStorePath()
        do {
            let store = try SQLiteStore(path: path)
            _ = try await store.importDataset(smallDataset())
            let mode = try await store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            let synchronous = try await store.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(synchronous == 2)  // FULL
            try store.close()
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.eventCount() == 10)
        let events = try await reopened.events(profile: ProfileID(trusted: "p1"), limit: 100)
        #expect(events.map(\.id.rawValue) == ["e0", "e2", "e4", "e6", "e8"])
        try reopened.close()
    }

    @Test func theEventLogIsAppendOnly() async throws {
        let store = try SQLiteStore(path: try temporaryStorePath())
        _ = try await store.importDataset(smallDataset())
        await #expect(throws: (any Error).self) {
            try await store.pool.write { db in try db.execute(sql: "UPDATE events SET rating = 5") }
        }
        await #expect(throws: (any Error).self) {
            try await store.pool.write { db in try db.execute(sql: "DELETE FROM events") }
        }
        #expect(try await store.eventCount() == 10)
    }

    @Test func schemaConstraintsHoldEvenWithoutTheValidator() async throws {
        let store = try SQLiteStore(path: try temporaryStorePath())
        _ = try await store.importDataset(smallDataset())
        let badInserts = [
            "INSERT INTO events (id, profile_id, type, occurred_at, received_at, title_id) VALUES ('x1', 'p1', 'explode', 0, 0, 't1')",
            "INSERT INTO events (id, profile_id, type, occurred_at, received_at, title_id) VALUES ('x2', 'ghost', 'play', 0, 0, 't1')",
            "INSERT INTO events (id, profile_id, type, occurred_at, received_at, title_id, rating) VALUES ('x3', 'p1', 'rate', 0, 0, 't1', 9)",
            "INSERT INTO events (id, profile_id, type, occurred_at, received_at) VALUES ('x4', 'p1', 'play', 0, 0)",
            "INSERT INTO profiles (id, plan, region, language, maturity_limit, created_at) VALUES ('p9', 'gold', 'us', 'en', '18+', 0)",
        ]
        for sql in badInserts {
            await #expect(throws: (any Error).self, "\(sql)") { try await store.pool.write { db in try db.execute(sql: sql) } }
        }
    }

    @Test func aFailedImportWritesNothing() async throws {
        let store = try SQLiteStore(path: try temporaryStorePath())
        var data = smallDataset()
        data.events.append(
            Event(
                id: EventID(trusted: "orphan"), profileID: ProfileID(trusted: "nobody"), type: .play,
                timestamp: Timestamp(secondsSinceEpoch: 1_000_000_000), titleID: TitleID(trusted: "t1")))
        await #expect(throws: MarqueeError.self) { _ = try await store.importDataset(data) }
        #expect(try await store.eventCount() == 0)
        #expect(try await store.titleCount() == 0)
        #expect(try await store.profileCount() == 0)
    }

    @Test func keysAreStoredHashed() async throws {
        let store = try SQLiteStore(path: try temporaryStorePath())
        let made = APIKeys.make(scope: .ingest, name: "k")
        try await store.insertAPIKey(made.record, keyHash: made.hash)
        #expect(try await store.apiKey(hash: APIKeys.hash(made.key))?.scope == .ingest)
        let stored = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT key_hash || name || id FROM api_keys") }
        #expect(!stored.joined().contains(made.key))
    }
    // Duplicates, missing references and key revocation are in StoreContractTests (every backend).
}

@Suite struct SchemaTests {
    /// The GLOB in the schema's CHECKs must match exactly the ad types.
    @Test func adTypeGlobMatchesTheAdTypes() async throws {
        let store = try SQLiteStore(path: try temporaryStorePath())
        let rows = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, is_ad, name GLOB 'ad[A-Z]*' AS glob FROM event_types")
        }
        #expect(rows.count == EventType.allCases.count)
        for row in rows {
            let name: String = row["name"]
            let type = try #require(EventType(rawValue: name))
            #expect((row["is_ad"] as Int == 1) == type.isAd)
            #expect((row["glob"] as Int == 1) == type.isAd, "\(name)")
        }
    }
}
