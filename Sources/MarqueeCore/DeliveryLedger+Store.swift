/// One ad decision as the ledger takes it: the pod's log record, whose `ads[i]` is the proposed ad with
/// `order == i`, and one reservation per proposed ad, in order.
public struct LedgerDecision: Sendable, Hashable {
    public var record: AdDecisionRecord
    public var reservations: [AdReservation]

    public init(record: AdDecisionRecord, reservations: [AdReservation]) {
        self.record = record
        self.reservations = reservations
    }
}

/// A viewer's counted exposures to one campaign: on the delivery day asked for, and in its week (that
/// day and the six before it).
public struct CampaignExposures: Sendable, Hashable {
    public var day: Int
    public var week: Int

    public init(day: Int, week: Int) {
        self.day = day
        self.week = week
    }
}

/// The delivery ledger kept in the store (issue 14): budgets are reserved and caps counted atomically,
/// so that several processes serving one store neither overspend a budget nor exceed a cap.
///
/// Ad impressions appended through `EventStore.appendEvents` or `AdDecisionLogStore.appendBeaconEvent`
/// confirm reservations in the same transaction: a matching reservation becomes spend once; an
/// impression nothing reserved is charged at the campaign's CPM on its own day and counts an exposure.
public protocol DeliveryLedgerStore: Sendable {
    /// Grants or refuses every reservation and logs every decision, all in one write transaction.
    ///
    /// Decisions are taken in order and each one's reservations in order; each check sees every earlier
    /// grant of the call and every other process's committed writes: the total budget (spent + reserved
    /// + price ≤ total), the daily budget on the reservation's delivery day, the per-day cap (the viewer's
    /// exposures to the campaign that day), the per-week cap (that day and the six before) and the
    /// per-session cap. A grant reserves the price on the campaign's account for the day and counts one
    /// exposure and one session ad. The decision's record is then stored with only the granted ads,
    /// numbered 0, 1, 2 … (the slot of `granted(slot:)`).
    ///
    /// A decision whose id is stored already (or came earlier in the call) reserves and logs nothing: its
    /// answer is the outcomes stored with it. The result has one array per decision, one outcome per
    /// reservation. Throws `invalidValue` (nothing written) when a reservation does not belong to its
    /// record or names a campaign the store does not have.
    func reserveAndLog(_ decisions: [LedgerDecision]) async throws -> [[ReservationOutcome]]

    /// Releases the budget of reservations served before `servedBefore` that no impression confirmed;
    /// their exposures stay counted (a cap is about what was served). Returns how many were released.
    /// Idempotent, and safe from several processes at once.
    func releaseExpiredReservations(servedBefore: Timestamp) async throws -> Int

    /// Every campaign with ledger activity, by id: totals over all days and the figures of `day`.
    func campaignDeliveryTotals(day: Int64) async throws -> [CampaignDeliveryTotals]

    /// The viewer's counted exposures on `day` and in its week, of every campaign with one that week.
    func exposureCounts(profileKey: String, day: Int64) async throws -> [CampaignID: CampaignExposures]

    /// The ads of each campaign served in the session.
    func sessionCounts(sessionID: SessionID) async throws -> [CampaignID: Int]

    /// One campaign's delivery on each delivery day from `fromDay` through `toDay` (both included, in
    /// order, days without delivery too): its creatives' impressions and clicks per UTC hour, from the
    /// event log and the contextual ad events, and the ledger's spend of the day.
    func campaignDelivery(_ campaign: CampaignID, fromDay: Int64, toDay: Int64) async throws -> [CampaignDeliveryDay]
}

/// One campaign's delivery on one delivery day (the ads console's charts).
public struct CampaignDeliveryDay: Sendable, Hashable {
    /// Days since 1970-01-01 (UTC).
    public var day: Int64
    /// Ad impressions in each UTC hour of the day (24 entries).
    public var hourlyImpressions: [Int]
    /// Ad clicks in each UTC hour of the day (24 entries).
    public var hourlyClicks: [Int]
    /// What the ledger charged the campaign that day.
    public var spentMillicents: Int64

    public init(day: Int64, hourlyImpressions: [Int], hourlyClicks: [Int], spentMillicents: Int64) {
        self.day = day
        self.hourlyImpressions = hourlyImpressions
        self.hourlyClicks = hourlyClicks
        self.spentMillicents = spentMillicents
    }

    public var impressions: Int { hourlyImpressions.reduce(0, +) }
    public var clicks: Int { hourlyClicks.reduce(0, +) }
}
