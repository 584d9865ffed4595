import Foundation
import GRDB
import MarqueeCore

/// The delivery ledger on SQLite. Every step runs in one write transaction, and SQLite lets one writer
/// at a time into a file (across processes too: the pool begins its writes IMMEDIATE), so each check sees
/// every grant before it.
extension SQLiteStore: DeliveryLedgerStore {
    public func reserveAndLog(_ decisions: [LedgerDecision]) async throws -> [[ReservationOutcome]] {
        guard !decisions.isEmpty else { return [] }
        for (i, decision) in decisions.enumerated() { try Self.validate(decision, at: i) }
        return try await write("reserving \(Wording.count(decisions.count, "ad decision"))") { db in
            var accounts = LedgerAccounts()
            var answered: [String: [ReservationOutcome]] = [:]
            var results: [[ReservationOutcome]] = []
            results.reserveCapacity(decisions.count)
            let storedOutcomes = try db.cachedStatement(sql: "SELECT outcomes, ad_count FROM ad_decisions WHERE id = ?")
            let insertDecision = try db.cachedStatement(
                sql: """
                    INSERT INTO ad_decisions (id, profile_key, title_id, served_at, ad_count, doc, outcomes) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            for decision in decisions {
                let id = decision.record.decisionID.rawValue
                if let earlier = answered[id] {
                    results.append(earlier)
                    continue
                }
                if let row = try Row.fetchOne(storedOutcomes, arguments: [id]) {
                    let outcomes = Self.outcomes(stored: row[0], adCount: row[1], proposed: decision.reservations.count)
                    answered[id] = outcomes
                    results.append(outcomes)
                    continue
                }
                var outcomes: [ReservationOutcome] = []
                outcomes.reserveCapacity(decision.reservations.count)
                var record = decision.record
                record.ads = []
                for reservation in decision.reservations {
                    let outcome = try self.reserve(reservation, slot: record.ads.count, accounts: &accounts, db: db)
                    if case .granted(let slot) = outcome {
                        var ad = decision.record.ads[reservation.order]
                        ad.slot = slot
                        record.ads.append(ad)
                    }
                    outcomes.append(outcome)
                }
                try insertDecision.execute(arguments: [
                    id, record.profileKey, record.titleID.rawValue, record.servedAt.millisecondsSinceEpoch, record.ads.count,
                    String(decoding: record.json(), as: UTF8.self), Self.encode(outcomes),
                ])
                answered[id] = outcomes
                results.append(outcomes)
            }
            try accounts.flush(db)
            return results
        }
    }

    /// Checks one reservation against the stored limits and grants it as `slot`, or says why not.
    func reserve(_ r: AdReservation, slot: Int, accounts: inout LedgerAccounts, db: Database) throws -> ReservationOutcome {
        let campaign = r.campaignID.rawValue
        let day = DeliveryDay.of(r.servedAt)
        let price = r.priceMillicents
        let total = try accounts.total(campaign, db: db)
        if total.spent + total.reserved + price > r.totalBudgetMillicents { return .totalBudgetSpent }
        if let daily = r.dailyBudgetMillicents {
            let today = try accounts.day(campaign, day, db: db)
            if today.spent + today.reserved + price > daily { return .dailyBudgetSpent }
        }
        if r.capPerDay != nil || r.capPerWeek != nil {
            let seen = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT COALESCE(SUM(CASE WHEN day = ? THEN exposures END), 0), COALESCE(SUM(exposures), 0)
                        FROM ledger_exposures WHERE profile_key = ? AND campaign_id = ? AND day BETWEEN ? AND ?
                        """), arguments: [day, r.profileKey, campaign, day - 6, day])
            let (seenDay, seenWeek): (Int, Int) = seen.map { ($0[0], $0[1]) } ?? (0, 0)
            if let cap = r.capPerDay, seenDay >= cap { return .dailyCapReached }
            if let cap = r.capPerWeek, seenWeek >= cap { return .weeklyCapReached }
        }
        if let cap = r.capPerSession, let session = r.sessionID {
            let served =
                try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT ads FROM ledger_sessions WHERE session_id = ? AND campaign_id = ?"),
                    arguments: [session.rawValue, campaign]) ?? 0
            if served >= cap { return .sessionCapReached }
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO ledger_reservations (decision_id, slot, campaign_id, day, served_at, price_millicents, state)
                VALUES (?, ?, ?, ?, ?, ?, 'reserved')
                """
        ).execute(arguments: [r.decisionID.rawValue, slot, campaign, day, r.servedAt.millisecondsSinceEpoch, price])
        accounts.add(campaign, day, reserved: price)
        try Self.countExposure(profileKey: r.profileKey, campaign: campaign, day: day, db: db)
        if let session = r.sessionID {
            try Self.countSessionAd(session: session.rawValue, campaign: campaign, at: r.servedAt.millisecondsSinceEpoch, db: db)
        }
        return .granted(slot: slot)
    }

    static func countExposure(profileKey: String, campaign: String, day: Int64, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO ledger_exposures (profile_key, campaign_id, day, exposures) VALUES (?, ?, ?, 1)
                ON CONFLICT (profile_key, campaign_id, day) DO UPDATE SET exposures = exposures + 1
                """
        ).execute(arguments: [profileKey, campaign, day])
    }

    static func countSessionAd(session: String, campaign: String, at ms: Int64, db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO ledger_sessions (session_id, campaign_id, ads, last_served_at) VALUES (?, ?, 1, ?)
                ON CONFLICT (session_id, campaign_id) DO UPDATE SET ads = ads + 1, last_served_at = max(last_served_at, excluded.last_served_at)
                """
        ).execute(arguments: [session, campaign, ms])
    }

    /// Refuses, before anything is written, a decision whose reservations do not match its record.
    static func validate(_ decision: LedgerDecision, at i: Int) throws {
        let record = decision.record
        var orders = Set<Int>()
        for (j, r) in decision.reservations.enumerated() {
            let field = "decisions[\(i)].reservations[\(j)]"
            guard r.decisionID == record.decisionID else {
                throw MarqueeError.invalidValue(
                    field: "\(field).decisionID", reason: "is '\(r.decisionID)', not the record's '\(record.decisionID)'")
            }
            guard record.ads.indices.contains(r.order), orders.insert(r.order).inserted else {
                throw MarqueeError.invalidValue(
                    field: "\(field).order",
                    reason: "must be the index of one of the record's \(Wording.count(record.ads.count, "ad")), each once (got \(r.order))")
            }
            guard record.ads[r.order].campaignID == r.campaignID else {
                throw MarqueeError.invalidValue(
                    field: "\(field).campaignID",
                    reason: "is '\(r.campaignID)', but the record's ad \(r.order) is of '\(record.ads[r.order].campaignID)'")
            }
            guard r.priceMillicents >= 0 else {
                throw MarqueeError.invalidValue(
                    field: "\(field).priceMillicents", reason: "must not be negative (got \(r.priceMillicents))")
            }
        }
    }

    // MARK: Outcomes as stored

    /// The outcomes as `ad_decisions.outcomes` keeps them: a granted ad as its slot, a refusal as a word.
    static func encode(_ outcomes: [ReservationOutcome]) -> String {
        outcomes.map { outcome -> String in
            switch outcome {
            case .granted(let slot): String(slot)
            case .totalBudgetSpent: "total"
            case .dailyBudgetSpent: "daily"
            case .dailyCapReached: "day-cap"
            case .weeklyCapReached: "week-cap"
            case .sessionCapReached: "session-cap"
            }
        }.joined(separator: ",")
    }

    /// The stored answer of a decision, for a replay of it proposing `proposed` ads. A decision logged
    /// without the ledger (no outcomes) served its `adCount` first ads; the rest count as refused.
    static func outcomes(stored: String?, adCount: Int, proposed: Int) -> [ReservationOutcome] {
        guard let stored else { return (0..<proposed).map { $0 < adCount ? .granted(slot: $0) : .totalBudgetSpent } }
        let words = stored.isEmpty ? [] : stored.split(separator: ",", omittingEmptySubsequences: false)
        return (0..<proposed).map { i -> ReservationOutcome in
            guard i < words.count else { return .totalBudgetSpent }
            switch words[i] {
            case "daily": return .dailyBudgetSpent
            case "day-cap": return .dailyCapReached
            case "week-cap": return .weeklyCapReached
            case "session-cap": return .sessionCapReached
            default: return Int(words[i]).map { .granted(slot: $0) } ?? .totalBudgetSpent
            }
        }
    }

    // MARK: Impressions

    /// Applies an ad impression just appended (not a duplicate) to the ledger: it confirms the reservation
    /// of its decision and slot once, or else is charged at its campaign's CPM on its own day and counted.
    func ledgerImpression(_ e: Event, profileKey: String, accounts: inout LedgerAccounts, db: Database) throws {
        guard e.type == .adImpression, let creative = e.creativeID else { return }
        if let decision = e.decisionID {
            let key: StatementArguments = [decision.rawValue, e.rank ?? 0]
            if let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT campaign_id, day, price_millicents, state FROM ledger_reservations WHERE decision_id = ? AND slot = ?"),
                arguments: key)
            {
                let state: String = row[3]
                if state == "confirmed" { return }
                try db.cachedStatement(sql: "UPDATE ledger_reservations SET state = 'confirmed' WHERE decision_id = ? AND slot = ?")
                    .execute(arguments: key)
                // A released reservation (its impression came after the window) is charged now; its exposure
                // was counted when it was served.
                let price: Int64 = row[2]
                accounts.add(row[0], row[1], spent: price, reserved: state == "reserved" ? -price : 0, impressions: 1)
                return
            }
        }
        guard
            let charge = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT cr.campaign_id, ca.cpm_bid_cents FROM creatives AS cr JOIN campaigns AS ca ON ca.id = cr.campaign_id
                        WHERE cr.id = ?
                        """), arguments: [creative.rawValue])
        else { return }
        let campaign: String = charge[0]
        let day = DeliveryDay.of(e.timestamp)
        try accounts.open(campaign, db: db)
        accounts.add(campaign, day, spent: charge[1], impressions: 1)
        try Self.countExposure(profileKey: profileKey, campaign: campaign, day: day, db: db)
        if let session = e.context.sessionID {
            try Self.countSessionAd(session: session.rawValue, campaign: campaign, at: e.timestamp.millisecondsSinceEpoch, db: db)
        }
    }

    // MARK: Release

    public func releaseExpiredReservations(servedBefore: Timestamp) async throws -> Int {
        try await write("releasing expired reservations") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE ledger_reservations SET state = 'released' WHERE state = 'reserved' AND served_at < ?
                    RETURNING campaign_id, day, price_millicents
                    """, arguments: [servedBefore.millisecondsSinceEpoch])
            var accounts = LedgerAccounts()
            for row in rows {
                let price: Int64 = row[2]
                accounts.add(row[0], row[1], reserved: -price)
            }
            try accounts.flush(db)
            return rows.count
        }
    }

    // MARK: Reads

    public func campaignDeliveryTotals(day: Int64) async throws -> [CampaignDeliveryTotals] {
        try await read("reading the delivery ledger") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.campaign_id, a.spent_millicents, a.reserved_millicents, COALESCE(d.spent_millicents, 0),
                        COALESCE(d.reserved_millicents, 0), a.impressions
                    FROM ledger_accounts AS a
                    LEFT JOIN ledger_account_days AS d ON d.campaign_id = a.campaign_id AND d.day = ?
                    ORDER BY a.campaign_id
                    """, arguments: [day]
            ).map { row in
                CampaignDeliveryTotals(
                    campaignID: CampaignID(trusted: row[0]), spentMillicents: row[1], reservedMillicents: row[2],
                    spentTodayMillicents: row[3], reservedTodayMillicents: row[4], impressions: row[5])
            }
        }
    }

    public func exposureCounts(profileKey: String, day: Int64) async throws -> [CampaignID: CampaignExposures] {
        try await read("reading a viewer's exposures") { db in
            var counts: [CampaignID: CampaignExposures] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT campaign_id, COALESCE(SUM(CASE WHEN day = ? THEN exposures END), 0), SUM(exposures)
                    FROM ledger_exposures WHERE profile_key = ? AND day BETWEEN ? AND ? GROUP BY campaign_id
                    """, arguments: [day, profileKey, day - 6, day])
            while let row = try rows.next() {
                counts[CampaignID(trusted: row[0])] = CampaignExposures(day: row[1], week: row[2])
            }
            return counts
        }
    }

    public func sessionCounts(sessionID: SessionID) async throws -> [CampaignID: Int] {
        try await read("reading a session's ads") { db in
            var counts: [CampaignID: Int] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT campaign_id, ads FROM ledger_sessions WHERE session_id = ?", arguments: [sessionID.rawValue])
            while let row = try rows.next() { counts[CampaignID(trusted: row[0])] = row[1] }
            return counts
        }
    }

    public func campaignDelivery(_ campaign: CampaignID, fromDay: Int64, toDay: Int64) async throws -> [CampaignDeliveryDay] {
        guard fromDay <= toDay else { return [] }
        return try await read("reading a campaign's delivery") { db in
            let count = Int(toDay - fromDay + 1)
            var days = (0..<count).map {
                CampaignDeliveryDay(
                    day: fromDay + Int64($0), hourlyImpressions: Array(repeating: 0, count: 24),
                    hourlyClicks: Array(repeating: 0, count: 24),
                    spentMillicents: 0)
            }
            let from = fromDay * DeliveryDay.milliseconds
            let to = (toDay + 1) * DeliveryDay.milliseconds
            // The ad-event condition repeats the partial index's, so that only ad events are scanned.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT hour, SUM(impressions), SUM(clicks) FROM (
                        SELECT occurred_at / 3600000 AS hour, type = 'adImpression' AS impressions, type = 'adClick' AS clicks
                        FROM events
                        WHERE (type GLOB 'ad[A-Z]*' OR type = 'abandon') AND type IN ('adImpression', 'adClick')
                            AND occurred_at >= ? AND occurred_at < ?
                            AND creative_id IN (SELECT id FROM creatives WHERE campaign_id = ?)
                        UNION ALL
                        SELECT occurred_at / 3600000, type = 'adImpression', type = 'adClick'
                        FROM contextual_ad_events
                        WHERE type IN ('adImpression', 'adClick') AND occurred_at >= ? AND occurred_at < ?
                            AND creative_id IN (SELECT id FROM creatives WHERE campaign_id = ?)
                    ) GROUP BY hour
                    """, arguments: [from, to, campaign.rawValue, from, to, campaign.rawValue])
            while let row = try rows.next() {
                let hour: Int64 = row[0]
                let index = Int(hour / 24 - fromDay)
                guard index >= 0, index < count else { continue }
                days[index].hourlyImpressions[Int(hour % 24)] = row[1]
                days[index].hourlyClicks[Int(hour % 24)] = row[2]
            }
            let spent = try Row.fetchCursor(
                db, sql: "SELECT day, spent_millicents FROM ledger_account_days WHERE campaign_id = ? AND day BETWEEN ? AND ?",
                arguments: [campaign.rawValue, fromDay, toDay])
            while let row = try spent.next() {
                let day: Int64 = row[0]
                days[Int(day - fromDay)].spentMillicents = row[1]
            }
            return days
        }
    }
}

