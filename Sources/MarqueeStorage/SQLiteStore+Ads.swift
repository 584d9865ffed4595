import Foundation
import GRDB
import MarqueeCore

extension SQLiteStore: AdStore {
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
                INSERT OR REPLACE INTO campaigns (id, advertiser_id, name, status, starts_at, ends_at, total_budget_cents,
                    daily_budget_cents, cpm_bid_cents, priority, pacing, targeting, cap_per_day, cap_per_week, cap_per_session)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for c in campaigns {
            let targeting = String(decoding: try Self.jsonEncoder.encode(c.targeting), as: UTF8.self)
            try statement.execute(arguments: [
                c.id.rawValue, c.advertiserID.rawValue, c.name, c.status.rawValue, c.startsAt.millisecondsSinceEpoch,
                c.endsAt.millisecondsSinceEpoch, c.totalBudgetCents, c.dailyBudgetCents, c.cpmBidCents, c.priority.rawValue,
                c.pacing.rawValue, targeting, c.capPerDay, c.capPerWeek, c.capPerSession,
            ])
        }
    }

    func upsert(_ creatives: [Creative], db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO creatives (id, campaign_id, name, duration_seconds, media_url, click_url, category, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for c in creatives {
            try statement.execute(arguments: [
                c.id.rawValue, c.campaignID.rawValue, c.name, c.durationSeconds, c.mediaURL, c.clickURL, c.category, c.status.rawValue,
            ])
        }
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
            try Row.fetchAll(db, sql: "SELECT * FROM campaigns ORDER BY id").map { row in
                let targetingJSON: String = row["targeting"]
                let targeting = (try? JSONDecoder().decode(Targeting.self, from: Data(targetingJSON.utf8))) ?? Targeting()
                return Campaign(
                    id: CampaignID(trusted: row["id"]), advertiserID: AdvertiserID(trusted: row["advertiser_id"]), name: row["name"],
                    status: CampaignStatus(rawValue: row["status"]) ?? .paused,
                    startsAt: Timestamp(millisecondsSinceEpoch: row["starts_at"]),
                    endsAt: Timestamp(millisecondsSinceEpoch: row["ends_at"]), totalBudgetCents: row["total_budget_cents"],
                    dailyBudgetCents: row["daily_budget_cents"], cpmBidCents: row["cpm_bid_cents"],
                    priority: CampaignPriority(rawValue: row["priority"]) ?? .standard,
                    pacing: PacingMode(rawValue: row["pacing"]) ?? .even, targeting: targeting, capPerDay: row["cap_per_day"],
                    capPerWeek: row["cap_per_week"], capPerSession: row["cap_per_session"])
            }
        }
    }

    public func creatives() async throws -> [Creative] {
        try await read("listing creatives") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM creatives ORDER BY id").map { row in
                Creative(
                    id: CreativeID(trusted: row["id"]), campaignID: CampaignID(trusted: row["campaign_id"]), name: row["name"],
                    durationSeconds: row["duration_seconds"], mediaURL: row["media_url"], clickURL: row["click_url"],
                    category: row["category"], status: CampaignStatus(rawValue: row["status"]) ?? .paused)
            }
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

extension SQLiteStore {
    /// Writes a whole dataset in one transaction: all of it, or nothing. Events are stamped as
    /// received at their own time when `receivedAt` is nil, which keeps generated worlds reproducible.
    /// `progress` is called with (events written, events total) as the work goes on.
    public func importDataset(
        _ data: Dataset, receivedAt: Timestamp? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async throws -> ImportSummary {
        let summary = try await write("importing a dataset") { db -> ImportSummary in
            try self.upsert(data.titles, db: db)
            try self.insert(data.artwork, db: db)
            try self.upsert(data.profiles, db: db)
            try self.upsert(data.advertisers, db: db)
            try self.upsert(data.campaigns, db: db)
            try self.upsert(data.creatives, db: db)
            var inserted = 0
            var duplicate = 0
            var rejected: [EventProblem] = []
            let chunk = 10_000
            var start = 0
            progress?(0, data.events.count)
            while start < data.events.count {
                let end = min(start + chunk, data.events.count)
                let slice = Array(data.events[start..<end])
                let statuses = try self.append(slice, receivedAt: receivedAt, db: db)
                for s in statuses {
                    switch s {
                    case .inserted: inserted += 1
                    case .duplicate: duplicate += 1
                    case .rejected(let p): rejected.append(p)
                    }
                }
                start = end
                progress?(end, data.events.count)
            }
            if let first = rejected.first {
                throw MarqueeError(
                    .invalidValue, code: first.code, message: "\(rejected.count) events refer to missing entities; first: \(first.message)")
            }
            return ImportSummary(
                titles: data.titles.count, profiles: data.profiles.count, eventsInserted: inserted, eventsDuplicate: duplicate,
                eventsRejected: 0)
        }
        known.insert(data.titles.map(\.id.rawValue), .title)
        known.insert(data.profiles.map(\.id.rawValue), .profile)
        known.insert(data.creatives.map(\.id.rawValue), .creative)
        return summary
    }
}
