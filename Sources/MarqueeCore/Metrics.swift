/// The product's metrics, defined once: the experiments' reports compute them per unit from the logs, and
/// the analytics layer reuses the same definitions (same keys, same numerators and denominators).
///
/// A metric is a per-unit value over a window of time:
/// - `mean`: a sum per unit (ad impressions, viewing minutes); the variant's value is the mean over units.
/// - `proportion`: 0 or 1 per unit (active on day 7); the variant's value is the share of units.
/// - `ratio`: a numerator and a denominator per unit (clicks over impressions); the variant's value is the
///   ratio of the sums, never the mean of the per-unit ratios, and its variance comes from the delta method.
public enum MetricKind: String, Codable, Sendable, CaseIterable {
    case mean, proportion, ratio
}

/// One metric: what it counts, how it aggregates, and which way is good.
public struct MetricDefinition: Codable, Sendable, Hashable, Identifiable {
    /// The stable key used in experiment definitions, reports and the analytics layer (`ad_ctr`).
    public var key: String
    /// How people name it (`Ad CTR`).
    public var name: String
    public var kind: MetricKind
    /// What a unit's value (or numerator and denominator) is, in one sentence.
    public var definition: String
    /// The unit of the value: `count`, `minutes`, `seconds`, `dollars`, `share`.
    public var unit: String
    /// Whether a larger value is better (false for skips, abandons, time to select, churn).
    public var higherIsBetter: Bool

    public var id: String { key }

    public init(key: String, name: String, kind: MetricKind, definition: String, unit: String, higherIsBetter: Bool) {
        self.key = key
        self.name = name
        self.kind = kind
        self.definition = definition
        self.unit = unit
        self.higherIsBetter = higherIsBetter
    }
}

/// A unit's value of one metric over a window: `numerator` alone for mean and proportion metrics
/// (`denominator` 1), both for ratio metrics.
public struct UnitMetricValue: Sendable, Hashable, Codable {
    public var numerator: Double
    public var denominator: Double

    public init(numerator: Double, denominator: Double = 1) {
        self.numerator = numerator
        self.denominator = denominator
    }

    public static let zero = UnitMetricValue(numerator: 0, denominator: 0)
}

/// The metric catalog: every metric the product measures.
public enum MetricCatalog {
    public static let all: [MetricDefinition] = [
        .init(
            key: "ad_impressions", name: "Ad impressions", kind: .mean,
            definition: "ad impressions (adImpression events) the viewer had", unit: "count", higherIsBetter: true),
        .init(
            key: "ad_clicks", name: "Ad clicks", kind: .mean, definition: "ad click-throughs (adClick events) the viewer made",
            unit: "count", higherIsBetter: true),
        .init(
            key: "ad_ctr", name: "Ad CTR", kind: .ratio, definition: "ad clicks over ad impressions", unit: "share",
            higherIsBetter: true),
        .init(
            key: "advertiser_revenue", name: "Advertiser revenue", kind: .mean,
            definition: "what advertisers paid for the viewer's ad impressions: each impression's campaign CPM / 1000",
            unit: "dollars", higherIsBetter: true),
        .init(
            key: "ads_per_viewing_hour", name: "Ads per viewing hour", kind: .ratio,
            definition: "ad impressions over hours of viewing", unit: "count", higherIsBetter: false),
        .init(
            key: "ad_skips", name: "Ad skips", kind: .mean, definition: "ads the viewer skipped (adSkip events)", unit: "count",
            higherIsBetter: false),
        .init(
            key: "ad_break_abandons", name: "Abandons during ad breaks", kind: .mean,
            definition: "titles abandoned while an ad was playing (the fatigue signal)", unit: "count", higherIsBetter: false),
        .init(
            key: "viewing_minutes", name: "Viewing minutes", kind: .mean, definition: "minutes of titles watched",
            unit: "minutes", higherIsBetter: true),
        .init(
            key: "sessions", name: "Sessions", kind: .mean, definition: "distinct viewing sessions", unit: "count",
            higherIsBetter: true),
        .init(
            key: "home_starts", name: "Titles started from the home page", kind: .mean,
            definition: "plays that answer a served home page (carry its decision id)", unit: "count", higherIsBetter: true),
        .init(
            key: "recommended_viewing_share", name: "Share of viewing from recommendations", kind: .ratio,
            definition: "minutes of titles started from a recommended row over all minutes watched", unit: "share",
            higherIsBetter: true),
        .init(
            key: "time_to_select", name: "Time to select", kind: .ratio,
            definition: "seconds from a session's first event to its first play, over sessions with a play",
            unit: "seconds", higherIsBetter: false),
        .init(
            key: "distinct_genres", name: "Distinct genres watched", kind: .mean,
            definition: "genres of the titles the viewer played", unit: "count", higherIsBetter: true),
        .init(
            key: "active_day_7", name: "Active on day 7", kind: .proportion,
            definition: "1 when the viewer had any event on the 8th day from their first exposure (day 7, 0-based)",
            unit: "share", higherIsBetter: true),
        .init(
            key: "active_day_28", name: "Active on day 28", kind: .proportion,
            definition: "1 when the viewer had any event on day 28 from their first exposure", unit: "share",
            higherIsBetter: true),
        .init(
            key: "revenue_per_viewer", name: "Revenue per viewer", kind: .mean,
            definition: "the plan's subscription for the days the viewer stayed plus the advertiser revenue of their ads",
            unit: "dollars", higherIsBetter: true),
        .init(
            key: "churned", name: "Churn", kind: .proportion,
            definition: "1 when the viewer had no event in the window's last 7 days", unit: "share", higherIsBetter: false),
    ]

    private static let byKey: [String: MetricDefinition] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    public static func metric(_ key: String) -> MetricDefinition? { byKey[key] }
}

/// One unit's measurement window: its events from `from` (inclusive) to `to` (exclusive) count.
public struct MetricUnitWindow: Sendable, Hashable {
    public var profileID: ProfileID
    public var from: Timestamp
    public var to: Timestamp

    public init(profileID: ProfileID, from: Timestamp, to: Timestamp) {
        self.profileID = profileID
        self.from = from
        self.to = to
    }
}
