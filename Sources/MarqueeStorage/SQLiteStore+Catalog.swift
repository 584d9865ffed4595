import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: CatalogStore, ProfileStore {
    static let jsonEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    func upsert(_ titles: [Title], db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO titles (id, kind, name, maturity_rating, release_year, runtime_seconds, date_added, series_id, doc)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                    maturity_rating = excluded.maturity_rating, release_year = excluded.release_year,
                    runtime_seconds = excluded.runtime_seconds, date_added = excluded.date_added,
                    series_id = excluded.series_id, doc = excluded.doc
                """)
        for t in titles {
            let doc = String(decoding: try Self.jsonEncoder.encode(t), as: UTF8.self)
            try statement.execute(arguments: [
                t.id.rawValue, t.kind.rawValue, t.name, t.maturityRating.rawValue, t.releaseYear, t.runtimeSeconds,
                t.dateAdded.millisecondsSinceEpoch, t.seriesID?.rawValue, doc,
            ])
        }
    }

    public func upsertTitles(_ titles: [Title]) async throws {
        try await write("upserting \(Wording.count(titles.count, "title"))") { db in try self.upsert(titles, db: db) }
        known.insert(titles.map(\.id.rawValue), .title)
    }

    static func title(from doc: String) throws -> Title {
        do {
            return try JSONDecoder().decode(Title.self, from: Data(doc.utf8))
        } catch {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored title could not be read: \(error)")
        }
    }

    public func title(id: TitleID) async throws -> Title? {
        let doc = try await read("reading a title") { db in
            try String.fetchOne(db, sql: "SELECT doc FROM titles WHERE id = ?", arguments: [id.rawValue])
        }
        return try doc.map(Self.title(from:))
    }

    public func titles(limit: Int, offset: Int, genre: String?, nameContains: String?) async throws -> Page<Title> {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let genre {
            conditions.append("EXISTS (SELECT 1 FROM json_each(doc, '$.genres') WHERE lower(json_each.value) = lower(?))")
            arguments += [genre]
        }
        if let nameContains {
            conditions.append("instr(lower(name), lower(?)) > 0")
            arguments += [nameContains]
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let filterArguments = arguments
        let (docs, total) = try await read("listing titles") { db in
            (
                try String.fetchAll(
                    db, sql: "SELECT doc FROM titles\(filter) ORDER BY id LIMIT ? OFFSET ?", arguments: filterArguments + [limit, offset]),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM titles\(filter)", arguments: filterArguments) ?? 0
            )
        }
        return Page(items: try docs.map(Self.title(from:)), total: total, limit: limit, offset: offset)
    }

    public func titleCount() async throws -> Int {
        try await read("counting titles") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM titles") ?? 0 }
    }

    public func artworkImage(title: TitleID, variant: ArtworkVariantID) async throws -> ArtworkImage? {
        try await read("reading artwork") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT content_type, body FROM artwork_images WHERE title_id = ? AND variant_id = ?",
                    arguments: [title.rawValue, variant.rawValue])
            else { return nil }
            let body: Data = row["body"]
            return ArtworkImage(titleID: title, variantID: variant, contentType: row["content_type"], body: [UInt8](body))
        }
    }

    func insert(_ images: [ArtworkImage], db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO artwork_images (title_id, variant_id, content_type, body) VALUES (?, ?, ?, ?)
                ON CONFLICT (title_id, variant_id) DO UPDATE SET content_type = excluded.content_type, body = excluded.body
                """)
        for image in images {
            try statement.execute(arguments: [image.titleID.rawValue, image.variantID.rawValue, image.contentType, Data(image.body)])
        }
    }

    // MARK: Profiles

    func upsert(_ profiles: [Profile], db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO profiles (id, plan, region, language, maturity_limit, created_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET plan = excluded.plan, region = excluded.region, language = excluded.language,
                    maturity_limit = excluded.maturity_limit, created_at = excluded.created_at
                """)
        for p in profiles {
            try statement.execute(arguments: [
                p.id.rawValue, p.plan.rawValue, p.region, p.language, p.maturityLimit.rawValue, p.createdAt.millisecondsSinceEpoch,
            ])
        }
    }

    public func upsertProfiles(_ profiles: [Profile]) async throws {
        try await write("upserting \(Wording.count(profiles.count, "profile"))") { db in try self.upsert(profiles, db: db) }
        known.insert(profiles.map(\.id.rawValue), .profile)
    }

    static func profile(from row: Row) -> Profile {
        Profile(
            id: ProfileID(trusted: row["id"]), plan: Plan(rawValue: row["plan"]) ?? .standardWithAds, region: row["region"],
            language: row["language"], maturityLimit: MaturityRating(rawValue: row["maturity_limit"]) ?? .age18,
            createdAt: Timestamp(millisecondsSinceEpoch: row["created_at"]))
    }

    public func profile(id: ProfileID) async throws -> Profile? {
        try await read("reading a profile") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM profiles WHERE id = ?", arguments: [id.rawValue]).map(Self.profile(from:))
        }
    }

    public func profiles(limit: Int, offset: Int, plan: Plan?) async throws -> Page<Profile> {
        try await read("listing profiles") { db in
            let filter = plan == nil ? "" : "WHERE plan = ?"
            let planArgs: StatementArguments = plan.map { [$0.rawValue] } ?? []
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM profiles \(filter) ORDER BY id LIMIT ? OFFSET ?", arguments: planArgs + [limit, offset])
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profiles \(filter)", arguments: planArgs) ?? 0
            return Page(items: rows.map(Self.profile(from:)), total: total, limit: limit, offset: offset)
        }
    }

    public func profileRegions() async throws -> Set<String> {
        try await read("listing profile regions") { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT region FROM profiles")) }
    }

    public func profileCount() async throws -> Int {
        try await read("counting profiles") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profiles") ?? 0 }
    }
}

extension SQLiteStore: APIKeyStore {
    public func insertAPIKey(_ record: APIKeyRecord, keyHash: String) async throws {
        try await write("creating an API key") { db in
            try db.execute(
                sql: """
                    INSERT INTO api_keys (id, name, scope, key_hash, created_at, expires_at, revoked_at, last_four)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.id.rawValue, record.name, record.scope.rawValue, keyHash, record.createdAt.millisecondsSinceEpoch,
                    record.expiresAt?.millisecondsSinceEpoch, record.revokedAt?.millisecondsSinceEpoch, record.lastFour,
                ])
        }
    }

    public func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await read("looking up an API key") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE key_hash = ?", arguments: [hash]).map(Self.apiKeyRecord)
        }
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try await read("listing API keys") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at, id").map(Self.apiKeyRecord)
        }
    }

    public func revokeAPIKey(id: APIKeyID, at: Timestamp) async throws -> APIKeyRecord? {
        try await write("revoking an API key") { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [at.millisecondsSinceEpoch, id.rawValue])
            return try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE id = ?", arguments: [id.rawValue]).map(Self.apiKeyRecord)
        }
    }

    static func apiKeyRecord(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(
            id: APIKeyID(trusted: row["id"]), name: row["name"], scope: APIScope(rawValue: row["scope"]) ?? .read,
            createdAt: Timestamp(millisecondsSinceEpoch: row["created_at"]),
            expiresAt: (row["expires_at"] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)),
            revokedAt: (row["revoked_at"] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:)), lastFour: row["last_four"])
    }
}
