import MarqueeCore

/// What has been delivered: spend and reservations per campaign, exposures per viewer for the
/// frequency caps, and per-session ad history for fatigue. A value type kept under the engine's
/// lock; every change goes through its methods so the invariants hold:
/// - spend + reserved never passes a budget (a reservation is refused instead);
/// - an ad counts toward its caps from the moment it is served (and keeps counting even if no
///   impression ever confirms it); an unconfirmed ad's budget reservation is released after the
///   reservation window.
struct DeliveryState {
    struct CampaignDelivery {
        /// Millicents (1/1000 cent): one impression at CPM c cents costs c millicents.
        var spent: Int64 = 0
        var reserved: Int64 = 0
        var spentToday: Int64 = 0
        var reservedToday: Int64 = 0
        /// UTC day number of `spentToday`.
        var day: Int64 = 0
        var impressions = 0
        /// The delivery day on which the pacer or the ledger said today's budget is spent (nil: open).
        var closedDay: Int64?
        /// Whether the pacer or the ledger said the flight's budget is spent.
        var closedTotal = false

        /// Forgets what the pacer or the ledger said about spent budgets (the campaign was edited, or
        /// the ledger's figures replaced the local ones).
        mutating func reopen() {
            closedDay = nil
            closedTotal = false
        }
    }

    /// What the delivery ledger refused since the last refresh, so that the next proposals do not ask
    /// again: viewers (and sessions) capped for a campaign on one delivery day.
    struct LearnedRefusals {
        var day: Int64 = .min
        /// Profile key, or `session:` + session key → campaign → the ledger's answer.
        var capped: [String: [Int: ReservationOutcome]] = [:]

        static func sessionKey(_ s: String) -> String { "session:" + s }
    }

    /// Times (ms) a viewer was shown each campaign on this delivery day and the six before it, oldest first.
    struct ViewerExposures {
        var byCampaign: [Int: [Int64]] = [:]
    }

    struct SessionHistory {
        var campaignServed: [Int: Int] = [:]
        var creativeServed: [Int: Int] = [:]
        var adsServed = 0
        var skips = 0
        var abandons = 0
        /// The ad playing now: its start (ms) and length (ms), until it completes or is skipped.
        var playing: (start: Int64, length: Int64)?
    }

    /// A served ad waiting for its impression (and then for a click, for the CTR model).
    struct Pending {
        var campaign: Int
        var creative: Int
        var profileKey: String
        var sessionKey: String?
        var servedAt: Int64
        var price: Int64
        var features: [FeatureToken]
        var confirmedAt: Int64?
        var clicked = false
    }

    var campaigns: [CampaignDelivery] = []
    /// One pacer per campaign, created at its first opportunity or charge.
    var pacers: [PacingStateMachine?] = []
    /// The expected share of a day's ad traffic by hour, for new pacers.
    var trafficCurve = TrafficCurve.uniform
    var viewers: [String: ViewerExposures] = [:]
    var sessions = SessionTable()
    /// Session generations dropped by `expire`, for the engine to free after its lock (`takeRetired`).
    var retiredSessions: [[String: SessionHistory]] = []
    var pending: [String: Pending] = [:]
    /// Pending keys in serving order, for expiry.
    var pendingOrder = RingQueue<String>()
    /// Ads served since the start (when to look for expired entries).
    var servedCount = 0
    var clock: Int64 = 0
    var learned = LearnedRefusals()
    /// The knobs of the pacers made from now on.
    var pacing = PacingConfiguration()
    /// Logged ad impressions per hour of the (UTC) day, over every impression folded: what the traffic
    /// curve is learned from (`TrafficCurve.learned`), kept so that a checkpoint carries it.
    var trafficCounts = [Double](repeating: 0, count: 24)

    init(sessionGenerationMs: Int64 = 3 * 3_600_000, pacing: PacingConfiguration = PacingConfiguration()) {
        sessions = SessionTable(generationMs: sessionGenerationMs)
        self.pacing = pacing
    }

    static let dayMs = DeliveryDay.milliseconds
    /// Delivery days in a per-week cap's window: this day and the six before it.
    static let weekDays: Int64 = 7

    static func key(decision: String, slot: Int) -> String { decision + "#" + String(slot) }

    /// Counts one logged impression at `ms` toward the traffic curve's hour.
    mutating func countTraffic(at ms: Int64) {
        TrafficCurve.count(ms, into: &trafficCounts)
    }

    mutating func resize(campaigns count: Int) {
        if campaigns.count < count { campaigns += repeatElement(CampaignDelivery(), count: count - campaigns.count) }
        if pacers.count < count { pacers += repeatElement(nil, count: count - pacers.count) }
    }

    static func day(_ ms: Int64) -> Int64 { DeliveryDay.of(milliseconds: ms) }

