import Foundation
import MarqueeCore
import PostgresNIO

/// The delivery ledger on PostgreSQL.
///
/// SQLite lets one writer at a time into the file; PostgreSQL runs writers at once, so the ledger serializes
/// them per campaign instead: every transaction that changes a campaign's delivery (a reservation, a charged or
/// confirmed impression, a release) first locks that campaign's `ledger_accounts` row (`SELECT … FOR UPDATE`),
/// all of its campaigns at once in campaign-id order, and only then reads the budgets, caps and reservations
/// and writes. So a check sees every grant committed before it (two replicas cannot both take the last
/// impression of a budget or a cap), and two transactions cannot wait for each other's locks (one lock order:
/// accounts by id, then the rest).
extension PostgresStore: DeliveryLedgerStore {
    public func reserveAndLog(_ decisions: [LedgerDecision]) async throws -> [[ReservationOutcome]] {
        guard !decisions.isEmpty else { return [] }
        for (i, decision) in decisions.enumerated() { try SQLiteStore.validate(decision, at: i) }
        let campaigns = Set(decisions.flatMap { $0.reservations.map(\.campaignID.rawValue) })
        return try await transaction("reserving \(Wording.count(decisions.count, "ad decision"))") { connection in
            var accounts = try await PostgresLedgerAccounts.lock(campaigns, on: connection, logger: self.logger)
            // Read after the locks: a decision another process logged meanwhile (a replay) is answered as stored.
            var stored: [String: (String?, Int)] = [:]
            let ids = decisions.map(\.record.decisionID.rawValue)
            for try await (id, outcomes, count) in try await connection.query(
                "SELECT id, outcomes, ad_count FROM ad_decisions WHERE id = ANY(\(ids)::text[])", logger: self.logger
            ).decode((String, String?, Int).self) {
                stored[id] = (outcomes, count)
            }
            // Everything the checks read, in three statements for the whole batch (every row they read belongs to a
            // locked campaign, so it stands until the commit); the grants are written at the end, a statement per table.
            let fresh = decisions.filter { stored[$0.record.decisionID.rawValue] == nil }.flatMap(\.reservations)
            var batch = try await LedgerBatch.read(fresh, accounts: &accounts, on: connection, logger: self.logger)
            var answered: [String: [ReservationOutcome]] = [:]
            var results: [[ReservationOutcome]] = []
            results.reserveCapacity(decisions.count)
            var logged: [AdDecisionRecord] = []
            var loggedOutcomes: [[ReservationOutcome]] = []
            for decision in decisions {
                let id = decision.record.decisionID.rawValue
                if let earlier = answered[id] {
                    results.append(earlier)
                    continue
                }
                if let (outcomes, count) = stored[id] {
                    let replay = SQLiteStore.outcomes(stored: outcomes, adCount: count, proposed: decision.reservations.count)
                    answered[id] = replay
                    results.append(replay)
                    continue
                }
                var outcomes: [ReservationOutcome] = []
                var record = decision.record
                record.ads = []
                for reservation in decision.reservations {
                    let outcome = batch.reserve(reservation, slot: record.ads.count, accounts: &accounts)
                    if case .granted(let slot) = outcome {
                        var ad = decision.record.ads[reservation.order]
                        ad.slot = slot
                        record.ads.append(ad)
                    }
                    outcomes.append(outcome)
                }
                logged.append(record)
                loggedOutcomes.append(outcomes)
                answered[id] = outcomes
                results.append(outcomes)
            }
            try await batch.write(on: connection, logger: self.logger)
            if !logged.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO ad_decisions (profile_key, id, title_id, served_at, ad_count, doc, outcomes)
                    SELECT * FROM unnest(\(logged.map(\.profileKey))::text[], \(logged.map(\.decisionID.rawValue))::text[],
                        \(logged.map(\.titleID.rawValue))::text[], \(logged.map(\.servedAt.millisecondsSinceEpoch))::bigint[],
                        \(logged.map { Int64($0.ads.count) })::bigint[], \(logged.map { String(decoding: $0.json(), as: UTF8.self) })::text[],
                        \(loggedOutcomes.map { SQLiteStore.encode($0) })::text[])
                    ON CONFLICT (profile_key, id) DO NOTHING
                    """, logger: self.logger)
            }
            try await accounts.flush(on: connection, logger: self.logger)
            return results
        }
    }

    func countExposure(profileKey: String, campaign: String, day: Int64, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO ledger_exposures (profile_key, campaign_id, day, exposures) VALUES (\(profileKey), \(campaign), \(day), 1)
            ON CONFLICT (profile_key, campaign_id, day) DO UPDATE SET exposures = ledger_exposures.exposures + 1
            """, logger: logger)
    }

