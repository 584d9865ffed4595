import Foundation
import MarqueeCore
import PostgresNIO

/// The ad book on PostgreSQL, with the SQLite store's rules (see `AdStore`): campaigns and creatives are
/// archived, never deleted; references are checked inside the write transaction.
extension PostgresStore: AdStore {
    // MARK: Rows

    static let campaignColumns = """
        id, advertiser_id, name, status, starts_at, ends_at, total_budget_cents, daily_budget_cents, cpm_bid_cents, priority, \
        pacing, targeting::text, cap_per_day, cap_per_week, cap_per_session, competitive_category
        """
    static let campaignTypes = [
        "text", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "text", "text", "jsonb", "integer", "integer",
        "integer", "text",
    ]
    static let creativeColumns = "id, campaign_id, name, duration_seconds, media_url, click_url, category, status"
    static let creativeTypes = ["text", "text", "text", "integer", "text", "text", "text", "text"]

    static func append(_ c: Campaign, to bindings: inout PostgresBindings) throws {
        bindings.append(c.id.rawValue)
        bindings.append(c.advertiserID.rawValue)
        bindings.append(c.name)
        bindings.append(c.status.rawValue)
        bindings.append(c.startsAt.millisecondsSinceEpoch)
        bindings.append(c.endsAt.millisecondsSinceEpoch)
        bindings.append(c.totalBudgetCents)
        bindings.append(c.dailyBudgetCents)
        bindings.append(c.cpmBidCents)
        bindings.append(c.priority.rawValue)
        bindings.append(c.pacing.rawValue)
        bindings.append(String(decoding: try SQLiteStore.jsonEncoder.encode(c.targeting), as: UTF8.self))
        bindings.append(c.capPerDay)
        bindings.append(c.capPerWeek)
        bindings.append(c.capPerSession)
        bindings.append(c.competitiveCategory)
    }

    static func campaign(from row: PostgresRow) throws -> Campaign {
        let r = row.makeRandomAccess()
        let id: String = try r.value(0)
        let targetingJSON: String = try r.value(11)
        let targeting: Targeting
        do {
            targeting = try JSONDecoder().decode(Targeting.self, from: Data(targetingJSON.utf8))
        } catch {
            // Reading a damaged targeting as "no restriction" would serve the campaign everywhere.
            throw MarqueeError(
                .internalFailure, code: "store_corrupt", message: "the targeting of campaign '\(id)' could not be read: \(error)")
        }
        return Campaign(
            id: CampaignID(trusted: id), advertiserID: AdvertiserID(trusted: try r.value(1)), name: try r.value(2),
            status: CampaignStatus(rawValue: try r.value(3)) ?? .paused, startsAt: Timestamp(millisecondsSinceEpoch: try r.value(4)),
            endsAt: Timestamp(millisecondsSinceEpoch: try r.value(5)), totalBudgetCents: try r.value(6), dailyBudgetCents: try r.value(7),
            cpmBidCents: try r.value(8), priority: CampaignPriority(rawValue: try r.value(9)) ?? .standard,
            pacing: PacingMode(rawValue: try r.value(10)) ?? .even, targeting: targeting, capPerDay: try r.value(12),
            capPerWeek: try r.value(13), capPerSession: try r.value(14), competitiveCategory: try r.value(15))
    }

    static func append(_ c: Creative, to bindings: inout PostgresBindings) {
        bindings.append(c.id.rawValue)
        bindings.append(c.campaignID.rawValue)
        bindings.append(c.name)
        bindings.append(c.durationSeconds)
        bindings.append(c.mediaURL)
        bindings.append(c.clickURL)
        bindings.append(c.category)
        bindings.append(c.status.rawValue)
    }

    static func creative(from row: PostgresRow) throws -> Creative {
        let r = row.makeRandomAccess()
        return Creative(
            id: CreativeID(trusted: try r.value(0)), campaignID: CampaignID(trusted: try r.value(1)), name: try r.value(2),
            durationSeconds: try r.value(3), mediaURL: try r.value(4), clickURL: try r.value(5), category: try r.value(6),
            status: CampaignStatus(rawValue: try r.value(7)) ?? .paused)
    }

    static func advertiser(from row: PostgresRow) throws -> Advertiser {
        let r = row.makeRandomAccess()
        return Advertiser(id: AdvertiserID(trusted: try r.value(0)), name: try r.value(1), category: try r.value(2))
    }

