import Foundation
import GRDB
import MarqueeCore
import MarqueeStorage
import Testing

/// The demo world the analytics tests ask about: generated once per test process by the built `marquee demo
/// --generate-only`, its ad facts brought up to date once (so nothing the tests run writes them again), and
/// `now` chosen from its data. Every date the tests use comes from the data or from `now`, never from the
/// wall clock, since the demo places its world relative to the day it is generated on.
struct AnalyticsWorld: Sendable {
    /// The demo's size: the default world (3000 profiles, 300 titles, 28 days of history, 7 days of simulated
    /// ad breaks). A debug build generates it in about a minute and a half on an idle machine.
    static let demoOptions: [String] = []

    let path: String
    /// Noon UTC of the day of the last ad impression (the next noon if any ad event falls after it): every
    /// event is before it, "today" and "this week" hold ads, and "yesterday" is a full day of ads.
    let now: Timestamp
    let oracle: AnalyticsOracle
    /// Wall-clock seconds `marquee demo --generate-only` took.
    let generationSeconds: Double

    static func shared() async throws -> AnalyticsWorld { try await building.value }

    private static let building = Task<AnalyticsWorld, any Error> { try await build() }

    /// Where the worlds of this process live (removed when the process exits).
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-analytics-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: AnalyticsWorld.directory) }
        return dir
    }()

    private static func build() async throws -> AnalyticsWorld {
        let path = directory.appendingPathComponent("world.sqlite").path
        let started = Date()
        let generated = try await CLI.runOffPool(["demo", "--generate-only", "--db", path] + demoOptions, timeout: 900)
        guard generated.status == 0 else { throw CLIError("marquee demo failed: \(generated.stderr.suffix(2000))") }
        let seconds = Date().timeIntervalSince(started)
        // The facts are derived now, once: the tests' readers and the `marquee ask` runs then find them current.
        let store = try SQLiteStore(path: path)
        _ = try await store.refreshAnalyticsFacts()
        try store.close()
        let (oracle, now) = try await offThePool { () throws -> (AnalyticsOracle, Timestamp) in
            try checkpoint(path)
            let oracle = try AnalyticsOracle(path: path)
            let now = try oracle.chooseNow()
            oracle.now = now
            return (oracle, now)
        }
        print("analytics world: \(path), generated in \(String(format: "%.1f", seconds)) s, now = \(now.iso8601)")
        return AnalyticsWorld(path: path, now: now, oracle: oracle, generationSeconds: seconds)
    }

    /// Folds the write-ahead log into the file, so that a byte copy of the file alone is the whole store.
    static func checkpoint(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
    }

    /// A private copy of the world's file, for a test that must see every byte it changes.
    func copy(named name: String) throws -> String {
        let target = Self.directory.appendingPathComponent(name).path
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: target + suffix) {
            try FileManager.default.removeItem(atPath: target + suffix)
        }
        try FileManager.default.copyItem(atPath: path, toPath: target)
        return target
    }
}

/// A group of a breakdown: the dimension's value (an id for entities), its name, the measure, its viewers.
struct OracleGroup: Sendable, Hashable {
    var key: String
    var name: String
    var value: Double?
    var viewers: Int
}

/// What a number is computed over: a time range [from, to) in ms (nil: unbounded) and filters by dimension
/// (semantic-layer keys; values are ids for entities).
struct OracleScope: Sendable, Hashable {
    var from: Int64?
    var to: Int64?
    var only: [String: [String]] = [:]
    var except: [String: [String]] = [:]
    /// Dimensions whose value is NULL (a group of facts without it).
    var missing: Set<String> = []

    init(from: Int64? = nil, to: Int64? = nil, only: [String: [String]] = [:], except: [String: [String]] = [:]) {
        self.from = from
        self.to = to
        self.only = only
        self.except = except
    }

    init(_ range: (Int64, Int64)?, only: [String: [String]] = [:]) {
        self.init(from: range?.0, to: range?.1, only: only)
    }

    func with(_ dimension: String, _ values: String...) -> OracleScope {
        var s = self
        s.only[dimension] = values
        return s
    }
}

/// A fact measure: its definition as an aggregate over the oracle's facts `ev`.
struct OracleMeasure: Sendable, Hashable {
    /// The semantic layer's key.
    var key: String
    var sql: String
}

