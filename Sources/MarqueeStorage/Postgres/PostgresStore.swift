import Foundation
import Logging
import MarqueeCore
import PostgresNIO
import Synchronization

/// Marquee's shared store: one PostgreSQL database behind a PostgresNIO connection pool, for several
/// serving processes (replicas) at once.
///
/// Opening connects once (a clear error naming the URL without its password when it cannot), applies the
/// store's own frozen migrations (`PostgresStore+Schema.swift`) and starts the pool. Every write is one
/// transaction, committed before the caller hears about it. The schema and its decisions (the event log
/// partitioned by month, the `event_ids` table, `seq` from a sequence, `profile_id` in every per-viewer
/// key) are described in docs/ARCHITECTURE.md. Each protocol is in a file of its own beside this one.
public final class PostgresStore: Sendable {
    public let location: PostgresLocation
    /// The schema the store's tables live in (nil: the server's default search path, normally `public`).
    public let schema: String?
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    /// How long an operation waits for a pooled connection before it fails as unavailable.
    let connectionWait: Duration
    /// How long an operation may take from its call to its end before it fails as unavailable (nil: no limit).
    let operationLimit: Duration?
    /// Months of the event log whose partition is known to exist.
    let partitions = KnownPartitions()
    /// Profiles, titles and creatives known to exist (never deleted, so a positive answer never goes stale).
    let known = KnownIDs()

    private init(
        location: PostgresLocation, schema: String?, client: PostgresClient, runner: Task<Void, Never>, logger: Logger,
        connectionWait: Duration, operationLimit: Duration?
    ) {
        self.connectionWait = connectionWait
        self.operationLimit = operationLimit
        self.location = location
        self.schema = schema
        self.client = client
        self.runner = runner
        self.logger = logger
    }

    /// Opens the store at `url` (`postgres://user:password@host:port/database`), bringing its schema up to date.
    /// `schema` puts every table in that schema instead of the default one (it must exist); tests use it
    /// to give each test a fresh store in one database.
    /// `maximumConnections` bounds the pool (PostgreSQL's own `max_connections` bounds every process's together).
    /// `connectionWait` bounds how long an operation waits for a connection (the server down or every
    /// connection busy) before it fails as unavailable: 30 s by default, for commands and bulk work; a serving
    /// replica sets 5 s, so that its writes answer 503 promptly while the server is away.
    /// `operationLimit` bounds each operation from call to end (a serving replica sets it; bulk work such as
    /// an import or an export leaves it nil).
    public static func open(
        url: String, schema: String? = nil, maximumConnections: Int = 20, connectionWait: Duration = .seconds(30),
        operationLimit: Duration? = nil
    ) async throws -> PostgresStore {
        let location = try PostgresLocation(url: url)
        return try await open(
            location, schema: schema, maximumConnections: maximumConnections, connectionWait: connectionWait,
            operationLimit: operationLimit)
    }

    public static func open(
        _ location: PostgresLocation, schema: String? = nil, maximumConnections: Int = 20, connectionWait: Duration = .seconds(30),
        operationLimit: Duration? = nil
    ) async throws
        -> PostgresStore
    {
        try validate(schema: schema)
        guard maximumConnections >= 1 else {
            throw MarqueeError.invalidValue(field: "maximumConnections", reason: "must be at least 1 (got \(maximumConnections))")
        }
        let logger = makeLogger()
        _ = try await migrate(location, schema: schema, logger: logger)
        var configuration = try clientConfiguration(location, schema: schema)
        configuration.options.maximumConnections = maximumConnections
        // The pool's own logger speaks at errors only: it warns when a query comes before `run()` has begun
        // (the task below starts it; the query waits for it and succeeds), which is noise on every command.
        var poolLogger = logger
        poolLogger.logLevel = .error
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        let runner = Task { await client.run() }
        return PostgresStore(
            location: location, schema: schema, client: client, runner: runner, logger: logger, connectionWait: connectionWait,
            operationLimit: operationLimit.map { max($0, connectionWait) })
    }