    // MARK: Upserts

    static func upsertAdvertisersQuery(_ advertisers: [Advertiser]) -> PostgresQuery {
        var bindings = PostgresBindings()
        for a in advertisers {
            bindings.append(a.id.rawValue)
            bindings.append(a.name)
            bindings.append(a.category)
        }
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO advertisers (id, name, category) VALUES \(placeholders(rows: advertisers.count, types: ["text", "text", "text"]))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, category = excluded.category
                """, binds: bindings)
    }

    static func upsertCampaignsQuery(_ campaigns: [Campaign]) throws -> PostgresQuery {
        var bindings = PostgresBindings()
        for c in campaigns { try append(c, to: &bindings) }
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO campaigns (\(campaignColumns.replacingOccurrences(of: "::text", with: "")))
                VALUES \(placeholders(rows: campaigns.count, types: campaignTypes))
                ON CONFLICT (id) DO UPDATE SET advertiser_id = excluded.advertiser_id, name = excluded.name,
                    status = excluded.status, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                    total_budget_cents = excluded.total_budget_cents, daily_budget_cents = excluded.daily_budget_cents,
                    cpm_bid_cents = excluded.cpm_bid_cents, priority = excluded.priority, pacing = excluded.pacing,
                    targeting = excluded.targeting, cap_per_day = excluded.cap_per_day, cap_per_week = excluded.cap_per_week,
                    cap_per_session = excluded.cap_per_session, competitive_category = excluded.competitive_category
                """, binds: bindings)
    }

    static func upsertCreativesQuery(_ creatives: [Creative]) -> PostgresQuery {
        var bindings = PostgresBindings()
        for c in creatives { append(c, to: &bindings) }
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO creatives (\(creativeColumns)) VALUES \(placeholders(rows: creatives.count, types: creativeTypes))
                ON CONFLICT (id) DO UPDATE SET campaign_id = excluded.campaign_id, name = excluded.name,
                    duration_seconds = excluded.duration_seconds, media_url = excluded.media_url, click_url = excluded.click_url,
                    category = excluded.category, status = excluded.status
                """, binds: bindings)
    }

    /// Runs one upsert statement per chunk of `items` (the last of each id wins), in one transaction.
    func upsertInChunks<T>(
        _ what: String, _ items: [T], id: (T) -> String, perStatement: Int, _ query: ([T]) throws -> PostgresQuery
    ) async throws {
        let unique = Self.lastOfEachID(items, id: id)
        if unique.isEmpty { return }
        var statements: [PostgresQuery] = []
        var start = 0
        while start < unique.count {
            let end = min(start + perStatement, unique.count)
            statements.append(try query(Array(unique[start..<end])))
            start = end
        }
        let queued = statements
        try await transaction(what) { connection in
            for statement in queued { try await connection.query(statement, logger: self.logger) }
        }
    }

    public func upsertAdvertisers(_ advertisers: [Advertiser]) async throws {
        try await upsertInChunks("upserting advertisers", advertisers, id: \.id.rawValue, perStatement: 10_000, Self.upsertAdvertisersQuery)
    }

    public func upsertCampaigns(_ campaigns: [Campaign]) async throws {
        try await upsertInChunks("upserting campaigns", campaigns, id: \.id.rawValue, perStatement: 4_000, Self.upsertCampaignsQuery)
    }

    public func upsertCreatives(_ creatives: [Creative]) async throws {
        try await upsertInChunks("upserting creatives", creatives, id: \.id.rawValue, perStatement: 8_000, Self.upsertCreativesQuery)
        known.insert(creatives.map(\.id.rawValue), .creative)
    }

    public func campaigns() async throws -> [Campaign] {
        try await rows("listing campaigns", "SELECT \(unescaped: Self.campaignColumns) FROM campaigns ORDER BY id").map(
            Self.campaign(from:))
    }

    public func creatives() async throws -> [Creative] {
        try await rows("listing creatives", "SELECT \(unescaped: Self.creativeColumns) FROM creatives ORDER BY id").map(
            Self.creative(from:))
    }

    /// A page of `table`'s rows matching `filters` (column, value), ordered by id.
    func page<T>(
        _ what: String, _ table: String, columns: String, filters: [(String, String)], limit: Int, offset: Int,
        _ decode: (PostgresRow) throws -> T
    ) async throws -> Page<T> {
        var bindings = PostgresBindings()
        var conditions: [String] = []
        for (column, value) in filters {
            bindings.append(value)
            conditions.append("\(column) = $\(bindings.count)::text")
        }
        let clause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let total = try await integer(what, PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table)\(clause)", binds: bindings))
        var pageBindings = bindings
        pageBindings.append(limit)
        pageBindings.append(offset)
        let n = bindings.count
        let rows = try await rows(
            what,
            PostgresQuery(
                unsafeSQL: "SELECT \(columns) FROM \(table)\(clause) ORDER BY id LIMIT $\(n + 1)::bigint OFFSET $\(n + 2)::bigint",
                binds: pageBindings))
        return Page(items: try rows.map(decode), total: Int(total), limit: limit, offset: offset)
    }

    /// Whether a row with this id exists in `table`, inside a transaction.
    func exists(_ table: String, id: String, on connection: PostgresConnection) async throws -> Bool {
        var bindings = PostgresBindings()
        bindings.append(id)
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) WHERE id = $1::text", binds: bindings), logger: logger
        ).collect()
        return !rows.isEmpty
    }

    func requireAdvertiser(_ id: AdvertiserID, on connection: PostgresConnection) async throws {
        guard try await exists("advertisers", id: id.rawValue, on: connection) else {
            throw MarqueeError(.invalidValue, code: "unknown_advertiser", message: "advertiserId: no advertiser with id '\(id)'")
        }
    }

    func requireCampaign(_ id: CampaignID, on connection: PostgresConnection) async throws {
        guard try await exists("campaigns", id: id.rawValue, on: connection) else {
            throw MarqueeError(.invalidValue, code: "unknown_campaign", message: "campaignId: no campaign with id '\(id)'")
        }
    }

    /// Runs `body` in a transaction; a unique violation (another process inserted the same id meanwhile) is `conflict`.
    func insertion(_ what: String, exists: MarqueeError, _ body: @escaping @Sendable (PostgresConnection) async throws -> Void) async throws
    {
        do {
            try await transaction(what, body)
        } catch let error as MarqueeError where error.cause.flatMap(Self.sqlState) == "23505" {
            throw exists
        }
    }

    // MARK: Advertisers

    public func advertiser(id: AdvertiserID) async throws -> Advertiser? {
        try await rows("reading an advertiser", "SELECT id, name, category FROM advertisers WHERE id = \(id.rawValue)").first.map(
            Self.advertiser(from:))
    }

    public func advertisers(limit: Int, offset: Int) async throws -> Page<Advertiser> {
        try await page(
            "listing advertisers", "advertisers", columns: "id, name, category", filters: [], limit: limit, offset: offset,
            Self.advertiser(from:))
    }

    public func insertAdvertiser(_ advertiser: Advertiser) async throws {
        let exists = MarqueeError(.conflict, code: "advertiser_exists", message: "an advertiser with id '\(advertiser.id)' exists already")
        try await insertion("storing an advertiser", exists: exists) { connection in
            if try await self.exists("advertisers", id: advertiser.id.rawValue, on: connection) { throw exists }
            try await connection.query(
                "INSERT INTO advertisers (id, name, category) VALUES (\(advertiser.id.rawValue), \(advertiser.name), \(advertiser.category))",
                logger: self.logger)
        }
    }

    public func replaceAdvertiser(_ advertiser: Advertiser) async throws -> Bool {
        !(try await rows(
            "replacing an advertiser",
            """
            UPDATE advertisers SET name = \(advertiser.name), category = \(advertiser.category) WHERE id = \(advertiser.id.rawValue)
            RETURNING 1
            """
        ).isEmpty)
    }

    public func deleteAdvertiser(id: AdvertiserID) async throws -> Bool {
        try await transaction("deleting an advertiser") { connection in
            // Lock the advertiser first: a campaign inserted meanwhile waits (its foreign key check needs the row).
            let locked = try await connection.query("SELECT 1 FROM advertisers WHERE id = \(id.rawValue) FOR UPDATE", logger: self.logger)
                .collect()
            guard !locked.isEmpty else { return false }
            var campaigns: Int64 = 0
            for try await n in try await connection.query(
                "SELECT COUNT(*) FROM campaigns WHERE advertiser_id = \(id.rawValue)", logger: self.logger
            ).decode(Int64.self) { campaigns = n }
            if campaigns > 0 {
                throw MarqueeError(
                    .conflict, code: "advertiser_in_use",
                    message: "advertiser '\(id)' has \(campaigns) campaign(s); campaigns are archived, never deleted, so it stays")
            }
            try await connection.query("DELETE FROM advertisers WHERE id = \(id.rawValue)", logger: self.logger)
            return true
        }
    }

    // MARK: Campaigns

    public func campaign(id: CampaignID) async throws -> Campaign? {
        try await rows("reading a campaign", "SELECT \(unescaped: Self.campaignColumns) FROM campaigns WHERE id = \(id.rawValue)")
            .first.map(Self.campaign(from:))
    }

    public func campaigns(advertiser: AdvertiserID?, status: CampaignStatus?, limit: Int, offset: Int) async throws -> Page<Campaign> {
        var filters: [(String, String)] = []
        if let advertiser { filters.append(("advertiser_id", advertiser.rawValue)) }
        if let status { filters.append(("status", status.rawValue)) }
        return try await page(
            "listing campaigns", "campaigns", columns: Self.campaignColumns, filters: filters, limit: limit, offset: offset,
            Self.campaign(from:))
    }

    public func insertCampaign(_ campaign: Campaign) async throws {
        let exists = MarqueeError(.conflict, code: "campaign_exists", message: "a campaign with id '\(campaign.id)' exists already")
        let query = try Self.upsertCampaignsQuery([campaign])
        try await insertion("storing a campaign", exists: exists) { connection in
            if try await self.exists("campaigns", id: campaign.id.rawValue, on: connection) { throw exists }
            try await self.requireAdvertiser(campaign.advertiserID, on: connection)
            try await connection.query(query, logger: self.logger)
        }
    }

    public func replaceCampaign(_ campaign: Campaign) async throws -> Bool {
        let query = try Self.upsertCampaignsQuery([campaign])
        return try await transaction("replacing a campaign") { connection in
            guard try await self.exists("campaigns", id: campaign.id.rawValue, on: connection) else { return false }
            try await self.requireAdvertiser(campaign.advertiserID, on: connection)
            try await connection.query(query, logger: self.logger)
            return true
        }
    }

    public func archiveCampaign(id: CampaignID) async throws -> Bool {
        !(try await rows("archiving a campaign", "UPDATE campaigns SET status = 'archived' WHERE id = \(id.rawValue) RETURNING 1").isEmpty)
    }

    // MARK: Creatives

    public func creative(id: CreativeID) async throws -> Creative? {
        try await rows("reading a creative", "SELECT \(unescaped: Self.creativeColumns) FROM creatives WHERE id = \(id.rawValue)")
            .first.map(Self.creative(from:))
    }

    public func creatives(campaign: CampaignID?, status: CampaignStatus?, limit: Int, offset: Int) async throws -> Page<Creative> {
        var filters: [(String, String)] = []
        if let campaign { filters.append(("campaign_id", campaign.rawValue)) }
        if let status { filters.append(("status", status.rawValue)) }
        return try await page(
            "listing creatives", "creatives", columns: Self.creativeColumns, filters: filters, limit: limit, offset: offset,
            Self.creative(from:))
    }

    public func insertCreative(_ creative: Creative) async throws {
        let exists = MarqueeError(.conflict, code: "creative_exists", message: "a creative with id '\(creative.id)' exists already")
        try await insertion("storing a creative", exists: exists) { connection in
            if try await self.exists("creatives", id: creative.id.rawValue, on: connection) { throw exists }
            try await self.requireCampaign(creative.campaignID, on: connection)
            try await connection.query(Self.upsertCreativesQuery([creative]), logger: self.logger)
        }
        known.insert([creative.id.rawValue], .creative)
    }

    public func replaceCreative(_ creative: Creative) async throws -> Bool {
        try await transaction("replacing a creative") { connection in
            guard try await self.exists("creatives", id: creative.id.rawValue, on: connection) else { return false }
            try await self.requireCampaign(creative.campaignID, on: connection)
            try await connection.query(Self.upsertCreativesQuery([creative]), logger: self.logger)
            return true
        }
    }

    public func archiveCreative(id: CreativeID) async throws -> Bool {
        !(try await rows("archiving a creative", "UPDATE creatives SET status = 'archived' WHERE id = \(id.rawValue) RETURNING 1").isEmpty)
    }
}
