import Foundation
import MarqueeCore
import PostgresNIO

extension PostgresStore: CatalogStore, ProfileStore {
    /// The last of each id wins, as when the rows are upserted one after the other (one INSERT … ON CONFLICT
    /// DO UPDATE may not touch a row twice).
    static func lastOfEachID<T>(_ items: [T], id: (T) -> String) -> [T] {
        var position: [String: Int] = [:]
        var out: [T] = []
        for item in items {
            if let k = position[id(item)] {
                out[k] = item
            } else {
                position[id(item)] = out.count
                out.append(item)
            }
        }
        return out
    }

    /// `$1::type, $2::type, …` rows of a multi-row VALUES list for `rows` rows of these column types.
    static func placeholders(rows: Int, types: [String]) -> String {
        (0..<rows).map { r in
            "(" + types.enumerated().map { c, type in "$\(r * types.count + c + 1)::\(type)" }.joined(separator: ", ") + ")"
        }.joined(separator: ", ")
    }

    public func upsertTitles(_ titles: [Title]) async throws {
        if titles.isEmpty { return }
        let unique = Self.lastOfEachID(titles, id: \.id.rawValue)
        var statements: [PostgresQuery] = []
        let types = ["text", "text", "text", "text", "integer", "integer", "bigint", "text", "jsonb"]
        var start = 0
        while start < unique.count {
            let chunk = unique[start..<min(start + 5_000, unique.count)]
            var bindings = PostgresBindings(capacity: chunk.count * types.count)
            for t in chunk {
                bindings.append(t.id.rawValue)
                bindings.append(t.kind.rawValue)
                bindings.append(t.name)
                bindings.append(t.maturityRating.rawValue)
                bindings.append(t.releaseYear)
                bindings.append(t.runtimeSeconds)
                bindings.append(t.dateAdded.millisecondsSinceEpoch)
                bindings.append(t.seriesID?.rawValue)
                bindings.append(String(decoding: try SQLiteStore.jsonEncoder.encode(t), as: UTF8.self))
            }
            statements.append(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO titles (id, kind, name, maturity_rating, release_year, runtime_seconds, date_added, series_id, doc)
                        VALUES \(Self.placeholders(rows: chunk.count, types: types))
                        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                            maturity_rating = excluded.maturity_rating, release_year = excluded.release_year,
                            runtime_seconds = excluded.runtime_seconds, date_added = excluded.date_added,
                            series_id = excluded.series_id, doc = excluded.doc
                        """, binds: bindings))
            start += chunk.count
        }
        let queued = statements
        try await transaction("upserting \(Wording.count(titles.count, "title"))") { connection in
            for statement in queued { try await connection.query(statement, logger: self.logger) }
        }
        known.insert(titles.map(\.id.rawValue), .title)
    }

    static func title(fromDoc doc: String) throws -> Title {
        do {
            return try JSONDecoder().decode(Title.self, from: Data(doc.utf8))
        } catch {
            throw MarqueeError(.internalFailure, code: "store_corrupt", message: "a stored title could not be read: \(error)")
        }
    }

    public func title(id: TitleID) async throws -> Title? {
        let rows = try await rows("reading a title", "SELECT doc::text FROM titles WHERE id = \(id.rawValue)")
        return try rows.first.map { try Self.title(fromDoc: try $0.makeRandomAccess().value(0)) }
    }

    public func titles(limit: Int, offset: Int, genre: String?, nameContains: String?) async throws -> Page<Title> {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        if let genre {
            bindings.append(genre)
            conditions.append(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(doc -> 'genres') AS g (value) WHERE lower(g.value) = lower($\(bindings.count)::text))"
            )
        }
        if let nameContains {
            bindings.append(nameContains)
            conditions.append("strpos(lower(name), lower($\(bindings.count)::text)) > 0")
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let countQuery = PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM titles\(filter)", binds: bindings)
        var pageBindings = bindings
        pageBindings.append(limit)
        pageBindings.append(offset)
        let n = bindings.count
        let pageQuery = PostgresQuery(
            unsafeSQL: "SELECT doc::text FROM titles\(filter) ORDER BY id LIMIT $\(n + 1)::bigint OFFSET $\(n + 2)::bigint",
            binds: pageBindings)
        let docs = try await rows("listing titles", pageQuery)
        let total = try await integer("counting titles", countQuery)
        return Page(
            items: try docs.map { try Self.title(fromDoc: try $0.makeRandomAccess().value(0)) }, total: Int(total), limit: limit,
            offset: offset)
    }

    public func titleCount() async throws -> Int {
        Int(try await integer("counting titles", "SELECT COUNT(*) FROM titles"))
    }

    public func artworkImage(title: TitleID, variant: ArtworkVariantID) async throws -> ArtworkImage? {
        let rows = try await rows(
            "reading artwork",
            "SELECT content_type, body FROM artwork_images WHERE title_id = \(title.rawValue) AND variant_id = \(variant.rawValue)")
        guard let row = rows.first?.makeRandomAccess() else { return nil }
        let body: Data = try row.value(1)
        return ArtworkImage(titleID: title, variantID: variant, contentType: try row.value(0), body: [UInt8](body))
    }

    /// Stores artwork images (replacing those with the same title and variant).
    public func insertArtworkImages(_ images: [ArtworkImage]) async throws {
        if images.isEmpty { return }
        let unique = Self.lastOfEachID(images) { "\($0.titleID.rawValue)\u{0}\($0.variantID.rawValue)" }
        try await transaction("storing \(Wording.count(images.count, "artwork image"))") { connection in
            for image in unique {
                try await connection.query(
                    """
                    INSERT INTO artwork_images (title_id, variant_id, content_type, body)
                    VALUES (\(image.titleID.rawValue), \(image.variantID.rawValue), \(image.contentType), \(Data(image.body)))
                    ON CONFLICT (title_id, variant_id) DO UPDATE SET content_type = excluded.content_type, body = excluded.body
                    """, logger: self.logger)
            }
        }
    }

    // MARK: Profiles

    public func upsertProfiles(_ profiles: [Profile]) async throws {
        if profiles.isEmpty { return }
        let unique = Self.lastOfEachID(profiles, id: \.id.rawValue)
        let types = ["text", "text", "text", "text", "text", "bigint"]
        var statements: [PostgresQuery] = []
        var start = 0
        while start < unique.count {
            let chunk = unique[start..<min(start + 10_000, unique.count)]
            var bindings = PostgresBindings(capacity: chunk.count * types.count)
            for p in chunk {
                bindings.append(p.id.rawValue)
                bindings.append(p.plan.rawValue)
                bindings.append(p.region)
                bindings.append(p.language)
                bindings.append(p.maturityLimit.rawValue)
                bindings.append(p.createdAt.millisecondsSinceEpoch)
            }
            statements.append(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO profiles (id, plan, region, language, maturity_limit, created_at)
                        VALUES \(Self.placeholders(rows: chunk.count, types: types))
                        ON CONFLICT (id) DO UPDATE SET plan = excluded.plan, region = excluded.region, language = excluded.language,
                            maturity_limit = excluded.maturity_limit, created_at = excluded.created_at
                        """, binds: bindings))
            start += chunk.count
        }
        let queued = statements
        try await transaction("upserting \(Wording.count(profiles.count, "profile"))") { connection in
            for statement in queued { try await connection.query(statement, logger: self.logger) }
        }
        known.insert(profiles.map(\.id.rawValue), .profile)
    }

    static let profileColumns = "id, plan, region, language, maturity_limit, created_at"

    static func profile(from row: PostgresRow) throws -> Profile {
        let r = row.makeRandomAccess()
        return Profile(
            id: ProfileID(trusted: try r.value(0)), plan: Plan(rawValue: try r.value(1)) ?? .standardWithAds, region: try r.value(2),
            language: try r.value(3), maturityLimit: MaturityRating(rawValue: try r.value(4)) ?? .age18,
            createdAt: Timestamp(millisecondsSinceEpoch: try r.value(5)))
    }

    public func profile(id: ProfileID) async throws -> Profile? {
        let rows = try await rows("reading a profile", "SELECT \(unescaped: Self.profileColumns) FROM profiles WHERE id = \(id.rawValue)")
        return try rows.first.map(Self.profile(from:))
    }

    public func profiles(limit: Int, offset: Int, plan: Plan?) async throws -> Page<Profile> {
        let page: [PostgresRow]
        let total: Int64
        if let plan {
            page = try await rows(
                "listing profiles",
                "SELECT \(unescaped: Self.profileColumns) FROM profiles WHERE plan = \(plan.rawValue) ORDER BY id LIMIT \(limit) OFFSET \(offset)"
            )
            total = try await integer("counting profiles", "SELECT COUNT(*) FROM profiles WHERE plan = \(plan.rawValue)")
        } else {
            page = try await rows(
                "listing profiles", "SELECT \(unescaped: Self.profileColumns) FROM profiles ORDER BY id LIMIT \(limit) OFFSET \(offset)")
            total = try await integer("counting profiles", "SELECT COUNT(*) FROM profiles")
        }
        return Page(items: try page.map(Self.profile(from:)), total: Int(total), limit: limit, offset: offset)
    }

    public func profileRegions() async throws -> Set<String> {
        let rows = try await rows("listing profile regions", "SELECT DISTINCT region FROM profiles")
        return Set(try rows.map { try $0.makeRandomAccess().value(0, as: String.self) })
    }

    public func profileCount() async throws -> Int {
        Int(try await integer("counting profiles", "SELECT COUNT(*) FROM profiles"))
    }
}