    /// Applies the migrations not applied yet to the database at `location`; returns their names, in order.
    /// Safe to run from several processes at once (an advisory lock serializes them).
    public static func migrate(_ location: PostgresLocation, schema: String? = nil) async throws -> [String] {
        try validate(schema: schema)
        return try await migrate(location, schema: schema, logger: makeLogger())
    }

    /// Creates `schema` in the database at `url` unless it exists (then `open(url:schema:)` puts the store's
    /// tables in it).
    public static func createSchema(_ schema: String, url: String) async throws {
        try validate(schema: schema)
        let location = try PostgresLocation(url: url)
        let logger = makeLogger()
        let connection = try await connect(location, schema: nil, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw translate(error, doing: "creating the schema \(schema)", location: location)
        }
    }

    /// Creates the database `name` on the server of `url` unless it exists; returns the URL of the new database
    /// (the same user, password and options). Tests give every served process tree a database of its own with it.
    public static func createDatabase(_ name: String, url: String) async throws -> String {
        try validate(schema: name)
        let location = try PostgresLocation(url: url)
        let logger = makeLogger()
        let connection = try await connect(location, schema: nil, logger: logger)
        do {
            let exists = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT 1 FROM pg_database WHERE datname = '\(name)'"), logger: logger
            ).collect()
            if exists.isEmpty {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            }
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw translate(error, doing: "creating the database \(name)", location: location)
        }
        var made = location
        made.database = name
        return made.url
    }

    /// Runs one statement of plain SQL (tests use it to check what the schema refuses).
    func execute(_ sql: String) async throws {
        _ = try await rows("running SQL", PostgresQuery(unsafeSQL: sql))
    }

    /// Stops the pool: queries after this fail.
    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    static func makeLogger() -> Logger {
        var logger = Logger(label: "marquee.postgres")
        logger.logLevel = .warning
        return logger
    }

    static func validate(schema: String?) throws {
        guard let schema else { return }
        let allowed = schema.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
        guard !schema.isEmpty, schema.utf8.count <= 63, allowed, let first = schema.utf8.first, !(48...57).contains(first) else {
            throw MarqueeError.invalidValue(
                field: "schema", reason: "must be 1 to 63 lowercase letters, digits or '_', not starting with a digit")
        }
    }

    // MARK: Connections

    static func tls(_ mode: PostgresLocation.TLSMode) -> (client: PostgresClient.Configuration.TLS, connection: TLSConfiguration?) {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch mode {
        case .disable: return (.disable, nil)
        case .prefer: return (.prefer(unverified), unverified)
        case .require: return (.require(unverified), unverified)
        case .verifyFull: return (.require(.makeClientConfiguration()), .makeClientConfiguration())
        }
    }

    static func startupParameters(schema: String?) -> [(String, String)] {
        // No JIT: Marquee's statements are short, and compiling one costs more than running it (the analytics
        // refresh of a 600k-event store: 1.2 s with JIT, 0.5 ms without, measured with EXPLAIN ANALYZE).
        var parameters = [("application_name", "marquee"), ("jit", "off")]
        if let schema { parameters.append(("search_path", schema)) }
        return parameters
    }

    static func clientConfiguration(_ location: PostgresLocation, schema: String?) throws -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tls(location.tls).client)
        configuration.options.additionalStartupParameters = startupParameters(schema: schema)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// One connection outside the pool (migrations, the first contact).
    static func connect(_ location: PostgresLocation, schema: String?, logger: Logger) async throws -> PostgresConnection {
        let tlsMode: PostgresConnection.Configuration.TLS
        switch tls(location.tls).connection {
        case nil: tlsMode = .disable
        case .some(let configuration):
            let context = try NIOSSLContext(configuration: configuration)
            tlsMode = location.tls == .prefer ? .prefer(context) : .require(context)
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: tlsMode)
        configuration.options.additionalStartupParameters = startupParameters(schema: schema)
        configuration.options.connectTimeout = .seconds(10)
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw MarqueeError(
                .unavailable, code: "database_unreachable",
                message: "cannot connect to PostgreSQL at \(location.redacted): \(reason(error))")
        }
    }

    // MARK: Errors

    /// What went wrong, in words, never with the password (PSQLError's description hides everything, so
    /// the server's message or the connection error is taken out of it).
    static func reason(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] {
                let state = e.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                let detail = e.serverInfo?[.detail].map { ": \($0)" } ?? ""
                return message + detail + state
            }
            if let underlying = e.underlying { return "\(e.code): \(underlying)" }
            return "\(e.code)"
        }
        if let e = error as? PostgresTransactionError {
            if let closure = e.closureError { return reason(closure) }
            if let commit = e.commitError { return reason(commit) }
            if let begin = e.beginError { return reason(begin) }
        }
        if let e = error as? PostgresDecodingError { return "a stored value could not be read (\(e.code))" }
        return "\(error)"
    }

    /// The SQLSTATE of a server error, if that is what `error` is.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static let disconnectionCodes: [PSQLError.Code] = [
        .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
    ]

    /// A database error as Marquee's error: `unavailable` when the server cannot be reached or is shutting
    /// down (not acknowledged: the caller retries, and a retried batch is a no-op where the lost COMMIT landed
    /// after all), `internalFailure` otherwise.
    static func translate(_ error: any Error, doing what: String, location: PostgresLocation) -> MarqueeError {
        if let e = error as? MarqueeError { return e }
        if let e = error as? ConnectionWaitExpired {
            return MarqueeError(
                .unavailable, code: "database_unavailable",
                message:
                    e.leased
                    ? "\(what) failed: PostgreSQL at \(location.redacted) did not answer within \(e.seconds) s; not acknowledged, retry"
                    : "\(what) failed: no connection to PostgreSQL at \(location.redacted) within \(e.seconds) s; not acknowledged, retry")
        }
        let state = sqlState(error)
        let disconnected: Bool
        if let e = error as? PSQLError {
            disconnected =
                Self.disconnectionCodes.contains(e.code)
                || (state?.hasPrefix("08") ?? false) || state == "57P01" || state == "57P02" || state == "57P03"
        } else {
            disconnected = false
        }
        if disconnected {
            return MarqueeError(
                .unavailable, code: "database_unavailable",
                message:
                    "\(what) failed: PostgreSQL at \(location.redacted) cannot be reached (\(reason(error))); not acknowledged, retry")
        }
        if state == "53100" {
            return MarqueeError(
                .unavailable, code: "insufficient_storage",
                message: "\(what) failed: the disk holding the database is full; nothing was stored, retry once space is freed")
        }
        return MarqueeError(
            .internalFailure, code: "store_failure", message: "\(what) failed: \(reason(error))", cause: error as? PSQLError)
    }

    // MARK: Queries

    /// Runs `body` on one pooled connection inside a transaction: committed when it returns, rolled back
    /// when it throws (and then nothing of it is stored).
    func transaction<T: Sendable>(_ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await leased { [logger] connection in
                try await connection.query("BEGIN", logger: logger)
                let value: T
                do {
                    value = try await body(connection)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                try await connection.query("COMMIT", logger: logger)
                return value
            }
        } catch let repeated as RepeatedEventInImport {
            throw repeated
        } catch {
            throw Self.translate(error, doing: what, location: location)
        }
    }

    /// Every row of one statement (outside a transaction).
    func rows(_ what: String, _ query: PostgresQuery) async throws -> [PostgresRow] {
        do {
            return try await leased { [logger] connection in try await connection.query(query, logger: logger).collect() }
        } catch {
            throw Self.translate(error, doing: what, location: location)
        }
    }

    /// Runs `operation` on a pooled connection, giving up with ``ConnectionWaitExpired`` when none could be
    /// had within `connectionWait`, and — when the store has an `operationLimit` (a serving replica's) — when the
    /// operation has not finished within it. PostgresNIO's pool keeps a request waiting while it retries a
    /// server that is down (for a minute, until its circuit breaker opens), and a statement in flight when the
    /// server went away was seen to wait for ever; a replica must instead answer at once that the write was not
    /// stored (503). So the operation runs in a task of its own, and the caller is answered by whichever comes
    /// first: its result or the deadline, which then cancels it (an operation that ignores the cancellation is
    /// left to end on its own, holding nothing of the caller's).
    func leased<T: Sendable>(_ operation: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let lease = LeaseState()
        let client = self.client
        let wait = connectionWait
        let limit = operationLimit
        let answer = OneAnswer<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                answer.set(continuation)
                let work = Task {
                    do {
                        let value = try await client.withConnection { connection in
                            lease.markLeased()
                            return try await operation(connection)
                        }
                        answer.resume(with: .success(value))
                    } catch {
                        answer.resume(with: .failure(error))
                    }
                }
                let timer = Task {
                    do {
                        try await Task.sleep(for: wait)
                        if !lease.isLeased {
                            answer.resume(with: .failure(ConnectionWaitExpired(wait: wait, leased: false)))
                            work.cancel()
                            return
                        }
                        guard let limit else { return }
                        try await Task.sleep(for: limit - wait)
                        answer.resume(with: .failure(ConnectionWaitExpired(wait: limit, leased: true)))
                        work.cancel()
                    } catch {}
                }
                answer.onFinish {
                    timer.cancel()
                    work.cancel()
                }
            }
        } onCancel: {
            answer.resume(with: .failure(CancellationError()))
        }
    }

    /// One integer (a count, a maximum) of a statement that returns exactly one row.
    func integer(_ what: String, _ query: PostgresQuery) async throws -> Int64 {
        let result = try await rows(what, query)
        guard let row = result.first else { return 0 }
        do {
            return try row.makeRandomAccess()[0].decode(Int64?.self) ?? 0
        } catch {
            throw Self.translate(error, doing: what, location: location)
        }
    }

    // MARK: Statistics

    public func statistics() async throws -> StoreStatistics {
        let events = try await integer("counting events", "SELECT COALESCE(MAX(seq), 0) FROM events")
        let titles = try await integer("counting titles", "SELECT COUNT(*) FROM titles")
        let profiles = try await integer("counting profiles", "SELECT COUNT(*) FROM profiles")
        let bytes = try await integer("measuring the database", "SELECT pg_database_size(current_database())")
        return StoreStatistics(events: Int(events), titles: Int(titles), profiles: Int(profiles), bytesOnDisk: bytes)
    }
}

