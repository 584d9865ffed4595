/// The vocabulary of the home page: row kinds, dayparts, editorial rules and the decision log.

/// What kind of row a home-page row is. The raw value is the row id's prefix (`genre:comedy`,
/// `because-you-watched:t0012`), so an impression or click event's `row` names its kind.
public enum RowKind: String, Codable, Sendable, CaseIterable {
    case continueWatching = "continue-watching"
    case topPicks = "top-picks"
    case becauseYouWatched = "because-you-watched"
    case trending
    case new
    case genre
    /// Popular in the request's context (device and daypart): "Popular on TV tonight".
    case popularNow = "popular-now"
    case editorial

    /// The kind of a row id such as `genre:comedy`; nil for ids of no known kind.
    public init?(rowID: String) {
        if let colon = rowID.firstIndex(of: ":") {
            self.init(rawValue: String(rowID[..<colon]))
        } else {
            self.init(rawValue: rowID)
        }
    }
}

/// A part of the viewer's day, from the local hour.
public enum Daypart: String, Codable, Sendable, CaseIterable {
    case morning  // 05:00–11:59
    case afternoon  // 12:00–16:59
    case evening  // 17:00–21:59
    case lateNight = "late-night"  // 22:00–04:59

    public init(localHour: Int) {
        switch localHour {
        case 5..<12: self = .morning
        case 12..<17: self = .afternoon
        case 17..<22: self = .evening
        default: self = .lateNight
        }
    }

    /// The daypart of `time` at a UTC offset of `offsetMinutes`.
    public init(time: Timestamp, offsetMinutes: Int) {
        let localMs = time.millisecondsSinceEpoch + Int64(offsetMinutes) * 60_000
        let msPerDay: Int64 = 86_400_000
        let inDay = ((localMs % msPerDay) + msPerDay) % msPerDay
        self.init(localHour: Int(inDay / 3_600_000))
    }

    /// How a row title says it: "tonight", "this morning".
    public var phrase: String {
        switch self {
        case .morning: return "this morning"
        case .afternoon: return "this afternoon"
        case .evening: return "tonight"
        case .lateNight: return "late tonight"
        }
    }
}

/// A local time as a client sends it (`2026-11-24T21:30:00-05:00`): the instant and its UTC offset.
public struct LocalTime: Sendable, Hashable {
    public var instant: Timestamp
    public var offsetMinutes: Int

    public init(instant: Timestamp, offsetMinutes: Int) {
        self.instant = instant
        self.offsetMinutes = offsetMinutes
    }

    public var daypart: Daypart { Daypart(time: instant, offsetMinutes: offsetMinutes) }

    /// Parses an ISO 8601 date-time; the offset is what follows the time (`Z`, `±HH:MM`, `±HHMM`, none = UTC).
    public init?(iso8601 raw: String) {
        guard raw.utf8.count <= 64, let instant = Timestamp(iso8601: raw), raw.utf8.count > 10 else { return nil }
        let bytes = Array(raw.utf8)
        var offset = 0
        // The zone designator, if any, is the last `+`/`-` after the `T` (dates also contain `-`).
        // A local time needs its zone: `Z` (UTC) or `±HH:MM`; without one the instant is ambiguous.
        if let last = bytes.last, last == 90 || last == 122 {
            offset = 0
        } else if let t = bytes.firstIndex(where: { $0 == 84 || $0 == 116 || $0 == 32 }),
            let sign = bytes[t...].lastIndex(where: { $0 == 43 || $0 == 45 })
        {
            let digits = bytes[(sign + 1)...].filter { $0 >= 48 && $0 <= 57 }.map { Int($0 - 48) }
            guard digits.count == 4 else { return nil }
            let minutes = (digits[0] * 10 + digits[1]) * 60 + digits[2] * 10 + digits[3]
            offset = bytes[sign] == 45 ? -minutes : minutes
        } else {
            return nil
        }
        self.init(instant: instant, offsetMinutes: offset)
    }
}

public enum EditorialRuleTag {}
public typealias EditorialRuleID = Identifier<EditorialRuleTag>

/// What an editorial rule does.
public enum EditorialRuleKind: String, Codable, Sendable, CaseIterable {
    /// Puts one title at a position of a row (by row id such as `top-picks` or `genre:comedy`, or by row kind).
    case pin
    /// Multiplies one title's score wherever it is a candidate.
    case boost
    /// Never shows one title.
    case block
    /// An editorial row: a named, ordered list of titles.
    case collection
}

