import ArgumentParser
import Foundation
import Logging
import MarqueeAnalytics
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import MarqueeStorage

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API from an existing store, generating nothing.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @Option(
        help:
            "The recommendation snapshot to serve and watch (default: <db>.model, or ./marquee.model for a database; written by `marquee train`)."
    )
    var snapshot: String?

    func run() async throws {
        if let now = server.nowInstant { ServerClock.start(at: now) }
        let limits = connectionLimitsFromEnvironment()
        let opened = try await openExistingStore(
            store, hint: "; create one with `marquee import movielens DIR --db \(store.path)` or `marquee demo --db \(store.path)`",
            operationLimit: servingOperationLimit
        ) {
            // Before anything slow is loaded: a busy port fails at once.
            try await ensurePortAvailable(server)
        }
        let adminKey = try await ensureEnvironmentAdminKey(opened)
        if adminKey != nil { print("Admin API key: from MARQUEE_ADMIN_KEY") }
        try await runServer(opened, options: server, limits: limits, snapshotPath: snapshot ?? store.sidecarBase + ".model", banner: nil)
    }
}

func openStore(_ path: String) throws -> SQLiteStore {
    do {
        return try SQLiteStore(path: path)
    } catch let error as MarqueeError {
        fail(error.message)
    }
}

/// Opens a store that must exist already. A missing file is refused, and so is a zero-byte one, which
/// SQLite would take for an empty database (the command would then work on nothing, or write a new
/// store where the user expected theirs). `hint` follows the message; `beforeOpening` runs after the
/// checks, before the store is opened.
func openExistingStore(
    _ path: String, hint: String = "", beforeOpening: () async throws -> Void = {}
) async throws -> SQLiteStore {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { fail("no store at \(path)\(hint)") }
    if isDirectory.boolValue { fail("\(path) is a directory, not a store file") }
    func size(_ file: String) -> Int { ((try? fm.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.intValue ?? 0 }
    // A store whose every page is still in its write-ahead log has a short main file, never an empty one with an empty log.
    if size(path) == 0 && size(path + "-wal") == 0 {
        fail("\(path) is an empty file (0 bytes), not a Marquee store\(hint)")
    }
    try await beforeOpening()
    return try openStore(path)
}

/// Fails the command with a clear message when the server could not listen on its host and port.
func ensurePortAvailable(_ options: ServerOptions) async throws {
    do {
        try await ListenCheck.ensureAvailable(host: options.host, port: options.port)
    } catch let error as MarqueeError {
        fail(error.message)
    }
}

/// The connection limits from `MARQUEE_IDLE_TIMEOUT_SECONDS`, `MARQUEE_READ_TIMEOUT_SECONDS` and
/// `MARQUEE_MAX_CONNECTIONS`, each defaulting when unset; a value that is not allowed fails the command.
func connectionLimitsFromEnvironment() -> ConnectionLimits {
    let env = ProcessInfo.processInfo.environment
    var limits = ConnectionLimits()
    func seconds(_ name: String) -> Duration? {
        guard let raw = env[name], !raw.isEmpty else { return nil }
        guard let value = Double(raw), value.isFinite, value > 0, value <= 86_400 else {
            fail("\(name) must be a number of seconds above 0 and at most 86400 (got '\(raw)')")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
    if let idle = seconds("MARQUEE_IDLE_TIMEOUT_SECONDS") { limits.idleTimeout = idle }
    if let read = seconds("MARQUEE_READ_TIMEOUT_SECONDS") { limits.readTimeout = read }
    if let raw = env["MARQUEE_MAX_CONNECTIONS"], !raw.isEmpty {
        guard let value = Int(raw), (1...1_000_000).contains(value) else {
            fail("MARQUEE_MAX_CONNECTIONS must be a whole number from 1 to 1000000 (got '\(raw)')")
        }
        limits.maxConnections = value
        if let bound = ConnectionLimits.fileDescriptorBound, value > bound {
            FileHandle.standardError.write(
                Data(
                    "warning: MARQUEE_MAX_CONNECTIONS \(value) is more than half the open-file limit (`ulimit -n`); using \(bound)\n".utf8))
            limits.maxConnections = bound
        }
    }
    return limits
}

/// Registers `MARQUEE_ADMIN_KEY` as an admin key when it is set; returns it.
func ensureEnvironmentAdminKey(_ store: any MarqueeStore) async throws -> String? {
    guard let key = ProcessInfo.processInfo.environment["MARQUEE_ADMIN_KEY"], !key.isEmpty else { return nil }
    let made: (record: APIKeyRecord, hash: String)
    do {
        made = try APIKeys.record(forKey: key, scope: .admin, name: "MARQUEE_ADMIN_KEY")
    } catch let error as MarqueeError {
        fail("MARQUEE_ADMIN_KEY: \(error.message)")
    }
    if try await store.apiKey(hash: made.hash) == nil {
        do {
            try await store.insertAPIKey(made.record, keyHash: made.hash)
        } catch {
            // Several processes started at once with the same new key: one inserts it, the others find it.
            guard try await store.apiKey(hash: made.hash) != nil else { throw error }
        }
    }
    return key
}

func makeLogger() -> Logger {
    let env = ProcessInfo.processInfo.environment
    let level = (env["MARQUEE_LOG_LEVEL"] ?? env["LOG_LEVEL"]).flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    var logger = Logger(label: "marquee")
    logger.logLevel = level
    return logger
}

/// Serves until SIGINT or SIGTERM; in-flight requests finish, the decision log is flushed, then the store is closed.
func runServer(
    _ store: any CommandStore, options: ServerOptions, limits: ConnectionLimits, snapshotPath: String,
    banner: (@Sendable (_ port: Int) -> String)?
) async throws {
    let logger = makeLogger()
    let protectReads = ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["MARQUEE_PROTECT_READS"]?.lowercased() ?? "")
    let env = ProcessInfo.processInfo.environment
    var server = ServerConfiguration(host: options.host, port: options.port, protectReads: protectReads, connectionLimits: limits)
    server.llm = try llmConfiguration()
    let built = try await buildApplication(
        ServeArguments(
            store: store,
            server: server,
            runtime: RuntimeConfiguration(
                snapshotPath: snapshotPath, beaconSecret: beaconSecret(for: store),
                publicBaseURL: env["MARQUEE_PUBLIC_URL"]),
            logger: logger,
            onRunning: { port in
                print("Marquee is serving on http://\(options.host):\(port)")
                if let banner { print(banner(port)) }
                fflush(nil)
            }))
    do {
        try await built.application.runService()
    } catch {
        await built.runtime.flush()
        try? await store.close()
        fail("the server stopped: \(error)")
    }
    // The writers' own drain at shutdown can miss records enqueued after it; this writes them.
    await built.runtime.flush()
    try await store.close()
}

/// The key that signs ad beacons: `MARQUEE_BEACON_SECRET` (at least 32 characters), else nil: the store's
/// shared key, created by the first process that serves the store and the same for every process after it.
func beaconSecret(for store: any MarqueeStore) -> [UInt8]? {
    if let given = ProcessInfo.processInfo.environment["MARQUEE_BEACON_SECRET"] {
        guard given.utf8.count >= 32 else { fail("MARQUEE_BEACON_SECRET must be at least 32 characters") }
        return Array(given.utf8)
    }
    return nil
}

/// The optional LLM of the analytics questions, from `MARQUEE_LLM_*` (nil when unset); a bad value stops the
/// command with a message naming the variable.
func llmConfiguration() throws -> LLMConfiguration? {
    do {
        return try LLMConfiguration.fromEnvironment()
    } catch {
        throw ValidationError(error.message)
    }
}
