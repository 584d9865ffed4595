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
            definition: "adImpression events of the viewer in the window", unit: "count", higherIsBetter: true),
        .init(
            key: "ad_clicks", name: "Ad clicks", kind: .mean, definition: "adClick events of the viewer in the window",
            unit: "count", higherIsBetter: true),
        .init(
            key: "ad_ctr", name: "Ad CTR", kind: .ratio, definition: "adClick events over adImpression events", unit: "share",
            higherIsBetter: true),
        .init(
            key: "advertiser_revenue", name: "Advertiser revenue", kind: .mean,
            definition:
                "CPM / 1000 for each of the viewer's ad impressions, one per (decision, slot): the CPM the ad decision log holds for "
                + "that slot and creative, else the campaign's CPM in the ad book (the delivery ledger's prices)",
            unit: "dollars", higherIsBetter: true),
        .init(
            key: "ads_per_viewing_hour", name: "Ads per viewing hour", kind: .ratio,
            definition: "ad impressions over hours of viewing (viewing_minutes / 60)", unit: "count", higherIsBetter: false),
        .init(
            key: "ad_skips", name: "Ad skips", kind: .mean, definition: "adSkip events of the viewer in the window", unit: "count",
            higherIsBetter: false),
        .init(
            key: "ad_break_abandons", name: "Abandons during ad breaks", kind: .mean,
            definition:
                "abandon events that come, in the same session, after an adImpression with no adComplete, adSkip or abandon between, "
                + "and at most the ad's length plus 5 s later (the ad engine's rule; the fatigue signal)",
            unit: "count", higherIsBetter: false),
        .init(
            key: "viewing_minutes", name: "Viewing minutes", kind: .mean,
            definition:
                "per play, the furthest position its progress, complete or abandon events reach (capped at the title's duration) "
                + "before the next play of that title in the session, minus the play's position (0 if none); positions of a play "
                + "before the window count from their first one in it",
            unit: "minutes", higherIsBetter: true),
        .init(
            key: "sessions", name: "Sessions", kind: .mean,
            definition: "distinct session ids of the viewer's events, plus one per day (from the window's start) with events "
                + "that carry no session",
            unit: "count", higherIsBetter: true),
        .init(
            key: "home_starts", name: "Titles started from the home page", kind: .mean,
            definition:
                "plays that carry a home decision id or a row, themselves or through the click on the same title just before them "
                + "in the session",
            unit: "count", higherIsBetter: true),
        .init(
            key: "recommended_viewing_share", name: "Share of viewing from recommendations", kind: .ratio,
            definition:
                "viewing minutes of plays started from a recommended row (top picks, because you watched, trending, popular now, "
                + "new, genre; not continue watching or editorial rows) over all viewing minutes",
            unit: "share", higherIsBetter: true),
        .init(
            key: "time_to_select", name: "Time to select", kind: .ratio,
            definition:
                "seconds from a session's first event to its first play, summed over the sessions (with a session id) that have a "
                + "play, over the number of those sessions",
            unit: "seconds", higherIsBetter: false),
        .init(
            key: "distinct_genres", name: "Distinct genres watched", kind: .mean,
            definition: "distinct catalog genres (case-insensitive) of the titles the viewer played", unit: "count",
            higherIsBetter: true),
        .init(
            key: "active_day_7", name: "Active on day 7", kind: .proportion,
            definition:
                "1 when the viewer had any event on day 7 (0-based, 24-hour days from the window's start, its first exposure); "
                + "0 when the window ends before that day",
            unit: "share", higherIsBetter: true),
        .init(
            key: "active_day_28", name: "Active on day 28", kind: .proportion,
            definition:
                "1 when the viewer had any event on day 28 (0-based, 24-hour days from the window's start); 0 when the window ends "
                + "before that day",
            unit: "share", higherIsBetter: true),
        .init(
            key: "revenue_per_viewer", name: "Revenue per viewer", kind: .mean,
            definition:
                "the plan's monthly price × days subscribed / 30, the viewer counting as subscribed from the window's start until "
                + "7 days after their last event (at least the start), at most the window's end; plus their advertiser revenue",
            unit: "dollars", higherIsBetter: true),
        .init(
            key: "churned", name: "Churn", kind: .proportion,
            definition: "1 when the viewer had no event in the window's last 7 days (a viewer with no event at all churned)",
            unit: "share", higherIsBetter: false),
    ]

    /// The days a unit's window must last for the metric to mean what it says: `active_day_7` looks at day 7
    /// (so 8 days), `active_day_28` at day 28 (29 days), `churned` at the last 7 days after at least 7 before
    /// (14 days). Shorter windows still get a value (0 for the active days, churn over what there is); reports
    /// use this to say how many units' windows are too short. Nil: any window.
    public static func requiredWindowDays(_ key: String) -> Int? {
        switch key {
        case "active_day_7": return 8
        case "active_day_28": return 29
        case "churned": return 2 * churnQuietDays
        default: return nil
        }
    }

    /// Days without any event that make a viewer churned (the window's last ones), and the days after their
    /// last event a viewer still counts as subscribed in `revenue_per_viewer`.
    public static let churnQuietDays = 7
    /// A month of subscription, in days, for prorating monthly prices.
    public static let daysPerMonth = 30.0
    /// An abandon counts against the ad playing when it comes at most this long (ms) after the ad's planned
    /// end: the default of the ad engine's `AdDecisionConfiguration.abandonSlackMs`, so that
    /// `ad_break_abandons` counts what the engine's delivery fold counts.
    public static let adBreakAbandonSlackMs: Int64 = 5_000
    /// The row kinds whose plays count as recommended in `recommended_viewing_share`. Continue watching
    /// resumes what the viewer chose before, and editorial rows are chosen by people, not the models.
    public static let recommendedRowKinds: Set<RowKind> = [.topPicks, .becauseYouWatched, .trending, .popularNow, .new, .genre]

    /// The ad measures of the analytics layer beyond the per-unit metrics above. Together with the ad
    /// metrics of `all` (`ad_impressions`, `ad_clicks`, `ad_ctr`, `advertiser_revenue`, `ad_skips`,
    /// `ad_break_abandons`, the same keys and definitions) they are the analytics layer's measures: one set.
    /// They aggregate over any group (a campaign, a device, a day); ratios are ratios of the group's sums.
    public static let adMeasures: [MetricDefinition] = [
        .init(
            key: "ad_completions", name: "Ad completions", kind: .mean, definition: "adComplete events", unit: "count",
            higherIsBetter: true),
        .init(
            key: "ad_completion_rate", name: "Completion rate", kind: .ratio, definition: "adComplete events over adImpression events",
            unit: "share", higherIsBetter: true),
        .init(
            key: "ad_skip_rate", name: "Skip rate", kind: .ratio, definition: "adSkip events over adImpression events", unit: "share",
            higherIsBetter: false),
        .init(
            key: "spend", name: "Spend", kind: .mean,
            definition: "advertiser_revenue seen from the advertiser's side: what their impressions cost (CPM / 1000 each)",
            unit: "dollars", higherIsBetter: true),
        .init(
            key: "ecpm", name: "eCPM", kind: .ratio, definition: "spend × 1000 over adImpression events", unit: "dollars",
            higherIsBetter: true),
        .init(
            key: "reach", name: "Reach", kind: .mean, definition: "distinct viewers (profiles) with an adImpression", unit: "count",
            higherIsBetter: true),
        .init(
            key: "frequency", name: "Average frequency", kind: .ratio, definition: "adImpression events over reach", unit: "count",
            higherIsBetter: false),
        .init(
            key: "budget_remaining", name: "Budget remaining", kind: .mean,
            definition: "the campaigns' total budgets minus everything they have spent (whatever the time range)", unit: "dollars",
            higherIsBetter: true),
        .init(
            key: "pacing", name: "Pacing", kind: .ratio,
            definition:
                "spend to date over the spend expected to date: the total budget × the share of the flight elapsed (1 is on pace, "
                + "below 1 under-delivering)",
            unit: "share", higherIsBetter: true),
    ]

    /// The keys of `all` that are ad measures too.
    public static let sharedAdMetricKeys = ["ad_impressions", "ad_clicks", "ad_ctr", "advertiser_revenue", "ad_skips", "ad_break_abandons"]

    private static let measuresByKey: [String: MetricDefinition] = Dictionary(
        uniqueKeysWithValues: (all.filter { sharedAdMetricKeys.contains($0.key) } + adMeasures).map { ($0.key, $0) })

    /// An analytics measure by key (a shared ad metric or one of `adMeasures`).
    public static func measure(_ key: String) -> MetricDefinition? { measuresByKey[key] }

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