extension PostgresStore: APIKeyStore {
    public func insertAPIKey(_ record: APIKeyRecord, keyHash: String) async throws {
        _ = try await rows(
            "creating an API key",
            """
            INSERT INTO api_keys (id, name, scope, key_hash, created_at, expires_at, revoked_at, last_four)
            VALUES (\(record.id.rawValue), \(record.name), \(record.scope.rawValue), \(keyHash), \(record.createdAt.millisecondsSinceEpoch),
                \(record.expiresAt?.millisecondsSinceEpoch), \(record.revokedAt?.millisecondsSinceEpoch), \(record.lastFour))
            """)
    }

    static let apiKeyColumns = "id, name, scope, created_at, expires_at, revoked_at, last_four"

    static func apiKeyRecord(_ row: PostgresRow) throws -> APIKeyRecord {
        let r = row.makeRandomAccess()
        return APIKeyRecord(
            id: APIKeyID(trusted: try r.value(0)), name: try r.value(1), scope: APIScope(rawValue: try r.value(2)) ?? .read,
            createdAt: Timestamp(millisecondsSinceEpoch: try r.value(3)),
            expiresAt: try r.value(4, as: Int64?.self).map(Timestamp.init(millisecondsSinceEpoch:)),
            revokedAt: try r.value(5, as: Int64?.self).map(Timestamp.init(millisecondsSinceEpoch:)), lastFour: try r.value(6))
    }

