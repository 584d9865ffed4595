import Foundation
import GRDB
import MarqueeCore

/// Marquee's embedded store: one SQLite file in WAL mode behind one GRDB `DatabasePool`.
///
/// Writes are serialized by the pool's single writer; reads run concurrently. Every batch is one
/// transaction, committed with `synchronous=FULL` (the WAL is fsynced) before the caller hears about it.
public final class SQLiteStore: MarqueeStore, @unchecked Sendable {
    public let path: String
    let pool: DatabasePool
    // Ids known to exist. Nothing is ever deleted from these tables, so a positive answer never goes stale.
    let known = KnownIDs()

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.foreignKeysEnabled = true
        config.label = "marquee"
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB picks synchronous=NORMAL for WAL, which survives a process crash but not a power
            // loss. An acknowledged event must survive both, so the one writer connection fsyncs
            // the WAL at every commit.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.migrator.migrate(pool)
        } catch {
            throw Self.translate(error, doing: "opening the store at \(path)")
        }
    }

    /// Creates the store at `path` when missing and applies the migrations it lacks; returns their names, in order.
    public static func migrate(path: String) throws -> [String] {
        var before: Set<String> = []
        if FileManager.default.fileExists(atPath: path) {
            do {
                before = try DatabaseQueue(path: path).read { db in try migrator.appliedIdentifiers(db) }
            } catch {
                throw translate(error, doing: "reading the migrations of the store at \(path)")
            }
        }
        try SQLiteStore(path: path).close()
        return migrator.migrations.filter { !before.contains($0) }
    }

    /// Closes the database: checkpoints the WAL into the main file.
    public func close() throws {
        do {
            try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            try pool.close()
        } catch {
            throw Self.translate(error, doing: "closing the store")
        }
    }

    static func translate(_ error: any Error, doing what: String) -> MarqueeError {
        if let e = error as? MarqueeError { return e }
        if let db = error as? DatabaseError {
            // SQLite answers SQLITE_FULL when a write finds no space (ENOSPC) or the database reached its
            // page limit; the transaction was rolled back, so nothing of it is stored.
            if db.resultCode == .SQLITE_FULL {
                return MarqueeError(
                    .unavailable, code: "insufficient_storage",
                    message: "\(what) failed: the disk holding the store is full; nothing was stored, retry once space is freed",
                    cause: db)
            }
            return MarqueeError(
                .internalFailure, code: "store_failure", message: "\(what) failed: \(db.message ?? db.description)", cause: db)
        }
        return MarqueeError(.internalFailure, code: "store_failure", message: "\(what) failed: \(error)")
    }

    func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw Self.translate(error, doing: what)
        }
    }

    func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw Self.translate(error, doing: what)
        }
    }

    // MARK: Meta

    public func meta(_ key: String) async throws -> String? {
        try await read("reading meta") { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) async throws {
        try await write("writing meta") { db in
            try db.execute(
                sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    // MARK: Statistics

    public func statistics() async throws -> StoreStatistics {
        let counts = try await read("counting") { db in
            (
                try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM titles") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profiles") ?? 0
            )
        }
        var bytes: Int64 = 0
        for suffix in ["", "-wal", "-shm"] {
            if let attrs = try? FileManager.default.attributesOfItem(atPath: path + suffix), let size = attrs[.size] as? NSNumber {
                bytes += size.int64Value
            }
        }
        return StoreStatistics(events: counts.0, titles: counts.1, profiles: counts.2, bytesOnDisk: bytes)
    }
}

/// A thread-safe set of ids known to exist in the store.
final class KnownIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var profiles = Set<String>()
    private var titles = Set<String>()
    private var creatives = Set<String>()

    enum Kind { case profile, title, creative }

    func contains(_ id: String, _ kind: Kind) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        switch kind {
        case .profile: return profiles.contains(id)
        case .title: return titles.contains(id)
        case .creative: return creatives.contains(id)
        }
    }

    func insert<S: Sequence>(_ ids: S, _ kind: Kind) where S.Element == String {
        lock.lock()
        defer { lock.unlock() }
        switch kind {
        case .profile: profiles.formUnion(ids)
        case .title: titles.formUnion(ids)
        case .creative: creatives.formUnion(ids)
        }
    }
}
