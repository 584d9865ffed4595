import Foundation
import MarqueeCore
import PostgresNIO

/// The home page's decision log and artwork statistics on PostgreSQL. Pages are stored in the compact
/// format 2 (`HomeDecisionCoding`), keyed by (profile, decision).
extension PostgresStore: DecisionLogStore {
    public func appendHomeDecisions(_ records: [HomeDecisionRecord], countingArtwork: Bool) async throws {
        guard !records.isEmpty else { return }
        var statements: [PostgresQuery] = []
        let types = ["text", "text", "bigint", "text", "text", "bytea"]
        var start = 0
        while start < records.count {
            let chunk = records[start..<min(start + 5_000, records.count)]
            var bindings = PostgresBindings(capacity: chunk.count * types.count)
            for r in chunk {
                bindings.append(r.profileID.rawValue)
                bindings.append(r.decisionID.rawValue)
                bindings.append(r.servedAt.millisecondsSinceEpoch)
                bindings.append(r.device?.rawValue)
                bindings.append(r.daypart.rawValue)
                try bindings.append(Data(HomeDecisionCoding.encode(r.items)))
            }
            statements.append(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO home_decisions (profile_id, decision_id, served_at, device, daypart, items)
                        VALUES \(Self.placeholders(rows: chunk.count, types: types))
                        ON CONFLICT (profile_id, decision_id) DO NOTHING RETURNING profile_id, decision_id
                        """, binds: bindings))
            start += chunk.count
        }
        let queued = statements
        try await transaction("logging \(records.count) home decisions") { connection in
            var inserted = Set<String>()
            for statement in queued {
                for try await (profile, decision) in try await connection.query(statement, logger: self.logger).decode(
                    (String, String).self)
                {
                    inserted.insert(profile + "\u{1F}" + decision)
                }
            }
            guard countingArtwork else { return }
            // A page logged before has its impressions counted already; a page twice in this batch counts once.
            var logged: [HomeDecisionRecord] = []
            for record in records where inserted.remove(record.profileID.rawValue + "\u{1F}" + record.decisionID.rawValue) != nil {
                logged.append(record)
            }
            try await self.addArtworkImpressions(ArtworkImpressionCount.of(logged), on: connection)
        }
    }

    public func addArtworkImpressions(_ counts: [ArtworkImpressionCount]) async throws {
        guard !counts.isEmpty else { return }
        try await transaction("counting \(counts.count) artwork impressions") { connection in
            try await self.addArtworkImpressions(counts, on: connection)
        }
    }

    /// One upsert of the counts summed per (title, variant, segment), in key order (so that concurrent writers
    /// lock the rows in the same order and cannot deadlock).
    func addArtworkImpressions(_ counts: [ArtworkImpressionCount], on connection: PostgresConnection) async throws {
        let merged = ArtworkImpressionCount.merged(counts).filter { $0.impressions > 0 }.sorted {
            ($0.titleID.rawValue, $0.variant.rawValue, $0.segment) < ($1.titleID.rawValue, $1.variant.rawValue, $1.segment)
        }
        guard !merged.isEmpty else { return }
        var bindings = PostgresBindings(capacity: merged.count * 4)
        for c in merged {
            bindings.append(c.titleID.rawValue)
            bindings.append(c.variant.rawValue)
            bindings.append(c.segment)
            bindings.append(c.impressions)
        }
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO artwork_stats (title_id, variant, segment, impressions)
                    VALUES \(Self.placeholders(rows: merged.count, types: ["text", "text", "text", "bigint"]))
                    ON CONFLICT (title_id, variant, segment) DO UPDATE SET impressions = artwork_stats.impressions + excluded.impressions
                    """, binds: bindings), logger: logger)
    }