    public func apiKey(hash: String) async throws -> APIKeyRecord? {
        let rows = try await rows("looking up an API key", "SELECT \(unescaped: Self.apiKeyColumns) FROM api_keys WHERE key_hash = \(hash)")
        return try rows.first.map(Self.apiKeyRecord)
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        let rows = try await rows("listing API keys", "SELECT \(unescaped: Self.apiKeyColumns) FROM api_keys ORDER BY created_at, id")
        return try rows.map(Self.apiKeyRecord)
    }

    /// One statement: the first revocation time stays (COALESCE), and the row comes back as it now is.
    public func revokeAPIKey(id: APIKeyID, at: Timestamp) async throws -> APIKeyRecord? {
        let rows = try await rows(
            "revoking an API key",
            """
            UPDATE api_keys SET revoked_at = COALESCE(revoked_at, \(at.millisecondsSinceEpoch)) WHERE id = \(id.rawValue)
            RETURNING \(unescaped: Self.apiKeyColumns)
            """)
        return try rows.first.map(Self.apiKeyRecord)
    }
}

extension PostgresStore: SharedStateStore {
    /// The first writer's value stays: a concurrent process's INSERT waits for it, does nothing, and reads it back.
    public func sharedSecret(named name: String, creatingWith fresh: [UInt8]) async throws -> [UInt8] {
        try await transaction("reading the shared secret '\(name)'") { connection in
            try await connection.query(
                "INSERT INTO shared_secrets (name, value) VALUES (\(name), \(Data(fresh))) ON CONFLICT (name) DO NOTHING",
                logger: self.logger)
            let rows = try await connection.query("SELECT value FROM shared_secrets WHERE name = \(name)", logger: self.logger).collect()
            guard let row = rows.first else { return fresh }
            let value: Data = try row.makeRandomAccess().value(0)
            return [UInt8](value)
        }
    }

    public func changeVersions() async throws -> ChangeVersions {
        let rows = try await rows("reading the change versions", "SELECT name, version FROM change_versions")
        var versions = ChangeVersions()
        for row in rows {
            let r = row.makeRandomAccess()
            let version: Int64 = try r.value(1)
            switch try r.value(0, as: String.self) {
            case "ad_book": versions.adBook = version
            case "editorial": versions.editorial = version
            case "catalog": versions.catalog = version
            case "profiles": versions.profiles = version
            case "experiments": versions.experiments = version
            default: continue
            }
        }
        return versions
    }
}
