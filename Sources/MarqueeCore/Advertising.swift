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

/// How a campaign spends over its flight: `even` spreads the budget over the days (and each day's
/// share over the day), `asFastAsPossible` serves whenever it wins until the budget is gone.
public enum PacingMode: String, Codable, Sendable, CaseIterable {
    case even, asFastAsPossible
}

/// Whether a campaign or creative may serve. Only `active` ones serve; `archived` is what deleting
/// one does (ads are never removed, because events and reports refer to them), and it can be undone.
public enum CampaignStatus: String, Codable, Sendable, CaseIterable {
    case active, paused, archived
}

/// Who a campaign may reach and in what content. Empty lists and nil mean "no restriction"; a
/// viewer must pass every restriction that is set.
///
/// This type only says what the campaign asks for; the decision engine checks a request against it.
/// Every field decodes as absent when it is missing, so targeting stored before a field existed
/// still reads (as unrestricted in that field).
public struct Targeting: Codable, Sendable, Hashable {
    /// Region codes of the viewer.
    public var regions: [String]
    public var devices: [Device]
    public var plans: [Plan]
    /// Genres of the content the ad runs in (the title being watched has at least one of them).
    public var genres: [String]
    /// The most mature content the ad may run in: with `13+`, never in `16+` or `18+` titles.
    public var maxContentMaturity: MaturityRating?
    /// Parts of the viewer's local day the ad may run in.
    public var dayparts: [Daypart]
    /// Audience segments derived from viewing, such as `fans:sci-fi` (see `AudienceSegment`); a viewer
    /// in any one of them qualifies.
    public var audiences: [String]

    public init(
        regions: [String] = [], devices: [Device] = [], plans: [Plan] = [], genres: [String] = [],
        maxContentMaturity: MaturityRating? = nil, dayparts: [Daypart] = [], audiences: [String] = []
    ) {
        self.regions = regions
        self.devices = devices
        self.plans = plans
        self.genres = genres
        self.maxContentMaturity = maxContentMaturity
        self.dayparts = dayparts
        self.audiences = audiences
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case regions, devices, plans, genres, maxContentMaturity, dayparts, audiences
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        regions = try c.decodeIfPresent([String].self, forKey: .regions) ?? []
        devices = try c.decodeIfPresent([Device].self, forKey: .devices) ?? []
        plans = try c.decodeIfPresent([Plan].self, forKey: .plans) ?? []
        genres = try c.decodeIfPresent([String].self, forKey: .genres) ?? []
        maxContentMaturity = try c.decodeIfPresent(MaturityRating.self, forKey: .maxContentMaturity)
        dayparts = try c.decodeIfPresent([Daypart].self, forKey: .dayparts) ?? []
        audiences = try c.decodeIfPresent([String].self, forKey: .audiences) ?? []
    }
}

/// Audience segments derived from viewing. The only kind today is `fans:<genre>`: viewers whose
/// viewing affinity puts that genre among their top genres. The decision engine computes who is in
/// a segment; this type defines the names.
///
/// The genre is written in lowercase (`fans:sci-fi`) and matched case-insensitively against titles'
/// genres, so `fans:sci-fi` covers MovieLens' `Sci-Fi`.
public enum AudienceSegment {
    public static let fansPrefix = "fans:"
    /// The longest genre name of a segment, as for titles' genres.
    public static let maxGenreLength = 64

    /// The segment of fans of `genre` (lowercased).
    public static func fans(of genre: String) -> String { fansPrefix + genre.lowercased() }

    /// The genre of a `fans:<genre>` segment, or nil for any other string.
    public static func fansGenre(_ segment: String) -> String? {
        guard segment.hasPrefix(fansPrefix) else { return nil }
        let genre = String(segment.dropFirst(fansPrefix.count))
        return genre.isEmpty ? nil : genre
    }

    /// Why `segment` is not a well-formed segment name, or nil.
    public static func problem(with segment: String) -> String? {
        guard segment.hasPrefix(fansPrefix) else {
            return "must be fans:<genre> (such as fans:sci-fi), the viewers with that genre among their top genres"
        }
        let genre = String(segment.dropFirst(fansPrefix.count))
        if let p = TextRules.problem(with: genre, maxLength: maxGenreLength) { return "the genre after fans: \(p)" }
        if genre.contains("\n") || genre.contains("\t") { return "the genre after fans: must not contain tabs or newlines" }
        if genre.first == " " || genre.last == " " { return "the genre after fans: must not start or end with a space" }
        if genre != genre.lowercased() { return "must be lowercase (\(fans(of: genre)))" }
        return nil
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
    /// The category competitive separation uses (two ads of one category never share a break); nil
    /// means the advertiser's category. Set it when a campaign sells outside its advertiser's usual
    /// line (a carmaker's insurance offer).
    public var competitiveCategory: String?

    public init(
        id: CampaignID, advertiserID: AdvertiserID, name: String, status: CampaignStatus = .active, startsAt: Timestamp,
        endsAt: Timestamp, totalBudgetCents: Int64, dailyBudgetCents: Int64? = nil, cpmBidCents: Int64,
        priority: CampaignPriority = .standard, pacing: PacingMode = .even, targeting: Targeting = Targeting(),
        capPerDay: Int? = nil, capPerWeek: Int? = nil, capPerSession: Int? = nil, competitiveCategory: String? = nil
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
        self.competitiveCategory = competitiveCategory
    }

    /// The category for competitive separation: `competitiveCategory`, else the advertiser's.
    public func effectiveCategory(advertiser: Advertiser) -> String { competitiveCategory ?? advertiser.category }

    enum CodingKeys: String, CodingKey {
        case id, name, status, startsAt, endsAt, totalBudgetCents, dailyBudgetCents, cpmBidCents, priority, pacing,
            targeting, capPerDay, capPerWeek, capPerSession, competitiveCategory
        case advertiserID = "advertiserId"
    }
}

/// One ad: a video of a standard length with where it lives and where a click goes. It serves only
/// while both it and its campaign are `active`.
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