    func countSessionAd(session: String, campaign: String, at ms: Int64, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO ledger_sessions (session_id, campaign_id, ads, last_served_at) VALUES (\(session), \(campaign), 1, \(ms))
            ON CONFLICT (session_id, campaign_id) DO UPDATE SET ads = ledger_sessions.ads + 1,
                last_served_at = GREATEST(ledger_sessions.last_served_at, excluded.last_served_at)
            """, logger: logger)
    }

    // MARK: Impressions

    /// Applies the ad impressions just appended (not duplicates), in the appending transaction: each confirms the
    /// reservation of its decision and slot once, or else is charged at its campaign's CPM on its own day and
    /// counted (`profileKeys`: the viewer each was counted for). The campaigns' accounts are locked first.
    func ledgerImpressions(_ impressions: [Event], on connection: PostgresConnection) async throws {
        let impressions = impressions.filter { $0.type == .adImpression && $0.creativeID != nil }
        guard !impressions.isEmpty else { return }
        // The campaigns touched: those of the reservations named, and those of the creatives (for the charge).
        var campaigns = Set<String>()
        let decisions = impressions.compactMap(\.decisionID?.rawValue)
        if !decisions.isEmpty {
            for try await campaign in try await connection.query(
                "SELECT DISTINCT campaign_id FROM ledger_reservations WHERE decision_id = ANY(\(decisions)::text[])", logger: logger
            ).decode(String.self) {
                campaigns.insert(campaign)
            }
        }
        var charges: [String: (campaign: String, cpm: Int64)] = [:]
        let creatives = Array(Set(impressions.compactMap(\.creativeID?.rawValue)))
        for try await (creative, campaign, cpm) in try await connection.query(
            """
            SELECT cr.id, cr.campaign_id, ca.cpm_bid_cents FROM creatives AS cr JOIN campaigns AS ca ON ca.id = cr.campaign_id
            WHERE cr.id = ANY(\(creatives)::text[])
            """, logger: logger
        ).decode((String, String, Int64).self) {
            charges[creative] = (campaign, cpm)
            campaigns.insert(campaign)
        }
        var accounts = try await PostgresLedgerAccounts.lock(campaigns, on: connection, logger: logger)
        for e in impressions {
            if let decision = e.decisionID?.rawValue {
                var found: (String, Int64, Int64, String)?
                for try await row in try await connection.query(
                    """
                    SELECT campaign_id, day, price_millicents, state FROM ledger_reservations
                    WHERE decision_id = \(decision) AND slot = \(e.rank ?? 0)
                    """, logger: logger
                ).decode((String, Int64, Int64, String).self) {
                    found = row
                }
                if let (campaign, day, price, state) = found {
                    if state == "confirmed" { continue }
                    try await connection.query(
                        "UPDATE ledger_reservations SET state = 'confirmed' WHERE decision_id = \(decision) AND slot = \(e.rank ?? 0)",
                        logger: logger)
                    // A released reservation (its impression came after the window) is charged now; its exposure
                    // was counted when it was served.
                    accounts.add(campaign, day, spent: price, reserved: state == "reserved" ? -price : 0, impressions: 1)
                    continue
                }
            }
            guard let creative = e.creativeID?.rawValue, let charge = charges[creative] else { continue }
            let day = DeliveryDay.of(e.timestamp)
            accounts.add(charge.campaign, day, spent: charge.cpm, impressions: 1)
            try await countExposure(profileKey: e.profileID.rawValue, campaign: charge.campaign, day: day, on: connection)
            if let session = e.context.sessionID {
                try await countSessionAd(
                    session: session.rawValue, campaign: charge.campaign, at: e.timestamp.millisecondsSinceEpoch, on: connection)
            }
        }
        try await accounts.flush(on: connection, logger: logger)
    }

    // MARK: Release

    public func releaseExpiredReservations(servedBefore: Timestamp) async throws -> Int {
        let bound = servedBefore.millisecondsSinceEpoch
        return try await transaction("releasing expired reservations") { connection in
            var campaigns = Set<String>()
            for try await campaign in try await connection.query(
                "SELECT DISTINCT campaign_id FROM ledger_reservations WHERE state = 'reserved' AND served_at < \(bound)",
                logger: self.logger
            ).decode(String.self) {
                campaigns.insert(campaign)
            }
            guard !campaigns.isEmpty else { return 0 }
            var accounts = try await PostgresLedgerAccounts.lock(campaigns, on: connection, logger: self.logger)
            var released = 0
            for try await (campaign, day, price) in try await connection.query(
                """
                UPDATE ledger_reservations SET state = 'released'
                WHERE state = 'reserved' AND served_at < \(bound) AND campaign_id = ANY(\(Array(campaigns))::text[])
                RETURNING campaign_id, day, price_millicents
                """, logger: self.logger
            ).decode((String, Int64, Int64).self) {
                accounts.add(campaign, day, reserved: -price)
                released += 1
            }
            try await accounts.flush(on: connection, logger: self.logger)
            return released
        }
    }

    // MARK: Reads

    public func campaignDeliveryTotals(day: Int64) async throws -> [CampaignDeliveryTotals] {
        try await rows(
            "reading the delivery ledger",
            """
            SELECT a.campaign_id, a.spent_millicents, a.reserved_millicents, COALESCE(d.spent_millicents, 0),
                COALESCE(d.reserved_millicents, 0), a.impressions
            FROM ledger_accounts AS a
            LEFT JOIN ledger_account_days AS d ON d.campaign_id = a.campaign_id AND d.day = \(day)
            ORDER BY a.campaign_id
            """
        ).map { row in
            let r = row.makeRandomAccess()
            return CampaignDeliveryTotals(
                campaignID: CampaignID(trusted: try r.value(0)), spentMillicents: try r.value(1), reservedMillicents: try r.value(2),
                spentTodayMillicents: try r.value(3), reservedTodayMillicents: try r.value(4), impressions: try r.value(5))
        }
    }

    public func campaignDelivery(_ campaign: CampaignID, fromDay: Int64, toDay: Int64) async throws -> [CampaignDeliveryDay] {
        guard fromDay <= toDay else { return [] }
        let count = Int(toDay - fromDay + 1)
        var days = (0..<count).map {
            CampaignDeliveryDay(
                day: fromDay + Int64($0), hourlyImpressions: Array(repeating: 0, count: 24), hourlyClicks: Array(repeating: 0, count: 24),
                spentMillicents: 0)
        }
        let from = fromDay * DeliveryDay.milliseconds
        let to = (toDay + 1) * DeliveryDay.milliseconds
        let id = campaign.rawValue
        for row in try await rows(
            "reading a campaign's delivery",
            """
            SELECT hour, SUM(impressions)::bigint, SUM(clicks)::bigint FROM (
                SELECT occurred_at / 3600000 AS hour, (type = 'adImpression')::int AS impressions, (type = 'adClick')::int AS clicks
                FROM events
                WHERE type IN ('adImpression', 'adClick') AND occurred_at >= \(from) AND occurred_at < \(to)
                    AND creative_id IN (SELECT c.id FROM creatives AS c WHERE c.campaign_id = \(id))
                UNION ALL
                SELECT occurred_at / 3600000, (type = 'adImpression')::int, (type = 'adClick')::int
                FROM contextual_ad_events
                WHERE type IN ('adImpression', 'adClick') AND occurred_at >= \(from) AND occurred_at < \(to)
                    AND creative_id IN (SELECT c.id FROM creatives AS c WHERE c.campaign_id = \(id))
            ) AS ads GROUP BY hour
            """)
        {
            let r = row.makeRandomAccess()
            let hour: Int64 = try r.value(0)
            let index = Int(hour / 24 - fromDay)
            guard index >= 0, index < count else { continue }
            let impressions: Int64 = try r.value(1)
            let clicks: Int64 = try r.value(2)
            days[index].hourlyImpressions[Int(hour % 24)] = Int(impressions)
            days[index].hourlyClicks[Int(hour % 24)] = Int(clicks)
        }
        for row in try await rows(
            "reading a campaign's delivery",
            "SELECT day, spent_millicents FROM ledger_account_days WHERE campaign_id = \(id) AND day BETWEEN \(fromDay) AND \(toDay)")
        {
            let r = row.makeRandomAccess()
            let day: Int64 = try r.value(0)
            days[Int(day - fromDay)].spentMillicents = try r.value(1)
        }
        return days
    }

    public func exposureCounts(profileKey: String, day: Int64) async throws -> [CampaignID: CampaignExposures] {
        var counts: [CampaignID: CampaignExposures] = [:]
        for row in try await rows(
            "reading a viewer's exposures",
            """
            SELECT campaign_id, COALESCE(SUM(CASE WHEN day = \(day) THEN exposures END), 0)::bigint, SUM(exposures)::bigint
            FROM ledger_exposures WHERE profile_key = \(profileKey) AND day BETWEEN \(day - 6) AND \(day) GROUP BY campaign_id
            """)
        {
            let r = row.makeRandomAccess()
            counts[CampaignID(trusted: try r.value(0))] = CampaignExposures(day: try r.value(1), week: try r.value(2))
        }
        return counts
    }

    public func sessionCounts(sessionID: SessionID) async throws -> [CampaignID: Int] {
        var counts: [CampaignID: Int] = [:]
        for row in try await rows(
            "reading a session's ads", "SELECT campaign_id, ads FROM ledger_sessions WHERE session_id = \(sessionID.rawValue)")
        {
            let r = row.makeRandomAccess()
            counts[CampaignID(trusted: try r.value(0))] = try r.value(1)
        }
        return counts
    }
}

/// The campaign accounts of one ledger transaction, locked: read once when locked (totals) or first needed
/// (days), changed in memory, written once each at the end (`flush`).
struct PostgresLedgerAccounts {
    typealias Amounts = LedgerAccounts.Amounts
    typealias DayKey = LedgerAccounts.DayKey

    private var totals: [String: Amounts] = [:]
    private var days: [DayKey: Amounts] = [:]
    private var totalChanges: [String: Amounts] = [:]
    private var dayChanges: [DayKey: Amounts] = [:]

    /// Creates the missing account rows of these campaigns and locks all of them, in campaign-id order; an
    /// unknown campaign is refused (and the transaction rolls back).
    static func lock(_ campaigns: Set<String>, on connection: PostgresConnection, logger: Logger) async throws -> PostgresLedgerAccounts {
        var accounts = PostgresLedgerAccounts()
        guard !campaigns.isEmpty else { return accounts }
        let ids = campaigns.sorted()
        try await connection.query(
            """
            INSERT INTO ledger_accounts (campaign_id, spent_millicents, reserved_millicents, impressions)
            SELECT id, 0, 0, 0 FROM campaigns WHERE id = ANY(\(ids)::text[]) ORDER BY id
            ON CONFLICT (campaign_id) DO NOTHING
            """, logger: logger)
        for try await (campaign, spent, reserved, impressions) in try await connection.query(
            """
            SELECT campaign_id, spent_millicents, reserved_millicents, impressions FROM ledger_accounts
            WHERE campaign_id = ANY(\(ids)::text[]) ORDER BY campaign_id FOR UPDATE
            """, logger: logger
        ).decode((String, Int64, Int64, Int64).self) {
            accounts.totals[campaign] = Amounts(spent: spent, reserved: reserved, impressions: impressions)
        }
        if let missing = ids.first(where: { accounts.totals[$0] == nil }) {
            throw MarqueeError(
                .invalidValue, code: "unknown_campaign", message: "campaignId: no campaign with id '\(missing)'; nothing was reserved")
        }
        return accounts
    }

    /// The campaign's account over all days, as it stands in this transaction (the campaign is locked).
    func total(_ campaign: String) -> Amounts { totals[campaign] ?? Amounts() }

    /// The campaign's account on `day`, as it stands in this transaction.
    mutating func day(_ campaign: String, _ day: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Amounts {
        let key = DayKey(campaign: campaign, day: day)
        if let known = days[key] { return known }
        var amounts = Amounts()
        for try await (spent, reserved, impressions) in try await connection.query(
            """
            SELECT spent_millicents, reserved_millicents, impressions FROM ledger_account_days
            WHERE campaign_id = \(campaign) AND day = \(day)
            """, logger: logger
        ).decode((Int64, Int64, Int64).self) {
            amounts = Amounts(spent: spent, reserved: reserved, impressions: impressions)
        }
        if let change = dayChanges[key] { Self.apply(change, to: &amounts) }
        days[key] = amounts
        return amounts
    }

    /// Reads the accounts of these (campaign, day) pairs in one statement, for `knownDay`.
    mutating func readDays(_ keys: Set<DayKey>, on connection: PostgresConnection, logger: Logger) async throws {
        let wanted = keys.filter { days[$0] == nil }
        guard !wanted.isEmpty else { return }
        let list = Array(wanted)
        var found: [DayKey: Amounts] = [:]
        for try await (campaign, day, spent, reserved, impressions) in try await connection.query(
            """
            SELECT d.campaign_id, d.day, d.spent_millicents, d.reserved_millicents, d.impressions
            FROM ledger_account_days AS d JOIN unnest(\(list.map(\.campaign))::text[], \(list.map(\.day))::bigint[]) AS k(campaign_id, day)
                ON d.campaign_id = k.campaign_id AND d.day = k.day
            """, logger: logger
        ).decode((String, Int64, Int64, Int64, Int64).self) {
            found[DayKey(campaign: campaign, day: day)] = Amounts(spent: spent, reserved: reserved, impressions: impressions)
        }
        for key in list {
            var amounts = found[key] ?? Amounts()
            if let change = dayChanges[key] { Self.apply(change, to: &amounts) }
            days[key] = amounts
        }
    }

    /// A day's account read by `readDays` (or changed since), as it stands in this transaction.
    func knownDay(_ campaign: String, _ day: Int64) -> Amounts {
        days[DayKey(campaign: campaign, day: day)] ?? Amounts()
    }

    /// Changes a locked campaign's account and its day's.
    mutating func add(_ campaign: String, _ day: Int64, spent: Int64 = 0, reserved: Int64 = 0, impressions: Int64 = 0) {
        let change = Amounts(spent: spent, reserved: reserved, impressions: impressions)
        let key = DayKey(campaign: campaign, day: day)
        Self.apply(change, to: &totalChanges[campaign, default: Amounts()])
        Self.apply(change, to: &dayChanges[key, default: Amounts()])
        Self.apply(change, to: &totals[campaign, default: Amounts()])
        if days[key] != nil { Self.apply(change, to: &days[key]!) }
    }

    private static func apply(_ change: Amounts, to amounts: inout Amounts) {
        amounts.spent += change.spent
        amounts.reserved += change.reserved
        amounts.impressions += change.impressions
    }

    /// Writes the changes: one statement for the accounts, and for their days one UPDATE, then one INSERT of
    /// the days that had no row (no other transaction writes the day rows of a locked campaign).
    func flush(on connection: PostgresConnection, logger: Logger) async throws {
        if !totalChanges.isEmpty {
            let rows = totalChanges.sorted { $0.key < $1.key }
            let ids = rows.map(\.key)
            let spent = rows.map(\.value.spent)
            let reserved = rows.map(\.value.reserved)
            let impressions = rows.map(\.value.impressions)
            try await connection.query(
                """
                UPDATE ledger_accounts AS a SET spent_millicents = a.spent_millicents + c.spent,
                    reserved_millicents = a.reserved_millicents + c.reserved, impressions = a.impressions + c.impressions
                FROM unnest(\(ids)::text[], \(spent)::bigint[], \(reserved)::bigint[], \(impressions)::bigint[])
                    AS c(campaign_id, spent, reserved, impressions)
                WHERE a.campaign_id = c.campaign_id
                """, logger: logger)
        }
        guard !dayChanges.isEmpty else { return }
        let rows = dayChanges.sorted { ($0.key.campaign, $0.key.day) < ($1.key.campaign, $1.key.day) }
        var updated = Set<DayKey>()
        for try await (campaign, day) in try await connection.query(
            """
            UPDATE ledger_account_days AS d SET spent_millicents = d.spent_millicents + c.spent,
                reserved_millicents = d.reserved_millicents + c.reserved, impressions = d.impressions + c.impressions
            FROM unnest(\(rows.map(\.key.campaign))::text[], \(rows.map(\.key.day))::bigint[], \(rows.map(\.value.spent))::bigint[],
                \(rows.map(\.value.reserved))::bigint[], \(rows.map(\.value.impressions))::bigint[])
                AS c(campaign_id, day, spent, reserved, impressions)
            WHERE d.campaign_id = c.campaign_id AND d.day = c.day
            RETURNING d.campaign_id, d.day
            """, logger: logger
        ).decode((String, Int64).self) {
            updated.insert(DayKey(campaign: campaign, day: day))
        }
        let fresh = rows.filter { !updated.contains($0.key) }
        guard !fresh.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO ledger_account_days (campaign_id, day, spent_millicents, reserved_millicents, impressions)
            SELECT * FROM unnest(\(fresh.map(\.key.campaign))::text[], \(fresh.map(\.key.day))::bigint[], \(fresh.map(\.value.spent))::bigint[],
                \(fresh.map(\.value.reserved))::bigint[], \(fresh.map(\.value.impressions))::bigint[])
            """, logger: logger)
    }
}

