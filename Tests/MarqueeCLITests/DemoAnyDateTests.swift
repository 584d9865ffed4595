import AsyncHTTPClient
import Foundation
import MarqueeCore
import MarqueeStorage
import NIOCore
import Testing

/// `marquee demo` places its world relative to the day it is generated on (or `--now`'s), so the
/// demo serves ads whenever it is started; `--now` also runs the server's clock from that day.
@Suite struct DemoAnyDateTests {
    static let small = ["--profiles", "150", "--titles", "40", "--days", "5", "--ad-days", "2"]

    func post(_ client: HTTPClient, port: Int, _ body: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/ads/decision")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        #expect(response.status == .ok)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any])
    }

    func firstProfile(_ db: String, plan: Plan) async throws -> String {
        let store = try SQLiteStore(path: db)
        defer { try? store.close() }
        return try #require(try await store.profiles(limit: 1, offset: 0, plan: plan).items.first).id.rawValue
    }

    @Test(arguments: ["2031-06-15", "2019-03-04T18:00:00Z"])
    func aWorldPlacedFarFromTodayServesAdsAtItsDay(now: String) async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("far.sqlite").path
        let gen = try CLI.run(["demo", "--generate-only", "--db", db, "--now", now] + Self.small)
        #expect(gen.status == 0, "\(gen.stderr)")
        let day = Timestamp(iso8601: String(now.prefix(10)) + "T00:00:00Z")!
        #expect(gen.stdout.contains("Placing it at \(now.prefix(10))"), "\(gen.stdout)")
        // The history and the simulated ad days end before the day; every campaign's flight covers it.
        let store = try SQLiteStore(path: db)
        let campaigns = try await store.campaigns()
        #expect(!campaigns.isEmpty)
        for c in campaigns {
            #expect(c.startsAt < day && c.endsAt > day.adding(seconds: 60 * 86_400), "\(c.id): \(c.startsAt)–\(c.endsAt)")
        }
        var newest = Timestamp(millisecondsSinceEpoch: 0)
        var after: Int64 = 0
        while true {
            let page = try await store.events(afterSequence: after, limit: 50_000)
            guard let last = page.last else { break }
            for e in page { newest = max(newest, e.event.timestamp) }
            after = last.sequence
        }
        #expect(newest < day && newest > day.adding(seconds: -2 * 86_400), "newest event \(newest)")
        try store.close()
        let viewer = try await firstProfile(db, plan: .basicWithAds)

        // Served with the clock at that day, the README's first decision gets a pod.
        let server = try ServerProcess(["demo", "--db", db, "--port", "0", "--now", now] + Self.small)
        try server.waitUntilServing()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var served = 0
        for title in ["t0001", "t0002", "t0003", "t0004"] {
            let pod = try await post(
                client, port: server.port,
                #"{"profileId": "\#(viewer)", "titleId": "\#(title)", "breakKind": "mid-roll", "device": "tv", "localTime": "2026-11-24T21:30:00-05:00"}"#
            )
            served += (pod["ads"] as? [Any])?.count ?? 0
        }
        #expect(served > 0)
        try await client.shutdown()
        server.signal(SIGINT)
        #expect(server.waitForExit() == 0)

        // At the wall clock's day (years away from the world's), the empty pod names the real cause.
        let wall = try ServerProcess(["serve", "--db", db, "--port", "0"])
        try wall.waitUntilServing()
        let client2 = HTTPClient(eventLoopGroupProvider: .singleton)
        let pod = try await post(client2, port: wall.port, #"{"profileId": "\#(viewer)", "titleId": "t0001"}"#)
        #expect((pod["ads"] as? [Any])?.isEmpty == true)
        let reasons = (pod["reasons"] as? [String] ?? []).joined(separator: "; ")
        #expect(reasons.contains(now.hasPrefix("2031") ? "not started yet" : "flights ended"), "\(reasons)")
        #expect(!reasons.contains("targets this request"))
        try await client2.shutdown()
        wall.signal(SIGINT)
        #expect(wall.waitForExit() == 0)
    }

    @Test func sameOptionsAndDaySameFileAnotherDayAnotherFile() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func generate(_ name: String, now: String) throws -> Data {
            let db = dir.appendingPathComponent(name).path
            let r = try CLI.run(["demo", "--generate-only", "--db", db, "--now", now] + Self.small)
            #expect(r.status == 0, "\(r.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: db))
        }
        // Any time of one day places the same world.
        let a = try generate("a.sqlite", now: "2040-02-29T03:00:00Z")
        let b = try generate("b.sqlite", now: "2040-02-29T22:59:00Z")
        let c = try generate("c.sqlite", now: "2040-03-01")
        // Compared as one Bool: a failed `==` on megabytes of Data would make the test library diff them.
        let same = a == b
        let differs = a != c
        #expect(same)
        #expect(differs)
        // Reusing a world with another --now day is refused with a hint; a bad --now is a usage error.
        let clash = try CLI.run(
            ["demo", "--generate-only", "--db", dir.appendingPathComponent("a.sqlite").path, "--now", "2040-03-05"] + Self.small)
        #expect(clash.status != 0)
        #expect(clash.stderr.contains("--fresh"))
        let bad = try CLI.run(["demo", "--generate-only", "--db", dir.appendingPathComponent("d.sqlite").path, "--now", "someday"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--now"))
    }
}
