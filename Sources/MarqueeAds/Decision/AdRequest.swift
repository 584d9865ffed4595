import MarqueeCore

/// What the decision knows about the viewer: nothing for an unknown profile.
public struct ViewerFacts: Sendable, Hashable {
    public var profileID: ProfileID
    public var plan: Plan
    public var region: String
    /// Genres by the viewer's affinity, strongest first (the keys titles use, lowercased).
    public var topGenres: [String]

    public init(profileID: ProfileID, plan: Plan, region: String, topGenres: [String]) {
        self.profileID = profileID
        self.plan = plan
        self.region = region
        self.topGenres = topGenres
    }
}

/// The title the break interrupts.
public struct ContentFacts: Sendable, Hashable {
    public var titleID: TitleID
    public var genres: [String]
    public var maturity: MaturityRating

    public init(titleID: TitleID, genres: [String], maturity: MaturityRating) {
        self.titleID = titleID
        self.genres = genres.map { $0.lowercased() }
        self.maturity = maturity
    }
}

/// One ad break to fill.
public struct AdRequest: Sendable {
    /// The profile id as asked (caps are kept per id even when the profile is unknown).
    public var profileKey: String
    /// nil: the profile is unknown, and the decision is contextual (no personal features).
    public var viewer: ViewerFacts?
    public var content: ContentFacts
    public var breakKind: BreakKind
    public var cueSeconds: Double
    public var device: Device?
    /// The request's region, used when the viewer is unknown.
    public var region: String?
    /// The viewer's local time: the context (daypart) of the break and its CTR features.
    public var at: LocalTime
    /// The delivery clock: flights, budgets, caps and pacing run on it. The server passes its own
    /// clock (a client's `localTime` must not move budgets); a simulation passes simulated time.
    public var now: Timestamp
    public var sessionID: SessionID?
    public var maxPodSeconds: Int
    /// The viewer's region, else the request's.
    public var effectiveRegion: String? { viewer?.region ?? region }
    /// Drives exploration and pacing draws; the same seed gives the same pod on the same state.
    public var seed: UInt64

    public init(
        profileKey: String, viewer: ViewerFacts?, content: ContentFacts, breakKind: BreakKind, cueSeconds: Double = 0,
        device: Device? = nil, region: String? = nil, at: LocalTime, now: Timestamp? = nil, sessionID: SessionID? = nil,
        maxPodSeconds: Int, seed: UInt64
    ) {
        self.now = now ?? at.instant
        self.profileKey = profileKey
        self.viewer = viewer
        self.content = content
        self.breakKind = breakKind
        self.cueSeconds = cueSeconds
        self.device = device
        self.region = region
        self.at = at
        self.sessionID = sessionID
        self.maxPodSeconds = maxPodSeconds
        self.seed = seed
    }
}

/// One ad of a pod, with why it won.
public struct PodAd: Sendable, Hashable {
    public var slot: Int
    public var creativeID: CreativeID
    public var campaignID: CampaignID
    public var advertiserID: AdvertiserID
    public var creativeName: String
    public var advertiserName: String
    public var category: String
    public var durationSeconds: Int
    public var mediaURL: String
    public var clickURL: String
    public var tier: CampaignPriority
    /// The campaign's CPM bid, in cents per thousand impressions.
    public var cpmCents: Int64
    /// What one impression costs the campaign, in cents (CPM / 1000).
    public var priceCents: Double
    public var pCTR: Double
    /// The ranking value: CPM × quality × pacing × fatigue.
    public var score: Double
    /// The probability this ad was chosen for this slot (exploration logged).
    public var propensity: Double
    public var explored: Bool
    public var reason: String
    /// CTR feature inputs: the viewer's exposures to the campaign in the past week, and the
    /// session's ads before this pod.
    public var exposuresWeek: Int
    public var sessionAds: Int
    /// Seconds into the ad when a player may offer to skip it (VAST `skipoffset`); nil: not skippable.
    /// Set from the request's configuration (`skippableFromSeconds`, `skipOffsetSeconds`).
    public var skipOffsetSeconds: Double?

    public init(
        slot: Int, creativeID: CreativeID, campaignID: CampaignID, advertiserID: AdvertiserID, creativeName: String,
        advertiserName: String, category: String, durationSeconds: Int, mediaURL: String, clickURL: String, tier: CampaignPriority,
        cpmCents: Int64, priceCents: Double, pCTR: Double, score: Double, propensity: Double, explored: Bool, reason: String,
        exposuresWeek: Int, sessionAds: Int, skipOffsetSeconds: Double? = nil
    ) {
        self.slot = slot
        self.creativeID = creativeID
        self.campaignID = campaignID
        self.advertiserID = advertiserID
        self.creativeName = creativeName
        self.advertiserName = advertiserName
        self.category = category
        self.durationSeconds = durationSeconds
        self.mediaURL = mediaURL
        self.clickURL = clickURL
        self.tier = tier
        self.cpmCents = cpmCents
        self.priceCents = priceCents
        self.pCTR = pCTR
        self.score = score
        self.propensity = propensity
        self.explored = explored
        self.reason = reason
        self.exposuresWeek = exposuresWeek
        self.sessionAds = sessionAds
        self.skipOffsetSeconds = skipOffsetSeconds
    }
}

/// An ad pod: the ads in play order, with the pod-level reasons.
public struct AdPod: Sendable {
    public var decisionID: String
    public var ads: [PodAd]
    /// Why the pod is what it is (ad-free plan, contextual decision, shortened by skips, nothing fits…).
    public var reasons: [String]
    /// The duration limit after in-session adaptation.
    public var maxPodSeconds: Int
    public var maxAds: Int
    public var personalized: Bool
    public var totalSeconds: Int { ads.reduce(0) { $0 + $1.durationSeconds } }

    public init(decisionID: String, ads: [PodAd], reasons: [String], maxPodSeconds: Int, maxAds: Int, personalized: Bool) {
        self.decisionID = decisionID
        self.ads = ads
        self.reasons = reasons
        self.maxPodSeconds = maxPodSeconds
        self.maxAds = maxAds
        self.personalized = personalized
    }
}
