import AsyncHTTPClient
import Foundation
import MarqueeCore
import MarqueeStorage
import NIOCore
import Testing

@Suite struct KeysCommandTests {
    /// A mistyped --db must not become a new empty store with a key no server will accept.
    @Test func createRefusesAMissingOrEmptyStore() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("mistyped.sqlite").path
        for command in [["create", "--scope", "admin"], ["list"], ["revoke", "key-123"]] {
            let r = try CLI.run(["keys"] + command + ["--db", missing])
            #expect(r.status != 0, "\(command)")
            #expect(r.stderr.contains("no store at \(missing)"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
        let empty = dir.appendingPathComponent("empty.sqlite").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let r = try CLI.run(["keys", "create", "--scope", "admin", "--db", empty])
        #expect(r.status != 0)
        #expect(r.stderr.contains("empty file"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect((try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int) == 0)
    }

    /// create prints the key (stdout) and its id (stderr); list shows id, name, scope, times, status and
    /// the last four characters, never the key or its hash; --expires in the past is refused.
    @Test func createListRevokeAndExpires() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, ingestKey) = try makeWorld(dir)
        let made = try CLI.run(["keys", "create", "--scope", "read", "--name", "dashboard", "--expires", "30d", "--db", db])
        #expect(made.status == 0, "\(made.stderr)")
        let key = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("mq_read_"))
        let id = "key-" + String(APIKeys.hash(key).prefix(12))
        #expect(made.stderr.contains(id), "\(made.stderr)")

        let listed = try CLI.run(["keys", "list", "--db", db, "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        for secret in [key, ingestKey, APIKeys.hash(key), APIKeys.hash(ingestKey)] { #expect(!listed.stdout.contains(secret)) }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
        let keys = try #require(object["keys"] as? [[String: Any]])
        #expect(keys.count == 2)
        let entry = try #require(keys.first { $0["id"] as? String == id })
        #expect(entry["name"] as? String == "dashboard")
        #expect(entry["scope"] as? String == "read")
        #expect(entry["status"] as? String == "active")
        #expect(entry["lastFour"] as? String == String(key.suffix(4)))
        #expect(entry["revokedAt"] is NSNull)
        let createdText = try #require(entry["createdAt"] as? String)
        let expiresText = try #require(entry["expiresAt"] as? String)
        let created = try #require(Timestamp(iso8601: createdText))
        let expires = try #require(Timestamp(iso8601: expiresText))
        #expect(expires.millisecondsSinceEpoch - created.millisecondsSinceEpoch == 30 * 86_400_000)
        let other = try #require(keys.first { $0["id"] as? String != id })
        #expect(other["expiresAt"] is NSNull)

        let table = try CLI.run(["keys", "list", "--db", db])
        #expect(table.status == 0)
        #expect(table.stdout.contains(id) && table.stdout.contains("dashboard") && table.stdout.contains("…" + key.suffix(4)))
        #expect(!table.stdout.contains(key))
        #expect(table.stdout.contains("2 keys, 2 active"), "\(table.stdout)")

        let past = try CLI.run(["keys", "create", "--scope", "admin", "--expires", "2020-01-01T00:00:00Z", "--db", db])
        #expect(past.status != 0)
        #expect(past.stderr.contains("--expires") && past.stderr.contains("not in the future"), "\(past.stderr)")
        let garbled = try CLI.run(["keys", "create", "--scope", "admin", "--expires", "soon", "--db", db])
        #expect(garbled.status != 0)
        #expect(garbled.stderr.contains("--expires"))

        let revoked = try CLI.run(["keys", "revoke", id, "--db", db])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(revoked.stdout.contains("Revoked \(id)"))
        let twice = try CLI.run(["keys", "revoke", id, "--db", db])
        #expect(twice.status == 0)
        #expect(twice.stdout.contains("already revoked"))
        let unknown = try CLI.run(["keys", "revoke", "key-000000000000", "--db", db])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("key-000000000000"))
        let after = try CLI.run(["keys", "list", "--db", db])
        #expect(after.stdout.contains("revoked"))
        #expect(after.stdout.contains("2 keys, 1 active"), "\(after.stdout)")
    }

    /// A running server refuses a key from the request after `marquee keys revoke`.
    @Test func theServerRefusesARevokedKeyAtOnce() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, _) = try makeWorld(dir)
        let made = try CLI.run(["keys", "create", "--scope", "admin", "--db", db])
        let key = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try ServerProcess(["serve", "--db", db, "--port", "0"])
        try server.waitUntilServing()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        func upsert() async throws -> (Int, String) {
            var post = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/titles")
            post.method = .POST
            post.headers.add(name: "Authorization", value: "Bearer \(key)")
            post.body = .bytes(ByteBuffer(string: #"[{"id": "added-by-test", "name": "Added"}]"#))
            let response = try await client.execute(post, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 16)
            return (Int(response.status.code), String(buffer: body))
        }
        #expect(try await upsert().0 == 200)
        let revoke = try CLI.run(["keys", "revoke", "key-" + String(APIKeys.hash(key).prefix(12)), "--db", db])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let (status, body) = try await upsert()
        #expect(status == 401)
        #expect(body.contains("revoked"), "\(body)")
        try await client.shutdown()
        server.signal(SIGINT)
        #expect(server.waitForExit() == 0)
    }

    /// `marquee demo` started twice on one store prints the same admin key and keeps one admin key.
    @Test func demoReusesItsAdminKeyOnARestart() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("demo.sqlite").path
        func start() async throws -> String {
            let server = try ServerProcess(
                ["demo", "--db", db, "--port", "0", "--profiles", "40", "--titles", "20", "--days", "2", "--ad-days", "0"])
            try server.waitUntilServing()
            let deadline = Date().addingTimeInterval(10)
            while !server.output.string.contains("Admin API key: ") && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            let text = server.output.string
            let range = try #require(text.range(of: "Admin API key: "))
            let key = String(text[range.upperBound...].prefix { !$0.isNewline })
            server.signal(SIGINT)
            #expect(server.waitForExit() == 0)
            return key
        }
        let first = try await start()
        let second = try await start()
        #expect(first.hasPrefix("mq_admin_"))
        #expect(first == second)
        let kept = db + ".admin-key"
        let permissions = try FileManager.default.attributesOfItem(atPath: kept)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let store = try SQLiteStore(path: db)
        let keys = try await store.apiKeys()
        try store.close()
        #expect(keys.filter { $0.scope == .admin }.count == 1)
        #expect(keys.first?.id.rawValue == "key-" + String(APIKeys.hash(first).prefix(12)))
        // Once that key is revoked, the next start makes a new one instead of printing a dead key.
        let revoke = try CLI.run(["keys", "revoke", "key-" + String(APIKeys.hash(first).prefix(12)), "--db", db])
        #expect(revoke.status == 0)
        let third = try await start()
        #expect(third != first)
        #expect(try String(contentsOfFile: kept, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == third)
    }
}
