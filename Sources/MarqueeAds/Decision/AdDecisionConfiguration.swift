import MarqueeCore

/// Tunables of the ad decision. Defaults are the served configuration.
///
/// A configuration is passed with each request (`AdDecisionEngine.propose` and `decide` take one; the
/// engine's stored configuration is only the default), so an experiment can vary any per-request field for
/// a share of viewers without building another engine. The fields marked *engine-wide* govern state that
/// all requests share (reservations, pending ads, sessions, pacers): they are read from the engine's stored
/// configuration only, and a per-request value is ignored.
public struct AdDecisionConfiguration: Sendable, Hashable {
    // MARK: Packing

    /// The chance that a slot is filled uniformly from its feasible ads instead of the best one.
    public var explorationShare = 0.05
    /// Most ads in one pod before in-session adaptation.
    public var maxAdsPerPod = 4
    /// When set, no pod is longer than this many seconds, whatever the request asks for.
    public var maxPodSeconds: Int?
    /// Mixed into every request's seed (exploration and pacing draws).
    public var seed: UInt64 = 0

    // MARK: Scoring

    /// Quality = pCTR / mean CTR, clamped to this range, multiplies the CPM.
    public var qualityRange: ClosedRange<Double> = 0.5...2.0
    /// The least mean CTR the quality divides by (keeps a cold model's quality finite).
    public var meanCTRFloor = 1e-6
    /// Score × this per earlier showing of the same creative in the session.
    public var creativeRepeatPenalty = 0.6
    /// Score × this per exposure of the viewer to the campaign on this delivery day (`DeliveryDay`).
    public var campaignDayPenalty = 0.9

    // MARK: In-session adaptation

    /// Each skip in the session shrinks the pod's duration limit by this factor; each abandon during an
    /// ad by this factor to the power `abandonWeight`.
    public var skipShrink = 0.75
    /// How many skips one abandon counts as, in the duration shrink.
    public var abandonWeight = 2
    /// Every this-many skips in the session remove one ad from the pod's count limit.
    public var skipsPerAdRemoved = 2
    /// Ads each abandon in the session removes from the pod's count limit.
    public var adsRemovedPerAbandon = 1
    /// The count limit never shrinks below this.
    public var minimumAdsAfterShrink = 1

    /// How ads are ranked: by CPM × the CTR model's quality (`ctrModel`), or by CPM alone (`fixed`: every
    /// ad's quality is 1, so a campaign serves its first creative that fits and the model chooses nothing).
    public var creativeChoice = AdCreativeChoice.ctrModel

    // MARK: Frequency caps

    /// Whether campaigns' frequency caps apply (false: none, whatever is booked or overridden).
    public var capsEnabled = true

    /// Every campaign's per-day, per-week and per-session caps × this, rounded to the nearest whole
    /// number and at least 1 (1: the caps as booked).
    public var capScale = 1.0
    /// When set, replaces every campaign's per-day cap (after `capScale` would have applied).
    public var capPerDayOverride: Int?
    /// When set, replaces every campaign's per-week cap.
    public var capPerWeekOverride: Int?
    /// When set, replaces every campaign's per-session cap.
    public var capPerSessionOverride: Int?

    // MARK: Players and breaks (read by the callers that plan breaks and write VAST)

    /// An ad at least this many seconds long can be skipped (`PodAd.skipOffsetSeconds`).
    public var skippableFromSeconds = 15
    /// Seconds into a skippable ad when the skip button appears.
    public var skipOffsetSeconds = 5.0
    /// The break plans' rules (ad load per plan, pod limits, gaps) for the caller that plans breaks and
    /// sizes pods; the engine itself only sees each request's `maxPodSeconds`.
    public var breakPolicy = BreakPolicy()

    // MARK: Engine-wide (from the engine's stored configuration only)

    /// An ad served but never shown frees its budget after this long (ms). Engine-wide.
    public var reservationMs: Int64 = 10 * 60_000
    /// A shown ad without a click after this long (ms) is a negative for the CTR model. Engine-wide.
    public var labelWindowMs: Int64 = 10 * 60_000
    /// Whether the engine teaches its click model the outcomes of its own served ads (a click at once,
    /// silence after `labelWindowMs`). False where the model learns elsewhere: the serving runtime's
    /// shared learner reads every process's decisions from the log, and the engine only serves the model.
    /// Engine-wide.
    public var learnsFromOwnOutcomes = true
    /// Served ads kept waiting for their impression and click at most (the oldest go early beyond it).
    /// Engine-wide.
    public var maxPending = 200_000
    /// A decision looks for expired pending ads once every this-many served ads (the sweep cadence).
    /// Engine-wide.
    public var expiryEveryServed = 1024
    /// An abandon counts against the ad playing when it comes at most this long (ms) after the ad's
    /// planned end. Engine-wide.
    public var abandonSlackMs: Int64 = 5_000
    /// A session's ad history is dropped after one to two of these (ms) without activity. Engine-wide.
    public var sessionGenerationMs: Int64 = 3 * 3_600_000
    /// The knobs of each campaign's pacer, used when the pacer is made. Engine-wide.
    public var pacing = PacingConfiguration()

    public init() {}

    /// Campaign `campaign`'s caps under this configuration.
    public func caps(of campaign: Campaign) -> (perDay: Int?, perWeek: Int?, perSession: Int?) {
        guard capsEnabled else { return (nil, nil, nil) }
        func scaled(_ cap: Int?) -> Int? {
            guard let cap else { return nil }
            guard capScale != 1 else { return cap }
            let value = (Double(cap) * capScale).rounded()
            guard value.isFinite else { return cap }
            return max(1, Int(min(value, 1e9)))
        }
        return (
            capPerDayOverride ?? scaled(campaign.capPerDay), capPerWeekOverride ?? scaled(campaign.capPerWeek),
            capPerSessionOverride ?? scaled(campaign.capPerSession)
        )
    }
}

/// How the ad decision ranks ads (see `AdDecisionConfiguration.creativeChoice`).
public enum AdCreativeChoice: String, Sendable, Hashable, Codable, CaseIterable {
    case ctrModel, fixed
}
