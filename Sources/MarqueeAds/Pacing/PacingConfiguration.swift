/// The knobs of `PacingStateMachine`, with defaults that pace the demo traffic within a few percent.
///
/// Out-of-range values are clamped when a pacer is made (see each property), so a bad configuration
/// never traps; it only paces worse.
public struct PacingConfiguration: Sendable, Hashable, Codable {
    /// How a campaign's `dailyBudgetCents` combines with its total budget under even pacing.
    public enum DailyBudgetRule: String, Sendable, Hashable, Codable, CaseIterable {
        /// The day's budget is the remaining total spread over the remaining flight (in traffic-weighted
        /// days), capped by the daily budget. The daily budget is a ceiling, and a day that fell short
        /// raises the following days' share up to it. The default: it is what "even" promises in
        /// `PacingMode`, and it never runs out of total budget before the flight ends.
        case capOnEvenShare
        /// The day's budget is the daily budget itself (capped by what is left of the total); the
        /// remaining total spread over the flight is used only when there is no daily budget. A daily
        /// budget above the flight average then spends the total before the flight ends.
        case target
    }

    /// Seconds to add to UTC to get the local time whose midnight starts a pacing day (0: UTC days;
    /// -18,000: New York standard time). Clamped to ±14 hours.
    public var utcOffsetSeconds: Int
    /// The least throttle an even campaign gets while it has budget left today, even when it is ahead of
    /// target (a trickle that keeps the win-rate estimate fresh). Clamped to 0…1.
    public var minimumThrottle: Double
    /// How far ahead, as a share of the day's traffic, even pacing aims to be back on the target curve:
    /// a campaign behind (ahead of) target spends its deficit (waits out its surplus) over the next
    /// `catchUpShare` of the day's expected opportunities, or over the rest of the day if less is left.
    /// Smaller tracks the curve more tightly but reacts more to noise. Clamped to 0.01…1.
    public var catchUpShare: Double
    /// How much the expected count of the day's opportunities (yesterday's, or the one given when the
    /// pacer was made) weighs against what today shows, as a share of a day of traffic: with 0.05, the
    /// prior and today's count weigh equally once 5% of the day's traffic is past. Clamped to 1e-6…10.
    public var volumePriorWeight: Double
    /// With no expected count at all (a new campaign), today's rate is estimated as
    /// `opportunities / (elapsed share + coldStartExposure)`: a small exposure keeps the first few
    /// opportunities from looking like a flood. Default one minute of a uniform day. Clamped to 1e-9…1.
    public var coldStartExposure: Double
    /// The win rate assumed before any participation has been charged; spend per participation starts
    /// at `priorWinRate × price`. Clamped to 0.001…1.
    public var priorWinRate: Double
    /// How many participations the prior spend per participation is worth. Clamped to 0…10⁶.
    public var priorParticipations: Double
    /// The effective window, in participations, of the spend-per-participation estimate (an
    /// exponentially weighted average, so it follows a win rate that drifts as competitors come and
    /// go). Clamped to 1…10⁹.
    public var spendRateWindow: Double
    /// See `DailyBudgetRule`.
    public var dailyBudgetRule: DailyBudgetRule

    public init(
        utcOffsetSeconds: Int = 0, minimumThrottle: Double = 0.001, catchUpShare: Double = 0.15,
        volumePriorWeight: Double = 0.05, coldStartExposure: Double = 1.0 / 1440, priorWinRate: Double = 0.5,
        priorParticipations: Double = 20, spendRateWindow: Double = 500, dailyBudgetRule: DailyBudgetRule = .capOnEvenShare
    ) {
        self.utcOffsetSeconds = utcOffsetSeconds
        self.minimumThrottle = minimumThrottle
        self.catchUpShare = catchUpShare
        self.volumePriorWeight = volumePriorWeight
        self.coldStartExposure = coldStartExposure
        self.priorWinRate = priorWinRate
        self.priorParticipations = priorParticipations
        self.spendRateWindow = spendRateWindow
        self.dailyBudgetRule = dailyBudgetRule
    }

    /// This configuration with every value clamped to its documented range (NaN takes the default).
    public var sanitized: PacingConfiguration {
        let d = PacingConfiguration()
        func clamp(_ value: Double, _ low: Double, _ high: Double, _ fallback: Double) -> Double {
            value.isNaN ? fallback : min(max(value, low), high)
        }
        var s = self
        s.utcOffsetSeconds = min(max(utcOffsetSeconds, -14 * 3600), 14 * 3600)
        s.minimumThrottle = clamp(minimumThrottle, 0, 1, d.minimumThrottle)
        s.catchUpShare = clamp(catchUpShare, 0.01, 1, d.catchUpShare)
        s.volumePriorWeight = clamp(volumePriorWeight, 1e-6, 10, d.volumePriorWeight)
        s.coldStartExposure = clamp(coldStartExposure, 1e-9, 1, d.coldStartExposure)
        s.priorWinRate = clamp(priorWinRate, 0.001, 1, d.priorWinRate)
        s.priorParticipations = clamp(priorParticipations, 0, 1e6, d.priorParticipations)
        s.spendRateWindow = clamp(spendRateWindow, 1, 1e9, d.spendRateWindow)
        return s
    }
}
