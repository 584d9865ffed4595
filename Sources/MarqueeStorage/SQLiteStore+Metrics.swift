import Foundation
import GRDB
import MarqueeCore

/// The experiment metrics of `MetricCatalog`, computed from the logs in one read transaction: the units'
/// windows go into a temporary table, and a handful of statements (each grouped by profile) read the event
/// log through `events_by_profile_time`, joining the home and ad decision logs, the ad book, the catalog's
/// genres and the profiles' plans where a metric needs them. Only the statements the asked metrics need run.
extension SQLiteStore: MetricStore {
    public func unitMetrics(
        _ windows: [MetricUnitWindow], metrics: [String], pricing: PlanPricing
    ) async throws
        -> [ProfileID: [String: UnitMetricValue]]
    {
        try MetricCatalog.validate(windows: windows, metrics: metrics, pricing: pricing)
        guard !windows.isEmpty, !metrics.isEmpty else {
            return Dictionary(uniqueKeysWithValues: windows.map { ($0.profileID, [:]) })
        }
        let needs = MetricNeeds(Set(metrics))
        let rows = windows.map {
            MetricWindowRow(profile: $0.profileID.rawValue, from: $0.from.millisecondsSinceEpoch, to: $0.to.millisecondsSinceEpoch)
        }
        let what = "computing \(Wording.count(metrics.count, "metric")) for \(Wording.count(windows.count, "unit"))"
        let facts = try await read(what) { db in
            try Self.metricFacts(rows, needs: needs, db: db)
        }
        var out: [ProfileID: [String: UnitMetricValue]] = [:]
        out.reserveCapacity(windows.count)
        for w in windows {
            let f = facts[w.profileID.rawValue] ?? UnitMetricFacts()
            var values: [String: UnitMetricValue] = [:]
            for key in metrics { values[key] = Self.value(key, facts: f, window: w, pricing: pricing) }
            out[w.profileID] = values
        }
        return out
    }

    static let dayMs: Int64 = 86_400_000

    /// A unit's value of one metric from its facts (see each definition in `MetricCatalog`).
    static func value(_ key: String, facts f: UnitMetricFacts, window w: MetricUnitWindow, pricing: PlanPricing) -> UnitMetricValue {
        switch key {
        case "ad_impressions": return UnitMetricValue(numerator: f.impressions)
        case "ad_clicks": return UnitMetricValue(numerator: f.clicks)
        case "ad_ctr": return UnitMetricValue(numerator: f.clicks, denominator: f.impressions)
        case "advertiser_revenue": return UnitMetricValue(numerator: f.adRevenue)
        case "ads_per_viewing_hour": return UnitMetricValue(numerator: f.impressions, denominator: f.viewingSeconds / 3600)
        case "ad_skips": return UnitMetricValue(numerator: f.skips)
        case "ad_break_abandons": return UnitMetricValue(numerator: f.adBreakAbandons)
        case "viewing_minutes": return UnitMetricValue(numerator: f.viewingSeconds / 60)
        case "sessions": return UnitMetricValue(numerator: f.sessions)
        case "home_starts": return UnitMetricValue(numerator: f.homeStarts)
        case "recommended_viewing_share":
            return UnitMetricValue(numerator: f.recommendedSeconds / 60, denominator: f.viewingSeconds / 60)
        case "time_to_select": return UnitMetricValue(numerator: f.selectSeconds, denominator: f.selectSessions)
        case "distinct_genres": return UnitMetricValue(numerator: f.genres)
        case "active_day_7": return UnitMetricValue(numerator: f.activeDay7 ? 1 : 0)
        case "active_day_28": return UnitMetricValue(numerator: f.activeDay28 ? 1 : 0)
        case "churned": return UnitMetricValue(numerator: f.activeLastDays ? 0 : 1)
        case "revenue_per_viewer":
            let from = w.from.millisecondsSinceEpoch
            let lastSeen = max(from, f.lastEventMs ?? from)
            let until = min(w.to.millisecondsSinceEpoch, lastSeen + Int64(MetricCatalog.churnQuietDays) * dayMs)
            let days = Double(until - from) / Double(dayMs)
            let subscription = f.plan.map { pricing.monthly($0) * days / MetricCatalog.daysPerMonth } ?? 0
            return UnitMetricValue(numerator: subscription + f.adRevenue)
        default: return .zero  // unreachable: the keys were validated
        }
    }

