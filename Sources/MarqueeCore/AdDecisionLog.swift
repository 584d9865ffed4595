/// One served ad pod as logged: the request's context, what the CTR model saw, and each ad with
/// its predicted click-through and the probability it had of being chosen. Clicks and impressions
/// carrying the decision id (and the slot as `rank`) join to it.
public struct AdDecisionRecord: Codable, Sendable, Hashable {
    public var decisionID: DecisionID
    /// The profile id as requested (possibly unknown to the store: a contextual decision).
    public var profileKey: String
    public var personalized: Bool
    public var titleID: TitleID
    public var servedAt: Timestamp
    public var breakKind: String
    public var device: Device?
    public var daypart: Daypart
    public var sessionID: SessionID?
    public var plan: Plan?
    public var region: String?
    public var viewerGenres: [String]
    public var contentGenres: [String]
    public var ads: [LoggedAd]
    public var reasons: [String]

    public init(
        decisionID: DecisionID, profileKey: String, personalized: Bool, titleID: TitleID, servedAt: Timestamp, breakKind: String,
        device: Device?, daypart: Daypart, sessionID: SessionID?, plan: Plan?, region: String?, viewerGenres: [String],
        contentGenres: [String], ads: [LoggedAd], reasons: [String]
    ) {
        self.decisionID = decisionID
        self.profileKey = profileKey
        self.personalized = personalized
        self.titleID = titleID
        self.servedAt = servedAt
        self.breakKind = breakKind
        self.device = device
        self.daypart = daypart
        self.sessionID = sessionID
        self.plan = plan
        self.region = region
        self.viewerGenres = viewerGenres
        self.contentGenres = contentGenres
        self.ads = ads
        self.reasons = reasons
    }
}

/// One ad of a logged pod.
public struct LoggedAd: Codable, Sendable, Hashable {
    public var slot: Int
    public var creativeID: CreativeID
    public var campaignID: CampaignID
    public var advertiserID: AdvertiserID
    public var category: String
    public var durationSeconds: Int
    public var cpmCents: Int64
    public var pCTR: Double
    public var propensity: Double
    public var explored: Bool
    /// The viewer's exposures to the campaign in the week before, and the session's ads before
    /// this pod: inputs of the CTR features, kept so the features can be rebuilt offline.
    public var exposuresWeek: Int
    public var sessionAds: Int

    public init(
        slot: Int, creativeID: CreativeID, campaignID: CampaignID, advertiserID: AdvertiserID, category: String, durationSeconds: Int,
        cpmCents: Int64, pCTR: Double, propensity: Double, explored: Bool, exposuresWeek: Int, sessionAds: Int
    ) {
        self.slot = slot
        self.creativeID = creativeID
        self.campaignID = campaignID
        self.advertiserID = advertiserID
        self.category = category
        self.durationSeconds = durationSeconds
        self.cpmCents = cpmCents
        self.pCTR = pCTR
        self.propensity = propensity
        self.explored = explored
        self.exposuresWeek = exposuresWeek
        self.sessionAds = sessionAds
    }
}

/// The ad decision log.
public protocol AdDecisionLogStore: Sendable {
    /// Appends the records in one transaction; a record whose decision id is stored already is skipped.
    func appendAdDecisions(_ records: [AdDecisionRecord]) async throws
    func adDecision(id: DecisionID) async throws -> AdDecisionRecord?
    /// Records in serving order after the (servedAt, id) position given (nil: from the start).
    func adDecisions(after position: (servedAt: Timestamp, id: DecisionID)?, limit: Int) async throws -> [AdDecisionRecord]
    func adDecisionCount() async throws -> Int
}