/// One batch of reservations on PostgreSQL: what their checks read, fetched in a statement per table for the whole
/// batch, and what their grants write, kept and written in a statement per table at the end. Every row read or
/// written belongs to a campaign whose account the transaction has locked, so nothing changes under it.
struct LedgerBatch {
    struct ExposureKey: Hashable {
        var profile: String
        var campaign: String
        var day: Int64
    }
    struct PairKey: Hashable {
        var first: String
        var campaign: String
    }
    struct Grant {
        var decision: String
        var slot: Int64
        var campaign: String
        var day: Int64
        var servedAt: Int64
        var price: Int64
    }

    /// Exposures per viewer, campaign and day: as stored, plus this batch's grants.
    private var exposures: [ExposureKey: Int64] = [:]
    /// Ads per session and campaign: as stored, plus this batch's grants.
    private var sessionAds: [PairKey: Int64] = [:]
    private var newExposures: [ExposureKey: Int64] = [:]
    private var newSessionAds: [PairKey: (ads: Int64, last: Int64)] = [:]
    private var granted: [Grant] = []

    static func read(
        _ reservations: [AdReservation], accounts: inout PostgresLedgerAccounts, on connection: PostgresConnection, logger: Logger
    ) async throws -> LedgerBatch {
        var batch = LedgerBatch()
        let dayKeys = reservations.filter { $0.dailyBudgetMillicents != nil }.map {
            PostgresLedgerAccounts.DayKey(campaign: $0.campaignID.rawValue, day: DeliveryDay.of($0.servedAt))
        }
        try await accounts.readDays(Set(dayKeys), on: connection, logger: logger)
        let capped = reservations.filter { $0.capPerDay != nil || $0.capPerWeek != nil }
        if !capped.isEmpty {
            let pairs = Array(Set(capped.map { PairKey(first: $0.profileKey, campaign: $0.campaignID.rawValue) }))
            let days = capped.map { DeliveryDay.of($0.servedAt) }
            let from = (days.min() ?? 0) - 6
            let to = days.max() ?? 0
            let profiles = pairs.map(\.first)
            let campaigns = pairs.map(\.campaign)
            for try await (profile, campaign, day, count) in try await connection.query(
                """
                SELECT e.profile_key, e.campaign_id, e.day, e.exposures
                FROM ledger_exposures AS e JOIN unnest(\(profiles)::text[], \(campaigns)::text[]) AS k(profile_key, campaign_id)
                    ON e.profile_key = k.profile_key AND e.campaign_id = k.campaign_id
                WHERE e.day BETWEEN \(from) AND \(to)
                """, logger: logger
            ).decode((String, String, Int64, Int64).self) {
                batch.exposures[ExposureKey(profile: profile, campaign: campaign, day: day)] = count
            }
        }
        let sessionPairs = reservations.compactMap { r -> PairKey? in
            guard r.capPerSession != nil, let session = r.sessionID else { return nil }
            return PairKey(first: session.rawValue, campaign: r.campaignID.rawValue)
        }
        if !sessionPairs.isEmpty {
            let pairs = Array(Set(sessionPairs))
            let sessions = pairs.map(\.first)
            let campaigns = pairs.map(\.campaign)
            for try await (session, campaign, ads) in try await connection.query(
                """
                SELECT s.session_id, s.campaign_id, s.ads
                FROM ledger_sessions AS s JOIN unnest(\(sessions)::text[], \(campaigns)::text[]) AS k(session_id, campaign_id)
                    ON s.session_id = k.session_id AND s.campaign_id = k.campaign_id
                """, logger: logger
            ).decode((String, String, Int64).self) {
                batch.sessionAds[PairKey(first: session, campaign: campaign)] = ads
            }
        }
        return batch
    }

