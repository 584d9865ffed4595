import MarqueeCore

/// How many seconds of ads each plan may carry per hour of content.
///
/// Ad-free viewers never see ads, whatever these numbers say; the two ad-supported plans each have
/// their own hourly allowance, applied pro rata to a title's runtime by `BreakPlan`.
public struct AdLoad: Sendable, Hashable, Codable {
    /// Seconds of ads per hour of content on `Plan.standardWithAds`.
    public var standardWithAdsSecondsPerHour: Double
    /// Seconds of ads per hour of content on `Plan.basicWithAds`.
    public var basicWithAdsSecondsPerHour: Double

    public init(standardWithAdsSecondsPerHour: Double = 120, basicWithAdsSecondsPerHour: Double = 240) {
        self.standardWithAdsSecondsPerHour = standardWithAdsSecondsPerHour
        self.basicWithAdsSecondsPerHour = basicWithAdsSecondsPerHour
    }

    /// The hourly allowance for `plan`: 0 for ad-free, and 0 for a value that is negative or not finite.
    public func secondsPerHour(for plan: Plan) -> Double {
        let value: Double
        switch plan {
        case .adFree: value = 0
        case .standardWithAds: value = standardWithAdsSecondsPerHour
        case .basicWithAds: value = basicWithAdsSecondsPerHour
        }
        return value.isFinite && value > 0 ? value : 0
    }
}

/// Where mid-rolls go among the usable cue points.
public enum MidRollPlacement: String, Sendable, Hashable, Codable, CaseIterable {
    /// The earliest usable cue, then the earliest one at least the minimum gap later, and so on.
    /// Simple and predictable, but it crowds the breaks into the start of the title.
    case greedy
    /// The cues closest (least squares) to evenly spaced targets `runtime × j / (k + 1)`, still at least
    /// the minimum gap apart — found exactly by dynamic programming. The default: it keeps the ad load
    /// even across the title, so a viewer who stops halfway has not seen most of the ads.
    case spreadEvenly
    /// At fixed intervals of the runtime, `runtime × j / (k + 1)` (whole seconds), whatever the cue points:
    /// the placement of players that ignore the content's natural breaks, kept for experiments against cue
    /// points. As many as the budget wants that fit the quiet start and end and the minimum gap.
    case fixedIntervals
}

/// The rules a `BreakPlan` follows: the gaps between breaks, the quiet start and end of a title, the
/// hourly ad load per plan and the longest pods.
///
/// Durations are seconds. Pod lengths are whole seconds, because creatives are whole seconds long
/// (`Creative.allowedDurations`). A policy read from configuration should pass `validate()`; the planner
/// itself never traps on a bad policy — negative or non-finite values act as 0, which only ever
/// removes ads.
public struct BreakPolicy: Sendable, Hashable, Codable {
    /// The least content time between two mid-rolls (default 8 minutes).
    public var minimumGapSeconds: Double
    /// No mid-roll before this point of the title (default 5 minutes).
    public var noMidRollBeforeSeconds: Double
    /// No mid-roll in the last this-many seconds of the title (default 5 minutes).
    public var noMidRollInLastSeconds: Double
    /// Seconds of ads per hour of content, per plan.
    public var adLoad: AdLoad
    /// The longest pre-roll pod (default 30 s).
    public var preRollMaxSeconds: Int
    /// The longest mid-roll pod (default 120 s).
    public var midRollMaxSeconds: Int
    /// A break shorter than this is not planned (default 6 s, the shortest creative).
    public var minimumPodSeconds: Int
    /// The runtime the budget is computed for when a title's runtime is unknown (default 30 minutes).
    /// Only a pre-roll is planned then.
    public var runtimeAssumedWhenUnknownSeconds: Double
    /// How mid-rolls are chosen among the usable cue points.
    public var placement: MidRollPlacement

    public init(
        minimumGapSeconds: Double = 480, noMidRollBeforeSeconds: Double = 300, noMidRollInLastSeconds: Double = 300,
        adLoad: AdLoad = AdLoad(), preRollMaxSeconds: Int = 30, midRollMaxSeconds: Int = 120, minimumPodSeconds: Int = 6,
        runtimeAssumedWhenUnknownSeconds: Double = 1800, placement: MidRollPlacement = .spreadEvenly
    ) {
        self.minimumGapSeconds = minimumGapSeconds
        self.noMidRollBeforeSeconds = noMidRollBeforeSeconds
        self.noMidRollInLastSeconds = noMidRollInLastSeconds
        self.adLoad = adLoad
        self.preRollMaxSeconds = preRollMaxSeconds
        self.midRollMaxSeconds = midRollMaxSeconds
        self.minimumPodSeconds = minimumPodSeconds
        self.runtimeAssumedWhenUnknownSeconds = runtimeAssumedWhenUnknownSeconds
        self.placement = placement
    }

    /// Throws `MarqueeError.invalidValue` naming the first field that is negative or not finite, or a
    /// minimum pod of 0 (which would allow empty breaks).
    public func validate() throws {
        let seconds: [(String, Double)] = [
            ("minimumGapSeconds", minimumGapSeconds), ("noMidRollBeforeSeconds", noMidRollBeforeSeconds),
            ("noMidRollInLastSeconds", noMidRollInLastSeconds),
            ("adLoad.standardWithAdsSecondsPerHour", adLoad.standardWithAdsSecondsPerHour),
            ("adLoad.basicWithAdsSecondsPerHour", adLoad.basicWithAdsSecondsPerHour),
            ("runtimeAssumedWhenUnknownSeconds", runtimeAssumedWhenUnknownSeconds),
        ]
        for (field, value) in seconds where !(value.isFinite && value >= 0) {
            throw MarqueeError.invalidValue(field: field, reason: "must be a finite number of seconds, at least 0")
        }
        for (field, value) in [("preRollMaxSeconds", preRollMaxSeconds), ("midRollMaxSeconds", midRollMaxSeconds)]
        where value < 0 {
            throw MarqueeError.invalidValue(field: field, reason: "must be at least 0")
        }
        if minimumPodSeconds < 1 {
            throw MarqueeError.invalidValue(field: "minimumPodSeconds", reason: "must be at least 1")
        }
    }

    /// Seconds fields that are negative or not finite become 0 and the minimum pod at least 1 second,
    /// so that planning with any policy is well defined.
    var sanitized: BreakPolicy {
        func clean(_ x: Double) -> Double { x.isFinite && x > 0 ? x : 0 }
        var p = self
        p.minimumGapSeconds = clean(minimumGapSeconds)
        p.noMidRollBeforeSeconds = clean(noMidRollBeforeSeconds)
        p.noMidRollInLastSeconds = clean(noMidRollInLastSeconds)
        p.runtimeAssumedWhenUnknownSeconds = clean(runtimeAssumedWhenUnknownSeconds)
        p.preRollMaxSeconds = max(0, preRollMaxSeconds)
        p.midRollMaxSeconds = max(0, midRollMaxSeconds)
        p.minimumPodSeconds = max(1, minimumPodSeconds)
        return p
    }
}