    /// Moves campaign `k`'s day forward to the one holding `ms`; never back (a late event of an
    /// earlier day must not reset today's spend).
    mutating func rollDay(_ k: Int, at ms: Int64) {
        let day = Self.day(ms)
        if day > campaigns[k].day {
            campaigns[k].day = day
            campaigns[k].spentToday = 0
            campaigns[k].reservedToday = 0
        }
    }

    // MARK: Budgets

    /// Whether campaign `k` can take one more impression at `price` millicents now.
    mutating func affordable(_ k: Int, price: Int64, campaign: Campaign, at ms: Int64) -> Bool {
        rollDay(k, at: ms)
        let d = campaigns[k]
        if d.closedTotal || d.closedDay == Self.day(ms) { return false }
        if d.spent + d.reserved + price > campaign.totalBudgetCents * 1000 { return false }
        if let daily = campaign.dailyBudgetCents, d.spentToday + d.reservedToday + price > daily * 1000 { return false }
        return true
    }

    /// Whether the campaign's total budget still covers `price` (after `affordable` said no: the
    /// daily budget is what stopped it when this is true).
    func totalBudgetCovers(_ k: Int, price: Int64, campaign: Campaign) -> Bool {
        let d = campaigns[k]
        return !d.closedTotal && d.spent + d.reserved + price <= campaign.totalBudgetCents * 1000
    }

    /// Why campaign `k` may not serve one more ad to this viewer now (budget, then caps), or nil: the
    /// local atomic check of a single-process decision.
    mutating func localRefusal(
        _ k: Int, campaign: Campaign, caps: (perDay: Int?, perWeek: Int?, perSession: Int?), profileKey: String, sessionKey: String?,
        at ms: Int64
    ) -> ReservationOutcome? {
        guard affordable(k, price: campaign.cpmBidCents, campaign: campaign, at: ms) else {
            return totalBudgetCovers(k, price: campaign.cpmBidCents, campaign: campaign) ? .dailyBudgetSpent : .totalBudgetSpent
        }
        return capRefusal(
            k, caps: caps, seen: exposures(profileKey, campaign: k, at: ms), profileKey: profileKey, sessionKey: sessionKey, at: ms)
    }

    /// Remembers a refusal of the ledger for campaign `k`: a spent budget closes the campaign (today, or
    /// for good) and a reached cap closes it for this viewer (or session) today, until the next refresh.
    mutating func learn(_ refusal: ReservationOutcome, campaign k: Int, profileKey: String, sessionKey: String?, at ms: Int64) {
        let day = Self.day(ms)
        switch refusal {
        case .granted: return
        case .totalBudgetSpent: campaigns[k].closedTotal = true
        case .dailyBudgetSpent: campaigns[k].closedDay = max(campaigns[k].closedDay ?? .min, day)
        case .dailyCapReached, .weeklyCapReached, .sessionCapReached:
            if day > learned.day { learned = LearnedRefusals(day: day) }
            guard day == learned.day else { return }
            if refusal == .sessionCapReached {
                guard let s = sessionKey else { return }
                learned.capped[LearnedRefusals.sessionKey(s), default: [:]][k] = refusal
            } else {
                learned.capped[profileKey, default: [:]][k] = refusal
            }
        }
    }

    /// Replaces campaign `k`'s figures by the ledger's; `day` is the delivery day of its today figures.
    mutating func refresh(_ k: Int, totals t: CampaignDeliveryTotals, day: Int64) {
        campaigns[k].spent = t.spentMillicents
        campaigns[k].reserved = t.reservedMillicents
        campaigns[k].impressions = t.impressions
        let current = day >= campaigns[k].day
        if current {
            campaigns[k].day = day
            campaigns[k].spentToday = t.spentTodayMillicents
            campaigns[k].reservedToday = t.reservedTodayMillicents
        }
        campaigns[k].reopen()
        if k < pacers.count, pacers[k] != nil {
            let at = Timestamp(millisecondsSinceEpoch: max(clock, day * Self.dayMs))
            let sameDay = current && pacers[k]!.configuration.utcOffsetSeconds == 0
            pacers[k]!.resynchronize(
                spentTotalMillicents: t.spentMillicents, spentTodayMillicents: sameDay ? t.spentTodayMillicents : nil, at: at)
            // What the pacer says now is carried out as its charge actions are (`paced`): a spent day
            // budget closes the campaign for that day, a spent total for good.
            let pacer = pacers[k]!
            if pacer.remainingTotalMillicents < pacer.pricePerImpressionMillicents {
                campaigns[k].closedTotal = true
            } else if sameDay, pacer.remainingTodayMillicents < pacer.pricePerImpressionMillicents {
                campaigns[k].closedDay = pacer.dayIndex
            }
        }
    }

    // MARK: Caps