    /// Checks one reservation against the limits as they stand (the stored rows and this batch's grants) and
    /// grants it as `slot`, or says why not, in the order `SQLiteStore` checks them.
    mutating func reserve(_ r: AdReservation, slot: Int, accounts: inout PostgresLedgerAccounts) -> ReservationOutcome {
        let campaign = r.campaignID.rawValue
        let day = DeliveryDay.of(r.servedAt)
        let price = r.priceMillicents
        let total = accounts.total(campaign)
        if total.spent + total.reserved + price > r.totalBudgetMillicents { return .totalBudgetSpent }
        if let daily = r.dailyBudgetMillicents {
            let today = accounts.knownDay(campaign, day)
            if today.spent + today.reserved + price > daily { return .dailyBudgetSpent }
        }
        if r.capPerDay != nil || r.capPerWeek != nil {
            let seenDay = exposures[ExposureKey(profile: r.profileKey, campaign: campaign, day: day)] ?? 0
            var seenWeek: Int64 = 0
            for d in (day - 6)...day { seenWeek += exposures[ExposureKey(profile: r.profileKey, campaign: campaign, day: d)] ?? 0 }
            if let cap = r.capPerDay, seenDay >= cap { return .dailyCapReached }
            if let cap = r.capPerWeek, seenWeek >= cap { return .weeklyCapReached }
        }
        if let cap = r.capPerSession, let session = r.sessionID,
            (sessionAds[PairKey(first: session.rawValue, campaign: campaign)] ?? 0) >= cap
        {
            return .sessionCapReached
        }
        let servedAt = r.servedAt.millisecondsSinceEpoch
        granted.append(
            Grant(decision: r.decisionID.rawValue, slot: Int64(slot), campaign: campaign, day: day, servedAt: servedAt, price: price))
        accounts.add(campaign, day, reserved: price)
        let exposure = ExposureKey(profile: r.profileKey, campaign: campaign, day: day)
        exposures[exposure, default: 0] += 1
        newExposures[exposure, default: 0] += 1
        if let session = r.sessionID {
            let key = PairKey(first: session.rawValue, campaign: campaign)
            sessionAds[key, default: 0] += 1
            let before = newSessionAds[key] ?? (0, Int64.min)
            newSessionAds[key] = (before.ads + 1, max(before.last, servedAt))
        }
        return .granted(slot: slot)
    }

