import Foundation
import GRDB
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// A way to make a fresh, empty store, for the contract suite: SQLite always, PostgreSQL when
/// `MARQUEE_TEST_DATABASE_URL` is set (scripts/test.sh starts a throwaway server and sets it).
struct StoreFactory: Sendable, CustomTestStringConvertible {
    enum Backend: Sendable { case sqlite, postgres(url: String) }

    let backend: Backend

    var testDescription: String {
        switch backend {
        case .sqlite: return "SQLite"
        case .postgres: return "PostgreSQL"
        }
    }

    /// The PostgreSQL server of the tests, if any.
    static var databaseURL: String? {
        guard let url = ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Every backend the contract suite runs against here.
    static var all: [StoreFactory] {
        var factories = [StoreFactory(backend: .sqlite)]
        if let url = databaseURL { factories.append(StoreFactory(backend: .postgres(url: url))) }
        return factories
    }

    /// Runs `body` with a fresh store (a new SQLite file, or a new schema of the PostgreSQL database),
    /// closed afterwards.
    func withStore<T>(_ body: (any MarqueeStore) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            let store = try SQLiteStore(path: try temporaryStorePath())
            do {
                let value = try await body(store)
                try store.close()
                return value
            } catch {
                try? store.close()
                throw error
            }
        case .postgres(let url):
            let store = try await Self.freshPostgresStore(url: url)
            do {
                let value = try await body(store)
                await store.close()
                return value
            } catch {
                await store.close()
                throw error
            }
        }
    }

    /// Runs `body` with two stores on one fresh database (two pools, as two processes have), closed afterwards.
    func withTwoStores<T>(_ body: (any MarqueeStore, any MarqueeStore) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            let path = try temporaryStorePath()
            let first = try SQLiteStore(path: path)
            let second = try SQLiteStore(path: path)
            defer {
                try? second.close()
                try? first.close()
            }
            return try await body(first, second)
        case .postgres(let url):
            let first = try await Self.freshPostgresStore(url: url)
            let second = try await PostgresStore.open(url: url, schema: first.schema, maximumConnections: Self.connectionsPerStore)
            do {
                let value = try await body(first, second)
                await second.close()
                await first.close()
                return value
            } catch {
                await second.close()
                await first.close()
                throw error
            }
        }
    }

    /// Runs plain SQL on the store's database (to damage a row, or to check what the schema refuses).
    static func execute(_ sql: String, on store: any MarqueeStore) async throws {
        if let sqlite = store as? SQLiteStore {
            try await sqlite.pool.write { db in try db.execute(sql: sql) }
        } else if let postgres = store as? PostgresStore {
            try await postgres.execute(sql)
        } else {
            Issue.record("no SQL for a \(type(of: store))")
        }
    }

    /// A PostgreSQL store in a schema of its own.
    static func freshPostgresStore(url: String) async throws -> PostgresStore {
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresStore.createSchema(schema, url: url)
        return try await PostgresStore.open(url: url, schema: schema, maximumConnections: connectionsPerStore)
    }

    /// Every test opens its own stores, and swift-testing runs tests at once: a small pool each keeps them all
    /// under the test server's `max_connections`.
    static let connectionsPerStore = 4
}

/// Writes a dataset through the store protocols only (titles, profiles, the ad book, then the events in one batch),
/// so that it works on every backend; every event must be stored.
func load(
    _ data: Dataset, into store: any MarqueeStore, receivedAt: Timestamp = Timestamp(iso8601: "2026-01-01T00:00:00Z")!
)
    async throws
{
    try await store.upsertTitles(data.titles)
    try await store.upsertProfiles(data.profiles)
    try await store.upsertAdvertisers(data.advertisers)
    try await store.upsertCampaigns(data.campaigns)
    try await store.upsertCreatives(data.creatives)
    let statuses = try await store.appendEvents(data.events, receivedAt: receivedAt)
    #expect(statuses.allSatisfy { $0 == .inserted })
}
