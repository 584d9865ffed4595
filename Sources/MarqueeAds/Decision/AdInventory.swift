import MarqueeCore

/// The ad book compiled for decisions: campaigns with their targeting as masks and sets, creatives
/// grouped under their campaign, advertisers and categories resolved. Immutable; rebuilt and
/// swapped whole when the book changes.
public struct AdInventory: Sendable {
    /// A campaign ready for decisions. A class, so that the decision loop reads one without
    /// copying (and retaining) each of its strings, sets and arrays.
    public final class CompiledCampaign: Sendable {
        public let campaign: Campaign
        public let advertiser: Advertiser
        /// 0 sponsorship, 1 standard, 2 house: served in this order.
        public let tier: Int
        public let category: String
        let regions: Set<String>
        let deviceMask: UInt8
        let planMask: UInt8
        let genres: Set<String>
        let daypartMask: UInt8
        let maxMaturityRank: Int?
        /// Genres of the `fans:` audiences (any one matches).
        let audienceGenres: [String]
        /// Indices into `creatives`.
        public let creatives: [Int]
        /// Feature hashes of the campaign id, the advertiser id and the category.
        let campaignHash: UInt64
        let advertiserHash: UInt64
        let categoryHash: UInt64
        /// Small integers for the advertiser and the category (competitive separation in a pod).
        let advertiserKey: Int
        let categoryKey: Int

        /// `category` is the campaign's effective competitive category.
        init(campaign c: Campaign, advertiser: Advertiser, category: String, creatives: [Int], advertiserKey: Int, categoryKey: Int) {
            let t = c.targeting
            self.campaign = c
            self.advertiser = advertiser
            tier = CampaignPriority.allCases.firstIndex(of: c.priority) ?? 1
            self.category = category
            regions = Set(t.regions)
            deviceMask = AdInventory.mask(t.devices, in: Device.allCases)
            planMask = AdInventory.mask(t.plans, in: Plan.allCases)
            genres = Set(t.genres.map { $0.lowercased() })
            daypartMask = AdInventory.mask(t.dayparts, in: Daypart.allCases)
            maxMaturityRank = t.maxContentMaturity?.rank
            audienceGenres = t.audiences.compactMap(AudienceSegment.fansGenre)
            self.creatives = creatives
            campaignHash = AdFeatures.fnv(c.id.rawValue)
            advertiserHash = AdFeatures.fnv(advertiser.id.rawValue)
            categoryHash = AdFeatures.fnv(category)
            self.advertiserKey = advertiserKey
            self.categoryKey = categoryKey
        }
    }

    public var campaigns: [CompiledCampaign] = []
    public var creatives: [Creative] = []
    /// Creative index → campaign index.
    public var campaignOfCreative: [Int] = []
    public var campaignIndex: [String: Int] = [:]
    public var creativeIndex: [String: Int] = [:]
    /// Feature hashes of each creative's id.
    var creativeHashes: [UInt64] = []

    public init() {}