    /// Runs the statements `needs` asks for, inside the caller's read transaction.
    static func metricFacts(_ windows: [MetricWindowRow], needs: MetricNeeds, db: Database) throws -> [String: UnitMetricFacts] {
        // A read-only connection may still write its own temporary tables.
        try db.execute(sql: "DROP TABLE IF EXISTS temp.metric_windows")
        try db.execute(
            sql: """
                CREATE TEMP TABLE metric_windows (
                    profile_id TEXT PRIMARY KEY NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        let insert = try db.makeStatement(sql: "INSERT INTO metric_windows (profile_id, from_ms, to_ms) VALUES (?, ?, ?)")
        for w in windows { try insert.execute(arguments: [w.profile, w.from, w.to]) }

        var facts: [String: UnitMetricFacts] = [:]
        facts.reserveCapacity(windows.count)
        // The windows drive the join (CROSS JOIN keeps them outside): each probes the events index by range.
        let inWindow = """
            metric_windows AS w CROSS JOIN events AS e
                ON e.profile_id = w.profile_id AND e.occurred_at >= w.from_ms AND e.occurred_at < w.to_ms
            """
        let day = dayMs

        if needs.counts {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT w.profile_id, SUM(e.type = 'adImpression'), SUM(e.type = 'adClick'), SUM(e.type = 'adSkip'),
                        COUNT(DISTINCT e.session_id),
                        COUNT(DISTINCT CASE WHEN e.session_id IS NULL THEN (e.occurred_at - w.from_ms) / ? END),
                        MAX(e.occurred_at),
                        MAX(e.occurred_at >= w.from_ms + 7 * ? AND e.occurred_at < w.from_ms + 8 * ?),
                        MAX(e.occurred_at >= w.from_ms + 28 * ? AND e.occurred_at < w.from_ms + 29 * ?),
                        MAX(e.occurred_at >= w.to_ms - ? * ?)
                    FROM \(inWindow)
                    GROUP BY w.profile_id
                    """, arguments: [day, day, day, day, day, MetricCatalog.churnQuietDays, day])
            while let row = try rows.next() {
                let p: String = row[0]
                facts[p, default: UnitMetricFacts()].impressions = row[1]
                facts[p, default: UnitMetricFacts()].clicks = row[2]
                facts[p, default: UnitMetricFacts()].skips = row[3]
                facts[p, default: UnitMetricFacts()].sessions = (row[4] as Double) + (row[5] as Double)
                facts[p, default: UnitMetricFacts()].lastEventMs = row[6]
                facts[p, default: UnitMetricFacts()].activeDay7 = row[7] as Bool
                facts[p, default: UnitMetricFacts()].activeDay28 = row[8] as Bool
                facts[p, default: UnitMetricFacts()].activeLastDays = row[9] as Bool
            }
        }

