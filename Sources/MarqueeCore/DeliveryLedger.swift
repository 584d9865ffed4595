/// The delivery ledger: budgets, spend, reservations and frequency-cap counts of every campaign, kept in
/// the store so that every process serving it sees one account (issue 14). The engine decides which ads
/// it would like to serve; the ledger grants them atomically against the limits, across processes.

/// The delivery day: the UTC calendar day of an instant, counted in days since 1970-01-01. Daily budgets,
/// "spent today", per-day frequency caps (this day) and per-week caps (this day and the six before it)
/// all count in it, in every process and after a restart alike.
public enum DeliveryDay {
    public static let milliseconds: Int64 = 86_400_000

    /// The day holding `instant` (floor division, so instants before 1970 fall on negative days).
    public static func of(_ instant: Timestamp) -> Int64 { of(milliseconds: instant.millisecondsSinceEpoch) }

    public static func of(milliseconds ms: Int64) -> Int64 {
        ms >= 0 ? ms / Self.milliseconds : (ms - Self.milliseconds + 1) / Self.milliseconds
    }
}

/// One ad that a decision wants to serve: what the ledger reserves, and the limits it checks in the same
/// atomic step.
public struct AdReservation: Sendable, Hashable {
    public var decisionID: DecisionID
    /// Position among the decision's proposed ads. The ledger numbers the granted ones 0, 1, 2 … in this
    /// order: that number is the served ad's slot (the `rank` its beacons carry).
    public var order: Int
    public var campaignID: CampaignID
    public var creativeID: CreativeID
    /// The requested profile id, which may be unknown to the store (a contextual decision).
    public var profileKey: String
    public var sessionID: SessionID?
    public var servedAt: Timestamp
    /// What one impression costs: the campaign's CPM bid in cents is the price in millicents.
    public var priceMillicents: Int64
    public var totalBudgetMillicents: Int64
    public var dailyBudgetMillicents: Int64?
    public var capPerDay: Int?
    public var capPerWeek: Int?
    public var capPerSession: Int?

    public init(
        decisionID: DecisionID, order: Int, campaignID: CampaignID, creativeID: CreativeID, profileKey: String, sessionID: SessionID?,
        servedAt: Timestamp, priceMillicents: Int64, totalBudgetMillicents: Int64, dailyBudgetMillicents: Int64?, capPerDay: Int?,
        capPerWeek: Int?, capPerSession: Int?
    ) {
        self.decisionID = decisionID
        self.order = order
        self.campaignID = campaignID
        self.creativeID = creativeID
        self.profileKey = profileKey
        self.sessionID = sessionID
        self.servedAt = servedAt
        self.priceMillicents = priceMillicents
        self.totalBudgetMillicents = totalBudgetMillicents
        self.dailyBudgetMillicents = dailyBudgetMillicents
        self.capPerDay = capPerDay
        self.capPerWeek = capPerWeek
        self.capPerSession = capPerSession
    }
}

/// What the ledger answered for one proposed ad.
public enum ReservationOutcome: Sendable, Hashable {
    /// Reserved; `slot` is its place in the served pod.
    case granted(slot: Int)
    case totalBudgetSpent
    case dailyBudgetSpent
    case dailyCapReached
    case weeklyCapReached
    case sessionCapReached

    public var isGranted: Bool {
        if case .granted = self { return true }
        return false
    }
}

/// One campaign's account in the ledger, in millicents (1/1000 cent).
public struct CampaignDeliveryTotals: Sendable, Hashable {
    public var campaignID: CampaignID
    public var spentMillicents: Int64
    public var reservedMillicents: Int64
    /// On the delivery day asked for.
    public var spentTodayMillicents: Int64
    public var reservedTodayMillicents: Int64
    public var impressions: Int

    public init(
        campaignID: CampaignID, spentMillicents: Int64, reservedMillicents: Int64, spentTodayMillicents: Int64,
        reservedTodayMillicents: Int64, impressions: Int
    ) {
        self.campaignID = campaignID
        self.spentMillicents = spentMillicents
        self.reservedMillicents = reservedMillicents
        self.spentTodayMillicents = spentTodayMillicents
        self.reservedTodayMillicents = reservedTodayMillicents
        self.impressions = impressions
    }
}
