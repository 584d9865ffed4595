import AsyncHTTPClient
import Foundation
import MarqueeCore
import MarqueeStorage
import NIOCore
import NIOHTTP1
import Testing

/// What a replica does when PostgreSQL fails under it (issue 18, item 4), against real PostgreSQL servers:
/// unreachable at start, and taken away and brought back under load.
@Suite(.serialized) struct PostgresOutageTests {
    @Test func anUnreachableDatabaseAtStartIsAClearErrorWithoutThePassword() async throws {
        let port = try freeLocalPort()
        let url = "postgres://marquee:Sup3rSecretPw@127.0.0.1:\(port)/marquee"
        for args in [
            ["serve", "--db", url, "--port", "0"], ["serve", "--database-url", url, "--port", "0"], ["keys", "list", "--db", url],
        ] {
            let run = try await CLI.runOffPool(args, timeout: 60)
            #expect(run.status == 1, "\(args): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("cannot connect to PostgreSQL at postgres://marquee@127.0.0.1:\(port)/marquee"), "\(run.stderr)")
            #expect(!run.stderr.contains("Sup3rSecretPw") && !run.stdout.contains("Sup3rSecretPw"))
        }
        // MARQUEE_DATABASE_URL is read when no --db is given.
        let fromEnvironment = try await CLI.runOffPool(["serve", "--port", "0"], environment: ["MARQUEE_DATABASE_URL": url], timeout: 60)
        #expect(fromEnvironment.status == 1)
        #expect(fromEnvironment.stderr.contains("postgres://marquee@127.0.0.1:\(port)/marquee"))
        #expect(!fromEnvironment.stderr.contains("Sup3rSecretPw"))
        // A URL that is not one is refused before anything is tried.
        let bad = try await CLI.runOffPool(["serve", "--db", "postgres://127.0.0.1/x", "--port", "0"], timeout: 60)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("names no user"), "\(bad.stderr)")
    }

    /// A replica over a PostgreSQL server of its own that is stopped for a few seconds while events are
    /// posted and home pages read: writes answer 503 with Retry-After while it is down (and none of them is
    /// stored later by surprise: every acknowledged event is stored, nothing else is claimed), home pages keep
    /// coming from the replica's memory, and once the server is back the replica writes again by itself.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE_URL"] != nil))
    func aRestartedDatabaseMeans503WhileDownThenTheReplicaReconnects() async throws {
        let server = try await PrivatePostgres.start()
        defer { server.remove() }
        let world = try await CLI.runOffPool(
            [
                "demo", "--generate-only", "--db", server.url, "--seed", "3", "--profiles", "60", "--titles", "20", "--days", "2",
                "--ad-days", "0",
            ])
        #expect(world.status == 0, "\(world.stderr)")
        let store = try await PostgresStore.open(url: server.url, maximumConnections: 2)
        let viewers = try await store.profiles(limit: 100, offset: 0, plan: nil).items.map(\.id.rawValue)
        let titles = try await store.titles(limit: 100, offset: 0).items.map(\.id.rawValue)
        await store.close()

        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = "outage-admin-key-0123456789abcdef"
        let replica = try ServerProcess(
            ["serve", "--db", server.url, "--snapshot", dir.appendingPathComponent("m.model").path, "--port", "0"],
            environment: ["MARQUEE_ADMIN_KEY": key])
        try replica.waitUntilServing()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let http = Replica(client: client, port: replica.port, key: key)
        let load = OutageLoad()
        var failure: (any Error)?
        do {
            // Load: batches of events from four tasks (a write caught by the restart may wait for the replica's
            // operation limit; the others go on), home pages from another, until told to stop.
            let writers = (0..<4).map { w in
                Task {
                    var n = 0
                    while !load.stopped {
                        let ids = (0..<20).map { "outage-\(w)-\(n)-\($0)" }
                        n += 1
                        let answer: Replica.Answer?
                        do {
                            answer = try await http.postEvents(ids: ids, viewers: viewers, titles: titles)
                        } catch {
                            answer = nil
                            load.note("\(error)")
                        }
                        load.record(answer, ids: ids)
                        if answer?.status != 200 { try? await Task.sleep(for: .milliseconds(50)) }
                    }
                }
            }
            let reader = Task {
                while !load.stopped {
                    let answer = try? await http.get("/v1/profiles/\(viewers[load.pages % viewers.count])/home")
                    load.page(answer?.status)
                }
            }
            try await Task.sleep(for: .seconds(2))
            let beforeOutage = load.snapshot()
            try await offThePool { try server.pause() }
            // While it is down: a write is refused with 503 and Retry-After, naming the database, within the wait bound.
            let started = ContinuousClock.now
            let refused = try await http.postEvents(ids: ["down-1"], viewers: viewers, titles: titles)
            let took = ContinuousClock.now - started
            #expect(refused.status == 503, "\(refused.status) \(refused.text)")
            #expect(refused.retryAfter != nil)
            #expect(refused.text.contains("database_unavailable"), "\(refused.text)")
            #expect(took < .seconds(15), "the refusal took \(took)")
            // Reads keep coming from the replica's memory.
            let home = try await http.get("/v1/profiles/\(viewers[0])/home")
            #expect(home.status == 200, "\(home.status) \(home.text)")
            try await Task.sleep(for: .seconds(3))
            let duringOutage = load.snapshot()
            try await offThePool { try server.resume() }
            // The replica reconnects by itself: a write succeeds again within 30 s.
            let back = ContinuousClock.now
            var reconnected: Duration?
            while ContinuousClock.now - back < .seconds(30) {
                if (try? await http.postEvents(ids: ["back-\(UUID().uuidString)"], viewers: viewers, titles: titles))?.status == 200 {
                    reconnected = ContinuousClock.now - back
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(reconnected != nil, "no write succeeded within 30 s of the server's return")
            try await Task.sleep(for: .seconds(2))
            load.stop()
            for writer in writers { _ = await writer.value }
            _ = await reader.value
            let end = load.snapshot()
            // Every acknowledged event is stored; events never acknowledged are not claimed.
            let check = try await PostgresStore.open(url: server.url, maximumConnections: 2)
            let acknowledged = load.acknowledgedIDs
            let found = try await check.containsEvents(ids: acknowledged.map { EventID(trusted: $0) })
            await check.close()
            #expect(found.count == acknowledged.count, "\(acknowledged.count - found.count) acknowledged events are missing")
            #expect(duringOutage.refused > beforeOutage.refused, "no write was refused while the server was down")
            #expect(end.accepted > duringOutage.accepted, "no write was accepted after the server came back")
            #expect(duringOutage.pagesOK > beforeOutage.pagesOK, "no home page was served while the server was down")
            let ackLine =
                "outage: writes acknowledged \(end.accepted) (events \(acknowledged.count), stored \(found.count)), refused 503 \(end.refused)"
            let duringPages = duringOutage.pagesOK - beforeOutage.pagesOK
            let pageLine = "home pages 200 \(end.pagesOK), during the outage \(duringPages) (other answers \(load.pagesOther))"
            let backLine = "reconnected \(reconnected.map { "\($0)" } ?? "never") after the server's return; a write refused in \(took)"
            print(ackLine + "; " + pageLine + "; " + backLine)
            if !load.notes.isEmpty { print("outage: other write answers: \(load.notes)") }
        } catch {
            failure = error
        }
        load.stop()
        try await client.shutdown()
        replica.signal(SIGTERM)
        let status = replica.waitForExit()
        let problems = replica.errors.string.split(separator: "\n").filter { !$0.contains(#""level":"info""#) }
        #expect(status == 0, "the replica exited with \(String(describing: status)): \(problems.suffix(30).joined(separator: "\n"))")
        if let failure { throw failure }
    }
}

/// A throwaway PostgreSQL server of this test's own (scripts/postgres-test-server.sh), which it may stop and start.
private struct PrivatePostgres: Sendable {
    let url: String
    let dir: String

    static var script: String { CLI.packageRoot.appendingPathComponent("scripts/postgres-test-server.sh").path }

    static func start() async throws -> PrivatePostgres {
        let out = try await offThePool { try shell(["bash", script, "start"]) }
        func value(_ name: String) -> String? {
            out.split(separator: "\n").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
        }
        guard let url = value("MARQUEE_TEST_DATABASE_URL"), let dir = value("MARQUEE_TEST_PG_DIR") else {
            throw CLIError("the private PostgreSQL server did not start: \(out)")
        }
        return PrivatePostgres(url: url, dir: dir)
    }

    func pause() throws { _ = try shell(["bash", Self.script, "pause", dir]) }
    func resume() throws { _ = try shell(["bash", Self.script, "resume", dir]) }
    func remove() { _ = try? shell(["bash", Self.script, "stop", dir]) }
}

/// Runs a command to its end in a session of its own (the script's runuser and pg_ctl never signal the tests'
/// process group); its standard output, or an error with its standard error. Output goes through files, and
/// the child is spawned and reaped with posix_spawn and waitpid: Foundation's Process left this script's exit
/// unreaped (a zombie whose `isRunning` stayed true).
private func shell(_ args: [String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory
    let outPath = dir.appendingPathComponent("marquee-shell-\(UUID().uuidString).out").path
    let errPath = dir.appendingPathComponent("marquee-shell-\(UUID().uuidString).err").path
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv = (["setsid", "--wait"] + args).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    let spawned = posix_spawnp(&pid, "setsid", &actions, nil, argv, environ)
    guard spawned == 0 else { throw CLIError("\(args.joined(separator: " ")) could not start (error \(spawned))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    // Exited normally with status 0 (the wait status's low 7 bits are the signal, the next 8 the exit code).
    guard status & 0x7f == 0 && (status >> 8) & 0xff == 0 else {
        let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        throw CLIError("\(args.joined(separator: " ")) failed (wait status \(status)): \(errors)")
    }
    return output
}

private func freeLocalPort() throws -> Int {
    let out = try shell(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
    guard let port = Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw CLIError("no free port: \(out)") }
    return port
}

/// The replica's HTTP API, as the load uses it.
private struct Replica: Sendable {
    let client: HTTPClient
    let port: Int
    let key: String

    struct Answer: Sendable {
        var status: Int
        var text: String
        var retryAfter: String?
    }

    func send(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        // Longer than the replica's operation limit (60 s): a write caught by the restart is answered, not dropped.
        let response = try await client.execute(request, timeout: .seconds(90))
        let bytes = try await response.body.collect(upTo: 8 << 20)
        return Answer(
            status: Int(response.status.code), text: String(buffer: bytes), retryAfter: response.headers.first(name: "Retry-After"))
    }

    func get(_ path: String) async throws -> Answer { try await send(.GET, path) }

    func postEvents(ids: [String], viewers: [String], titles: [String]) async throws -> Answer {
        let now = ISO8601DateFormatter().string(from: Date())
        let events = ids.enumerated().map { k, id in
            #"{"id":"\#(id)","profileId":"\#(viewers[k % viewers.count])","type":"play","timestamp":"\#(now)","#
                + #""titleId":"\#(titles[k % titles.count])","context":{"device":"tv","region":"us-west"}}"#
        }
        return try await send(.POST, "/v1/events", body: #"{"events":[\#(events.joined(separator: ","))]}"#)
    }
}

/// What the load saw.
private final class OutageLoad: @unchecked Sendable {
    struct Counts {
        var accepted = 0
        var refused = 0
        var pagesOK = 0
    }
    private let lock = NSLock()
    private var counts = Counts()
    private var acknowledged: [String] = []
    private var otherPages = 0
    private var done = false
    private var pageCount = 0

    var stopped: Bool { lock.withLock { done } }
    var pages: Int { lock.withLock { pageCount } }
    var acknowledgedIDs: [String] { lock.withLock { acknowledged } }
    var pagesOther: Int { lock.withLock { otherPages } }
    func stop() { lock.withLock { done = true } }
    func snapshot() -> Counts { lock.withLock { counts } }

    private(set) var notes: [String: Int] = [:]
    func note(_ what: String) { lock.withLock { notes[String(what.prefix(200)), default: 0] += 1 } }

    func record(_ answer: Replica.Answer?, ids: [String]) {
        if let answer, answer.status != 200 && answer.status != 503 { note("\(answer.status) \(answer.text)") }
        lock.withLock {
            if answer?.status == 200 {
                counts.accepted += 1
                acknowledged += ids
            } else if answer?.status == 503 {
                counts.refused += 1
            }
        }
    }

    func page(_ status: Int?) {
        lock.withLock {
            pageCount += 1
            if status == 200 { counts.pagesOK += 1 } else { otherPages += 1 }
        }
    }
}