    func count(_ times: [Int64], since: Int64) -> Int {
        // Times are ascending: binary search for the first one in the window.
        var low = 0
        var high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] >= since { high = mid } else { low = mid + 1 }
        }
        return times.count - low
    }

    /// Exposures of the viewer to campaign `k`: (on the delivery day of `ms`, on that day and the six
    /// before it). Caps count delivery days (`DeliveryDay`), as the store ledger does, not rolling windows.
    func exposures(_ profileKey: String, campaign k: Int, at ms: Int64) -> (day: Int, week: Int) {
        exposures(viewers[profileKey], campaign: k, at: ms)
    }

    /// The same from the viewer's entry, looked up once for all campaigns.
    func exposures(_ viewer: ViewerExposures?, campaign k: Int, at ms: Int64) -> (day: Int, week: Int) {
        guard let times = viewer?.byCampaign[k] else { return (0, 0) }
        let day = Self.day(ms)
        return (count(times, since: day * Self.dayMs), count(times, since: (day - Self.weekDays + 1) * Self.dayMs))
    }

    /// Why campaign `k` may not show another ad to this viewer now, or nil; `caps` are the campaign's
    /// caps as the request's configuration sets them, `seen` the viewer's `exposures` to it at this moment.
    /// A cap the ledger said was reached today (`learn`) counts as reached.
    func capRefusal(
        _ k: Int, caps: (perDay: Int?, perWeek: Int?, perSession: Int?), seen: (day: Int, week: Int), profileKey: String,
        sessionKey: String?, at ms: Int64
    ) -> ReservationOutcome? {
        if caps.perDay != nil || caps.perWeek != nil {
            if let cap = caps.perDay, seen.day >= cap { return .dailyCapReached }
            if let cap = caps.perWeek, seen.week >= cap { return .weeklyCapReached }
        }
        if let cap = caps.perSession, let s = sessionKey, (sessions[s]?.campaignServed[k] ?? 0) >= cap {
            return .sessionCapReached
        }
        if !learned.capped.isEmpty, learned.day == Self.day(ms) {
            if let refusal = learned.capped[profileKey]?[k] { return refusal }
            if let s = sessionKey, let refusal = learned.capped[LearnedRefusals.sessionKey(s)]?[k] { return refusal }
        }
        return nil
    }

    mutating func addExposure(_ profileKey: String, campaign k: Int, at ms: Int64) {
        // In place (a copy taken out of the table would be copied again on insert).
        Self.insert(ms, into: &viewers[profileKey, default: ViewerExposures()].byCampaign[k, default: []])
    }

    /// Keeps the week's delivery days, and inserts in order (events may arrive slightly out of order).
    static func insert(_ ms: Int64, into times: inout [Int64]) {
        let cutoff = (day(ms) - weekDays + 1) * dayMs
        if let first = times.first, first < cutoff { times.removeAll { $0 < cutoff } }
        var at = times.count
        while at > 0 && times[at - 1] > ms { at -= 1 }
        times.insert(ms, at: at)
    }

    /// Counts one more ad of campaign `k` and creative `creative` in the session.
    mutating func countInSession(_ sessionKey: String, campaign k: Int, creative: Int) {
        Self.count(campaign: k, creative: creative, in: &sessions[sessionKey, default: SessionHistory()])
    }

    static func count(campaign k: Int, creative: Int, in session: inout SessionHistory) {
        session.campaignServed[k, default: 0] += 1
        session.creativeServed[creative, default: 0] += 1
        session.adsServed += 1
    }

    // MARK: Serving and confirming

    /// Records a served ad: budget reserved, caps and session counted, pending its impression.
    mutating func serve(_ p: Pending, key: String) {
        let k = p.campaign
        rollDay(k, at: p.servedAt)
        campaigns[k].reserved += p.price
        campaigns[k].reservedToday += p.price
        addExposure(p.profileKey, campaign: k, at: p.servedAt)
        if let s = p.sessionKey { countInSession(s, campaign: k, creative: p.creative) }
        pending[key] = p
        pendingOrder.append(key)
        servedCount &+= 1
    }

    /// An impression of a served ad: the reservation becomes spend. Returns false when the key is
    /// unknown or already confirmed.
    mutating func confirm(key: String, at ms: Int64) -> Bool {
        guard var p = pending[key], p.confirmedAt == nil else { return false }
        let k = p.campaign
        campaigns[k].reserved -= p.price
        campaigns[k].spent += p.price
        campaigns[k].impressions += 1
        rollDay(k, at: p.servedAt)
        if campaigns[k].day == Self.day(p.servedAt) {
            campaigns[k].reservedToday -= p.price
            campaigns[k].spentToday += p.price
        }
        p.confirmedAt = ms
        pending[key] = p
        return true
    }

    /// An impression nobody reserved (history, another server): counted and charged at `price`.
    mutating func chargeUnreserved(campaign k: Int, creative: Int, price: Int64, profileKey: String, sessionKey: String?, at ms: Int64) {
        rollDay(k, at: ms)
        campaigns[k].spent += price
        if campaigns[k].day == Self.day(ms) { campaigns[k].spentToday += price }
        campaigns[k].impressions += 1
        addExposure(profileKey, campaign: k, at: ms)
        if let s = sessionKey { countInSession(s, campaign: k, creative: creative) }
    }

    /// Releases reservations older than `reservation` ms that no impression confirmed, and hands
    /// back confirmed ads older than `labelWindow` ms whose click never came (negatives for the
    /// CTR model). Pending entries are visited in serving order.
    /// Beyond `keepAtMost` entries the oldest go early whatever their age (a bound on memory when
    /// impressions or events stop arriving): their reservations are released, shown ads labelled.
    mutating func expire(now: Int64, reservation: Int64, labelWindow: Int64, keepAtMost: Int = .max) -> [[FeatureToken]] {
        if let dropped = sessions.rotate(now: now), !dropped.isEmpty { retiredSessions.append(dropped) }
        var negatives: [[FeatureToken]] = []
        while let key = pendingOrder.first {
            guard let p = pending[key] else {
                pendingOrder.removeFirst()
                continue
            }
            let crowded = pending.count > keepAtMost
            if let confirmed = p.confirmedAt {
                guard crowded || now - max(confirmed, p.servedAt) >= labelWindow else { break }
                if !p.clicked && !p.features.isEmpty { negatives.append(p.features) }
            } else {
                guard crowded || now - p.servedAt >= reservation else { break }
                release(p)
            }
            pending[key] = nil
            pendingOrder.removeFirst()
        }
        return negatives
    }

    /// The dropped session generations, emptied here so that the caller frees them outside the lock.
    mutating func takeRetired() -> [[String: SessionHistory]] {
        guard !retiredSessions.isEmpty else { return [] }
        defer { retiredSessions = [] }
        return retiredSessions
    }

    mutating func release(_ p: Pending) {
        let k = p.campaign
        campaigns[k].reserved -= p.price
        if campaigns[k].day == Self.day(p.servedAt) { campaigns[k].reservedToday -= p.price }
        // The exposure stays counted: a cap is about what was served, and a player that never
        // reports impressions must not get more ads past the cap.
    }
}

