import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore {
    /// The logged artwork choices of the home pages served at or after `since` (every one when nil), joined with
    /// their outcome as `artworkLog(limit:)` joins them, oldest first (at most `limit`): what `marquee ope --since`
    /// evaluates.
    public func artworkLog(servedSince since: Timestamp?, limit: Int) async throws -> [ArtworkLogEntry] {
        try await read("reading the artwork log") { db in try Self.artworkEntries(db, servedSince: since, limit: limit) }
    }

    /// The artwork log's query: every home decision's artwork choices (served at or after `since`), each rewarded
    /// when a click or play carrying the decision id followed for its title.
    static func artworkEntries(_ db: Database, servedSince since: Timestamp?, limit: Int) throws -> [ArtworkLogEntry] {
        var joined = Set<String>()
        let answers = try Row.fetchCursor(
            db, sql: "SELECT decision_id, title_id FROM events WHERE decision_id IS NOT NULL AND type IN ('click', 'play')")
        while let row = try answers.next() {
            if let d: String = row[0], let t: String = row[1] { joined.insert(d + "\u{1F}" + t) }
        }
        var entries: [ArtworkLogEntry] = []
        let rows = try Row.fetchCursor(
            db, sql: "SELECT decision_id, items FROM home_decisions WHERE served_at >= ? ORDER BY served_at, decision_id",
            arguments: [since?.millisecondsSinceEpoch ?? Int64.min])
        while entries.count < limit, let row = try rows.next() {
            let decision: String = row[0]
            for item in try Self.decodeStoredItems(row[1]) {
                guard let variant = item.artworkVariant, let segment = item.artworkSegment else { continue }
                entries.append(
                    ArtworkLogEntry(
                        titleID: item.titleID, segment: segment, variant: variant, propensity: item.artworkPropensity ?? 1,
                        rewarded: joined.contains(decision + "\u{1F}" + item.titleID.rawValue)))
                if entries.count == limit { break }
            }
        }
        return entries
    }
}
