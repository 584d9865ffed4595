import AsyncHTTPClient
import Foundation
import MarqueeCore
import MarqueeStorage
import NIOCore
import NIOHTTP1
import Testing

/// Posts batches to a live server and remembers the ids of every acknowledged event.
actor Sender {
    let client: HTTPClient
    let port: Int
    let key: String
    let profiles: [String]
    let titles: [String]
    private(set) var acknowledged: [String] = []
    private(set) var failures = 0
    private var next = 0

    init(client: HTTPClient, port: Int, key: String, profiles: [String], titles: [String]) {
        self.client = client
        self.port = port
        self.key = key
        self.profiles = profiles
        self.titles = titles
    }

    func batch(_ size: Int, tag: String) -> (String, [String]) {
        var ids: [String] = []
        var parts: [String] = []
        for _ in 0..<size {
            let id = "\(tag)-\(next)"
            let profile = profiles[next % profiles.count]
            let title = titles[next % titles.count]
            parts.append(
                #"{"id":"\#(id)","profileId":"\#(profile)","type":"play","timestamp":"2026-11-20T20:00:00Z","titleId":"\#(title)","context":{"device":"web"}}"#
            )
            ids.append(id)
            next += 1
        }
        return ("[" + parts.joined(separator: ",") + "]", ids)
    }

    /// Sends one batch; returns false once the server stops answering.
    func sendOne(size: Int, tag: String) async -> Bool {
        let (body, ids) = batch(size, tag: tag)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/events")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                failures += 1
                return true
            }
            let json = try JSONSerialization.jsonObject(with: Data(String(buffer: bytes).utf8)) as? [String: Any]
            if (json?["accepted"] as? Int) == size { acknowledged += ids }
            return true
        } catch {
            failures += 1
            return false
        }
    }
}

func makeWorld(_ dir: URL) throws -> (db: String, key: String) {
    let db = dir.appendingPathComponent("world.sqlite").path
    let gen = try CLI.run(["demo", "--generate-only", "--db", db, "--seed", "3", "--profiles", "60", "--titles", "20", "--days", "2"])
    guard gen.status == 0 else { throw CLIError("demo --generate-only failed: \(gen.stderr)") }
    let key = try CLI.run(["keys", "create", "--scope", "ingest", "--db", db])
    guard key.status == 0 else { throw CLIError("keys create failed: \(key.stderr)") }
    return (db, key.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
}

func catalogIDs(_ db: String) async throws -> (profiles: [String], titles: [String]) {
    let store = try SQLiteStore(path: db)
    defer { try? store.close() }
    let profiles = try await store.profiles(limit: 500, offset: 0, plan: nil).items.map(\.id.rawValue)
    let titles = try await store.titles(limit: 500, offset: 0).items.map(\.id.rawValue)
    return (profiles, titles)
}

@Suite(.serialized) struct ServerProcessTests {
    /// kill -9 in the middle of a stream of batches: every acknowledged event is in the store afterwards.
    @Test func killNineLosesNoAcknowledgedEvent() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, key) = try makeWorld(dir)
        let ids = try await catalogIDs(db)
        let before = try await {
            let s = try SQLiteStore(path: db); defer { try? s.close() }; return try await s.eventCount()
        }()
        let server = try ServerProcess(["serve", "--db", db, "--port", "0"])
        try server.waitUntilServing()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let sender = Sender(client: client, port: server.port, key: key, profiles: ids.profiles, titles: ids.titles)
        // Two concurrent streams; the kill lands while batches are in flight.
        let streams = (0..<2).map { s in
            Task {
                var sent = 0
                while await sender.sendOne(size: 500, tag: "kill\(s)") {
                    sent += 1
                    if sent > 400 { break }
                }
            }
        }
        while await sender.acknowledged.count < 20 * 500 { try await Task.sleep(for: .milliseconds(5)) }
        server.signal(SIGKILL)
        for s in streams { await s.value }
        _ = server.waitForExit()
        try await client.shutdown()
        let acknowledged = await sender.acknowledged
        #expect(acknowledged.count >= 20 * 500)
        let store = try SQLiteStore(path: db)
        defer { try? store.close() }
        let found = try await store.containsEvents(ids: acknowledged.map { EventID(trusted: $0) })
        #expect(found.count == acknowledged.count, "lost \(acknowledged.count - found.count) acknowledged events")
        #expect(try await store.eventCount() >= before + acknowledged.count)
    }

    /// SIGTERM: in-flight batches finish, the process exits cleanly, nothing acknowledged is lost.
    @Test func sigtermShutsDownGracefully() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, key) = try makeWorld(dir)
        let ids = try await catalogIDs(db)
        let server = try ServerProcess(["serve", "--db", db, "--port", "0"])
        try server.waitUntilServing()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let sender = Sender(client: client, port: server.port, key: key, profiles: ids.profiles, titles: ids.titles)
        let stream = Task {
            var sent = 0
            while await sender.sendOne(size: 1000, tag: "term") {
                sent += 1
                if sent > 200 { break }
            }
        }
        while await sender.acknowledged.count < 5000 { try await Task.sleep(for: .milliseconds(5)) }
        server.signal(SIGTERM)
        let status = server.waitForExit()
        await stream.value
        try await client.shutdown()
        #expect(status == 0, "exit status \(String(describing: status)); stderr: \(server.errors.string.suffix(1000))")
        let acknowledged = await sender.acknowledged
        // The WAL was checkpointed into the main file on a clean shutdown (checked before reopening it).
        let wal = (try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
        let store = try SQLiteStore(path: db)
        defer { try? store.close() }
        let found = try await store.containsEvents(ids: acknowledged.map { EventID(trusted: $0) })
        #expect(found.count == acknowledged.count)
    }

    @Test func demoServesHealthAndPrintsTheAdminKey() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("demo.sqlite").path
        let server = try ServerProcess(
            ["demo", "--db", db, "--port", "0", "--profiles", "80", "--titles", "30", "--days", "3"],
            environment: ["MARQUEE_ADMIN_KEY": "test-admin-key-0123456789"])
        try server.waitUntilServing()
        let deadline = Date().addingTimeInterval(10)
        while !server.output.string.contains("Web app:") && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(server.output.string.contains("\nAdmin API key: test-admin-key-0123456789"))
        // The web app's URL carries the key in its fragment, which browsers keep to themselves.
        #expect(server.output.string.contains("\nWeb app: http://127.0.0.1:\(server.port)/#admin=test-admin-key-0123456789\n"))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let health = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/healthz"), timeout: .seconds(10))
        #expect(health.status == .ok)
        let page = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/"), timeout: .seconds(10))
        #expect(page.status == .ok)
        #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
        var post = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/titles")
        post.method = .POST
        post.headers.add(name: "Authorization", value: "Bearer test-admin-key-0123456789")
        post.body = .bytes(ByteBuffer(string: #"[{"id": "added-by-test", "name": "Added"}]"#))
        let upsert = try await client.execute(post, timeout: .seconds(10))
        #expect(upsert.status == .ok)
        try await client.shutdown()
        server.signal(SIGINT)
        #expect(server.waitForExit() == 0)
    }
}