/// Decoding a cell as `T`, or a `store_corrupt` error naming the column.
extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        do {
            return try self[index].decode(T.self)
        } catch {
            throw MarqueeError(
                .internalFailure, code: "store_corrupt",
                message: "the stored column '\(self[index].columnName)' could not be read as \(T.self)")
        }
    }
}

/// No pooled connection could be had in time (the server is down or every connection is busy), or — `leased` —
/// the operation did not finish within the store's operation limit.
struct ConnectionWaitExpired: Error {
    let wait: Duration
    let leased: Bool
    var seconds: String {
        let total = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
        return total == total.rounded() ? String(Int(total)) : String(total)
    }
}

/// The one answer of `leased`: the first of the operation's result and the deadline resumes the caller; the
/// rest is ignored. `onFinish` runs once, after the answer (at once when it is in already).
final class OneAnswer<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
        var finish: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = state.withLock { s in
            if let early = s.early {
                s.early = nil
                return early
            }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(with result: Result<T, any Error>) {
        let (continuation, finish): (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) = state.withLock { s in
            guard !s.done else { return (nil, nil) }
            s.done = true
            guard let c = s.continuation else {
                s.early = result
                return (nil, s.finish)
            }
            s.continuation = nil
            return (c, s.finish)
        }
        continuation?.resume(with: result)
        finish?()
    }

    func onFinish(_ body: @escaping @Sendable () -> Void) {
        let already = state.withLock { s in
            if s.done { return true }
            s.finish = body
            return false
        }
        if already { body() }
    }
}

/// Whether a lease's operation has got its connection.
final class LeaseState: Sendable {
    private let leased = Mutex(false)
    func markLeased() { leased.withLock { $0 = true } }
    var isLeased: Bool { leased.withLock { $0 } }
}

/// The months (`year * 12 + month - 1`) of the event log whose partition exists.
final class KnownPartitions: @unchecked Sendable {
    private let lock = NSLock()
    private var months = Set<Int>()

    func contains(_ month: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return months.contains(month)
    }

    func insert(_ month: Int) {
        lock.lock()
        defer { lock.unlock() }
        months.insert(month)
    }
}
