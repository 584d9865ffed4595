import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeStorage

/// What a command works on: the SQLite file or the PostgreSQL database its options name, behind every store
/// protocol and the trainer's reads.
protocol CommandStore: MarqueeStore, TrainingSource {
    /// The file's path, or the database's URL without its password: what messages show.
    var displayName: String { get }
    func artworkLog(servedSince since: Timestamp?, limit: Int) async throws -> [ArtworkLogEntry]
    func importDataset(
        _ data: Dataset, receivedAt: Timestamp?, moreEvents: (@Sendable () throws -> [Event]?)?, moreEventsTotal: Int, refuseRepeats: Bool,
        progress: (@Sendable (Int, Int) -> Void)?
    ) async throws -> ImportSummary
    func appendEventStream(
        receivedAt: Timestamp?, allOrNothing: Bool, keepRejections: Int, next: @escaping @Sendable () throws -> [(tag: Int, event: Event)]?
    ) async throws -> StreamedAppend
    func meta(_ key: String) async throws -> String?
    func setMeta(_ key: String, _ value: String) async throws
    func close() async throws
}

extension SQLiteStore: CommandStore {
    var displayName: String { path }
}

extension PostgresStore: CommandStore {
    var displayName: String { location.redacted }
}

/// Where a command's store is.
enum StoreLocation: Equatable {
    case file(String)
    case database(url: String)
}

extension StoreOptions {
    /// `--database-url`, else `--db` (a file, or a `postgres://` URL), else `$MARQUEE_DATABASE_URL`, else
    /// `$MARQUEE_DB`, else ./marquee.sqlite.
    var location: StoreLocation {
        if let databaseURL { return .database(url: databaseURL) }
        if let db { return PostgresLocation.isDatabaseURL(db) ? .database(url: db) : .file(db) }
        let env = ProcessInfo.processInfo.environment
        if let url = env["MARQUEE_DATABASE_URL"], !url.isEmpty { return .database(url: url) }
        if let file = env["MARQUEE_DB"], !file.isEmpty {
            return PostgresLocation.isDatabaseURL(file) ? .database(url: file) : .file(file)
        }
        return .file("marquee.sqlite")
    }

    /// The store for messages and hints: the file's path or the URL without its password.
    var displayName: String {
        switch location {
        case .file(let path): return path
        case .database(let url): return (try? PostgresLocation(url: url).redacted) ?? "the database URL"
        }
    }

    /// Where files kept beside the store go by default (`<db>.model`, …): beside a SQLite file, or in the
    /// working directory as `marquee.*` for a database (every replica of one machine started there shares them).
    var sidecarBase: String {
        switch location {
        case .file(let path): return path
        case .database: return "marquee"
        }
    }

    /// Checks the URL's form (the database is reached only when the command runs).
    func validateLocation() throws {
        if databaseURL != nil && db != nil { throw ValidationError("give --database-url or --db, not both") }
        if case .database(let url) = location {
            do {
                _ = try PostgresLocation(url: url)
            } catch let error as MarqueeError {
                throw ValidationError("\(databaseURL != nil ? "--database-url" : "--db"): \(error.message)")
            }
        }
    }
}

/// Opens the store a command's options name: a SQLite file that must exist already (see `openExistingStore(_:hint:)`),
/// or a PostgreSQL database (its schema brought up to date). A database that cannot be reached fails the command
/// with a message naming the URL without its password.
func openExistingStore(
    _ options: StoreOptions, hint: String = "", operationLimit: Duration? = nil, beforeOpening: () async throws -> Void = {}
) async throws -> any CommandStore {
    switch options.location {
    case .file(let path):
        return try await openExistingStore(path, hint: hint, beforeOpening: beforeOpening)
    case .database(let url):
        try await beforeOpening()
        do {
            return try await PostgresStore.open(
                url: url, connectionWait: operationLimit == nil ? .seconds(30) : servingConnectionWait, operationLimit: operationLimit)
        } catch let error as MarqueeError {
            fail(error.message)
        }
    }
}

/// How long one store operation of a serving replica may take on PostgreSQL before the request is answered 503
/// (a statement caught by a server's restart must not hold a request, nor the replica's shutdown, for ever).
let servingOperationLimit = Duration.seconds(60)

/// How long a serving replica's store operation waits for a PostgreSQL connection before the request is answered
/// 503 (the server away, or every connection of the pool busy for that long).
let servingConnectionWait = Duration.seconds(5)

/// Opens the store a command writes into, creating it when missing: a SQLite file (created), or a PostgreSQL
/// database (which must exist; its schema is created or brought up to date).
func openStoreForWriting(_ options: StoreOptions) async throws -> any CommandStore {
    switch options.location {
    case .file(let path): return try openStore(path)
    case .database(let url):
        do {
            return try await PostgresStore.open(url: url)
        } catch let error as MarqueeError {
            fail(error.message)
        }
    }
}
