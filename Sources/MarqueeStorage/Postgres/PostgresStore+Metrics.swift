import Foundation
import MarqueeCore
import PostgresNIO

/// The experiment metrics of `MetricCatalog` on PostgreSQL: the SQLite store's statements (see
/// SQLiteStore+Metrics.swift), in PostgreSQL's SQL, run in one read-only repeatable-read transaction so that
/// they all see one snapshot of the logs. The units' windows are bound as three arrays (`w`), each window
/// probing the events' primary key (profile, time) by range. Differences from SQLite's SQL, kept equivalent:
/// booleans are summed as integers, SQLite's two-argument MIN (NULL when either is) is a CASE over LEAST,
/// lengths in milliseconds are truncated (SQLite's CAST), sums of integers are read as doubles.
extension PostgresStore: MetricStore {
    public func unitMetrics(
        _ windows: [MetricUnitWindow], metrics: [String], pricing: PlanPricing
    ) async throws -> [ProfileID: [String: UnitMetricValue]] {
        try MetricCatalog.validate(windows: windows, metrics: metrics, pricing: pricing)
        guard !windows.isEmpty, !metrics.isEmpty else {
            return Dictionary(uniqueKeysWithValues: windows.map { ($0.profileID, [:]) })
        }
        let needs = MetricNeeds(Set(metrics))
        let what = "computing \(Wording.count(metrics.count, "metric")) for \(Wording.count(windows.count, "unit"))"
        let facts = try await transaction(what) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
            return try await self.metricFacts(windows, needs: needs, on: connection)
        }
        var out: [ProfileID: [String: UnitMetricValue]] = [:]
        out.reserveCapacity(windows.count)
        for w in windows {
            let f = facts[w.profileID.rawValue] ?? UnitMetricFacts()
            var values: [String: UnitMetricValue] = [:]
            for key in metrics { values[key] = SQLiteStore.value(key, facts: f, window: w, pricing: pricing) }
            out[w.profileID] = values
        }
        return out
    }

    /// Runs the statements `needs` asks for.
    func metricFacts(
        _ windows: [MetricUnitWindow], needs: MetricNeeds, on connection: PostgresConnection
    ) async throws -> [String:
        UnitMetricFacts]
    {
        var bindings = PostgresBindings()
        bindings.append(windows.map(\.profileID.rawValue))
        bindings.append(windows.map(\.from.millisecondsSinceEpoch))
        bindings.append(windows.map(\.to.millisecondsSinceEpoch))
        let withWindows = """
            WITH w AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS w (profile_id, from_ms, to_ms))
            """
        let inWindow = "w JOIN events AS e ON e.profile_id = w.profile_id AND e.occurred_at >= w.from_ms AND e.occurred_at < w.to_ms"
        // A bigint: 28 days in milliseconds overflow an integer.
        let day = "\(SQLiteStore.dayMs)::bigint"
        func query(_ sql: String) async throws -> [PostgresRandomAccessRow] {
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).collect().map {
                $0.makeRandomAccess()
            }
        }
        var facts: [String: UnitMetricFacts] = [:]
        facts.reserveCapacity(windows.count)

        if needs.counts {
            for r in try await query(
                """
                \(withWindows)
                SELECT w.profile_id, SUM((e.type = 'adImpression')::int)::float8, SUM((e.type = 'adClick')::int)::float8,
                    SUM((e.type = 'adSkip')::int)::float8, COUNT(DISTINCT e.session_id)::float8,
                    COUNT(DISTINCT CASE WHEN e.session_id IS NULL THEN (e.occurred_at - w.from_ms) / \(day) END)::float8,
                    MAX(e.occurred_at),
                    BOOL_OR(e.occurred_at >= w.from_ms + 7 * \(day) AND e.occurred_at < w.from_ms + 8 * \(day)),
                    BOOL_OR(e.occurred_at >= w.from_ms + 28 * \(day) AND e.occurred_at < w.from_ms + 29 * \(day)),
                    BOOL_OR(e.occurred_at >= w.to_ms - \(MetricCatalog.churnQuietDays) * \(day))
                FROM \(inWindow)
                GROUP BY w.profile_id
                """)
            {
                let p: String = try r.value(0)
                facts[p, default: UnitMetricFacts()].impressions = try r.value(1)
                facts[p, default: UnitMetricFacts()].clicks = try r.value(2)
                facts[p, default: UnitMetricFacts()].skips = try r.value(3)
                facts[p, default: UnitMetricFacts()].sessions = try r.value(4, as: Double.self) + r.value(5, as: Double.self)
                facts[p, default: UnitMetricFacts()].lastEventMs = try r.value(6)
                facts[p, default: UnitMetricFacts()].activeDay7 = try r.value(7)
                facts[p, default: UnitMetricFacts()].activeDay28 = try r.value(8)
                facts[p, default: UnitMetricFacts()].activeLastDays = try r.value(9)
            }
        }

        if needs.revenue {
            // One charge per (decision, slot), as the delivery ledger charges; impressions without a decision each.
            for r in try await query(
                """
                \(withWindows),
                impressions AS MATERIALIZED (
                    SELECT e.profile_id AS p, e.seq AS seq, e.decision_id AS decision, COALESCE(e.rank, 0) AS slot,
                        e.creative_id AS creative, ca.cpm_bid_cents AS campaign_cpm
                    FROM \(inWindow)
                    LEFT JOIN creatives AS cr ON cr.id = e.creative_id
                    LEFT JOIN campaigns AS ca ON ca.id = cr.campaign_id
                    WHERE e.type = 'adImpression'
                ),
                logged AS MATERIALIZED (
                    SELECT d.id AS decision, (a.value ->> 'slot')::int AS slot, a.value ->> 'creativeID' AS creative,
                        (a.value ->> 'cpmCents')::bigint AS cpm
                    FROM ad_decisions AS d CROSS JOIN LATERAL jsonb_array_elements(d.doc::jsonb -> 'ads') AS a (value)
                    WHERE d.id IN (SELECT decision FROM impressions WHERE decision IS NOT NULL)
                )
                SELECT p, SUM(cpm)::float8 FROM (
                    SELECT i.p AS p, MAX(COALESCE(l.cpm, i.campaign_cpm, 0)) AS cpm
                    FROM impressions AS i
                    LEFT JOIN logged AS l ON l.decision = i.decision AND l.slot = i.slot AND l.creative = i.creative
                    GROUP BY i.p, CASE WHEN i.decision IS NULL THEN 's' || i.seq ELSE 'd' || i.slot || ':' || i.decision END
                ) AS charged
                GROUP BY p
                """)
            {
                // A CPM in cents: an impression costs CPM / 1000 cents, CPM / 100,000 dollars.
                facts[try r.value(0), default: UnitMetricFacts()].adRevenue = try r.value(1, as: Double.self) / 100_000
            }
        }

        if needs.viewing { try await viewingFacts(into: &facts, query: query, withWindows: withWindows, inWindow: inWindow) }

        if needs.adBreakAbandons {
            for r in try await query(
                """
                \(withWindows)
                SELECT p, COUNT(*)::float8 FROM (
                    SELECT e.profile_id AS p, e.type AS type, e.occurred_at AS at,
                        LAG(e.type) OVER session AS previous_type, LAG(e.occurred_at) OVER session AS previous_at,
                        LAG(trunc(COALESCE(e.duration_seconds, cr.duration_seconds) * 1000)::bigint) OVER session AS previous_length
                    FROM \(inWindow)
                    LEFT JOIN creatives AS cr ON cr.id = e.creative_id
                    WHERE e.session_id IS NOT NULL AND e.type IN ('adImpression', 'adComplete', 'adSkip', 'abandon')
                    WINDOW session AS (PARTITION BY e.profile_id, e.session_id ORDER BY e.occurred_at, e.seq)
                ) AS ordered
                WHERE type = 'abandon' AND previous_type = 'adImpression'
                    AND at <= previous_at + previous_length + \(MetricCatalog.adBreakAbandonSlackMs)
                GROUP BY p
                """)
            {
                facts[try r.value(0), default: UnitMetricFacts()].adBreakAbandons = try r.value(1)
            }
        }

        if needs.timeToSelect {
            for r in try await query(
                """
                \(withWindows)
                SELECT p, SUM(first_play - first_event)::float8, COUNT(*)::float8 FROM (
                    SELECT e.profile_id AS p, MIN(e.occurred_at) AS first_event,
                        MIN(CASE WHEN e.type = 'play' THEN e.occurred_at END) AS first_play
                    FROM \(inWindow)
                    WHERE e.session_id IS NOT NULL
                    GROUP BY e.profile_id, e.session_id
                ) AS sessions
                WHERE first_play IS NOT NULL
                GROUP BY p
                """)
            {
                let p: String = try r.value(0)
                facts[p, default: UnitMetricFacts()].selectSeconds = try r.value(1, as: Double.self) / 1000
                facts[p, default: UnitMetricFacts()].selectSessions = try r.value(2)
            }
        }

        if needs.genres {
            for r in try await query(
                """
                \(withWindows)
                SELECT e.profile_id, COUNT(DISTINCT lower(g.value))::float8
                FROM \(inWindow)
                JOIN titles AS t ON t.id = e.title_id
                CROSS JOIN LATERAL jsonb_array_elements_text(t.doc -> 'genres') AS g (value)
                WHERE e.type = 'play'
                GROUP BY e.profile_id
                """)
            {
                facts[try r.value(0), default: UnitMetricFacts()].genres = try r.value(1)
            }
        }

        if needs.plans {
            for r in try await query("\(withWindows) SELECT w.profile_id, p.plan FROM w JOIN profiles AS p ON p.id = w.profile_id") {
                facts[try r.value(0), default: UnitMetricFacts()].plan = Plan(rawValue: try r.value(1))
            }
        }
        return facts
    }

    /// Viewing minutes, home starts and the minutes from recommended rows (see `SQLiteStore.viewingFacts`).
    func viewingFacts(
        into facts: inout [String: UnitMetricFacts], query: (String) async throws -> [PostgresRandomAccessRow], withWindows: String,
        inWindow: String
    ) async throws {
        let rows = try await query(
            """
            \(withWindows),
            v AS (
                SELECT e.profile_id AS p, e.session_id AS s, e.title_id AS title, e.type AS type,
                    COALESCE(
                        CASE WHEN e.position_seconds IS NOT NULL
                            THEN LEAST(e.position_seconds, COALESCE(e.duration_seconds, e.position_seconds)) END,
                        CASE WHEN e.type = 'complete' THEN e.duration_seconds END) AS position,
                    CASE WHEN e.decision_id IS NOT NULL OR e.row_name IS NOT NULL THEN e.decision_id
                        WHEN LAG(e.type) OVER picks = 'click' THEN LAG(e.decision_id) OVER picks END AS source_decision,
                    CASE WHEN e.decision_id IS NOT NULL OR e.row_name IS NOT NULL THEN e.row_name
                        WHEN LAG(e.type) OVER picks = 'click' THEN LAG(e.row_name) OVER picks END AS source_row,
                    SUM((e.type = 'play')::int) OVER (
                        PARTITION BY e.profile_id, e.session_id, e.title_id ORDER BY e.occurred_at, e.seq ROWS UNBOUNDED PRECEDING
                    ) AS viewing
                FROM \(inWindow)
                WHERE e.type IN ('play', 'progress', 'complete', 'abandon', 'click')
                WINDOW picks AS (
                    PARTITION BY e.profile_id, e.session_id, e.title_id, e.type IN ('play', 'click') ORDER BY e.occurred_at, e.seq)
            ),
            viewings AS (
                SELECT p, title, BOOL_OR(type = 'play') AS played,
                    MAX(CASE WHEN type = 'play' THEN COALESCE(position, 0) END) AS start,
                    MIN(position) AS lowest, MAX(position) AS furthest,
                    MAX(CASE WHEN type = 'play' THEN source_decision END) AS source_decision,
                    MAX(CASE WHEN type = 'play' THEN source_row END) AS source_row
                FROM v
                GROUP BY p, s, title, viewing
            )
            SELECT viewings.p, viewings.title, played, start, lowest, furthest, source_decision, source_row, h.items
            FROM viewings
            LEFT JOIN home_decisions AS h ON h.profile_id = viewings.p AND h.decision_id = viewings.source_decision
            """)
        var pages: [String: [ServedItem]] = [:]
        for row in rows {
            let profile: String = try row.value(0)
            let title: String = try row.value(1)
            let played: Bool = try row.value(2)
            let furthest: Double? = try row.value(5)
            let seconds: Double
            if played {
                let start: Double = try row.value(3)
                seconds = max(0, (furthest ?? start) - start)
            } else if let furthest, let lowest = try row.value(4, as: Double?.self) {
                // A play before the window: what its positions inside it cover.
                seconds = furthest - lowest
            } else {
                continue  // clicks without a play
            }
            var f = facts[profile] ?? UnitMetricFacts()
            f.viewingSeconds += seconds
            if played {
                let decision: String? = try row.value(6)
                let sourceRow: String? = try row.value(7)
                if decision != nil || sourceRow != nil { f.homeStarts += 1 }
                var rowID: String?
                if let decision, let items = try row.value(8, as: Data?.self) {
                    if pages[decision] == nil { pages[decision] = try HomeDecisionCoding.decode([UInt8](items)) }
                    rowID = pages[decision]?.first(where: { $0.titleID.rawValue == title })?.rowID
                }
                if let kind = (rowID ?? sourceRow).flatMap(RowKind.init(rowID:)), MetricCatalog.recommendedRowKinds.contains(kind) {
                    f.recommendedSeconds += seconds
                }
            }
            facts[profile] = f
        }
    }
}
