import MarqueeCore

/// The ad book compiled for decisions: campaigns with their targeting as masks and sets, creatives
/// grouped under their campaign, advertisers and categories resolved. Immutable; rebuilt and
/// swapped whole when the book changes.
public struct AdInventory: Sendable {
    public struct CompiledCampaign: Sendable {
        public var campaign: Campaign
        public var advertiser: Advertiser
        /// 0 sponsorship, 1 standard, 2 house: served in this order.
        public var tier: Int
        public var category: String
        var regions: Set<String>
        var deviceMask: UInt8
        var planMask: UInt8
        var genres: Set<String>
        var daypartMask: UInt8
        var maxMaturityRank: Int?
        /// Genres of the `fans:` audiences (any one matches).
        var audienceGenres: [String]
        /// Indices into `creatives`.
        public var creatives: [Int]
    }

    public var campaigns: [CompiledCampaign] = []
    public var creatives: [Creative] = []
    /// Creative index → campaign index.
    public var campaignOfCreative: [Int] = []
    public var campaignIndex: [String: Int] = [:]
    public var creativeIndex: [String: Int] = [:]
    /// Feature hashes of each creative's id, and of each campaign's id and advertiser id.
    var creativeHashes: [UInt64] = []
    var campaignHashes: [(campaign: UInt64, advertiser: UInt64)] = []

    public init() {}

    /// Campaigns whose advertiser is missing are left out (the store's foreign keys prevent it).
    public init(advertisers: [Advertiser], campaigns: [Campaign], creatives: [Creative]) {
        let advertiserByID = Dictionary(advertisers.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        for c in campaigns {
            guard let advertiser = advertiserByID[c.advertiserID.rawValue] else { continue }
            let t = c.targeting
            campaignIndex[c.id.rawValue] = self.campaigns.count
            self.campaigns.append(
                CompiledCampaign(
                    campaign: c, advertiser: advertiser, tier: CampaignPriority.allCases.firstIndex(of: c.priority) ?? 1,
                    category: c.effectiveCategory(advertiser: advertiser), regions: Set(t.regions),
                    deviceMask: Self.mask(t.devices, in: Device.allCases), planMask: Self.mask(t.plans, in: Plan.allCases),
                    genres: Set(t.genres.map { $0.lowercased() }), daypartMask: Self.mask(t.dayparts, in: Daypart.allCases),
                    maxMaturityRank: t.maxContentMaturity?.rank, audienceGenres: t.audiences.compactMap(AudienceSegment.fansGenre),
                    creatives: []))
        }
        campaignHashes = self.campaigns.map { (AdFeatures.fnv($0.campaign.id.rawValue), AdFeatures.fnv($0.advertiser.id.rawValue)) }
        for creative in creatives {
            guard let k = campaignIndex[creative.campaignID.rawValue] else { continue }
            creativeHashes.append(AdFeatures.fnv(creative.id.rawValue))
            creativeIndex[creative.id.rawValue] = self.creatives.count
            self.campaigns[k].creatives.append(self.creatives.count)
            self.creatives.append(creative)
            campaignOfCreative.append(k)
        }
    }

    static func mask<T: Equatable>(_ values: [T], in all: [T]) -> UInt8 {
        var m: UInt8 = 0
        for v in values { if let i = all.firstIndex(of: v) { m |= 1 << UInt8(i) } }
        return m
    }

    static func bit<T: Equatable>(_ value: T?, in all: [T]) -> UInt8 {
        guard let value, let i = all.firstIndex(of: value) else { return 0 }
        return 1 << UInt8(i)
    }

    /// Why campaign `k` may not serve this request (flight, status, targeting), or nil if it may.
    /// Budgets, caps and pacing are the delivery state's concern.
    public func refusal(_ k: Int, _ request: AdRequest, plan: Plan?, region: String?) -> String? {
        let c = campaigns[k]
        let now = request.now
        if c.campaign.status != .active { return "campaign \(c.campaign.status.rawValue)" }
        if now < c.campaign.startsAt || now >= c.campaign.endsAt { return "outside the flight" }
        if !c.regions.isEmpty {
            guard let region, c.regions.contains(region) else { return "region not targeted" }
        }
        if c.deviceMask != 0 && c.deviceMask & Self.bit(request.device, in: Device.allCases) == 0 { return "device not targeted" }
        if c.planMask != 0 && c.planMask & Self.bit(plan, in: Plan.allCases) == 0 { return "plan not targeted" }
        if !c.genres.isEmpty && !request.content.genres.contains(where: c.genres.contains) { return "content genre not targeted" }
        if let limit = c.maxMaturityRank, request.content.maturity.rank > limit { return "content above the maturity limit" }
        if c.daypartMask != 0 && c.daypartMask & Self.bit(request.at.daypart, in: Daypart.allCases) == 0 {
            return "daypart not targeted"
        }
        if !c.audienceGenres.isEmpty {
            guard let viewer = request.viewer else { return "audience needs a known viewer" }
            let top = viewer.topGenres.prefix(AdInventory.audienceTopGenres)
            if !c.audienceGenres.contains(where: { top.contains($0) }) { return "viewer not in the audience" }
        }
        return nil
    }

    /// A viewer is a fan of a genre when it is among their this many strongest genres.
    public static let audienceTopGenres = 3
}