/// One hashed feature of a CTR example: which field, and the value's stable hash.
public struct FeatureToken: Sendable, Hashable {
    public var field: Int
    public var value: UInt64

    public init(field: Int, value: UInt64) {
        self.field = field
        self.value = value
    }
}

/// The sessions' ad histories in two generations: a session not touched for one to two
/// `generationMs` (3–6 hours by default) is over and is dropped, so the table does not grow with every
/// session ever seen. Starting a generation is O(1); the retired one is handed back to be freed
/// outside the engine's lock.
struct SessionTable {
    typealias History = DeliveryState.SessionHistory
    /// How long (ms) one generation lasts (`AdDecisionConfiguration.sessionGenerationMs`).
    let generationMs: Int64

    private(set) var current: [String: History] = [:]
    private(set) var previous: [String: History] = [:]
    /// When `current` started (ms); nil before the first rotation.
    private var startedAt: Int64?

    init(generationMs: Int64 = 3 * 3_600_000) { self.generationMs = max(1, generationMs) }

    /// A table as a checkpoint had it.
    init(generationMs: Int64, current: [String: History], previous: [String: History], startedAt: Int64?) {
        self.generationMs = max(1, generationMs)
        self.current = current
        self.previous = previous
        self.startedAt = startedAt
    }

    /// When the current generation started (ms), for checkpoints.
    var generationStartedAt: Int64? { startedAt }

    var count: Int { current.count + previous.count }

    subscript(key: String) -> History? {
        get { current[key] ?? previous[key] }
        set {
            previous[key] = nil
            current[key] = newValue
        }
    }

    subscript(key: String, default value: @autoclosure () -> History) -> History {
        get { self[key] ?? value() }
        _modify {
            if current[key] == nil, let old = previous.removeValue(forKey: key) { current[key] = old }
            yield &current[key, default: value()]
        }
    }

    /// Every session, current generation first (for remapping indices when the book changes).
    var all: [(key: String, value: History)] { Array(current) + previous.filter { current[$0.key] == nil } }

    /// Starts a new generation once `now` is a generation past the current one's start; returns the
    /// sessions dropped (nil when nothing rotated).
    mutating func rotate(now: Int64) -> [String: History]? {
        guard let start = startedAt else {
            startedAt = now
            return nil
        }
        guard now - start >= generationMs else { return nil }
        let dropped = previous
        previous = current
        current = [:]
        current.reserveCapacity(previous.count)
        startedAt = now
        return dropped
    }
}