    /// Credits the artwork shown with a reward when a click or play first joins a logged page for a title (in the
    /// appending transaction, after the events' insert). `artwork_rewards` records each joined (decision, title)
    /// pair once: only the pairs its insert returns are first joins, also when several processes append at once.
    func creditArtworkRewards(_ events: [Event], on connection: PostgresConnection) async throws {
        var profiles: [String] = []
        var decisions: [String] = []
        var titles: [String] = []
        var seen = Set<String>()
        for event in events where event.type == .click || event.type == .play {
            guard let decision = event.decisionID?.rawValue, let title = event.titleID?.rawValue else { continue }
            if seen.insert(event.profileID.rawValue + "\u{1F}" + decision + "\u{1F}" + title).inserted {
                profiles.append(event.profileID.rawValue)
                decisions.append(decision)
                titles.append(title)
            }
        }
        guard !decisions.isEmpty else { return }
        var firsts: [(String, String, String)] = []
        let joined = try await connection.query(
            """
            INSERT INTO artwork_rewards (profile_id, decision_id, title_id)
            SELECT * FROM unnest(\(profiles)::text[], \(decisions)::text[], \(titles)::text[])
            ON CONFLICT DO NOTHING RETURNING profile_id, decision_id, title_id
            """, logger: logger)
        for try await row in joined.decode((String, String, String).self) { firsts.append(row) }
        guard !firsts.isEmpty else { return }
        var pages: [String: [ServedItem]] = [:]
        let stored = try await connection.query(
            """
            SELECT profile_id, decision_id, items FROM home_decisions
            WHERE (profile_id, decision_id) IN (SELECT * FROM unnest(\(firsts.map(\.0))::text[], \(firsts.map(\.1))::text[]))
            """, logger: logger)
        for try await (profile, decision, items) in stored.decode((String, String, Data).self) {
            pages[profile + "\u{1F}" + decision] = try HomeDecisionCoding.decode([UInt8](items))
        }
        var rewards: [String: (String, String, String, Int)] = [:]
        for (profile, decision, title) in firsts {
            guard let item = pages[profile + "\u{1F}" + decision]?.first(where: { $0.titleID.rawValue == title }),
                let variant = item.artworkVariant, let segment = item.artworkSegment
            else { continue }
            let key = title + "\u{1F}" + variant.rawValue + "\u{1F}" + segment
            rewards[key, default: (title, variant.rawValue, segment, 0)].3 += 1
        }
        guard !rewards.isEmpty else { return }
        var bindings = PostgresBindings()
        for key in rewards.keys.sorted() {
            let r = rewards[key]!
            bindings.append(r.0)
            bindings.append(r.1)
            bindings.append(r.2)
            bindings.append(r.3)
        }
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO artwork_stats (title_id, variant, segment, rewards)
                    VALUES \(Self.placeholders(rows: rewards.count, types: ["text", "text", "text", "bigint"]))
                    ON CONFLICT (title_id, variant, segment) DO UPDATE SET rewards = artwork_stats.rewards + excluded.rewards
                    """, binds: bindings), logger: logger)
    }

    public func artworkStats() async throws -> [ArtworkStat] {
        try await rows("reading the artwork statistics", "SELECT title_id, variant, segment, impressions, rewards FROM artwork_stats")
            .map { row in
                let r = row.makeRandomAccess()
                return ArtworkStat(
                    titleID: TitleID(trusted: try r.value(0)), variant: ArtworkVariantID(trusted: try r.value(1)), segment: try r.value(2),
                    impressions: try r.value(3), rewards: try r.value(4))
            }
    }

    public func deleteHomeDecisions(servedBefore bound: Timestamp) async throws -> Int {
        Int(
            try await integer(
                "deleting old home decisions",
                """
                WITH deleted AS (DELETE FROM home_decisions WHERE served_at < \(bound.millisecondsSinceEpoch) RETURNING 1)
                SELECT COUNT(*) FROM deleted
                """))
    }

    public func homeDecisionCount() async throws -> Int {
        Int(try await integer("counting home decisions", "SELECT COUNT(*) FROM home_decisions"))
    }

    public func homeDecision(id: DecisionID) async throws -> HomeDecisionRecord? {
        let rows = try await rows(
            "reading a home decision",
            "SELECT profile_id, served_at, device, daypart, items FROM home_decisions WHERE decision_id = \(id.rawValue) LIMIT 1")
        guard let r = rows.first?.makeRandomAccess() else { return nil }
        let items: Data = try r.value(4)
        return HomeDecisionRecord(
            decisionID: id, profileID: ProfileID(trusted: try r.value(0)), servedAt: Timestamp(millisecondsSinceEpoch: try r.value(1)),
            device: try r.value(2, as: String?.self).flatMap(Device.init(rawValue:)),
            daypart: Daypart(rawValue: try r.value(3)) ?? .evening, items: try HomeDecisionCoding.decode([UInt8](items)))
    }

    public func artworkLog(limit: Int) async throws -> [ArtworkLogEntry] {
        try await artworkLog(servedSince: nil, limit: limit)
    }

    /// The logged artwork choices of the pages served at or after `since` (every one when nil), oldest first, at
    /// most `limit`, each rewarded when a click or play carrying the page's decision id followed for its title.
    /// Pages are read 1,000 at a time and joined to their clicks and plays through `events_by_decision`.
    public func artworkLog(servedSince since: Timestamp?, limit: Int) async throws -> [ArtworkLogEntry] {
        var entries: [ArtworkLogEntry] = []
        var after: (Int64, String) = (since.map { $0.millisecondsSinceEpoch - 1 } ?? Int64.min, "\u{10FFFF}")
        while entries.count < limit {
            let rows = try await rows(
                "reading the artwork log",
                """
                SELECT decision_id, served_at, items FROM home_decisions
                WHERE (served_at, decision_id) > (\(after.0), \(after.1)) ORDER BY served_at, decision_id LIMIT 1000
                """)
            if rows.isEmpty { break }
            var pages: [(String, [ServedItem])] = []
            for row in rows {
                let r = row.makeRandomAccess()
                let items: Data = try r.value(2)
                pages.append((try r.value(0), try HomeDecisionCoding.decode([UInt8](items))))
                after = (try r.value(1), try r.value(0))
            }
            var joined = Set<String>()
            let answers = try await self.rows(
                "reading the artwork log",
                """
                SELECT decision_id, title_id FROM events
                WHERE decision_id = ANY(\(pages.map(\.0))::text[]) AND type IN ('click', 'play') AND title_id IS NOT NULL
                """)
            for answer in answers {
                let r = answer.makeRandomAccess()
                joined.insert(try r.value(0, as: String.self) + "\u{1F}" + r.value(1, as: String.self))
            }
            for (decision, items) in pages {
                for item in items {
                    guard entries.count < limit, let variant = item.artworkVariant, let segment = item.artworkSegment else { continue }
                    entries.append(
                        ArtworkLogEntry(
                            titleID: item.titleID, segment: segment, variant: variant, propensity: item.artworkPropensity ?? 1,
                            rewarded: joined.contains(decision + "\u{1F}" + item.titleID.rawValue)))
                }
            }
        }
        return entries
    }
}
