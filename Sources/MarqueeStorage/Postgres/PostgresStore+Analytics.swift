import Foundation
import MarqueeCore
import PostgresNIO

/// The analytics layer's side of the PostgreSQL store: the ad facts, folded from the logs, and read-only queries
/// with a time limit and a row limit (see `AnalyticsStore`).
///
/// The fold's position is a transaction id, not a `seq` (on `seq`, a transaction committing after a later one
/// would be skipped): a refresh folds every committed log row written by a transaction with an id at or above
/// its cursor, then moves the cursor to the reading snapshot's xmin. Every transaction below the xmin has ended,
/// and one still running has an id at or above it, so its rows are met by a later refresh; rows between the
/// xmin and the newest are met again and skipped (the source row is the fact's key). The cursors' rows are
/// locked, so refreshes from several processes fold each row once. One difference from SQLite remains: the
/// impression of a (decision, slot) charged is the first by `seq` among those folded, so two impressions of
/// one slot committing out of order could both be charged (a replayed beacon racing its original).
extension PostgresStore: AnalyticsStore {
    public var analyticsDialect: AnalyticsDialect { .postgresql }

    public func refreshAnalyticsFacts() async throws -> Int {
        try await transaction("refreshing the analytics facts") { connection in
            var cursors: [Int: Int64] = [:]
            for try await (source, txid) in try await connection.query(
                "SELECT source, txid FROM analytics_cursors ORDER BY source FOR UPDATE", logger: self.logger
            ).decode((Int, Int64).self) {
                cursors[source] = txid
            }
            var horizon: Int64 = 0
            for try await xmin in try await connection.query(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", logger: self.logger
            ).decode(Int64.self) {
                horizon = xmin
            }
            var added = 0
            for (source, sql) in [(0, Self.eventFactsSQL), (1, Self.contextualFactsSQL)] {
                let from = cursors[source] ?? 0
                var bindings = PostgresBindings()
                bindings.append(from)
                for try await n in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: self.logger)
                    .decode(Int64.self)
                {
                    added += Int(n)
                }
                if horizon > from {
                    try await connection.query(
                        "UPDATE analytics_cursors SET txid = \(horizon) WHERE source = \(source)", logger: self.logger)
                }
            }
            return added
        }
    }

    /// The dimensions every fact takes from the ad event `e`, its decision `d` and the pod's entry `a` (see
    /// `SQLiteStore`'s): the logged JSON read with jsonb operators.
    private static func factDimensions(plan: String, title: String, genre: String, daypart: String) -> String {
        """
        e.decision_id, COALESCE(e.rank, 0) + 1,
        ca.id, ca.advertiser_id, e.creative_id,
        COALESCE(e.device, d.doc::jsonb ->> 'device'),
        COALESCE(e.region, d.doc::jsonb ->> 'region'),
        COALESCE(d.doc::jsonb ->> 'plan', \(plan)),
        COALESCE(d.title_id, \(title)),
        lower(COALESCE(d.doc::jsonb -> 'contentGenres' ->> 0, \(genre))),
        COALESCE(d.doc::jsonb ->> 'daypart', \(daypart)),
        d.doc::jsonb ->> 'breakKind'
        """
    }

    /// The pod's entry for the event's slot and creative, and the campaign (the pod's, else the event's, else the creative's).
    private static let podJoins = """
        LEFT JOIN ad_decisions AS d ON d.id = e.decision_id
        LEFT JOIN LATERAL jsonb_array_elements(d.doc::jsonb -> 'ads') AS a (value)
            ON (a.value ->> 'slot')::int = COALESCE(e.rank, 0) AND a.value ->> 'creativeID' = e.creative_id
        LEFT JOIN creatives AS cr ON cr.id = e.creative_id
        LEFT JOIN campaigns AS ca ON ca.id = COALESCE(a.value ->> 'campaignID', e.campaign_id, cr.campaign_id)
        """

    static let factColumns = """
        source, seq, occurred_at, profile_key, decision_id, pod_position, campaign_id, advertiser_id, creative_id, device, region, \
        plan, title_id, genre, daypart, break_kind, impressions, clicks, completions, skips, abandons, spend_millicents
        """

    /// Facts from the event log: the rows of transactions from $1 on (see `SQLiteStore.eventFactsSQL` for the rules).
    static let eventFactsSQL = """
        WITH src AS (
            SELECT e.seq AS seq, e.occurred_at AS at, e.type AS type, e.seq AS ad FROM events AS e
            WHERE e.txid >= $1 AND e.type IN ('adImpression', 'adClick', 'adComplete', 'adSkip')
            UNION ALL
            SELECT x.seq, x.occurred_at, 'abandon', i.seq FROM events AS x
            JOIN events AS i ON i.seq = (
                SELECT p.seq FROM events AS p
                WHERE p.profile_id = x.profile_id AND p.session_id = x.session_id
                    AND p.type IN ('adImpression', 'adComplete', 'adSkip', 'abandon')
                    AND (p.occurred_at < x.occurred_at OR (p.occurred_at = x.occurred_at AND p.seq < x.seq))
                ORDER BY p.occurred_at DESC, p.seq DESC LIMIT 1)
            LEFT JOIN creatives AS icr ON icr.id = i.creative_id
            WHERE x.txid >= $1 AND x.type = 'abandon' AND x.session_id IS NOT NULL AND i.type = 'adImpression'
                AND x.occurred_at <= i.occurred_at + trunc(COALESCE(i.duration_seconds, icr.duration_seconds) * 1000)::bigint
                    + \(MetricCatalog.adBreakAbandonSlackMs)
        ),
        inserted AS (
            INSERT INTO ad_facts (\(factColumns))
            SELECT 0, s.seq, s.at, e.profile_id, \(factDimensions(
                plan: "(SELECT plan FROM profiles WHERE id = e.profile_id)", title: "e.title_id",
                genre: "(SELECT t.doc -> 'genres' ->> 0 FROM titles AS t WHERE t.id = COALESCE(d.title_id, e.title_id))",
                daypart: SQLiteStore.localDaypart("e.occurred_at", offset: "e.local_offset_minutes"))),
                (s.type = 'adImpression')::int, (s.type = 'adClick')::int, (s.type = 'adComplete')::int, (s.type = 'adSkip')::int,
                (s.type = 'abandon')::int,
                CASE WHEN s.type = 'adImpression' AND (e.decision_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM events AS o WHERE o.decision_id = e.decision_id AND COALESCE(o.rank, 0) = COALESCE(e.rank, 0)
                            AND o.type = 'adImpression' AND o.seq < e.seq))
                    THEN COALESCE((a.value ->> 'cpmCents')::bigint, ca.cpm_bid_cents, 0) ELSE 0 END
            FROM src AS s
            JOIN events AS e ON e.seq = s.ad
            \(podJoins)
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT COUNT(*) FROM inserted
        """

    /// Facts from the contextual ad events (viewers without a profile), written by transactions from $1 on.
    static let contextualFactsSQL = """
        WITH inserted AS (
            INSERT INTO ad_facts (\(factColumns))
            SELECT 1, e.seq, e.occurred_at, e.profile_key, \(factDimensions(
                plan: "NULL", title: "NULL", genre: "(SELECT t.doc -> 'genres' ->> 0 FROM titles AS t WHERE t.id = d.title_id)",
                daypart: SQLiteStore.localDaypart("e.occurred_at", offset: "0"))),
                (e.type = 'adImpression')::int, (e.type = 'adClick')::int, (e.type = 'adComplete')::int, (e.type = 'adSkip')::int, 0,
                CASE WHEN e.type = 'adImpression' AND (e.decision_id IS NULL OR NOT EXISTS (
                        SELECT 1 FROM contextual_ad_events AS o WHERE o.decision_id = e.decision_id
                            AND COALESCE(o.rank, 0) = COALESCE(e.rank, 0) AND o.type = 'adImpression' AND o.seq < e.seq))
                    THEN COALESCE((a.value ->> 'cpmCents')::bigint, ca.cpm_bid_cents, 0) ELSE 0 END
            FROM contextual_ad_events AS e
            \(podJoins)
            WHERE e.txid >= $1 AND e.type IN ('adImpression', 'adClick', 'adComplete', 'adSkip')
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT COUNT(*) FROM inserted
        """

    /// Runs a statement in a read-only transaction with `statement_timeout` set to the time limit; at most
    /// `rowLimit` rows are read (the statement is wrapped in a LIMIT one past it, to tell a truncation).
    public func analyticsQuery(_ statement: AnalyticsStatement, timeLimit: Double, rowLimit: Int) async throws -> AnalyticsRows {
        guard timeLimit > 0, rowLimit > 0 else {
            throw MarqueeError.invalidValue(field: "limits", reason: "the time and row limits must be positive")
        }
        var bindings = PostgresBindings()
        for value in statement.arguments {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let i): bindings.append(i)
            case .real(let d): bindings.append(d)
            case .text(let s): bindings.append(s)
            }
        }
        let query = PostgresQuery(
            unsafeSQL: "SELECT * FROM (\(statement.sql)) AS analytics_statement LIMIT \(rowLimit + 1)", binds: bindings)
        let milliseconds = max(1, Int((timeLimit * 1000).rounded(.up)))
        do {
            return try await transaction("running an analytics query") { connection in
                try await connection.query("SET TRANSACTION READ ONLY", logger: self.logger)
                try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = \(milliseconds)"), logger: self.logger)
                var columns: [String] = []
                var rows: [[AnalyticsValue]] = []
                var truncated = false
                for row in try await connection.query(query, logger: self.logger).collect() {
                    if columns.isEmpty { columns = row.map(\.columnName) }
                    if rows.count == rowLimit {
                        truncated = true
                        break
                    }
                    rows.append(try row.map(Self.analyticsValue))
                }
                return AnalyticsRows(columns: columns, rows: rows, truncated: truncated)
            }
        } catch let error as MarqueeError where error.cause.flatMap(Self.sqlState) == "57014" {
            throw MarqueeError(
                .unavailable, code: "query_timeout",
                message: "the query ran past its time limit of \(timeLimit) s; narrow the time range or the grouping")
        }
    }

    /// A cell as an analytics value: integers, reals (numeric too), text; booleans as 0 or 1.
    static func analyticsValue(_ cell: PostgresCell) throws -> AnalyticsValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            return .real(NSDecimalNumber(decimal: decimal).doubleValue)
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return (try? cell.decode(String.self)).map(AnalyticsValue.text) ?? .null
        }
    }
}
