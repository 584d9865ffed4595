import GRDB
import MarqueeCore

extension SQLiteStore: TrainingSource {
    public func interactionSummaries() async throws -> [InteractionSummary] {
        try await read("summarising interactions") { db in
            // occurred_at * 8 + rating: the MAX picks the latest rate event, and % 8 recovers its rating.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT profile_id, title_id,
                        MIN(CASE WHEN type <> 'dislike' THEN occurred_at END) AS first_at,
                        MAX(CASE WHEN type = 'rate' THEN occurred_at * 8 + rating END) AS last_rate,
                        MAX(type = 'dislike') AS disliked
                    FROM events
                    WHERE title_id IS NOT NULL
                        AND type IN ('play', 'progress', 'complete', 'rate', 'like', 'addToList', 'dislike')
                    GROUP BY profile_id, title_id
                    ORDER BY profile_id, first_at, title_id
                    """)
            var out: [InteractionSummary] = []
            while let row = try rows.next() {
                if (row["disliked"] as Int?) == 1 { continue }
                guard let first = row["first_at"] as Int64? else { continue }
                let lastRate = row["last_rate"] as Int64?
                out.append(
                    InteractionSummary(
                        profileID: ProfileID(trusted: row["profile_id"]), titleID: TitleID(trusted: row["title_id"]),
                        firstAt: Timestamp(millisecondsSinceEpoch: first), rating: lastRate.map { Int($0 % 8) }))
            }
            return out
        }
    }

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
