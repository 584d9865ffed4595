/// A company that buys ads. Its category drives competitive separation in a pod.
public struct Advertiser: Codable, Sendable, Hashable, Identifiable {
    public var id: AdvertiserID
    public var name: String
    /// An IAB-like category such as `automotive` or `fast-food`.
    public var category: String

    public init(id: AdvertiserID, name: String, category: String) {
        self.id = id
        self.name = name
        self.category = category
    }
}

/// Priority tiers, served in this order before price is compared.
public enum CampaignPriority: String, Codable, Sendable, CaseIterable {
    case sponsorship, standard, house
}

public enum PacingMode: String, Codable, Sendable, CaseIterable {
    case even, asFastAsPossible
}

public enum CampaignStatus: String, Codable, Sendable, CaseIterable {
    case active, paused, archived
}

/// Who a campaign may reach. Empty lists mean "no restriction".
public struct Targeting: Codable, Sendable, Hashable {
    public var regions: [String]
    public var devices: [Device]
    public var plans: [Plan]
    public var genres: [String]

    public init(regions: [String] = [], devices: [Device] = [], plans: [Plan] = [], genres: [String] = []) {
        self.regions = regions
        self.devices = devices
        self.plans = plans
        self.genres = genres
    }
}

/// A flight of ads with a budget, a bid, targeting and frequency caps.
public struct Campaign: Codable, Sendable, Hashable, Identifiable {
    public var id: CampaignID
    public var advertiserID: AdvertiserID
    public var name: String
    public var status: CampaignStatus
    public var startsAt: Timestamp
    public var endsAt: Timestamp
    public var totalBudgetCents: Int64
    public var dailyBudgetCents: Int64?
    public var cpmBidCents: Int64
    public var priority: CampaignPriority
    public var pacing: PacingMode
    public var targeting: Targeting
    public var capPerDay: Int?
    public var capPerWeek: Int?
    public var capPerSession: Int?

    public init(
        id: CampaignID, advertiserID: AdvertiserID, name: String, status: CampaignStatus = .active, startsAt: Timestamp,
        endsAt: Timestamp, totalBudgetCents: Int64, dailyBudgetCents: Int64? = nil, cpmBidCents: Int64,
        priority: CampaignPriority = .standard, pacing: PacingMode = .even, targeting: Targeting = Targeting(),
        capPerDay: Int? = nil, capPerWeek: Int? = nil, capPerSession: Int? = nil
    ) {
        self.id = id
        self.advertiserID = advertiserID
        self.name = name
        self.status = status
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.totalBudgetCents = totalBudgetCents
        self.dailyBudgetCents = dailyBudgetCents
        self.cpmBidCents = cpmBidCents
        self.priority = priority
        self.pacing = pacing
        self.targeting = targeting
        self.capPerDay = capPerDay
        self.capPerWeek = capPerWeek
        self.capPerSession = capPerSession
    }

    enum CodingKeys: String, CodingKey {
        case id, name, status, startsAt, endsAt, totalBudgetCents, dailyBudgetCents, cpmBidCents, priority, pacing,
            targeting, capPerDay, capPerWeek, capPerSession
        case advertiserID = "advertiserId"
    }
}

/// One ad: a video of a standard length with where it lives and where a click goes.
public struct Creative: Codable, Sendable, Hashable, Identifiable {
    public var id: CreativeID
    public var campaignID: CampaignID
    public var name: String
    /// 6, 15, 30 or 60 seconds.
    public var durationSeconds: Int
    public var mediaURL: String
    public var clickURL: String
    public var category: String
    public var status: CampaignStatus

    public static let allowedDurations = [6, 15, 30, 60]

    public init(
        id: CreativeID, campaignID: CampaignID, name: String, durationSeconds: Int, mediaURL: String, clickURL: String,
        category: String, status: CampaignStatus = .active
    ) {
        self.id = id
        self.campaignID = campaignID
        self.name = name
        self.durationSeconds = durationSeconds
        self.mediaURL = mediaURL
        self.clickURL = clickURL
        self.category = category
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case id, name, durationSeconds, category, status
        case campaignID = "campaignId"
        case mediaURL = "mediaUrl"
        case clickURL = "clickUrl"
    }
}