    /// Campaigns whose advertiser is missing are left out (the store's foreign keys prevent it).
    public init(advertisers: [Advertiser], campaigns: [Campaign], creatives: [Creative]) {
        let advertiserByID = Dictionary(advertisers.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { a, _ in a })
        var kept: [(Campaign, Advertiser)] = []
        for c in campaigns {
            guard let advertiser = advertiserByID[c.advertiserID.rawValue] else { continue }
            campaignIndex[c.id.rawValue] = kept.count
            kept.append((c, advertiser))
        }
        var lists = [[Int]](repeating: [], count: kept.count)
        for creative in creatives {
            guard let k = campaignIndex[creative.campaignID.rawValue] else { continue }
            creativeHashes.append(AdFeatures.fnv(creative.id.rawValue))
            creativeIndex[creative.id.rawValue] = self.creatives.count
            lists[k].append(self.creatives.count)
            self.creatives.append(creative)
            campaignOfCreative.append(k)
        }
        var advertiserKeys: [String: Int] = [:]
        var categoryKeys: [String: Int] = [:]
        self.campaigns = kept.enumerated().map { k, pair in
            let (c, advertiser) = pair
            let advertiserKey = advertiserKeys[advertiser.id.rawValue, default: advertiserKeys.count]
            advertiserKeys[advertiser.id.rawValue] = advertiserKey
            let category = c.effectiveCategory(advertiser: advertiser)
            let categoryKey = categoryKeys[category, default: categoryKeys.count]
            categoryKeys[category] = categoryKey
            return CompiledCampaign(
                campaign: c, advertiser: advertiser, category: category, creatives: lists[k], advertiserKey: advertiserKey,
                categoryKey: categoryKey)
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

    /// The request's device, plan and daypart as mask bits, worked out once per decision.
    struct RequestBits {
        var device: UInt8
        var plan: UInt8
        var daypart: UInt8

        init(_ request: AdRequest, plan: Plan?) {
            device = AdInventory.bit(request.device, in: Device.allCases)
            self.plan = AdInventory.bit(plan, in: Plan.allCases)
            daypart = AdInventory.bit(request.at.daypart, in: Daypart.allCases)
        }
    }

    /// Why campaign `k` may not serve this request (flight, status, targeting), or nil if it may.
    /// Budgets, caps and pacing are the delivery state's concern.
    public func refusal(_ k: Int, _ request: AdRequest, plan: Plan?, region: String?) -> CampaignRefusal? {
        refusal(k, request, bits: RequestBits(request, plan: plan), region: region)
    }

    func refusal(_ k: Int, _ request: AdRequest, bits: RequestBits, region: String?) -> CampaignRefusal? {
        let c = campaigns[k]
        let now = request.now
        if c.campaign.status != .active { return .inactive(c.campaign.status) }
        if now < c.campaign.startsAt { return .flightNotStarted }
        if now >= c.campaign.endsAt { return .flightEnded }
        if !c.regions.isEmpty {
            guard let region, c.regions.contains(region) else { return .notTargeted(.region) }
        }
        if c.deviceMask != 0 && c.deviceMask & bits.device == 0 { return .notTargeted(.device) }
        if c.planMask != 0 && c.planMask & bits.plan == 0 { return .notTargeted(.plan) }
        if !c.genres.isEmpty && !request.content.genres.contains(where: c.genres.contains) { return .notTargeted(.contentGenre) }
        if let limit = c.maxMaturityRank, request.content.maturity.rank > limit { return .notTargeted(.contentMaturity) }
        if c.daypartMask != 0 && c.daypartMask & bits.daypart == 0 { return .notTargeted(.daypart) }
        if !c.audienceGenres.isEmpty {
            guard let viewer = request.viewer else { return .notTargeted(.audienceNeedsViewer) }
            let top = viewer.topGenres.prefix(AdInventory.audienceTopGenres)
            if !c.audienceGenres.contains(where: { top.contains($0) }) { return .notTargeted(.audience) }
        }
        return nil
    }

    /// Why no campaign may serve this request, for a pod's reasons: the refusals counted by kind
    /// ("2 flights ended, 3 not targeted at this request (region: 2, device: 1)"). Only worked out for empty pods.
    func refusalSummary(_ request: AdRequest, bits: RequestBits, region: String?) -> [String] {
        var ended = 0
        var notStarted = 0
        var inactive: [CampaignStatus: Int] = [:]
        var targeting: [(CampaignRefusal.Dimension, Int)] = []
        for k in campaigns.indices {
            switch refusal(k, request, bits: bits, region: region) {
            case nil: continue
            case .flightEnded: ended += 1
            case .flightNotStarted: notStarted += 1
            case .inactive(let status): inactive[status, default: 0] += 1
            case .notTargeted(let what):
                if let i = targeting.firstIndex(where: { $0.0 == what }) { targeting[i].1 += 1 } else { targeting.append((what, 1)) }
            }
        }
        var parts: [String] = []
        if campaigns.isEmpty { parts.append("the ad book has no campaign") }
        if ended > 0 { parts.append(Wording.count(ended, "flight ended", plural: "flights ended")) }
        if notStarted > 0 { parts.append(Wording.count(notStarted, "flight not started yet", plural: "flights not started yet")) }
        for status in CampaignStatus.allCases { if let n = inactive[status] { parts.append("\(n) \(status.rawValue)") } }
        let notTargeted = targeting.reduce(0) { $0 + $1.1 }
        if notTargeted > 0 {
            parts.append(
                "\(notTargeted) not targeted at this request ("
                    + targeting.map { "\($0.0.rawValue): \($0.1)" }.joined(separator: ", ") + ")")
        }
        return parts
    }

    /// A viewer is a fan of a genre when it is among their this many strongest genres.
    public static let audienceTopGenres = 3
}

/// Why a campaign may not serve a request (status, flight, targeting). Budgets, caps and pacing are
/// the delivery state's concern.
public enum CampaignRefusal: Hashable, Sendable, CustomStringConvertible {
    case inactive(CampaignStatus)
    case flightNotStarted
    case flightEnded
    case notTargeted(Dimension)

    /// The targeting that excludes the request.
    public enum Dimension: String, Hashable, Sendable {
        case region, device, plan
        case contentGenre = "content genre"
        case contentMaturity = "content maturity"
        case daypart
        case audienceNeedsViewer = "audience (needs a known viewer)"
        case audience
    }

    public var description: String {
        switch self {
        case .inactive(let status): return "campaign \(status.rawValue)"
        case .flightNotStarted: return "flight not started"
        case .flightEnded: return "flight ended"
        case .notTargeted(let what): return "\(what.rawValue) not targeted"
        }
    }
}
