import Foundation
import MarqueeCore
import MarqueeKernels

/// The simulated viewers' hidden behaviour: every assumption of the KPI simulator, with its default. None of
/// it is visible to the serving code, which sees only the events the viewers cause.
///
/// - Sessions: a viewer starts Poisson(`sessionsPerDay` × `sessionRate`) sessions a day (at most
///   `maxSessionsPerDay`), at local hours drawn from their daypart habit.
/// - Choosing (a position-biased logit with an outside option): the viewer examines row r with probability
///   `rowExamination`^r and the k-th title of a row with `positionExamination`^k. An examined title's
///   attraction is affinity^`tasteExponent` × appeal^`artworkExponent` (× `rewatchFactor` if already
///   watched), where affinity is the viewer's latent taste for the title's genres relative to an even
///   taste (1 = average) and appeal is the shown artwork's hidden appeal to the viewer's segment (0.4–2.5,
///   the demo world's). The viewer picks title i with probability examination_i × attraction_i /
///   (`leaveWeight` + Σ examination × attraction) and leaves otherwise; after leaving it asks for a fresh
///   page with probability `retryAfterLeave` (once). Time to pick: `browseBaseSeconds` +
///   `secondsPerTitleScanned` × the titles scanned before it.
/// - Watching: the viewer finishes the title with probability `completeBase` + `completeSlope` ×
///   min(affinity, 2) / 2, else stops at a uniform point of it.
/// - Ads: the true click probability is `AdResponseModel`'s (× (1 + planted effect) for the treatment);
///   a skippable ad is skipped with probability `skipBase` + `skipPerSessionAd` × ads so far in the session;
///   an ad is abandoned (the viewer leaves the title) with probability `abandonBase` +
///   `abandonPerSessionAdMinute` × ad minutes so far in the session + `abandonPerDayAdMinute` × ad minutes
///   so far that day (capped at `abandonMax`).
/// - Retention: satisfaction is an exponential average (weight `satisfactionWeight` for each day) of the
///   day's session outcomes (1 a finished title, 0.5 a started one, 0 a session left without a pick);
///   fatigue is the ad minutes seen, decaying by `fatigueDecay` a day. Each day a viewer churns (never
///   comes back) with probability `churnBase` × exp(`churnPerFatigueMinute` × fatigue −
///   `churnPerSatisfaction` × (satisfaction − 0.5)), at most `churnMax`.
public struct ViewerModel: Sendable, Hashable {
    public var sessionRate = 1.0
    public var maxSessionsPerDay = 4
    public var rowExamination = 0.7
    public var positionExamination = 0.85
    public var tasteExponent = 2.0
    public var artworkExponent = 1.0
    public var rewatchFactor = 0.1
    public var leaveWeight = 3.0
    public var retryAfterLeave = 0.4
    public var browseBaseSeconds = 6.0
    public var secondsPerTitleScanned = 1.5
    public var completeBase = 0.25
    public var completeSlope = 0.45
    public var skipBase = 0.08
    public var skipPerSessionAd = 0.03
    public var abandonBase = 0.004
    public var abandonPerSessionAdMinute = 0.006
    public var abandonPerDayAdMinute = 0.002
    public var abandonMax = 0.5
    public var satisfactionWeight = 0.3
    public var fatigueDecay = 0.8
    public var churnBase = 0.004
    public var churnPerFatigueMinute = 0.08
    public var churnPerSatisfaction = 1.5
    public var churnMax = 0.5

    public init() {}

    /// Throws naming the first parameter out of its range.
    public func validate() throws {
        func check(_ value: Double, _ name: String, _ range: ClosedRange<Double>) throws {
            guard value.isFinite, range.contains(value) else {
                throw MarqueeError.invalidValue(
                    field: name, reason: "must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
            }
        }
        try check(sessionRate, "sessionRate", 0...20)
        try check(Double(maxSessionsPerDay), "maxSessionsPerDay", 1...20)
        for (v, n) in [
            (rowExamination, "rowExamination"), (positionExamination, "positionExamination"), (rewatchFactor, "rewatchFactor"),
            (retryAfterLeave, "retryAfterLeave"), (completeBase, "completeBase"), (completeSlope, "completeSlope"),
            (skipBase, "skipBase"), (skipPerSessionAd, "skipPerSessionAd"), (abandonBase, "abandonBase"),
            (abandonPerSessionAdMinute, "abandonPerSessionAdMinute"), (abandonPerDayAdMinute, "abandonPerDayAdMinute"),
            (abandonMax, "abandonMax"), (satisfactionWeight, "satisfactionWeight"), (fatigueDecay, "fatigueDecay"),
            (churnBase, "churnBase"), (churnMax, "churnMax"),
        ] {
            try check(v, n, 0...1)
        }
        try check(completeBase + completeSlope, "completeBase + completeSlope", 0...1)
        try check(tasteExponent, "tasteExponent", 0...10)
        try check(artworkExponent, "artworkExponent", 0...10)
        try check(leaveWeight, "leaveWeight", 0...1_000)
        try check(browseBaseSeconds, "browseBaseSeconds", 0...3_600)
        try check(secondsPerTitleScanned, "secondsPerTitleScanned", 0...600)
        try check(churnPerFatigueMinute, "churnPerFatigueMinute", 0...10)
        try check(churnPerSatisfaction, "churnPerSatisfaction", 0...100)
    }

    /// Examination probability of the title at (row, position).
    func examination(row: Int, position: Int) -> Double {
        pow(rowExamination, Double(row)) * pow(positionExamination, Double(position))
    }

    /// The chance to abandon during the next ad.
    func abandonProbability(sessionAdSeconds: Double, dayAdSeconds: Double) -> Double {
        min(abandonMax, abandonBase + abandonPerSessionAdMinute * sessionAdSeconds / 60 + abandonPerDayAdMinute * dayAdSeconds / 60)
    }

    /// One day's churn probability.
    func churnProbability(fatigueMinutes: Double, satisfaction: Double) -> Double {
        min(churnMax, churnBase * exp(churnPerFatigueMinute * fatigueMinutes - churnPerSatisfaction * (satisfaction - 0.5)))
    }

    /// The hidden appeal of an artwork (its style tags) to a taste segment: the demo world's model, each
    /// (tag, segment) pair a fixed multiplier from the seed, the product clamped to 0.4–2.5.
    static func artworkAppeal(tags: [String], segment: String, seed: UInt64) -> Double {
        guard !tags.isEmpty else { return 1 }
        var log = 0.0
        for tag in tags {
            let h = StableHash.fnv1a64(tag + "|" + segment) ^ seed
            log += (Double(h % 10_000) / 10_000 - 0.5) * 1.2
        }
        return min(max(exp(log), 0.4), 2.5)
    }
}