/// Monthly subscription prices per plan, in dollars: what `revenue_per_viewer` prorates. The defaults are
/// list prices of the kind streaming services charge (ad-free 17.99, standard with ads 7.99, basic with
/// ads 5.99); an experiment report may pass its own.
public struct PlanPricing: Codable, Sendable, Hashable {
    public var adFree: Double
    public var standardWithAds: Double
    public var basicWithAds: Double

    public init(adFree: Double = 17.99, standardWithAds: Double = 7.99, basicWithAds: Double = 5.99) {
        self.adFree = adFree
        self.standardWithAds = standardWithAds
        self.basicWithAds = basicWithAds
    }

    public static let standard = PlanPricing()

    /// The monthly price of `plan`, in dollars.
    public func monthly(_ plan: Plan) -> Double {
        switch plan {
        case .adFree: return adFree
        case .standardWithAds: return standardWithAds
        case .basicWithAds: return basicWithAds
        }
    }

    /// Throws `invalid_value` naming the price (`pricing.adFree`) that is negative or not finite.
    public func validate() throws {
        for (name, price) in [("adFree", adFree), ("standardWithAds", standardWithAds), ("basicWithAds", basicWithAds)]
        where !(price.isFinite && price >= 0) {
            throw MarqueeError.invalidValue(field: "pricing.\(name)", reason: "must be a finite price of at least 0 dollars; got \(price)")
        }
    }
}