@Suite struct DemoWorldCLITests {
    @Test func sameSeedSameFileByteForByte() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func generate(_ name: String, seed: Int) throws -> Data {
            let db = dir.appendingPathComponent(name).path
            let r = try CLI.run([
                "demo", "--generate-only", "--db", db, "--seed", String(seed), "--profiles", "120", "--titles", "40", "--days", "5",
            ])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(
                !FileManager.default.fileExists(atPath: db + "-wal")
                    || ((try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? Int) ?? 0) == 0)
            return try Data(contentsOf: URL(fileURLWithPath: db))
        }
        let a = try generate("a.sqlite", seed: 11)
        let b = try generate("b.sqlite", seed: 11)
        let c = try generate("c.sqlite", seed: 12)
        // Compared as one Bool: a failed `==` on megabytes of Data would make the test library diff them.
        let same = a == b
        let differs = a != c
        #expect(same)
        #expect(differs)
        // Reusing an existing world with other options is refused with a hint.
        let clash = try CLI.run([
            "demo", "--generate-only", "--db", dir.appendingPathComponent("a.sqlite").path, "--seed", "99", "--profiles", "120", "--titles",
            "40", "--days", "5",
        ])
        #expect(clash.status != 0)
        #expect(clash.stderr.contains("--fresh"))
    }

    @Test func badOptionsExitNonZeroWithAMessage() throws {
        for args in [
            ["demo", "--profiles", "0"], ["demo", "--port", "70000"], ["keys", "create", "--scope", "root", "--db", "/tmp/x.sqlite"],
            ["serve", "--db", "/nonexistent/x.sqlite"],
        ] {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            #expect(!r.stderr.isEmpty, "\(args)")
        }
    }

    @Test func importEventsFromJSONLines() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _) = try makeWorld(dir)
        let ids = try await catalogIDs(db)
        let before = try await {
            let s = try SQLiteStore(path: db); defer { try? s.close() }; return try await s.eventCount()
        }()
        var lines: [String] = []
        for i in 0..<50 {
            lines.append(
                #"{"id":"jl-\#(i)","profileId":"\#(ids.profiles[i % ids.profiles.count])","type":"rate","rating":4,"timestamp":1763600000,"titleId":"\#(ids.titles[i % ids.titles.count])"}"#
            )
        }
        lines.insert(
            #"{"id":"jl-bad","profileId":"\#(ids.profiles[0])","type":"rate","rating":9,"timestamp":1763600000,"titleId":"\#(ids.titles[0])"}"#,
            at: 10)
        let file = dir.appendingPathComponent("events.jsonl")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let strict = try CLI.run(["import", "events", file.path, "--db", db])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("events.jsonl:11"), "\(strict.stderr)")
        let count1 = try await {
            let s = try SQLiteStore(path: db); defer { try? s.close() }; return try await s.eventCount()
        }()
        #expect(count1 == before)
        #expect(strict.stderr.contains("1 of 51 lines is invalid"), "\(strict.stderr)")
        // Skipping the invalid line is the success asked for: exit 0, the skipped line reported.
        let lenient = try CLI.run(["import", "events", file.path, "--db", db, "--skip-invalid"])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stdout.contains("Read 51 events: 50 imported, 0 already stored, 1 invalid (skipped)"), "\(lenient.stdout)")
        #expect(lenient.stderr.contains("events.jsonl:11"), "\(lenient.stderr)")
        let again = try CLI.run(["import", "events", file.path, "--db", db, "--skip-invalid"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("0 imported, 50 already stored"), "\(again.stdout)")
        // A file with no valid event at all still fails.
        let hopeless = dir.appendingPathComponent("hopeless.jsonl")
        try "{\"id\": 1}\nnot json\n".write(to: hopeless, atomically: true, encoding: .utf8)
        let none = try CLI.run(["import", "events", hopeless.path, "--db", db, "--skip-invalid"])
        #expect(none.status != 0)
        #expect(none.stdout.contains("Read 2 events: 0 imported, 0 already stored, 2 invalid"), "\(none.stdout)")
        #expect(none.stderr.contains("no line of"), "\(none.stderr)")
    }
}