    /// Writes the grants: the reservations, the exposure and the session counts, a statement each.
    func write(on connection: PostgresConnection, logger: Logger) async throws {
        if !granted.isEmpty {
            let decisions = granted.map(\.decision)
            let slots = granted.map(\.slot)
            let campaigns = granted.map(\.campaign)
            let days = granted.map(\.day)
            let times = granted.map(\.servedAt)
            let prices = granted.map(\.price)
            try await connection.query(
                """
                INSERT INTO ledger_reservations (decision_id, slot, campaign_id, day, served_at, price_millicents, state)
                SELECT r.decision_id, r.slot, r.campaign_id, r.day, r.served_at, r.price, 'reserved'
                FROM unnest(\(decisions)::text[], \(slots)::bigint[], \(campaigns)::text[], \(days)::bigint[], \(times)::bigint[],
                    \(prices)::bigint[]) AS r(decision_id, slot, campaign_id, day, served_at, price)
                """, logger: logger)
        }
        if !newExposures.isEmpty {
            let rows = newExposures.sorted { ($0.key.profile, $0.key.campaign, $0.key.day) < ($1.key.profile, $1.key.campaign, $1.key.day) }
            let profiles = rows.map(\.key.profile)
            let campaigns = rows.map(\.key.campaign)
            let days = rows.map(\.key.day)
            let counts = rows.map(\.value)
            try await connection.query(
                """
                INSERT INTO ledger_exposures (profile_key, campaign_id, day, exposures)
                SELECT * FROM unnest(\(profiles)::text[], \(campaigns)::text[], \(days)::bigint[], \(counts)::bigint[])
                ON CONFLICT (profile_key, campaign_id, day) DO UPDATE SET exposures = ledger_exposures.exposures + excluded.exposures
                """, logger: logger)
        }
        if !newSessionAds.isEmpty {
            let rows = newSessionAds.sorted { ($0.key.first, $0.key.campaign) < ($1.key.first, $1.key.campaign) }
            let sessions = rows.map(\.key.first)
            let campaigns = rows.map(\.key.campaign)
            let ads = rows.map(\.value.ads)
            let last = rows.map(\.value.last)
            try await connection.query(
                """
                INSERT INTO ledger_sessions (session_id, campaign_id, ads, last_served_at)
                SELECT * FROM unnest(\(sessions)::text[], \(campaigns)::text[], \(ads)::bigint[], \(last)::bigint[])
                ON CONFLICT (session_id, campaign_id) DO UPDATE SET ads = ledger_sessions.ads + excluded.ads,
                    last_served_at = GREATEST(ledger_sessions.last_served_at, excluded.last_served_at)
                """, logger: logger)
        }
    }
}