        if needs.revenue {
            // One charge per (decision, slot), as the delivery ledger charges; impressions without a decision each.
            // Each logged pod's JSON is read once, for the decisions the windows' impressions name.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    WITH impressions AS MATERIALIZED (
                        SELECT e.profile_id AS p, e.seq AS seq, e.decision_id AS decision, COALESCE(e.rank, 0) AS slot,
                            e.creative_id AS creative, ca.cpm_bid_cents AS campaign_cpm
                        FROM \(inWindow)
                        LEFT JOIN creatives AS cr ON cr.id = e.creative_id
                        LEFT JOIN campaigns AS ca ON ca.id = cr.campaign_id
                        WHERE e.type = 'adImpression'
                    ),
                    logged AS MATERIALIZED (
                        SELECT d.id AS decision, json_extract(a.value, '$.slot') AS slot, json_extract(a.value, '$.creativeID') AS creative,
                            json_extract(a.value, '$.cpmCents') AS cpm
                        FROM ad_decisions AS d, json_each(d.doc, '$.ads') AS a
                        WHERE d.id IN (SELECT decision FROM impressions WHERE decision IS NOT NULL)
                    )
                    SELECT p, SUM(cpm) FROM (
                        SELECT i.p AS p, MAX(COALESCE(l.cpm, i.campaign_cpm, 0)) AS cpm
                        FROM impressions AS i
                        LEFT JOIN logged AS l ON l.decision = i.decision AND l.slot = i.slot AND l.creative = i.creative
                        GROUP BY i.p, CASE WHEN i.decision IS NULL THEN 's' || i.seq ELSE 'd' || i.slot || ':' || i.decision END
                    )
                    GROUP BY p
                    """)
            while let row = try rows.next() {
                // A CPM in cents: an impression costs CPM / 1000 cents, CPM / 100,000 dollars.
                facts[row[0], default: UnitMetricFacts()].adRevenue = (row[1] as Double) / 100_000
            }
        }

        if needs.viewing { try viewingFacts(into: &facts, inWindow: inWindow, db: db) }

        if needs.adBreakAbandons {
            // The ad engine's rule (AdDecisionEngine.observe): an adImpression starts an ad in its session,
            // adComplete, adSkip or a counted abandon ends it, and an abandon counts while one is playing,
            // up to its length plus the slack.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT p, COUNT(*) FROM (
                        SELECT e.profile_id AS p, e.type AS type, e.occurred_at AS at,
                            LAG(e.type) OVER session AS previous_type, LAG(e.occurred_at) OVER session AS previous_at,
                            LAG(CAST(COALESCE(e.duration_seconds, cr.duration_seconds) * 1000 AS INTEGER)) OVER session AS previous_length
                        FROM \(inWindow)
                        LEFT JOIN creatives AS cr ON cr.id = e.creative_id
                        WHERE e.session_id IS NOT NULL AND e.type IN ('adImpression', 'adComplete', 'adSkip', 'abandon')
                        WINDOW session AS (PARTITION BY e.profile_id, e.session_id ORDER BY e.occurred_at, e.seq)
                    )
                    WHERE type = 'abandon' AND previous_type = 'adImpression' AND at <= previous_at + previous_length + ?
                    GROUP BY p
                    """, arguments: [MetricCatalog.adBreakAbandonSlackMs])
            while let row = try rows.next() { facts[row[0], default: UnitMetricFacts()].adBreakAbandons = row[1] }
        }

        if needs.timeToSelect {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT p, SUM(first_play - first_event), COUNT(*) FROM (
                        SELECT e.profile_id AS p, MIN(e.occurred_at) AS first_event,
                            MIN(CASE WHEN e.type = 'play' THEN e.occurred_at END) AS first_play
                        FROM \(inWindow)
                        WHERE e.session_id IS NOT NULL
                        GROUP BY e.profile_id, e.session_id
                    )
                    WHERE first_play IS NOT NULL
                    GROUP BY p
                    """)
            while let row = try rows.next() {
                facts[row[0], default: UnitMetricFacts()].selectSeconds = (row[1] as Double) / 1000
                facts[row[0], default: UnitMetricFacts()].selectSessions = row[2]
            }
        }

        if needs.genres {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT e.profile_id, COUNT(DISTINCT lower(g.value))
                    FROM \(inWindow)
                    JOIN titles AS t ON t.id = e.title_id, json_each(t.doc, '$.genres') AS g
                    WHERE e.type = 'play'
                    GROUP BY e.profile_id
                    """)
            while let row = try rows.next() { facts[row[0], default: UnitMetricFacts()].genres = row[1] }
        }

        if needs.plans {
            let rows = try Row.fetchCursor(
                db, sql: "SELECT w.profile_id, p.plan FROM metric_windows AS w JOIN profiles AS p ON p.id = w.profile_id")
            while let row = try rows.next() { facts[row[0], default: UnitMetricFacts()].plan = Plan(rawValue: row[1]) }
        }

        try db.execute(sql: "DROP TABLE temp.metric_windows")
        return facts
    }

    /// Viewing minutes, home starts and the minutes from recommended rows. A viewing is the events of one
    /// (profile, session, title) from a play to the next play of it; the play's source is its own decision id
    /// and row, else those of a click on the title just before it (the previous play-or-click of that title
    /// in the session); the source decision's served item for the title names the row, else the source row.
    static func viewingFacts(into facts: inout [String: UnitMetricFacts], inWindow: String, db: Database) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                WITH v AS (
                    SELECT e.profile_id AS p, e.session_id AS s, e.title_id AS title, e.type AS type,
                        COALESCE(MIN(e.position_seconds, COALESCE(e.duration_seconds, e.position_seconds)),
                            CASE WHEN e.type = 'complete' THEN e.duration_seconds END) AS position,
                        CASE WHEN e.decision_id IS NOT NULL OR e.row_name IS NOT NULL THEN e.decision_id
                            WHEN LAG(e.type) OVER picks = 'click' THEN LAG(e.decision_id) OVER picks END AS source_decision,
                        CASE WHEN e.decision_id IS NOT NULL OR e.row_name IS NOT NULL THEN e.row_name
                            WHEN LAG(e.type) OVER picks = 'click' THEN LAG(e.row_name) OVER picks END AS source_row,
                        SUM(e.type = 'play') OVER (
                            PARTITION BY e.profile_id, e.session_id, e.title_id ORDER BY e.occurred_at, e.seq ROWS UNBOUNDED PRECEDING
                        ) AS viewing
                    FROM \(inWindow)
                    WHERE e.type IN ('play', 'progress', 'complete', 'abandon', 'click')
                    WINDOW picks AS (
                        PARTITION BY e.profile_id, e.session_id, e.title_id, e.type IN ('play', 'click') ORDER BY e.occurred_at, e.seq)
                ),
                viewings AS (
                    SELECT p, title, MAX(type = 'play') AS played, MAX(CASE WHEN type = 'play' THEN COALESCE(position, 0) END) AS start,
                        MIN(position) AS lowest, MAX(position) AS furthest,
                        MAX(CASE WHEN type = 'play' THEN source_decision END) AS source_decision,
                        MAX(CASE WHEN type = 'play' THEN source_row END) AS source_row
                    FROM v
                    GROUP BY p, s, title, viewing
                )
                SELECT viewings.p, viewings.title, played, start, lowest, furthest, source_decision, source_row, h.items
                FROM viewings LEFT JOIN home_decisions AS h ON h.decision_id = viewings.source_decision
                """)
        var pages: [String: [ServedItem]] = [:]
        while let row = try rows.next() {
            let profile: String = row[0]
            let title: String = row[1]
            let played: Bool = row[2]
            let furthest: Double? = row[5]
            let seconds: Double
            if played {
                let start: Double = row[3]
                seconds = max(0, (furthest ?? start) - start)
            } else if let furthest, let lowest = row[4] as Double? {
                // A play before the window: what its positions inside it cover.
                seconds = furthest - lowest
            } else {
                continue  // clicks without a play
            }
            var f = facts[profile] ?? UnitMetricFacts()
            f.viewingSeconds += seconds
            if played {
                let decision: String? = row[6]
                let sourceRow: String? = row[7]
                if decision != nil || sourceRow != nil { f.homeStarts += 1 }
                var rowID: String?
                if let decision, !row.hasNull(atIndex: 8) {
                    if pages[decision] == nil { pages[decision] = try decodeStoredItems(row[8]) }
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

/// One unit's window as the temporary table holds it.
struct MetricWindowRow: Sendable {
    var profile: String
    var from: Int64
    var to: Int64
}

/// Which statements the asked metrics need.
struct MetricNeeds: Sendable {
    var counts, revenue, viewing, adBreakAbandons, timeToSelect, genres, plans: Bool

    init(_ keys: Set<String>) {
        func any(_ names: String...) -> Bool { names.contains(where: keys.contains) }
        counts = any(
            "ad_impressions", "ad_clicks", "ad_ctr", "ad_skips", "ads_per_viewing_hour", "sessions", "active_day_7", "active_day_28",
            "churned", "revenue_per_viewer")
        revenue = any("advertiser_revenue", "revenue_per_viewer")
        viewing = any("viewing_minutes", "ads_per_viewing_hour", "home_starts", "recommended_viewing_share")
        adBreakAbandons = any("ad_break_abandons")
        timeToSelect = any("time_to_select")
        genres = any("distinct_genres")
        plans = any("revenue_per_viewer")
    }
}

/// What the statements found for one unit; a unit they did not mention did nothing.
struct UnitMetricFacts: Sendable {
    var impressions = 0.0
    var clicks = 0.0
    var skips = 0.0
    var sessions = 0.0
    var lastEventMs: Int64?
    var activeDay7 = false
    var activeDay28 = false
    /// Whether the unit had an event in its window's last `MetricCatalog.churnQuietDays` days.
    var activeLastDays = false
    var adRevenue = 0.0
    var viewingSeconds = 0.0
    var recommendedSeconds = 0.0
    var homeStarts = 0.0
    var adBreakAbandons = 0.0
    var selectSeconds = 0.0
    var selectSessions = 0.0
    var genres = 0.0
    var plan: Plan?
}
