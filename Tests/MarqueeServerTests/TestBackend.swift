import Foundation
import MarqueeCore
import MarqueeStorage

/// The store behind the server tests: a SQLite file, or — when `MARQUEE_TEST_SERVER_BACKEND=postgres` and
/// `MARQUEE_TEST_DATABASE_URL` are set (scripts/test.sh runs the server tests a second time so) — a fresh
/// schema of the test PostgreSQL database. The same tests run on both.
protocol TestStore: MarqueeStore, TrainingSource {
    func importDataset(
        _ data: Dataset, receivedAt: Timestamp?, moreEvents: (@Sendable () throws -> [Event]?)?, moreEventsTotal: Int, refuseRepeats: Bool,
        progress: (@Sendable (Int, Int) -> Void)?
    ) async throws -> ImportSummary
    /// The same store opened again (as a restarted process opens it), after this one is closed.
    func reopened() async throws -> any TestStore
    func closeStore() async
}

extension TestStore {
    /// Writes a dataset (events received at their own time).
    func load(_ data: Dataset) async throws -> ImportSummary {
        try await importDataset(data, receivedAt: nil, moreEvents: nil, moreEventsTotal: 0, refuseRepeats: false, progress: nil)
    }

    /// Closes the store without waiting (for `cleanUp()`, which cannot wait).
    func shutDown() {
        if let sqlite = self as? SQLiteStore {
            try? sqlite.close()
        } else {
            Task { await self.closeStore() }
        }
    }
}

extension SQLiteStore: TestStore {
    func reopened() async throws -> any TestStore {
        try close()
        return try SQLiteStore(path: path)
    }

    func closeStore() async { try? close() }
}

extension PostgresStore: TestStore {
    func reopened() async throws -> any TestStore {
        await close()
        return try await PostgresStore.open(
            url: location.url, schema: schema, maximumConnections: TestBackend.connectionsPerStore)
    }

    func closeStore() async { await close() }
}

enum TestBackend {
    /// The test database, when the server tests run on PostgreSQL.
    static var postgresURL: String? {
        let env = ProcessInfo.processInfo.environment
        guard env["MARQUEE_TEST_SERVER_BACKEND"] == "postgres" else { return nil }
        guard let url = env["MARQUEE_TEST_DATABASE_URL"], !url.isEmpty else {
            fatalError("MARQUEE_TEST_SERVER_BACKEND=postgres needs MARQUEE_TEST_DATABASE_URL (scripts/test.sh sets both)")
        }
        return url
    }

    /// Connections per store: tests run at once, and each opens its own store.
    static let connectionsPerStore = 4

    /// A fresh, empty store: `file` in `directory`, or a new schema of the test database.
    static func freshStore(in directory: URL, file: String) async throws -> any TestStore {
        guard let url = postgresURL else { return try SQLiteStore(path: directory.appendingPathComponent(file).path) }
        let schema = "srv_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await PostgresStore.createSchema(schema, url: url)
        return try await PostgresStore.open(url: url, schema: schema, maximumConnections: connectionsPerStore)
    }
}
