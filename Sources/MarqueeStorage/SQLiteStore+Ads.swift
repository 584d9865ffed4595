import Foundation
import GRDB
import MarqueeCore

/// The ad book in SQLite. Campaigns and creatives are never deleted, only archived (see `AdStore`):
/// events refer to creatives by foreign key, and the store's known-id cache assumes that an id once
/// seen stays. An advertiser is deleted only while no campaign refers to it.
extension SQLiteStore: AdStore {
    // MARK: Rows

    static let campaignColumns = """
        id, advertiser_id, name, status, starts_at, ends_at, total_budget_cents, daily_budget_cents, cpm_bid_cents, priority,
            pacing, targeting, cap_per_day, cap_per_week, cap_per_session, competitive_category
        """

    static func campaignArguments(_ c: Campaign) throws -> StatementArguments {
        let targeting = String(decoding: try jsonEncoder.encode(c.targeting), as: UTF8.self)
        return [
            c.id.rawValue, c.advertiserID.rawValue, c.name, c.status.rawValue, c.startsAt.millisecondsSinceEpoch,
            c.endsAt.millisecondsSinceEpoch, c.totalBudgetCents, c.dailyBudgetCents, c.cpmBidCents, c.priority.rawValue,
            c.pacing.rawValue, targeting, c.capPerDay, c.capPerWeek, c.capPerSession, c.competitiveCategory,
        ]
    }

    static func campaign(from row: Row) throws -> Campaign {
        let id: String = row["id"]
        let targetingJSON: String = row["targeting"]
        let targeting: Targeting
        do {
            targeting = try JSONDecoder().decode(Targeting.self, from: Data(targetingJSON.utf8))
        } catch {
            // Reading a damaged targeting as "no restriction" would serve the campaign everywhere.
            throw MarqueeError(
                .internalFailure, code: "store_corrupt", message: "the targeting of campaign '\(id)' could not be read: \(error)")
        }
        return Campaign(
            id: CampaignID(trusted: id), advertiserID: AdvertiserID(trusted: row["advertiser_id"]), name: row["name"],
            status: CampaignStatus(rawValue: row["status"]) ?? .paused, startsAt: Timestamp(millisecondsSinceEpoch: row["starts_at"]),
            endsAt: Timestamp(millisecondsSinceEpoch: row["ends_at"]), totalBudgetCents: row["total_budget_cents"],
            dailyBudgetCents: row["daily_budget_cents"], cpmBidCents: row["cpm_bid_cents"],
            priority: CampaignPriority(rawValue: row["priority"]) ?? .standard, pacing: PacingMode(rawValue: row["pacing"]) ?? .even,
            targeting: targeting, capPerDay: row["cap_per_day"], capPerWeek: row["cap_per_week"], capPerSession: row["cap_per_session"],
            competitiveCategory: row["competitive_category"])
    }

    static func creativeArguments(_ c: Creative) -> StatementArguments {
        [c.id.rawValue, c.campaignID.rawValue, c.name, c.durationSeconds, c.mediaURL, c.clickURL, c.category, c.status.rawValue]
    }

    static func creative(from row: Row) -> Creative {
        Creative(
            id: CreativeID(trusted: row["id"]), campaignID: CampaignID(trusted: row["campaign_id"]), name: row["name"],
            durationSeconds: row["duration_seconds"], mediaURL: row["media_url"], clickURL: row["click_url"], category: row["category"],
            status: CampaignStatus(rawValue: row["status"]) ?? .paused)
    }

    static func advertiser(from row: Row) -> Advertiser {
        Advertiser(id: AdvertiserID(trusted: row["id"]), name: row["name"], category: row["category"])
    }

