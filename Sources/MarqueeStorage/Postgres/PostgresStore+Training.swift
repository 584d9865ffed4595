import MarqueeCore
import PostgresNIO

extension PostgresStore: TrainingSource {
    /// The trainer's interactions, as `SQLiteStore` reads them (the same statement in PostgreSQL's SQL), streamed
    /// from one connection into the columns: memory holds the columns, never every row.
    public func interactionColumns(profileIndex: [String: Int32], titleIndex: [String: Int32]) async throws -> InteractionColumns {
        do {
            return try await leased { [logger] connection in
                var out = InteractionColumns()
                let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.interactionSQL), logger: logger)
                for try await (profile, title, first, lastRate, disliked) in rows.decode((String, String, Int64?, Int64?, Bool).self) {
                    if disliked { continue }
                    guard let first, let p = profileIndex[profile], let t = titleIndex[title] else { continue }
                    out.append(profile: p, title: t, firstAt: first, rating: lastRate.map { Float($0 % 8) } ?? 0)
                }
                return out
            }
        } catch {
            throw Self.translate(error, doing: "reading interactions", location: location)
        }
    }

    /// Per (profile, title): the first positive engagement, the latest rating (occurred_at * 8 + rating: the MAX
    /// picks the latest rate event, and % 8 recovers its rating) and whether it was disliked.
    static let interactionSQL = """
        SELECT profile_id, title_id,
            MIN(CASE WHEN type <> 'dislike' THEN occurred_at END) AS first_at,
            MAX(CASE WHEN type = 'rate' THEN occurred_at * 8 + rating END) AS last_rate,
            bool_or(type = 'dislike') AS disliked
        FROM events
        WHERE title_id IS NOT NULL
            AND type IN ('play', 'progress', 'complete', 'rate', 'like', 'addToList', 'dislike')
        GROUP BY profile_id, title_id
        ORDER BY profile_id COLLATE "C", first_at, title_id COLLATE "C"
        """

    public func allTitleIDs() async throws -> [TitleID] {
        let found = try await rows("listing title ids", "SELECT id FROM titles ORDER BY id COLLATE \"C\"")
        return try found.map { TitleID(trusted: try $0.makeRandomAccess().value(0)) }
    }

    public func allProfileIDs() async throws -> [ProfileID] {
        let found = try await rows("listing profile ids", "SELECT id FROM profiles ORDER BY id COLLATE \"C\"")
        return try found.map { ProfileID(trusted: try $0.makeRandomAccess().value(0)) }
    }
}