/// The campaign accounts one write transaction touches: read once each, changed in memory, written once
/// each at the end (`flush`), so a call of many decisions updates each account row once.
struct LedgerAccounts {
    struct Amounts {
        var spent: Int64 = 0
        var reserved: Int64 = 0
        var impressions: Int64 = 0
    }

    struct DayKey: Hashable {
        var campaign: String
        var day: Int64
    }

    /// As stored when first read, plus this transaction's changes.
    private var totals: [String: Amounts] = [:]
    private var days: [DayKey: Amounts] = [:]
    /// This transaction's changes alone.
    private var totalChanges: [String: Amounts] = [:]
    private var dayChanges: [DayKey: Amounts] = [:]
    /// Campaigns whose account row is known to exist.
    private var opened = Set<String>()

    /// Makes sure the campaign has an account row (reservations refer to it); refuses an unknown campaign.
    mutating func open(_ campaign: String, db: Database) throws {
        guard !opened.contains(campaign) else { return }
        let exists =
            try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM ledger_accounts WHERE campaign_id = ?"), arguments: [campaign]) != nil
        if !exists {
            guard try Int.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM campaigns WHERE id = ?"), arguments: [campaign]) != nil else {
                throw MarqueeError(
                    .invalidValue, code: "unknown_campaign", message: "campaignId: no campaign with id '\(campaign)'; nothing was reserved")
            }
            try db.cachedStatement(
                sql: """
                    INSERT INTO ledger_accounts (campaign_id, spent_millicents, reserved_millicents, impressions) VALUES (?, 0, 0, 0)
                    """
            ).execute(arguments: [campaign])
        }
        opened.insert(campaign)
    }

    /// The campaign's account over all days, as it stands in this transaction.
    mutating func total(_ campaign: String, db: Database) throws -> Amounts {
        if let known = totals[campaign] { return known }
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT spent_millicents, reserved_millicents, impressions FROM ledger_accounts WHERE campaign_id = ?"),
            arguments: [campaign])
        var amounts = Amounts()
        if let row {
            amounts = Amounts(spent: row[0], reserved: row[1], impressions: row[2])
            opened.insert(campaign)
        } else {
            try open(campaign, db: db)
        }
        Self.apply(totalChanges[campaign], to: &amounts)
        totals[campaign] = amounts
        return amounts
    }

    /// The campaign's account on `day`, as it stands in this transaction.
    mutating func day(_ campaign: String, _ day: Int64, db: Database) throws -> Amounts {
        let key = DayKey(campaign: campaign, day: day)
        if let known = days[key] { return known }
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT spent_millicents, reserved_millicents, impressions FROM ledger_account_days WHERE campaign_id = ? AND day = ?
                    """), arguments: [campaign, day])
        var amounts = row.map { Amounts(spent: $0[0], reserved: $0[1], impressions: $0[2]) } ?? Amounts()
        Self.apply(dayChanges[key], to: &amounts)
        days[key] = amounts
        return amounts
    }

    /// Changes the campaign's account and its day's (the account row must exist: `open`).
    mutating func add(_ campaign: String, _ day: Int64, spent: Int64 = 0, reserved: Int64 = 0, impressions: Int64 = 0) {
        let change = Amounts(spent: spent, reserved: reserved, impressions: impressions)
        let key = DayKey(campaign: campaign, day: day)
        Self.apply(change, to: &totalChanges[campaign, default: Amounts()])
        Self.apply(change, to: &dayChanges[key, default: Amounts()])
        if totals[campaign] != nil { Self.apply(change, to: &totals[campaign]!) }
        if days[key] != nil { Self.apply(change, to: &days[key]!) }
    }

    private static func apply(_ change: Amounts?, to amounts: inout Amounts) {
        guard let change else { return }
        amounts.spent += change.spent
        amounts.reserved += change.reserved
        amounts.impressions += change.impressions
    }

    /// Writes the changes: one statement per account and per account day touched.
    func flush(_ db: Database) throws {
        guard !totalChanges.isEmpty else { return }
        let total = try db.cachedStatement(
            sql: """
                UPDATE ledger_accounts SET spent_millicents = spent_millicents + ?, reserved_millicents = reserved_millicents + ?,
                    impressions = impressions + ? WHERE campaign_id = ?
                """)
        for (campaign, c) in totalChanges.sorted(by: { $0.key < $1.key }) {
            try total.execute(arguments: [c.spent, c.reserved, c.impressions, campaign])
        }
        // UPDATE, then INSERT when there was no row: an upsert would check the inserted values (a
        // negative reserved change) against the CHECK constraints before finding the conflict.
        let update = try db.cachedStatement(
            sql: """
                UPDATE ledger_account_days SET spent_millicents = spent_millicents + ?, reserved_millicents = reserved_millicents + ?,
                    impressions = impressions + ? WHERE campaign_id = ? AND day = ?
                """)
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO ledger_account_days (campaign_id, day, spent_millicents, reserved_millicents, impressions)
                VALUES (?, ?, ?, ?, ?)
                """)
        for (key, c) in dayChanges.sorted(by: { ($0.key.campaign, $0.key.day) < ($1.key.campaign, $1.key.day) }) {
            try update.execute(arguments: [c.spent, c.reserved, c.impressions, key.campaign, key.day])
            if db.changesCount == 0 { try insert.execute(arguments: [key.campaign, key.day, c.spent, c.reserved, c.impressions]) }
        }
    }
}