    static func exists(_ table: String, id: String, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ?)", arguments: [id]) ?? false
    }

    /// A page of `table`'s rows matching `filters` (SQL condition, bound value), ordered by id.
    static func page<T>(
        _ table: String, filters: [(String, DatabaseValue)], limit: Int, offset: Int, in db: Database,
        _ decode: (Row) throws -> T
    ) throws -> Page<T> {
        let clause = filters.isEmpty ? "" : " WHERE " + filters.map(\.0).joined(separator: " AND ")
        let arguments = StatementArguments(filters.map(\.1))
        let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)\(clause)", arguments: arguments) ?? 0
        let rows = try Row.fetchAll(
            db, sql: "SELECT * FROM \(table)\(clause) ORDER BY id LIMIT ? OFFSET ?", arguments: arguments + [limit, offset])
        return Page(items: try rows.map(decode), total: total, limit: limit, offset: offset)
    }

    static func requireAdvertiser(_ id: AdvertiserID, in db: Database) throws {
        guard try exists("advertisers", id: id.rawValue, in: db) else {
            throw MarqueeError(.invalidValue, code: "unknown_advertiser", message: "advertiserId: no advertiser with id '\(id)'")
        }
    }

    static func requireCampaign(_ id: CampaignID, in db: Database) throws {
        guard try exists("campaigns", id: id.rawValue, in: db) else {
            throw MarqueeError(.invalidValue, code: "unknown_campaign", message: "campaignId: no campaign with id '\(id)'")
        }
    }

    // MARK: Batch upserts

    func upsert(_ advertisers: [Advertiser], db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO advertisers (id, name, category) VALUES (?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, category = excluded.category
                """)
        for a in advertisers { try statement.execute(arguments: [a.id.rawValue, a.name, a.category]) }
    }

    func upsert(_ campaigns: [Campaign], db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO campaigns (\(Self.campaignColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET advertiser_id = excluded.advertiser_id, name = excluded.name,
                    status = excluded.status, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                    total_budget_cents = excluded.total_budget_cents, daily_budget_cents = excluded.daily_budget_cents,
                    cpm_bid_cents = excluded.cpm_bid_cents, priority = excluded.priority, pacing = excluded.pacing,
                    targeting = excluded.targeting, cap_per_day = excluded.cap_per_day, cap_per_week = excluded.cap_per_week,
                    cap_per_session = excluded.cap_per_session, competitive_category = excluded.competitive_category
                """)
        for c in campaigns { try statement.execute(arguments: try Self.campaignArguments(c)) }
    }

    func upsert(_ creatives: [Creative], db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO creatives (id, campaign_id, name, duration_seconds, media_url, click_url, category, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET campaign_id = excluded.campaign_id, name = excluded.name,
                    duration_seconds = excluded.duration_seconds, media_url = excluded.media_url, click_url = excluded.click_url,
                    category = excluded.category, status = excluded.status
                """)
        for c in creatives { try statement.execute(arguments: Self.creativeArguments(c)) }
    }

    public func upsertAdvertisers(_ advertisers: [Advertiser]) async throws {
        try await write("upserting advertisers") { db in try self.upsert(advertisers, db: db) }
    }

    public func upsertCampaigns(_ campaigns: [Campaign]) async throws {
        try await write("upserting campaigns") { db in try self.upsert(campaigns, db: db) }
    }

    public func upsertCreatives(_ creatives: [Creative]) async throws {
        try await write("upserting creatives") { db in try self.upsert(creatives, db: db) }
        known.insert(creatives.map(\.id.rawValue), .creative)
    }

    public func campaigns() async throws -> [Campaign] {
        try await read("listing campaigns") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM campaigns ORDER BY id").map(Self.campaign(from:))
        }
    }

    public func creatives() async throws -> [Creative] {
        try await read("listing creatives") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM creatives ORDER BY id").map(Self.creative(from:))
        }
    }

    // MARK: Advertisers

    public func advertiser(id: AdvertiserID) async throws -> Advertiser? {
        try await read("reading an advertiser") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM advertisers WHERE id = ?", arguments: [id.rawValue]).map(Self.advertiser(from:))
        }
    }

    public func advertisers(limit: Int, offset: Int) async throws -> Page<Advertiser> {
        try await read("listing advertisers") { db in
            try Self.page("advertisers", filters: [], limit: limit, offset: offset, in: db, Self.advertiser(from:))
        }
    }

    public func insertAdvertiser(_ advertiser: Advertiser) async throws {
        try await write("storing an advertiser") { db in
            if try Self.exists("advertisers", id: advertiser.id.rawValue, in: db) {
                throw MarqueeError(.conflict, code: "advertiser_exists", message: "an advertiser with id '\(advertiser.id)' exists already")
            }
            try self.upsert([advertiser], db: db)
        }
    }

    public func replaceAdvertiser(_ advertiser: Advertiser) async throws -> Bool {
        try await write("replacing an advertiser") { db in
            try db.execute(
                sql: "UPDATE advertisers SET name = ?, category = ? WHERE id = ?",
                arguments: [advertiser.name, advertiser.category, advertiser.id.rawValue])
            return db.changesCount > 0
        }
    }

    public func deleteAdvertiser(id: AdvertiserID) async throws -> Bool {
        try await write("deleting an advertiser") { db in
            let campaigns =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM campaigns WHERE advertiser_id = ?", arguments: [id.rawValue]) ?? 0
            if campaigns > 0 {
                throw MarqueeError(
                    .conflict, code: "advertiser_in_use",
                    message: "advertiser '\(id)' has \(campaigns) campaign(s); campaigns are archived, never deleted, so it stays")
            }
            try db.execute(sql: "DELETE FROM advertisers WHERE id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    // MARK: Campaigns

    public func campaign(id: CampaignID) async throws -> Campaign? {
        try await read("reading a campaign") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM campaigns WHERE id = ?", arguments: [id.rawValue]).map(Self.campaign(from:))
        }
    }

    public func campaigns(advertiser: AdvertiserID?, status: CampaignStatus?, limit: Int, offset: Int) async throws -> Page<Campaign> {
        var filters: [(String, DatabaseValue)] = []
        if let advertiser { filters.append(("advertiser_id = ?", advertiser.rawValue.databaseValue)) }
        if let status { filters.append(("status = ?", status.rawValue.databaseValue)) }
        let conditions = filters
        return try await read("listing campaigns") { db in
            try Self.page("campaigns", filters: conditions, limit: limit, offset: offset, in: db, Self.campaign(from:))
        }
    }

    public func insertCampaign(_ campaign: Campaign) async throws {
        try await write("storing a campaign") { db in
            if try Self.exists("campaigns", id: campaign.id.rawValue, in: db) {
                throw MarqueeError(.conflict, code: "campaign_exists", message: "a campaign with id '\(campaign.id)' exists already")
            }
            try Self.requireAdvertiser(campaign.advertiserID, in: db)
            try self.upsert([campaign], db: db)
        }
    }

    public func replaceCampaign(_ campaign: Campaign) async throws -> Bool {
        try await write("replacing a campaign") { db in
            guard try Self.exists("campaigns", id: campaign.id.rawValue, in: db) else { return false }
            try Self.requireAdvertiser(campaign.advertiserID, in: db)
            try self.upsert([campaign], db: db)
            return true
        }
    }

    public func archiveCampaign(id: CampaignID) async throws -> Bool {
        try await write("archiving a campaign") { db in
            try db.execute(sql: "UPDATE campaigns SET status = 'archived' WHERE id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }

    // MARK: Creatives

    public func creative(id: CreativeID) async throws -> Creative? {
        try await read("reading a creative") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM creatives WHERE id = ?", arguments: [id.rawValue]).map(Self.creative(from:))
        }
    }

    public func creatives(campaign: CampaignID?, status: CampaignStatus?, limit: Int, offset: Int) async throws -> Page<Creative> {
        var filters: [(String, DatabaseValue)] = []
        if let campaign { filters.append(("campaign_id = ?", campaign.rawValue.databaseValue)) }
        if let status { filters.append(("status = ?", status.rawValue.databaseValue)) }
        let conditions = filters
        return try await read("listing creatives") { db in
            try Self.page("creatives", filters: conditions, limit: limit, offset: offset, in: db, Self.creative(from:))
        }
    }

    public func insertCreative(_ creative: Creative) async throws {
        try await write("storing a creative") { db in
            if try Self.exists("creatives", id: creative.id.rawValue, in: db) {
                throw MarqueeError(.conflict, code: "creative_exists", message: "a creative with id '\(creative.id)' exists already")
            }
            try Self.requireCampaign(creative.campaignID, in: db)
            try self.upsert([creative], db: db)
        }
        known.insert([creative.id.rawValue], .creative)
    }

    public func replaceCreative(_ creative: Creative) async throws -> Bool {
        try await write("replacing a creative") { db in
            guard try Self.exists("creatives", id: creative.id.rawValue, in: db) else { return false }
            try Self.requireCampaign(creative.campaignID, in: db)
            try self.upsert([creative], db: db)
            return true
        }
    }

    public func archiveCreative(id: CreativeID) async throws -> Bool {
        try await write("archiving a creative") { db in
            try db.execute(sql: "UPDATE creatives SET status = 'archived' WHERE id = ?", arguments: [id.rawValue])
            return db.changesCount > 0
        }
    }
}

public struct ImportSummary: Sendable, Hashable {
    public var titles: Int
    public var profiles: Int
    public var eventsInserted: Int
    public var eventsDuplicate: Int
    public var eventsRejected: Int
}

/// An import that refuses repeats met an event whose id it had itself written earlier: the
/// `index`-th event of the import (0-based, `data.events` then `moreEvents`). Nothing was written.
public struct RepeatedEventInImport: Error, Sendable, Hashable {
    public let index: Int
    public let id: EventID
}

extension SQLiteStore {
    /// Writes a whole dataset in one transaction: all of it, or nothing. Events are stamped as
    /// received at their own time when `receivedAt` is nil, which keeps generated worlds reproducible.
    /// `progress` is called with (events written, events total) as the work goes on.
    /// Writes a dataset in one transaction. `moreEvents`, when given, hands over further events chunk
    /// by chunk after `data.events` (nil at the end; an error it throws rolls everything back), so that a
    /// large import holds one chunk of events at a time; `moreEventsTotal` is their count, for `progress`.
    ///
    /// An event whose id is already stored is a no-op, so an import can be repeated. With
    /// `refuseRepeats`, an id repeated within this import (one the store did not hold before it began)
    /// throws ``RepeatedEventInImport`` instead: the check costs one lookup per already-stored event,
    /// and no memory.
    public func importDataset(
        _ data: Dataset, receivedAt: Timestamp? = nil, moreEvents: (@Sendable () throws -> [Event]?)? = nil, moreEventsTotal: Int = 0,
        refuseRepeats: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> ImportSummary {
        let summary: ImportSummary
        do {
            summary = try await pool.write { db -> ImportSummary in
                try self.upsert(data.titles, db: db)
                try self.insert(data.artwork, db: db)
                try self.upsert(data.profiles, db: db)
                try self.upsert(data.advertisers, db: db)
                try self.upsert(data.campaigns, db: db)
                try self.upsert(data.creatives, db: db)
                // Rows are numbered upward (seq is the rowid), so a stored event with a larger seq was written by this import.
                let lastBefore = refuseRepeats ? try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0 : 0
                let seqOf = try db.cachedStatement(sql: "SELECT seq FROM events WHERE id = ?")
                var inserted = 0
                var duplicate = 0
                var rejected: [EventProblem] = []
                let chunk = 10_000
                var start = 0
                let total = data.events.count + moreEventsTotal
                var done = 0
                progress?(0, total)
                func write(_ slice: [Event]) throws {
                    let statuses = try self.append(slice, receivedAt: receivedAt, db: db)
                    for (k, s) in statuses.enumerated() {
                        switch s {
                        case .inserted: inserted += 1
                        case .duplicate:
                            duplicate += 1
                            if refuseRepeats, let seq = try Int64.fetchOne(seqOf, arguments: [slice[k].id.rawValue]), seq > lastBefore {
                                throw RepeatedEventInImport(index: done + k, id: slice[k].id)
                            }
                        case .rejected(let p): rejected.append(p)
                        }
                    }
                    done += slice.count
                }
                while start < data.events.count {
                    let end = min(start + chunk, data.events.count)
                    try write(Array(data.events[start..<end]))
                    start = end
                    progress?(end, total)
                }
                while let more = try moreEvents?() {
                    try write(more)
                    progress?(min(done, total), total)
                }
                if let first = rejected.first {
                    throw MarqueeError(
                        .invalidValue, code: first.code,
                        message:
                            "\(Wording.count(rejected.count, "event")) \(rejected.count == 1 ? "refers" : "refer") to missing entities; "
                            + "first: \(first.message)")
                }
                return ImportSummary(
                    titles: data.titles.count, profiles: data.profiles.count, eventsInserted: inserted, eventsDuplicate: duplicate,
                    eventsRejected: 0)
            }
        } catch let repeated as RepeatedEventInImport {
            throw repeated
        } catch {
            throw Self.translate(error, doing: "importing a dataset")
        }
        known.insert(data.titles.map(\.id.rawValue), .title)
        known.insert(data.profiles.map(\.id.rawValue), .profile)
        known.insert(data.creatives.map(\.id.rawValue), .creative)
        return summary
    }
}