/// Expected values for the analytics tests, computed with SQL written here from the raw tables (`events`,
/// `contextual_ad_events`, `ad_decisions`, the ad book, `profiles`, `titles`), never from `ad_facts` or the
/// analytics code. It derives its own table of ad facts, `ev` (a TEMP table: the store's file is opened
/// read-only), one row per counted event, by the definitions the analytics brief gives:
///
/// - kinds: impression, click, completion, skip (adImpression, adClick, adComplete, adSkip of the event log and
///   of the contextual log), and abandon: an `abandon` whose previous event of the same (profile, session)
///   among adImpression/adComplete/adSkip/abandon, by time then seq, is an adImpression at most its length
///   (the event's duration, else the creative's) + 5 s earlier; it takes that impression's dimensions;
/// - campaign: the pod entry's (same slot and creative), else the event's, else the creative's; advertiser:
///   the campaign's; device and region: the event's, else the pod's; plan: the pod's, else the profile's;
///   title: the pod's, else the event's; genre: the pod's first content genre, else the title's first, lower
///   case; daypart: the pod's, else from the UTC hour plus the event's offset; break kind: the pod's; pod
///   position: slot + 1;
/// - the charge (CPM cents) of an impression: the first impression (by time, then log, then seq) of each
///   (decision, slot) pays the pod entry's cpmCents, else the campaign's bid; impressions without a decision
///   each pay.
final class AnalyticsOracle: @unchecked Sendable {
    let queue: DatabaseQueue
    /// The clock of the book measures (budget, pacing); set once, before any test reads it.
    var now = Timestamp(millisecondsSinceEpoch: 0)