/// A rule an editor sets on the home page, scoped by region, plan and time window. Rules apply
/// after ranking and are reported in the explanation of every item they touch.
public struct EditorialRule: Codable, Sendable, Hashable, Identifiable {
    public var id: EditorialRuleID
    public var kind: EditorialRuleKind
    /// `pin`, `boost`, `block`: exactly one title. `collection`: the row's titles in order (1–50).
    public var titleIDs: [TitleID]
    /// `pin`: the row id or row kind to pin into.
    public var row: String?
    /// `pin`: the 0-based position in the row.
    public var position: Int?
    /// `boost`: the score multiplier (> 0; above 1 raises, below 1 lowers).
    public var weight: Double?
    /// `collection`: the row's display title; other kinds: an optional label shown in explanations.
    public var name: String?
    /// Region codes the rule applies in; empty means everywhere.
    public var regions: [String]
    /// Plans the rule applies to; empty means every plan.
    public var plans: [Plan]
    /// The time window the rule applies in; either end may be open.
    public var startsAt: Timestamp?
    public var endsAt: Timestamp?
    public var createdAt: Timestamp

    public init(
        id: EditorialRuleID, kind: EditorialRuleKind, titleIDs: [TitleID], row: String? = nil, position: Int? = nil,
        weight: Double? = nil, name: String? = nil, regions: [String] = [], plans: [Plan] = [], startsAt: Timestamp? = nil,
        endsAt: Timestamp? = nil, createdAt: Timestamp
    ) {
        self.id = id
        self.kind = kind
        self.titleIDs = titleIDs
        self.row = row
        self.position = position
        self.weight = weight
        self.name = name
        self.regions = regions
        self.plans = plans
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, row, position, weight, name, regions, plans, startsAt, endsAt, createdAt
        case titleIDs = "titleIds"
    }

    /// Whether the rule is in force for a viewer in `region` on `plan` at `time`.
    public func applies(region: String, plan: Plan, at time: Timestamp) -> Bool {
        if !regions.isEmpty && !regions.contains(region) { return false }
        if !plans.isEmpty && !plans.contains(plan) { return false }
        if let s = startsAt, time < s { return false }
        if let e = endsAt, !(time < e) { return false }
        return true
    }
}

/// One item of a served home page, as the decision log keeps it.
public struct ServedItem: Sendable, Hashable, Codable {
    public var rowID: String
    public var position: Int
    public var titleID: TitleID
    /// The artwork variant shown, the bandit segment it was chosen for, and the probability of that choice.
    public var artworkVariant: ArtworkVariantID?
    public var artworkSegment: String?
    public var artworkPropensity: Double?
    /// The probability that the policy put this title in this slot (1 for deterministic choices).
    public var propensity: Double
    /// True when the title was an exploration pick.
    public var explored: Bool

    public init(
        rowID: String, position: Int, titleID: TitleID, artworkVariant: ArtworkVariantID? = nil, artworkSegment: String? = nil,
        artworkPropensity: Double? = nil, propensity: Double = 1, explored: Bool = false
    ) {
        self.rowID = rowID
        self.position = position
        self.titleID = titleID
        self.artworkVariant = artworkVariant
        self.artworkSegment = artworkSegment
        self.artworkPropensity = artworkPropensity
        self.propensity = propensity
        self.explored = explored
    }
}

/// A served home page: what was shown to whom, when and in what context.
public struct HomeDecisionRecord: Sendable, Hashable {
    public var decisionID: DecisionID
    public var profileID: ProfileID
    public var servedAt: Timestamp
    public var device: Device?
    public var daypart: Daypart
    public var items: [ServedItem]

    public init(decisionID: DecisionID, profileID: ProfileID, servedAt: Timestamp, device: Device?, daypart: Daypart, items: [ServedItem]) {
        self.decisionID = decisionID
        self.profileID = profileID
        self.servedAt = servedAt
        self.device = device
        self.daypart = daypart
        self.items = items
    }
}

/// One logged artwork choice with its outcome, for the bandit's warm start and off-policy evaluation.
public struct ArtworkLogEntry: Sendable, Hashable {
    public var titleID: TitleID
    public var segment: String
    public var variant: ArtworkVariantID
    public var propensity: Double
    /// True when a click or play carrying the decision id followed for this title.
    public var rewarded: Bool

    public init(titleID: TitleID, segment: String, variant: ArtworkVariantID, propensity: Double, rewarded: Bool) {
        self.titleID = titleID
        self.segment = segment
        self.variant = variant
        self.propensity = propensity
        self.rewarded = rewarded
    }
}

/// Editorial rules, stored.
public protocol EditorialStore: Sendable {
    func insertEditorialRule(_ rule: EditorialRule) async throws
    func editorialRules() async throws -> [EditorialRule]
    /// Returns false when no rule has this id.
    func deleteEditorialRule(id: EditorialRuleID) async throws -> Bool
}