/// Computes each unit's metrics from the logs. Implemented by the stores (`SQLiteStore`); the experiment
/// reports and the analytics layer call it with the catalog's keys.
public protocol MetricStore: Sendable {
    /// Each unit's value of each metric over its own window [from, to).
    ///
    /// Every unit in `windows` gets a value for every metric asked: zeros when it did nothing (a ratio with
    /// denominator 0 is 0 / 0), except `churned`, which is 1 for a unit without any event. Throws
    /// `invalid_value` naming `metrics` for a key not in `MetricCatalog`, `windows` for a profile given twice
    /// or a window that does not end after it starts, and `pricing.<plan>` for a bad price.
    func unitMetrics(
        _ windows: [MetricUnitWindow], metrics: [String], pricing: PlanPricing
    ) async throws
        -> [ProfileID: [String: UnitMetricValue]]
}

extension MetricCatalog {
    /// Checks the metric keys and windows of a `MetricStore.unitMetrics` call (see its contract).
    public static func validate(windows: [MetricUnitWindow], metrics: [String], pricing: PlanPricing) throws {
        for key in metrics where metric(key) == nil {
            throw MarqueeError.invalidValue(
                field: "metrics", reason: "unknown metric '\(key)'; expected one of \(all.map(\.key).joined(separator: ", "))")
        }
        try pricing.validate()
        var seen = Set<ProfileID>()
        for w in windows {
            guard seen.insert(w.profileID).inserted else {
                throw MarqueeError.invalidValue(field: "windows", reason: "profile '\(w.profileID)' has more than one window")
            }
            guard w.from < w.to else {
                throw MarqueeError.invalidValue(
                    field: "windows", reason: "the window of profile '\(w.profileID)' must end after it starts (\(w.from) to \(w.to))")
            }
        }
    }
}
