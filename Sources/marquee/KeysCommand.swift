import ArgumentParser
import Foundation
import MarqueeCore
import MarqueeStorage

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key; it is printed once and stored only as a hash.",
            discussion: """
                Prints the key alone on standard output, and its id (for `marquee keys revoke`) on standard error. \
                The store must exist already.
                """)

        @OptionGroup var store: StoreOptions

        @Option(help: "admin (everything), ingest (POST /v1/events) or read (GET endpoints when reads are protected).")
        var scope: String

        @Option(help: "A name to recognise the key by.")
        var name: String = "cli"

        @Option(help: "When the key stops working: a duration (90m, 12h, 30d, 2w) or an ISO 8601 time (default: never).")
        var expires: String?

        func validate() throws {
            guard APIScope(rawValue: scope) != nil else { throw ValidationError("--scope must be one of admin, ingest, read") }
            if let p = TextRules.problem(with: name, maxLength: 100) { throw ValidationError("--name \(p)") }
            if let expires {
                do {
                    _ = try APIKeys.expiry(expires, now: .now())
                } catch let error as MarqueeError {
                    throw ValidationError(error.message)
                }
            }
        }

        func run() async throws {
            let now = Timestamp.now()
            let expiresAt: Timestamp?
            do {
                expiresAt = try expires.map { try APIKeys.expiry($0, now: now) }
            } catch let error as MarqueeError {
                fail(error.message)
            }
            let sqlite = try await openExistingStore(store, hint: KeysCommand.createHint(store.path))
            let made = APIKeys.make(scope: APIScope(rawValue: scope)!, name: name, now: now, expiresAt: expiresAt)
            try await sqlite.insertAPIKey(made.record, keyHash: made.hash)
            try await sqlite.close()
            let until = expiresAt.map { "expires \($0.iso8601)" } ?? "does not expire"
            FileHandle.standardError.write(Data("Created \(made.record.id.rawValue) (scope \(scope), name \"\(name)\", \(until))\n".utf8))
            print(made.key)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the API keys: id, name, scope, created, expires, status and the key's last four characters.",
            discussion: "Never prints a key or its hash; only the last four characters, to tell keys apart.")

        @OptionGroup var store: StoreOptions
        @Flag(help: #"Print {"keys": [{"id","name","scope","createdAt","expiresAt","revokedAt","status","lastFour"}]} as JSON instead."#)
        var json = false

        func run() async throws {
            let sqlite = try await openExistingStore(store, hint: KeysCommand.createHint(store.path))
            let keys = try await sqlite.apiKeys()
            try await sqlite.close()
            let now = Timestamp.now()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let listed = KeyList(keys: keys.map { KeyList.Key($0, now: now) })
                print(String(decoding: try encoder.encode(listed), as: UTF8.self))
                return
            }
            guard !keys.isEmpty else {
                print("No API keys in \(store.path); create one with `marquee keys create --scope admin --db \(store.path)`")
                return
            }
            let rows =
                [["ID", "NAME", "SCOPE", "CREATED", "EXPIRES", "STATUS", "KEY"]]
                + keys.map { k in
                    [
                        k.id.rawValue, k.name, k.scope.rawValue, k.createdAt.iso8601, k.expiresAt?.iso8601 ?? "never",
                        KeyList.status(k, now: now), k.lastFour.map { "…" + $0 } ?? "-",
                    ]
                }
            var widths = [Int](repeating: 0, count: rows[0].count)
            for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
            for row in rows {
                let cells = row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }
                print(cells.joined(separator: "  "))
            }
            print(Wording.count(keys.count, "key") + ", " + "\(keys.filter { $0.unusable(at: now) == nil }.count) active")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key by its id; the server refuses it (401) from the next request on.")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The key's id, as `marquee keys create` and `marquee keys list` print it (key-…).")
        var id: String

        func validate() throws {
            guard let p = TextRules.problem(with: id, maxLength: 128) else { return }
            throw ValidationError("ID \(p)")
        }

        func run() async throws {
            let sqlite = try await openExistingStore(store, hint: KeysCommand.createHint(store.path))
            let now = Timestamp.now()
            let record = try await sqlite.revokeAPIKey(id: APIKeyID(trusted: id), at: now)
            try await sqlite.close()
            guard let record, let revokedAt = record.revokedAt else {
                fail("no API key has the id \(id); `marquee keys list --db \(store.path)` shows the ids")
            }
            if revokedAt < now {
                print("\(record.id.rawValue) (\"\(record.name)\") was already revoked at \(revokedAt.iso8601)")
            } else {
                print(
                    "Revoked \(record.id.rawValue) (\"\(record.name)\", scope \(record.scope.rawValue)); the server refuses it from the next request on"
                )
            }
        }
    }

    /// How to make the store a key command was pointed at, when there is none.
    static func createHint(_ path: String) -> String {
        "; create one with `marquee import movielens DIR --db \(path)` or `marquee demo --db \(path)`"
    }
}

/// What `marquee keys list --json` prints.
struct KeyList: Encodable {
    var keys: [Key]

    struct Key: Encodable {
        var id: String
        var name: String
        var scope: String
        var createdAt: String
        var expiresAt: String?
        var revokedAt: String?
        var status: String
        var lastFour: String?

        init(_ record: APIKeyRecord, now: Timestamp) {
            id = record.id.rawValue
            name = record.name
            scope = record.scope.rawValue
            createdAt = record.createdAt.iso8601
            expiresAt = record.expiresAt?.iso8601
            revokedAt = record.revokedAt?.iso8601
            status = KeyList.status(record, now: now)
            lastFour = record.lastFour
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(scope, forKey: .scope)
            try c.encode(createdAt, forKey: .createdAt)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(revokedAt, forKey: .revokedAt)
            try c.encode(status, forKey: .status)
            try c.encode(lastFour, forKey: .lastFour)
        }

        enum CodingKeys: String, CodingKey { case id, name, scope, createdAt, expiresAt, revokedAt, status, lastFour }
    }

    /// active, revoked or expired.
    static func status(_ record: APIKeyRecord, now: Timestamp) -> String {
        switch record.unusable(at: now) {
        case .revoked?: return "revoked"
        case .expired?: return "expired"
        case nil: return "active"
        }
    }
}

/// The admin key `marquee demo` prints. Only a key's hash is stored, so the demo keeps its key in
/// `<db>.admin-key` beside the store (mode 0600; `marquee-demo.admin-key` in the working directory for a database) and reuses it on every start
/// while it is still a valid admin key of that store; otherwise (first start, file lost, key revoked
/// or expired) it creates a new key named "demo" and rewrites the file.
func demoAdminKey(_ store: any MarqueeStore, keptIn path: String) async throws -> String {
    if let data = FileManager.default.contents(atPath: path) {
        let kept = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !kept.isEmpty, let record = try await store.apiKey(hash: APIKeys.hash(kept)), record.scope == .admin,
            record.unusable(at: .now()) == nil
        {
            return kept
        }
    }
    let made = APIKeys.make(scope: .admin, name: "demo")
    try await store.insertAPIKey(made.record, keyHash: made.hash)
    try? FileManager.default.removeItem(atPath: path)
    if !FileManager.default.createFile(atPath: path, contents: Data((made.key + "\n").utf8), attributes: [.posixPermissions: 0o600]) {
        FileHandle.standardError.write(Data("warning: could not keep the admin key in \(path); the next start will add another\n".utf8))
    }
    return made.key
}
