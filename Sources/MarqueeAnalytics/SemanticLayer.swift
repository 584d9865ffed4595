import MarqueeCore

/// The aggregates the fact measures are computed from: sums over the ad facts of a group (and the distinct
/// viewers), from which every fact measure is a sum or a ratio of sums, never an average of ratios.
public enum FactComponent: String, CaseIterable, Sendable {
    case impressions, clicks, completions, skips, abandons, spendMillicents = "spend_millicents", reach

    /// The aggregate over the facts `f`.
    var sql: String {
        switch self {
        case .reach: "COUNT(DISTINCT CASE WHEN f.impressions = 1 THEN f.profile_key END)"
        default: "SUM(f.\(rawValue))"
        }
    }
}

/// The aggregates of the campaign-level measures (budget, pacing): over the campaigns of a group.
public enum BookComponent: String, CaseIterable, Sendable {
    case budgetCents = "budget_cents", spentMillicents = "spent_millicents", expectedMillicents = "expected_millicents"
}

/// How a measure's value is shown.
public enum MeasureFormat: String, Codable, Sendable {
    case count, percent, money, number
}

/// One measure of the semantic layer: a definition from `MetricCatalog` (the same set the experiment
/// reports use) and how it aggregates.
public struct AnalyticsMeasure: Sendable {
    public enum Source: Sendable {
        /// Over the ad facts in the time range.
        case facts
        /// Over the campaigns of the ad book, with their spend to date (whatever the time range).
        case book
    }

    public var definition: MetricDefinition
    public var key: String { definition.key }
    public var name: String { definition.name }
    /// How a sentence names it ("CTR", "impressions").
    public var label: String {
        switch definition.key {
        case "ad_impressions": "impressions"
        case "ad_clicks": "clicks"
        case "ad_ctr": "CTR"
        case "ad_completions": "completions"
        case "ad_completion_rate": "completion rate"
        case "ad_skips": "skips"
        case "ad_skip_rate": "skip rate"
        case "ad_break_abandons": "abandons during ad breaks"
        case "advertiser_revenue": "revenue"
        case "ecpm": "eCPM"
        case "budget_remaining": "budget remaining"
        default: definition.name.lowercased()
        }
    }
    public var source: Source
    public var format: MeasureFormat
    /// Words people use for it (the question engine matches them; longest first wins).
    public var synonyms: [String]
    /// The value from a group's components (nil when the denominator is 0).
    let value: @Sendable ([String: Double]) -> Double?
    /// The components it needs.
    let needs: [String]
}

/// One dimension: a column of the facts (or a derived time bucket) that queries group and filter by.
public struct AnalyticsDimension: Sendable {
    public enum Kind: String, Sendable { case entity, attribute, time, ordinal }
    public var key: String
    public var name: String
    public var kind: Kind
    /// The facts' column (ids for entities).
    let column: String
    /// For entities: the ad-book or catalog table holding the name.
    let nameTable: String?
    /// Whether the campaign-level (book) measures can be grouped or filtered by it.
    let onBook: Bool
    public var synonyms: [String]
}

/// The semantic layer: the whitelist of measures and dimensions every query is built from.
public enum SemanticLayer {
    public static let measures: [AnalyticsMeasure] = {
        func m(
            _ key: String, _ format: MeasureFormat, _ synonyms: [String], source: AnalyticsMeasure.Source = .facts, needs: [String],
            _ value: @escaping @Sendable ([String: Double]) -> Double?
        ) -> AnalyticsMeasure {
            guard let definition = MetricCatalog.measure(key) else { fatalError("measure \(key) is not in MetricCatalog") }
            return AnalyticsMeasure(definition: definition, source: source, format: format, synonyms: synonyms, value: value, needs: needs)
        }
        @Sendable func ratio(_ n: Double?, _ d: Double?, scale: Double = 1) -> Double? {
            guard let n, let d, d != 0 else { return nil }
            return n / d * scale
        }
        return [
            m(
                "ad_impressions", .count, ["impressions", "impression", "views", "ad views", "delivery", "delivered"],
                needs: ["impressions"]
            ) {
                $0["impressions"]
            },
            m("ad_clicks", .count, ["clicks", "click", "clicked"], needs: ["clicks"]) { $0["clicks"] },
            m(
                "ad_ctr", .percent, ["ctr", "click-through rate", "click through rate", "clickthrough", "click-through", "click rate"],
                needs: ["clicks", "impressions"]
            ) { ratio($0["clicks"], $0["impressions"]) },
            m("ad_completions", .count, ["completions", "completed views", "completes"], needs: ["completions"]) { $0["completions"] },
            m(
                "ad_completion_rate", .percent, ["completion rate", "completion", "vcr", "view-through rate"],
                needs: ["completions", "impressions"]
            ) { ratio($0["completions"], $0["impressions"]) },
            m("ad_skips", .count, ["skips", "skipped"], needs: ["skips"]) { $0["skips"] },
            m("ad_skip_rate", .percent, ["skip rate"], needs: ["skips", "impressions"]) { ratio($0["skips"], $0["impressions"]) },
            m(
                "ad_break_abandons", .count, ["abandons", "abandonment", "abandoned", "drop-offs", "drop offs", "fatigue"],
                needs: ["abandons"]
            ) {
                $0["abandons"]
            },
            m("spend", .money, ["spend", "spent", "cost"], needs: ["spend_millicents"]) { $0["spend_millicents"].map { $0 / 100_000 } },
            m("advertiser_revenue", .money, ["revenue", "earnings", "income", "money"], needs: ["spend_millicents"]) {
                $0["spend_millicents"].map { $0 / 100_000 }
            },
            m("ecpm", .money, ["ecpm", "cpm", "effective cpm"], needs: ["spend_millicents", "impressions"]) {
                ratio($0["spend_millicents"], $0["impressions"], scale: 1000.0 / 100_000)
            },
            m(
                "reach", .count, ["reach", "unique viewers", "unique profiles", "unique users", "uniques", "viewers", "people"],
                needs: ["reach"]
            ) { $0["reach"] },
            m("frequency", .number, ["frequency", "average frequency", "times per viewer"], needs: ["impressions", "reach"]) {
                ratio($0["impressions"], $0["reach"])
            },
            m(
                "budget_remaining", .money, ["budget left", "budget remaining", "remaining budget", "budget"], source: .book,
                needs: ["budget_cents", "spent_millicents"]
            ) { c in
                guard let b = c["budget_cents"], let s = c["spent_millicents"] else { return nil }
                return b / 100 - s / 100_000
            },
            m(
                "pacing", .percent, ["pacing", "pace", "on pace", "on track"], source: .book,
                needs: ["spent_millicents", "expected_millicents"]
            ) {
                ratio($0["spent_millicents"], $0["expected_millicents"])
            },
        ]
    }()

