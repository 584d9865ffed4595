// Ingestion through `POST /v1/events` (1,000-event batches, real HTTP on loopback) next to the raw
// SQLite insert rate of the same rows into the same schema, measured in the same run.
import AsyncHTTPClient
import Foundation
import GRDBSQLite
import Logging
import MarqueeCore
import MarqueeKernels
import MarqueeServer
import MarqueeSimulation
import MarqueeStorage
import NIOCore

struct Row {
    var id: String
    var profile: String
    var type: String
    var ms: Int64
    var title: String?
    var device: String
    var region: String
    var session: String
    var offset: Int
    var position: Double?
    var duration: Double?
    var rating: Int?
    var row: String?
    var rank: Int?
    var creative: String?
}

func json(_ r: Row) -> String {
    var s = #"{"id":"\#(r.id)","profileId":"\#(r.profile)","type":"\#(r.type)","timestamp":\#(Double(r.ms) / 1000)"#
    if let t = r.title { s += #","titleId":"\#(t)""# }
    s += #","context":{"device":"\#(r.device)","region":"\#(r.region)","sessionId":"\#(r.session)","localTimeOffsetMinutes":\#(r.offset)}"#
    if let p = r.position { s += #","positionSeconds":\#(p)"# }
    if let d = r.duration { s += #","durationSeconds":\#(d)"# }
    if let v = r.rating { s += #","rating":\#(v)"# }
    if let v = r.row { s += #","row":"\#(v)""# }
    if let v = r.rank { s += #","rank":\#(v)"# }
    if let v = r.creative { s += #","creativeId":"\#(v)""# }
    return s + "}"
}

actor PortBox {
    var port: Int?
    var waiters: [CheckedContinuation<Int, Never>] = []
    func set(_ p: Int) {
        port = p
        for w in waiters { w.resume(returning: p) }
        waiters = []
    }
    func wait() async -> Int {
        if let port { return port }
        return await withCheckedContinuation { waiters.append($0) }
    }
}

actor Counter {
    var accepted = 0
    func add(_ body: ByteBuffer) {
        let text = String(buffer: body)
        if let r = text.range(of: #""accepted":"#) {
            accepted += Int(text[r.upperBound...].prefix { $0.isNumber }) ?? 0
        }
    }
}

/// The shared inputs of both measurements.
struct Setup: Sendable {
    var world: Dataset
    var rows: [Row]
    var batches: [ByteBuffer]
    var batchSize: Int
    var connections: Int
    var workDir: URL
}

func freshStore(_ name: String, _ setup: Setup) async throws -> SQLiteStore {
    let path = setup.workDir.appendingPathComponent(name).path
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    let store = try SQLiteStore(path: path)
    _ = try await store.importDataset(setup.world)
    return store
}

// MARK: Raw SQLite: prepared statement, bound values, one transaction per batch, same schema and pragmas.

func rawInsert(into path: String, _ setup: Setup) throws -> Double {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { fatalError("open failed") }
    defer { sqlite3_close(db) }
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", nil, nil, nil)
    var stmt: OpaquePointer?
    let sql = """
        INSERT INTO events (id, profile_id, type, occurred_at, received_at, title_id, decision_id, device, region,
            session_id, local_offset_minutes, position_seconds, duration_seconds, rating, row_name, rank, creative_id,
            campaign_id, quartile)
        VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL) ON CONFLICT (id) DO NOTHING
        """
    guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else { fatalError(String(cString: sqlite3_errmsg(db))) }
    defer { sqlite3_finalize(stmt) }
    let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    func text(_ i: Int32, _ s: String?) {
        if let s { sqlite3_bind_text(stmt, i, s, -1, transient) } else { sqlite3_bind_null(stmt, i) }
    }
    let start = ContinuousClock.now
    let received: Int64 = 1_790_000_000_000
    for batchStart in stride(from: 0, to: setup.rows.count, by: setup.batchSize) {
        sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
        for r in setup.rows[batchStart..<min(batchStart + setup.batchSize, setup.rows.count)] {
            text(1, r.id)
            text(2, r.profile)
            text(3, r.type)
            sqlite3_bind_int64(stmt, 4, r.ms)
            sqlite3_bind_int64(stmt, 5, received)
            text(6, r.title)
            text(7, r.device)
            text(8, r.region)
            text(9, r.session)
            sqlite3_bind_int64(stmt, 10, Int64(r.offset))
            if let p = r.position { sqlite3_bind_double(stmt, 11, p) } else { sqlite3_bind_null(stmt, 11) }
            if let d = r.duration { sqlite3_bind_double(stmt, 12, d) } else { sqlite3_bind_null(stmt, 12) }
            if let v = r.rating { sqlite3_bind_int64(stmt, 13, Int64(v)) } else { sqlite3_bind_null(stmt, 13) }
            text(14, r.row)
            if let v = r.rank { sqlite3_bind_int64(stmt, 15, Int64(v)) } else { sqlite3_bind_null(stmt, 15) }
            text(16, r.creative)
            guard sqlite3_step(stmt) == SQLITE_DONE else { fatalError(String(cString: sqlite3_errmsg(db))) }
            sqlite3_reset(stmt)
        }
        guard sqlite3_exec(db, "COMMIT", nil, nil, nil) == SQLITE_OK else { fatalError(String(cString: sqlite3_errmsg(db))) }
    }
    let elapsed = ContinuousClock.now - start
    return Double(setup.rows.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

// MARK: HTTP: the real server on loopback, `connections` clients posting batches back to back.

func httpIngest(store: SQLiteStore, _ setup: Setup) async throws -> Double {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let admin = APIKeys.make(scope: .ingest, name: "bench")
    try await store.insertAPIKey(admin.record, keyHash: admin.hash)
    let portBox = PortBox()
    let app = buildApplication(
        store: store, configuration: ServerConfiguration(port: 0), logger: logger, onRunning: { port in await portBox.set(port) })
    let serverTask = Task { try await app.run() }
    let port = await portBox.wait()
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: .init(idleTimeout: .seconds(60))))
    let counter = Counter()
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for c in 0..<setup.connections {
            group.addTask {
                var k = c
                while k < setup.batches.count {
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/events")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(admin.key)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(setup.batches[k])
                    let response = try await client.execute(request, timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    guard response.status == .ok else {
                        fatalError("ingest failed: \(response.status) \(String(buffer: body).prefix(300))")
                    }
                    await counter.add(body)
                    k += setup.connections
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = ContinuousClock.now - start
    try await client.shutdown()
    serverTask.cancel()
    let accepted = await counter.accepted
    guard accepted == setup.rows.count else { fatalError("accepted \(accepted) of \(setup.rows.count)") }
    return Double(setup.rows.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

@main
enum IngestBenchmark {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            if let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) { return v }
            return fallback
        }
        let totalEvents = option("--events", 200_000)
        let batchSize = option("--batch", 1000)
        let connections = option("--connections", 2)
        let rounds = option("--rounds", 3)

        let workDir = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-ingest-bench-\(getpid())")
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)

        // A small demo catalog and audience; the events themselves are made here so both paths get the same rows.
        var world = DemoWorld.generate(DemoWorldConfiguration(seed: 1, profiles: 2000, titles: 300, days: 1))
        world.events = []
        let profiles = world.profiles.map(\.id.rawValue)
        let titles = world.titles.map(\.id.rawValue)
        let creatives = world.creatives.map(\.id.rawValue)
        let devices = ["tv", "mobile", "web", "tablet"]

        var rng = SeededGenerator(seed: 99)
        let base: Int64 = 1_790_000_000_000
        var rows: [Row] = []
        rows.reserveCapacity(totalEvents)
        for i in 0..<totalEvents {
            let p = Int(rng.next() % UInt64(profiles.count))
            let kind = Int(rng.next() % 10)
            var r = Row(
                id: "bench-\(i)", profile: profiles[p], type: "play", ms: base + Int64(i) * 1000,
                title: titles[Int(rng.next() % UInt64(titles.count))],
                device: devices[p % 4], region: world.profiles[p].region, session: "s-\(p)-\(i / 50)", offset: -300)
            switch kind {
            case 0...3:
                r.type = "progress"
                r.duration = 5400
                r.position = Double(rng.next() % 5400)
            case 4: r.type = "complete"
            case 5:
                r.type = "rate"
                r.rating = Int(rng.next() % 5) + 1
            case 6:
                r.type = "impression"
                r.row = "top-picks"
                r.rank = Int(rng.next() % 10)
            case 7:
                r.type = "adImpression"
                r.title = nil
                r.creative = creatives[Int(rng.next() % UInt64(creatives.count))]
            default: break
            }
            rows.append(r)
        }

        let batches: [ByteBuffer] = stride(from: 0, to: rows.count, by: batchSize).map { start in
            let slice = rows[start..<min(start + batchSize, rows.count)]
            return ByteBuffer(string: #"{"events":["# + slice.map(json).joined(separator: ",") + "]}")
        }

        let setup = Setup(world: world, rows: rows, batches: batches, batchSize: batchSize, connections: connections, workDir: workDir)
        print(
            "Ingestion benchmark: \(rows.count) events in \(batches.count) batches of \(batchSize), \(connections) HTTP connections, \(rounds) rounds"
        )
        var rawRates: [Double] = []
        var httpRates: [Double] = []
        for round in 1...rounds {
            let rawStore = try await freshStore("raw-\(round).sqlite", setup)
            try rawStore.close()
            let raw = try rawInsert(into: workDir.appendingPathComponent("raw-\(round).sqlite").path, setup)
            let httpStore = try await freshStore("http-\(round).sqlite", setup)
            let http = try await httpIngest(store: httpStore, setup)
            guard try await httpStore.eventCount() == rows.count else { fatalError("the HTTP store holds the wrong number of events") }
            try httpStore.close()
            rawRates.append(raw)
            httpRates.append(http)
            print(
                String(
                    format: "round %d: raw SQLite %.0f rows/s, POST /v1/events %.0f events/s (%.1f%%)", round, raw, http, 100 * http / raw))
        }
        let rawMedian = rawRates.sorted()[rawRates.count / 2]
        let httpMedian = httpRates.sorted()[httpRates.count / 2]
        print(String(format: "median: raw SQLite insert %.0f rows/s", rawMedian))
        print(String(format: "median: POST /v1/events  %.0f events/s", httpMedian))
        print(String(format: "ratio: %.1f%% of the raw insert rate (target ≥ 50%%)", 100 * httpMedian / rawMedian))

        try? FileManager.default.removeItem(at: workDir)
    }
}
