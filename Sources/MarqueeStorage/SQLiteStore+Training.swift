import GRDB
import MarqueeCore

extension SQLiteStore: TrainingSource {
    public func interactionColumns(profileIndex: [String: Int32], titleIndex: [String: Int32]) async throws -> InteractionColumns {
        try await read("reading interactions") { db in
            let statement = try db.makeStatement(sql: Self.interactionSQL)
            let rows = try Row.fetchCursor(statement)
            var out = InteractionColumns()
            while let row = try rows.next() {
                if (row[4] as Int?) == 1 { continue }
                guard let first = row[2] as Int64?, let p = profileIndex[row[0] as String], let t = titleIndex[row[1] as String] else {
                    continue
                }
                let lastRate = row[3] as Int64?
                out.append(profile: p, title: t, firstAt: first, rating: lastRate.map { Float($0 % 8) } ?? 0)
            }
            return out
        }
    }

    /// Per (profile, title): the first positive engagement, the latest rating (occurred_at * 8 + rating:
    /// the MAX picks the latest rate event, and % 8 recovers its rating) and whether it was disliked.
    static let interactionSQL = """
        SELECT profile_id, title_id,
            MIN(CASE WHEN type <> 'dislike' THEN occurred_at END) AS first_at,
            MAX(CASE WHEN type = 'rate' THEN occurred_at * 8 + rating END) AS last_rate,
            MAX(type = 'dislike') AS disliked
        FROM events
        WHERE title_id IS NOT NULL
            AND type IN ('play', 'progress', 'complete', 'rate', 'like', 'addToList', 'dislike')
        GROUP BY profile_id, title_id
        ORDER BY profile_id, first_at, title_id
        """

    public func allTitleIDs() async throws -> [TitleID] {
        try await read("listing title ids") { db in
            try String.fetchAll(db, sql: "SELECT id FROM titles ORDER BY id").map(TitleID.init(trusted:))
        }
    }

    public func allProfileIDs() async throws -> [ProfileID] {
        try await read("listing profile ids") { db in
            try String.fetchAll(db, sql: "SELECT id FROM profiles ORDER BY id").map(ProfileID.init(trusted:))
        }
    }
}