    public static let dimensions: [AnalyticsDimension] = [
        .init(
            key: "advertiser", name: "Advertiser", kind: .entity, column: "advertiser_id", nameTable: "advertisers", onBook: true,
            synonyms: ["advertiser", "advertisers", "brand", "brands", "client", "clients"]),
        .init(
            key: "campaign", name: "Campaign", kind: .entity, column: "campaign_id", nameTable: "campaigns", onBook: true,
            synonyms: ["campaign", "campaigns", "flight", "flights", "line item", "line items"]),
        .init(
            key: "creative", name: "Creative", kind: .entity, column: "creative_id", nameTable: "creatives", onBook: false,
            synonyms: ["creative", "creatives", "ad", "ads", "spot", "spots"]),
        .init(
            key: "region", name: "Region", kind: .attribute, column: "region", nameTable: nil, onBook: false,
            synonyms: ["region", "regions", "geo", "geography", "market", "markets", "area"]),
        .init(
            key: "device", name: "Device", kind: .attribute, column: "device", nameTable: nil, onBook: false,
            synonyms: ["device", "devices", "platform", "platforms", "screen"]),
        .init(
            key: "plan", name: "Plan", kind: .attribute, column: "plan", nameTable: nil, onBook: false,
            synonyms: ["plan", "plans", "tier", "tiers", "subscription"]),
        .init(
            key: "title", name: "Title", kind: .entity, column: "title_id", nameTable: "titles", onBook: false,
            synonyms: ["title", "titles", "show", "shows", "movie", "movies", "content", "program", "programme"]),
        .init(
            key: "genre", name: "Genre", kind: .attribute, column: "genre", nameTable: nil, onBook: false,
            synonyms: ["genre", "genres", "category of content", "content genre"]),
        .init(
            key: "daypart", name: "Daypart", kind: .attribute, column: "daypart", nameTable: nil, onBook: false,
            synonyms: ["daypart", "dayparts", "time of day", "part of the day"]),
        .init(
            key: "hour", name: "Hour", kind: .time, column: "occurred_at", nameTable: nil, onBook: false,
            synonyms: ["hour", "hourly", "hours"]),
        .init(
            key: "date", name: "Date", kind: .time, column: "occurred_at", nameTable: nil, onBook: false,
            synonyms: ["day", "daily", "date", "days", "per day", "each day"]),
        .init(
            key: "week", name: "Week", kind: .time, column: "occurred_at", nameTable: nil, onBook: false,
            synonyms: ["week", "weekly", "weeks"]),
        .init(
            key: "month", name: "Month", kind: .time, column: "occurred_at", nameTable: nil, onBook: false,
            synonyms: ["month", "monthly", "months"]),
        .init(
            key: "break_kind", name: "Break kind", kind: .attribute, column: "break_kind", nameTable: nil, onBook: false,
            synonyms: ["break kind", "break type", "break", "breaks", "pre-roll", "mid-roll"]),
        .init(
            key: "pod_position", name: "Pod position", kind: .ordinal, column: "pod_position", nameTable: nil, onBook: false,
            synonyms: ["pod position", "position in the pod", "slot", "position"]),
    ]

    private static let measuresByKey = Dictionary(uniqueKeysWithValues: measures.map { ($0.key, $0) })
    private static let dimensionsByKey = Dictionary(uniqueKeysWithValues: dimensions.map { ($0.key, $0) })

    public static func measure(_ key: String) -> AnalyticsMeasure? { measuresByKey[key] }
    public static func dimension(_ key: String) -> AnalyticsDimension? { dimensionsByKey[key] }

    /// The values a time granularity names (a shortcut for the time dimension of the same name).
    public static let granularities = ["hour": "hour", "day": "date", "week": "week", "month": "month"]
}
