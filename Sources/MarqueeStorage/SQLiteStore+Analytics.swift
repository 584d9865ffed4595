import Foundation
import GRDB
import GRDBSQLite
import MarqueeCore

/// The analytics layer's side of the store: the ad facts, kept up to date from the logs, and read-only queries
/// with a time limit and a row limit (see `AnalyticsStore`).
extension SQLiteStore {
    public var analyticsDialect: AnalyticsDialect { .sqlite }

    /// Events folded per transaction: a backfill of a large log commits in steps, so that ingestion waits
    /// at most one step for the writer.
    static let analyticsRefreshStep: Int64 = 100_000

    public func refreshAnalyticsFacts() async throws -> Int {
        let behind = try await read("checking the analytics facts") { db -> Bool in
            let cursors = try Dictionary(
                uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT source, seq FROM analytics_cursors").map {
                    ($0[0] as Int, $0[1] as Int64)
                })
            let events = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0
            let contextual = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM contextual_ad_events") ?? 0
            return events > cursors[0, default: 0] || contextual > cursors[1, default: 0]
        }
        guard behind else { return 0 }
        var added = 0
        while true {
            let (step, more) = try await write("refreshing the analytics facts") { db -> (Int, Bool) in
                var added = 0
                var more = false
                for (source, table) in [(0, "events"), (1, "contextual_ad_events")] {
                    let cursor = try Int64.fetchOne(db, sql: "SELECT seq FROM analytics_cursors WHERE source = ?", arguments: [source]) ?? 0
                    let top = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM \(table)") ?? 0
                    guard top > cursor else { continue }
                    let upto = min(top, cursor + Self.analyticsRefreshStep)
                    more = more || upto < top
                    try db.execute(
                        sql: source == 0 ? Self.eventFactsSQL : Self.contextualFactsSQL,
                        arguments: ["from": cursor, "upto": upto, "slack": MetricCatalog.adBreakAbandonSlackMs])
                    added += db.changesCount
                    try db.execute(sql: "UPDATE analytics_cursors SET seq = ? WHERE source = ?", arguments: [upto, source])
                }
                return (added, more)
            }
            added += step
            if !more { return added }
        }
    }

    /// The dimensions every fact takes from the ad event `e`, its decision `d` and the pod's entry `a` for the
    /// event's slot (falling back to the ad book and the event itself when no decision was logged): the
    /// decision's plan, content title and first genre, and daypart, else `fallback`'s.
    private static func factDimensions(plan: String, title: String, genre: String, daypart: String) -> String {
        """
        e.decision_id, COALESCE(e.rank, 0) + 1,
        ca.id, ca.advertiser_id, e.creative_id,
        COALESCE(e.device, json_extract(d.doc, '$.device')),
        COALESCE(e.region, json_extract(d.doc, '$.region')),
        COALESCE(json_extract(d.doc, '$.plan'), \(plan)),
        COALESCE(d.title_id, \(title)),
        lower(COALESCE(json_extract(d.doc, '$.contentGenres[0]'), \(genre))),
        COALESCE(json_extract(d.doc, '$.daypart'), \(daypart)),
        json_extract(d.doc, '$.breakKind')
        """
    }

    /// Facts from the event log: its ad events in (from, upto], and its abandons there that fall in an ad
    /// break by `ad_break_abandons`' rule (the previous of the session's adImpression, adComplete, adSkip and
    /// abandon events is an adImpression, at most the ad's length plus the slack before), attributed to that ad.
    /// Spend: one charge per (decision, slot), on its first impression, at the CPM the pod logged for the slot
    /// and creative, else the campaign's; impressions without a decision are charged each.
    static let eventFactsSQL = """
        WITH src AS (
            SELECT e.seq AS seq, e.occurred_at AS at, e.type AS type, e.seq AS ad FROM events AS e
            WHERE e.seq > :from AND e.seq <= :upto AND e.type IN ('adImpression', 'adClick', 'adComplete', 'adSkip')
            UNION ALL
            SELECT x.seq, x.occurred_at, 'abandon', i.seq FROM events AS x
            JOIN events AS i ON i.seq = (
                SELECT p.seq FROM events AS p
                WHERE p.profile_id = x.profile_id AND p.session_id = x.session_id
                    AND p.type IN ('adImpression', 'adComplete', 'adSkip', 'abandon')
                    AND (p.occurred_at < x.occurred_at OR (p.occurred_at = x.occurred_at AND p.seq < x.seq))
                ORDER BY p.occurred_at DESC, p.seq DESC LIMIT 1)
            LEFT JOIN creatives AS icr ON icr.id = i.creative_id
            WHERE x.seq > :from AND x.seq <= :upto AND x.type = 'abandon' AND x.session_id IS NOT NULL AND i.type = 'adImpression'
                AND x.occurred_at <= i.occurred_at + CAST(COALESCE(i.duration_seconds, icr.duration_seconds) * 1000 AS INTEGER) + :slack
        )
        INSERT OR IGNORE INTO ad_facts (source, seq, occurred_at, profile_key, decision_id, pod_position, campaign_id,
            advertiser_id, creative_id, device, region, plan, title_id, genre, daypart, break_kind,
            impressions, clicks, completions, skips, abandons, spend_millicents)
        SELECT 0, s.seq, s.at, e.profile_id, \(factDimensions(
            plan: "(SELECT plan FROM profiles WHERE id = e.profile_id)", title: "e.title_id",
            genre: "(SELECT json_extract(t.doc, '$.genres[0]') FROM titles AS t WHERE t.id = COALESCE(d.title_id, e.title_id))",
            daypart: localDaypart("e.occurred_at", offset: "e.local_offset_minutes"))),
            s.type = 'adImpression', s.type = 'adClick', s.type = 'adComplete', s.type = 'adSkip', s.type = 'abandon',
            CASE WHEN s.type = 'adImpression' AND (e.decision_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM events AS o WHERE o.decision_id = e.decision_id AND COALESCE(o.rank, 0) = COALESCE(e.rank, 0)
                        AND o.type = 'adImpression' AND o.seq < e.seq))
                THEN COALESCE(json_extract(a.value, '$.cpmCents'), ca.cpm_bid_cents, 0) ELSE 0 END
        FROM src AS s
        JOIN events AS e ON e.seq = s.ad
        LEFT JOIN ad_decisions AS d ON d.id = e.decision_id
        LEFT JOIN json_each(d.doc, '$.ads') AS a
            ON json_extract(a.value, '$.slot') = COALESCE(e.rank, 0) AND json_extract(a.value, '$.creativeID') = e.creative_id
        LEFT JOIN creatives AS cr ON cr.id = e.creative_id
        LEFT JOIN campaigns AS ca ON ca.id = COALESCE(json_extract(a.value, '$.campaignID'), e.campaign_id, cr.campaign_id)
        """

    /// Facts from the contextual ad events (viewers without a profile): the same, without abandons (they
    /// have no content events) and with the viewer key as the profile.
    static let contextualFactsSQL = """
        INSERT OR IGNORE INTO ad_facts (source, seq, occurred_at, profile_key, decision_id, pod_position, campaign_id,
            advertiser_id, creative_id, device, region, plan, title_id, genre, daypart, break_kind,
            impressions, clicks, completions, skips, abandons, spend_millicents)
        SELECT 1, e.seq, e.occurred_at, e.profile_key, \(factDimensions(
            plan: "NULL", title: "NULL", genre: "(SELECT json_extract(t.doc, '$.genres[0]') FROM titles AS t WHERE t.id = d.title_id)",
            daypart: localDaypart("e.occurred_at", offset: "0"))),
            e.type = 'adImpression', e.type = 'adClick', e.type = 'adComplete', e.type = 'adSkip', 0,
            CASE WHEN e.type = 'adImpression' AND (e.decision_id IS NULL OR NOT EXISTS (
                    SELECT 1 FROM contextual_ad_events AS o WHERE o.decision_id = e.decision_id AND COALESCE(o.rank, 0) = COALESCE(e.rank, 0)
                        AND o.type = 'adImpression' AND o.seq < e.seq))
                THEN COALESCE(json_extract(a.value, '$.cpmCents'), ca.cpm_bid_cents, 0) ELSE 0 END
        FROM contextual_ad_events AS e
        LEFT JOIN ad_decisions AS d ON d.id = e.decision_id
        LEFT JOIN json_each(d.doc, '$.ads') AS a
            ON json_extract(a.value, '$.slot') = COALESCE(e.rank, 0) AND json_extract(a.value, '$.creativeID') = e.creative_id
        LEFT JOIN creatives AS cr ON cr.id = e.creative_id
        LEFT JOIN campaigns AS ca ON ca.id = COALESCE(json_extract(a.value, '$.campaignID'), e.campaign_id, cr.campaign_id)
        WHERE e.seq > :from AND e.seq <= :upto AND e.type IN ('adImpression', 'adClick', 'adComplete', 'adSkip')
        """

    /// `Daypart(time:offsetMinutes:)` in SQL.
    static func localDaypart(_ time: String, offset: String) -> String {
        let hour = "(((\(time) + COALESCE(\(offset), 0) * 60000) % 86400000 + 86400000) % 86400000) / 3600000"
        return "CASE WHEN \(hour) BETWEEN 5 AND 11 THEN 'morning' WHEN \(hour) BETWEEN 12 AND 16 THEN 'afternoon' "
            + "WHEN \(hour) BETWEEN 17 AND 21 THEN 'evening' ELSE 'late-night' END"
    }

    public func analyticsQuery(_ statement: AnalyticsStatement, timeLimit: Double, rowLimit: Int) async throws -> AnalyticsRows {
        guard timeLimit > 0, rowLimit > 0 else {
            throw MarqueeError.invalidValue(field: "limits", reason: "the time and row limits must be positive")
        }
        let arguments = StatementArguments(
            statement.arguments.map { value -> (any DatabaseValueConvertible)? in
                switch value {
                case .null: nil
                case .integer(let i): i
                case .real(let d): d
                case .text(let s): s
                }
            })
        do {
            // The pool's readers are read-only connections: a statement that tries to write fails.
            return try await pool.read { db in
                let deadline = QueryDeadline(seconds: timeLimit)
                let connection = db.sqliteConnection
                let context = Unmanaged.passRetained(deadline)
                sqlite3_progress_handler(
                    connection, 10_000,
                    { raw in
                        guard let raw else { return 0 }
                        return Unmanaged<QueryDeadline>.fromOpaque(raw).takeUnretainedValue().passed ? 1 : 0
                    }, context.toOpaque())
                defer {
                    sqlite3_progress_handler(connection, 0, nil, nil)
                    context.release()
                }
                let cursor = try Row.fetchCursor(db, sql: statement.sql, arguments: arguments)
                var columns: [String] = []
                var rows: [[AnalyticsValue]] = []
                var truncated = false
                while let row = try cursor.next() {
                    if columns.isEmpty { columns = Array(row.columnNames) }
                    if rows.count == rowLimit {
                        truncated = true
                        break
                    }
                    rows.append(
                        row.databaseValues.map { v in
                            switch v.storage {
                            case .null: .null
                            case .int64(let i): .integer(i)
                            case .double(let d): .real(d)
                            case .string(let s): .text(s)
                            case .blob: .null
                            }
                        })
                }
                if columns.isEmpty, let statementColumns = try? db.makeStatement(sql: statement.sql).columnNames {
                    columns = statementColumns
                }
                return AnalyticsRows(columns: columns, rows: rows, truncated: truncated)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
            throw MarqueeError(
                .unavailable, code: "query_timeout",
                message: "the query ran past its time limit of \(timeLimit) s; narrow the time range or the grouping")
        } catch {
            throw Self.translate(error, doing: "running an analytics query")
        }
    }
}

/// When a query must stop: read by SQLite's progress handler every 10,000 virtual-machine steps.
final class QueryDeadline: @unchecked Sendable {
    let end: UInt64
    init(seconds: Double) { end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9) }
    var passed: Bool { DispatchTime.now().uptimeNanoseconds >= end }
}
