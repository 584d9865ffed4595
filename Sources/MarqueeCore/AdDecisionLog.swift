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
/// The slots of one decision's pod that were shown (an impression event) and clicked.
public struct AdSlotOutcomes: Sendable, Hashable {
    public var shown: Set<Int>
    public var clicked: Set<Int>

    public init(shown: Set<Int> = [], clicked: Set<Int> = []) {
        self.shown = shown
        self.clicked = clicked
    }
}

public protocol AdDecisionLogStore: Sendable {
    /// Appends the records in one transaction; a record whose decision id is stored already is skipped.
    func appendAdDecisions(_ records: [AdDecisionRecord]) async throws
    func adDecision(id: DecisionID) async throws -> AdDecisionRecord?
    /// Records in serving order after the (servedAt, id) position given (nil: from the start).
    func adDecisions(after position: (servedAt: Timestamp, id: DecisionID)?, limit: Int) async throws -> [AdDecisionRecord]
    func adDecisionCount() async throws -> Int
    /// What became of these decisions' ads: the slots the event logs (both of them) record an impression
    /// and a click for. A decision without any is absent.
    func adOutcomes(of decisions: [DecisionID]) async throws -> [DecisionID: AdSlotOutcomes]
    /// Records the ad event of a verified tracking beacon, committed before it returns: in the event
    /// log when its profile exists, else among the contextual ad events (a viewer without a profile).
    /// An id stored before in either place is a duplicate, so a replayed beacon counts once whoever
    /// the viewer is. Rejected when the creative does not exist or the event is not an ad event.
    func appendBeaconEvent(_ event: Event, receivedAt: Timestamp) async throws -> EventAppendStatus
    /// Up to `limit` contextual ad events (see `appendBeaconEvent`) whose arrival sequence is greater
    /// than `afterSequence`, in arrival order.
    func contextualAdEvents(afterSequence: Int64, limit: Int) async throws -> [(sequence: Int64, event: Event)]
}

extension AdDecisionRecord {
    /// The record as JSON, written directly (the synthesized `Decodable` reads it back): the
    /// decision log encodes one per served pod, too many for `JSONEncoder` on a busy server.
    public func json() -> [UInt8] {
        var w = JSONWriter(capacity: 512 + 320 * ads.count)
        w.raw("{\"decisionID\":")
        w.string(decisionID.rawValue)
        w.raw(",\"profileKey\":")
        w.string(profileKey)
        w.raw(",\"personalized\":")
        w.bool(personalized)
        w.raw(",\"titleID\":")
        w.string(titleID.rawValue)
        w.raw(",\"servedAt\":")
        w.string(servedAt.iso8601)
        w.raw(",\"breakKind\":")
        w.string(breakKind)
        if let device {
            w.raw(",\"device\":")
            w.string(device.rawValue)
        }
        w.raw(",\"daypart\":")
        w.string(daypart.rawValue)
        if let sessionID {
            w.raw(",\"sessionID\":")
            w.string(sessionID.rawValue)
        }
        if let plan {
            w.raw(",\"plan\":")
            w.string(plan.rawValue)
        }
        if let region {
            w.raw(",\"region\":")
            w.string(region)
        }
        w.raw(",\"viewerGenres\":")
        w.strings(viewerGenres)
        w.raw(",\"contentGenres\":")
        w.strings(contentGenres)
        w.raw(",\"reasons\":")
        w.strings(reasons)
        w.raw(",\"ads\":[")
        for (i, ad) in ads.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"slot\":")
            w.int(ad.slot)
            w.raw(",\"creativeID\":")
            w.string(ad.creativeID.rawValue)
            w.raw(",\"campaignID\":")
            w.string(ad.campaignID.rawValue)
            w.raw(",\"advertiserID\":")
            w.string(ad.advertiserID.rawValue)
            w.raw(",\"category\":")
            w.string(ad.category)
            w.raw(",\"durationSeconds\":")
            w.int(ad.durationSeconds)
            w.raw(",\"cpmCents\":")
            w.int(Int(ad.cpmCents))
            w.raw(",\"pCTR\":")
            w.exact(ad.pCTR.isFinite ? ad.pCTR : 0)
            w.raw(",\"propensity\":")
            w.exact(ad.propensity.isFinite ? ad.propensity : 1)
            w.raw(",\"explored\":")
            w.bool(ad.explored)
            w.raw(",\"exposuresWeek\":")
            w.int(ad.exposuresWeek)
            w.raw(",\"sessionAds\":")
            w.int(ad.sessionAds)
            w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }
}