    init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.inDatabase { db in
            try db.execute(sql: Self.factsSQL)
            try db.execute(sql: Self.abandonsSQL)
        }
    }

    static let factsSQL = """
        CREATE TEMP TABLE ev AS
        WITH ad AS (
            SELECT 0 AS log, seq, type, occurred_at AS at, profile_id AS viewer, decision_id, COALESCE(rank, 0) AS slot,
                creative_id, campaign_id AS event_campaign, device, region, title_id AS event_title, local_offset_minutes AS offset_minutes,
                duration_seconds
            FROM main.events WHERE type IN ('adImpression', 'adClick', 'adComplete', 'adSkip')
            UNION ALL
            SELECT 1, seq, type, occurred_at, profile_key, decision_id, COALESCE(rank, 0), creative_id, campaign_id, device, region, NULL, 0,
                NULL
            FROM main.contextual_ad_events WHERE type IN ('adImpression', 'adClick', 'adComplete', 'adSkip')
        ),
        placed AS (
            SELECT ad.*, d.doc AS pod, d.title_id AS pod_title,
                (SELECT entry.value FROM json_each(d.doc, '$.ads') AS entry
                 WHERE json_extract(entry.value, '$.slot') = ad.slot AND json_extract(entry.value, '$.creativeID') = ad.creative_id
                 LIMIT 1) AS entry
            FROM ad LEFT JOIN main.ad_decisions AS d ON d.id = ad.decision_id
        ),
        resolved AS (
            SELECT placed.*, COALESCE(json_extract(entry, '$.campaignID'), event_campaign, cr.campaign_id) AS campaign,
                COALESCE(placed.duration_seconds, cr.duration_seconds) AS ad_seconds
            FROM placed LEFT JOIN main.creatives AS cr ON cr.id = placed.creative_id
        ),
        dimensioned AS (
            SELECT r.*, c.advertiser_id AS advertiser, c.cpm_bid_cents AS bid,
                COALESCE(r.pod_title, r.event_title) AS title,
                (((r.at / 1000 + COALESCE(r.offset_minutes, 0) * 60) % 86400 + 86400) % 86400) / 3600 AS local_hour
            FROM resolved AS r LEFT JOIN main.campaigns AS c ON c.id = r.campaign
        )
        SELECT x.log, x.seq,
            CASE x.type WHEN 'adImpression' THEN 'impression' WHEN 'adClick' THEN 'click' WHEN 'adComplete' THEN 'completion'
                ELSE 'skip' END AS kind,
            x.at, x.viewer, x.campaign, x.advertiser, x.creative_id AS creative,
            COALESCE(x.device, json_extract(x.pod, '$.device')) AS device,
            COALESCE(x.region, json_extract(x.pod, '$.region')) AS region,
            COALESCE(json_extract(x.pod, '$.plan'), (SELECT p.plan FROM main.profiles AS p WHERE p.id = x.viewer AND x.log = 0)) AS plan,
            x.title,
            lower(COALESCE(json_extract(x.pod, '$.contentGenres[0]'),
                (SELECT json_extract(t.doc, '$.genres[0]') FROM main.titles AS t WHERE t.id = x.title))) AS genre,
            COALESCE(json_extract(x.pod, '$.daypart'),
                CASE WHEN x.local_hour >= 5 AND x.local_hour < 12 THEN 'morning' WHEN x.local_hour >= 12 AND x.local_hour < 17 THEN 'afternoon'
                    WHEN x.local_hour >= 17 AND x.local_hour < 22 THEN 'evening' ELSE 'late-night' END) AS daypart,
            json_extract(x.pod, '$.breakKind') AS break_kind,
            x.slot + 1 AS pod_position,
            x.ad_seconds,
            CASE WHEN x.type = 'adImpression'
                    AND (x.decision_id IS NULL
                        OR ROW_NUMBER() OVER (PARTITION BY x.decision_id, x.slot, x.type ORDER BY x.at, x.log, x.seq) = 1)
                THEN COALESCE(json_extract(x.entry, '$.cpmCents'), x.bid, 0) ELSE 0 END AS charge_cents
        FROM dimensioned AS x
        """

    /// Abandons during breaks, with the dimensions of the impression they interrupted.
    static let abandonsSQL = """
        INSERT INTO ev
        SELECT 0, a.seq, 'abandon', a.occurred_at, a.profile_id, i.campaign, i.advertiser, i.creative, i.device, i.region, i.plan, i.title,
            i.genre, i.daypart, i.break_kind, i.pod_position, i.ad_seconds, 0
        FROM (
            SELECT seq, type, occurred_at, profile_id,
                LAG(type) OVER session AS before_type, LAG(seq) OVER session AS before_seq, LAG(occurred_at) OVER session AS before_at
            FROM main.events
            WHERE type IN ('adImpression', 'adComplete', 'adSkip', 'abandon') AND session_id IS NOT NULL
            WINDOW session AS (PARTITION BY profile_id, session_id ORDER BY occurred_at, seq)
        ) AS a
        JOIN ev AS i ON i.log = 0 AND i.seq = a.before_seq AND i.kind = 'impression'
        WHERE a.type = 'abandon' AND a.before_type = 'adImpression' AND a.occurred_at - a.before_at <= i.ad_seconds * 1000 + 5000
        """

    // MARK: The measures: one definition each.

    static let impressions = OracleMeasure(key: "ad_impressions", sql: "SUM(kind = 'impression')")
    static let clicks = OracleMeasure(key: "ad_clicks", sql: "SUM(kind = 'click')")
    static let completions = OracleMeasure(key: "ad_completions", sql: "SUM(kind = 'completion')")
    static let skips = OracleMeasure(key: "ad_skips", sql: "SUM(kind = 'skip')")
    static let abandons = OracleMeasure(key: "ad_break_abandons", sql: "SUM(kind = 'abandon')")
    /// Clicks over impressions (a ratio of sums).
    static let ctr = OracleMeasure(key: "ad_ctr", sql: "1.0 * SUM(kind = 'click') / NULLIF(SUM(kind = 'impression'), 0)")
    static let completionRate = OracleMeasure(
        key: "ad_completion_rate", sql: "1.0 * SUM(kind = 'completion') / NULLIF(SUM(kind = 'impression'), 0)")
    static let skipRate = OracleMeasure(key: "ad_skip_rate", sql: "1.0 * SUM(kind = 'skip') / NULLIF(SUM(kind = 'impression'), 0)")
    /// Dollars: a charge of C cents CPM is C / 100000 dollars.
    static let spend = OracleMeasure(key: "spend", sql: "SUM(charge_cents) / 100000.0")
    static let revenue = OracleMeasure(key: "advertiser_revenue", sql: "SUM(charge_cents) / 100000.0")
    /// Spend × 1000 over impressions.
    static let ecpm = OracleMeasure(key: "ecpm", sql: "SUM(charge_cents) / 100.0 / NULLIF(SUM(kind = 'impression'), 0)")
    static let reach = OracleMeasure(key: "reach", sql: "COUNT(DISTINCT CASE WHEN kind = 'impression' THEN viewer END)")
    static let frequency = OracleMeasure(
        key: "frequency", sql: "1.0 * SUM(kind = 'impression') / NULLIF(COUNT(DISTINCT CASE WHEN kind = 'impression' THEN viewer END), 0)")

    static let factMeasures = [
        impressions, clicks, ctr, completions, completionRate, skips, skipRate, abandons, spend, revenue, ecpm, reach, frequency,
    ]
    static func measure(_ key: String) -> OracleMeasure? { factMeasures.first { $0.key == key } }

    /// The oracle's column (or time bucket) of each dimension of the semantic layer.
    static let dimensionSQL: [String: String] = [
        "advertiser": "advertiser", "campaign": "campaign", "creative": "creative", "region": "region", "device": "device",
        "plan": "plan", "title": "title", "genre": "genre", "daypart": "daypart", "break_kind": "break_kind",
        "pod_position": "pod_position",
        "hour": "strftime('%Y-%m-%d %H:00', at / 1000, 'unixepoch')",
        "date": "strftime('%Y-%m-%d', at / 1000, 'unixepoch')",
        // The Monday of the event's week: back as many days as the weekday is past Monday.
        "week": "date(at / 1000, 'unixepoch', '-' || ((CAST(strftime('%w', at / 1000, 'unixepoch') AS INTEGER) + 6) % 7) || ' days')",
        "month": "strftime('%Y-%m', at / 1000, 'unixepoch')",
    ]
    /// Where entity names live.
    static let nameTables = [
        "advertiser": "advertisers", "campaign": "campaigns", "creative": "creatives", "title": "titles",
    ]

    private func conditions(_ s: OracleScope) -> (String, [(any DatabaseValueConvertible)?]) {
        var parts: [String] = ["1"]
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let from = s.from {
            parts.append("at >= ?")
            arguments.append(from)
        }
        if let to = s.to {
            parts.append("at < ?")
            arguments.append(to)
        }
        for (dimension, values) in s.only.sorted(by: { $0.key < $1.key }) {
            let column = Self.dimensionSQL[dimension]!
            parts.append("CAST(\(column) AS TEXT) IN (\(values.map { _ in "?" }.joined(separator: ", ")))")
            arguments += values.map { $0 }
        }
        for (dimension, values) in s.except.sorted(by: { $0.key < $1.key }) {
            let column = Self.dimensionSQL[dimension]!
            parts.append("(\(column) IS NULL OR CAST(\(column) AS TEXT) NOT IN (\(values.map { _ in "?" }.joined(separator: ", "))))")
            arguments += values.map { $0 }
        }
        for dimension in s.missing.sorted() { parts.append("\(Self.dimensionSQL[dimension]!) IS NULL") }
        return (parts.joined(separator: " AND "), arguments)
    }

    /// The measure over the scope (nil when its denominator is 0).
    func total(_ m: OracleMeasure, _ s: OracleScope = OracleScope()) throws -> Double? {
        let (whereSQL, arguments) = conditions(s)
        return try queue.inDatabase { db in
            try Double.fetchOne(db, sql: "SELECT \(m.sql) FROM ev WHERE \(whereSQL)", arguments: StatementArguments(arguments))
        }
    }

    /// Counts are 0 over nothing (SQL's SUM of no rows is NULL).
    func count(_ m: OracleMeasure, _ s: OracleScope = OracleScope()) throws -> Double { try total(m, s) ?? 0 }

    /// Distinct viewers with any counted event in the scope: what the minimum group size is about.
    func viewers(_ s: OracleScope) throws -> Int {
        let (whereSQL, arguments) = conditions(s)
        return try queue.inDatabase { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT viewer) FROM ev WHERE \(whereSQL)", arguments: StatementArguments(arguments))
                ?? 0
        }
    }

    /// The measure per value of `dimension` within the scope (every group, however few its viewers).
    func groups(_ m: OracleMeasure, by dimension: String, _ s: OracleScope = OracleScope()) throws -> [OracleGroup] {
        let (whereSQL, arguments) = conditions(s)
        let column = Self.dimensionSQL[dimension]!
        let name = Self.nameTables[dimension].map { "(SELECT n.name FROM main.\($0) AS n WHERE n.id = g.key)" } ?? "g.key"
        let sql = """
            SELECT g.key, COALESCE(\(name), g.key), g.value, g.viewers FROM (
                SELECT CAST(\(column) AS TEXT) AS key, \(m.sql) AS value, COUNT(DISTINCT viewer) AS viewers
                FROM ev WHERE \(whereSQL) GROUP BY 1) AS g
            ORDER BY g.key
            """
        return try queue.inDatabase { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                OracleGroup(key: row[0] ?? "", name: row[1] ?? "", value: row[2], viewers: row[3])
            }
        }
    }

    /// The groups a report shows: those with at least `minimumViewers` distinct viewers.
    func shownGroups(
        _ m: OracleMeasure, by dimension: String, _ s: OracleScope = OracleScope(), minimumViewers: Int = 5
    ) throws
        -> [OracleGroup]
    {
        try groups(m, by: dimension, s).filter { $0.viewers >= minimumViewers }
    }

    // MARK: The book measures: over campaigns, with their spend before `now`.

    /// Per campaign: id, name, advertiser, budget (cents), flight, and its spend (dollars) before now.
    struct CampaignBook: Sendable, Hashable {
        var id: String
        var name: String
        var advertiser: String
        var status: String
        var budgetCents: Double
        var startsAt: Int64
        var endsAt: Int64
        var spentDollars: Double
    }

    func book() throws -> [CampaignBook] {
        try queue.inDatabase { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.id, c.name, c.advertiser_id, c.status, c.total_budget_cents, c.starts_at, c.ends_at,
                        COALESCE((SELECT SUM(ev.charge_cents) FROM ev WHERE ev.campaign = c.id AND ev.at < ?), 0) / 100000.0
                    FROM main.campaigns AS c ORDER BY c.id
                    """, arguments: [now.millisecondsSinceEpoch]
            ).map {
                CampaignBook(
                    id: $0[0], name: $0[1], advertiser: $0[2], status: $0[3], budgetCents: $0[4], startsAt: $0[5], endsAt: $0[6],
                    spentDollars: $0[7])
            }
        }
    }

    /// Budget left (dollars) on the campaigns: their budgets less all they spent before now.
    func budgetRemaining(_ campaigns: [CampaignBook]) -> Double {
        campaigns.reduce(0) { $0 + $1.budgetCents / 100 - $1.spentDollars }
    }

    /// Spend before now over the spend expected by now (the budget × the share of the flight elapsed): 1 is on pace.
    func pacing(_ campaigns: [CampaignBook]) -> Double? {
        let spent = campaigns.reduce(0) { $0 + $1.spentDollars }
        let expected = campaigns.reduce(0.0) { sum, c in
            let elapsed = Double(now.millisecondsSinceEpoch - c.startsAt) / Double(c.endsAt - c.startsAt)
            return sum + c.budgetCents * min(1, max(0, elapsed)) / 100
        }
        return expected > 0 ? spent / expected : nil
    }

    // MARK: The data: names, and the clock.

    /// `SELECT id, name FROM table ORDER BY id`.
    func names(_ table: String) throws -> [(id: String, name: String)] {
        try queue.inDatabase { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM main.\(table) ORDER BY id").map { ($0[0], $0[1]) }
        }
    }

    /// Any query over the store and `ev`, for the few things not worth a function.
    func strings(_ sql: String, _ arguments: StatementArguments = []) throws -> [String] {
        try queue.inDatabase { db in try String.fetchAll(db, sql: sql, arguments: arguments) }
    }

    func int64(_ sql: String, _ arguments: StatementArguments = []) throws -> Int64? {
        try queue.inDatabase { db in try Int64.fetchOne(db, sql: sql, arguments: arguments) }
    }

    /// Noon UTC of the last impression's day, or the next noon when some ad event falls after it.
    func chooseNow() throws -> Timestamp {
        let day: Int64 = 86_400_000
        guard let lastImpression = try int64("SELECT MAX(at) FROM ev WHERE kind = 'impression'"),
            let lastEvent = try int64("SELECT MAX(at) FROM ev")
        else { throw CLIError("the demo world has no ad impressions") }
        var noon = lastImpression / day * day + day / 2
        while noon <= lastEvent { noon += day }
        return Timestamp(millisecondsSinceEpoch: noon)
    }
}