/// The log of served decisions (home pages), which clicks and plays join to by decision id.
public protocol DecisionLogStore: Sendable {
    /// Appends the records in one transaction; a record whose decision id is stored already is skipped.
    /// With `countingArtwork` the records' artwork impressions are added to the artwork statistics in the
    /// same transaction; without, the caller adds them (`addArtworkImpressions`), summed over many batches.
    func appendHomeDecisions(_ records: [HomeDecisionRecord], countingArtwork: Bool) async throws
    /// Adds impressions to the artwork statistics (what `appendHomeDecisions` counts itself when asked).
    func addArtworkImpressions(_ counts: [ArtworkImpressionCount]) async throws
    func homeDecisionCount() async throws -> Int
    func homeDecision(id: DecisionID) async throws -> HomeDecisionRecord?
    /// Every logged artwork choice joined with its outcome, oldest first (at most `limit`).
    func artworkLog(limit: Int) async throws -> [ArtworkLogEntry]
    /// Per (title, variant, segment): artwork impressions logged and rewards (the first click or play of
    /// the title joined to the page), kept up to date by the store as pages are logged and events
    /// appended — what the artwork bandit starts from and refreshes from, in every process.
    func artworkStats() async throws -> [ArtworkStat]
    /// Deletes the home decisions served before `bound` (the log's retention); returns how many.
    func deleteHomeDecisions(servedBefore bound: Timestamp) async throws -> Int
}

extension DecisionLogStore {
    /// Appends the records and counts their artwork impressions, in one transaction.
    public func appendHomeDecisions(_ records: [HomeDecisionRecord]) async throws {
        try await appendHomeDecisions(records, countingArtwork: true)
    }
}

/// Artwork impressions of one title, variant and segment, to add to the statistics.
public struct ArtworkImpressionCount: Sendable, Hashable {
    public var titleID: TitleID
    public var variant: ArtworkVariantID
    public var segment: String
    public var impressions: Int

    public init(titleID: TitleID, variant: ArtworkVariantID, segment: String, impressions: Int) {
        self.titleID = titleID
        self.variant = variant
        self.segment = segment
        self.impressions = impressions
    }

    /// The artwork impressions of some logged pages, one count per (title, variant, segment), in key order.
    public static func of(_ records: some Sequence<HomeDecisionRecord>) -> [ArtworkImpressionCount] {
        var shown: [Key: Int] = [:]
        for r in records {
            for item in r.items {
                guard let variant = item.artworkVariant, let segment = item.artworkSegment else { continue }
                shown[Key(title: item.titleID.rawValue, variant: variant.rawValue, segment: segment), default: 0] += 1
            }
        }
        return sorted(shown)
    }

    struct Key: Hashable {
        var title: String
        var variant: String
        var segment: String
    }

    /// One count per key with a positive sum, in key order (the same batches make the same file).
    static func sorted(_ counts: [Key: Int]) -> [ArtworkImpressionCount] {
        counts.filter { $0.value > 0 }.sorted {
            ($0.key.title, $0.key.variant, $0.key.segment) < ($1.key.title, $1.key.variant, $1.key.segment)
        }.map {
            ArtworkImpressionCount(
                titleID: TitleID(trusted: $0.key.title), variant: ArtworkVariantID(trusted: $0.key.variant), segment: $0.key.segment,
                impressions: $0.value)
        }
    }

    /// Sums counts per key (several batches' into one write).
    public static func merged(_ counts: some Sequence<ArtworkImpressionCount>) -> [ArtworkImpressionCount] {
        var sum: [Key: Int] = [:]
        for c in counts {
            sum[Key(title: c.titleID.rawValue, variant: c.variant.rawValue, segment: c.segment), default: 0] += c.impressions
        }
        return sorted(sum)
    }
}

/// The artwork bandit's counts for one title, variant and segment.
public struct ArtworkStat: Sendable, Hashable {
    public var titleID: TitleID
    public var variant: ArtworkVariantID
    public var segment: String
    public var impressions: Int
    public var rewards: Int

    public init(titleID: TitleID, variant: ArtworkVariantID, segment: String, impressions: Int, rewards: Int) {
        self.titleID = titleID
        self.variant = variant
        self.segment = segment
        self.impressions = impressions
        self.rewards = rewards
    }
}

/// Reads the event log in arrival order, for rebuilding in-memory state at start-up.
public protocol EventLogReader: Sendable {
    /// Up to `limit` events whose arrival sequence is greater than `afterSequence`, in arrival order.
    func events(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)]
    /// As `events(afterSequence:limit:)`, only ad events and `abandon` (what the ad state is rebuilt from).
    func adEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)]
    /// The highest sequence number committed so far in the event log and among the contextual ad events
    /// (0 when empty): where a consumer that has replayed the log up to now starts tailing it.
    func eventLogEnd() async throws -> EventLogPosition
}

/// A position in the two logs that consumers tail: the event log and the contextual ad events.
public struct EventLogPosition: Sendable, Hashable {
    public var events: Int64
    public var contextualAdEvents: Int64

    public init(events: Int64, contextualAdEvents: Int64) {
        self.events = events
        self.contextualAdEvents = contextualAdEvents
    }
}
