import Foundation
import MarqueeCore
import MarqueeStorage
import Testing

/// The commands that take `--db` take a PostgreSQL URL too (issue 18): a demo world generated into a database,
/// trained, imported into, asked about and keyed, checked through the store itself.
@Suite struct PostgresCommandsTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE_URL"] != nil))
    func everyStoreCommandWorksOnADatabase() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["MARQUEE_TEST_DATABASE_URL"])
        let url = try await PostgresStore.createDatabase(
            "cmd_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""), url: server)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let password = try #require(URLComponents(string: url)?.password)

        let demo = try await CLI.runOffPool([
            "demo", "--generate-only", "--db", url, "--seed", "9", "--profiles", "80", "--titles", "30", "--days", "3", "--ad-days", "1",
        ])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(!(demo.stdout + demo.stderr).contains(password))
        // The same command again reuses the world it finds in the database.
        let again = try await CLI.runOffPool([
            "demo", "--generate-only", "--db", url, "--seed", "9", "--profiles", "80", "--titles", "30", "--days", "3", "--ad-days", "1",
        ])
        #expect(again.status == 0 && again.stdout.contains("Reusing the demo world in postgres://"), "\(again.stdout) \(again.stderr)")

        let store = try await PostgresStore.open(url: url, maximumConnections: 2)
        let profiles = try await store.profiles(limit: 200, offset: 0, plan: nil).items
        let titles = try await store.titles(limit: 200, offset: 0).items
        #expect(profiles.count == 80 && titles.count == 30)
        let eventsBefore = try await store.eventCount()
        #expect(eventsBefore > 0)

        // train reads the interactions from the database.
        let snapshot = dir.appendingPathComponent("pg.model").path
        let train = try await CLI.runOffPool(["train", "--database-url", url, "--snapshot", snapshot, "--no-tune"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(FileManager.default.fileExists(atPath: snapshot))

        // import events: all or nothing, then the valid file.
        let now = Timestamp.now().iso8601
        func line(_ id: String, profile: String) -> String {
            #"{"id":"\#(id)","profileId":"\#(profile)","type":"play","timestamp":"\#(now)","titleId":"\#(titles[0].id)","context":{"device":"tv"}}"#
        }
        let bad = dir.appendingPathComponent("bad.jsonl")
        try [line("imp-1", profile: profiles[0].id.rawValue), line("imp-2", profile: "nobody")].joined(separator: "\n")
            .write(to: bad, atomically: true, encoding: .utf8)
        let refused = try await CLI.runOffPool(["import", "events", bad.path, "--db", url])
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("nothing was written"), "\(refused.stderr)")
        #expect(try await store.eventCount() == eventsBefore)
        let good = dir.appendingPathComponent("good.jsonl")
        try [line("imp-1", profile: profiles[0].id.rawValue), line("imp-3", profile: profiles[1].id.rawValue)].joined(separator: "\n")
            .write(to: good, atomically: true, encoding: .utf8)
        let imported = try await CLI.runOffPool(["import", "events", good.path], environment: ["MARQUEE_DATABASE_URL": url])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("2 imported"), "\(imported.stdout)")
        #expect(try await store.eventCount() == eventsBefore + 2)
        #expect(try await store.containsEvents(ids: [EventID(trusted: "imp-1"), EventID(trusted: "imp-3")]).count == 2)

        // keys and ask work on the database.
        let key = try await CLI.runOffPool(["keys", "create", "--scope", "read", "--name", "pg", "--db", url])
        #expect(key.status == 0, "\(key.stderr)")
        #expect(try await store.apiKeys().contains { $0.name == "pg" })
        let ask = try await CLI.runOffPool(["ask", "--db", url, "--json", "How many impressions overall?"])
        #expect(ask.status == 0, "\(ask.stderr)")
        #expect(ask.stdout.contains("\"numbers\""), "\(ask.stdout)")
        await store.close()
    }
}
