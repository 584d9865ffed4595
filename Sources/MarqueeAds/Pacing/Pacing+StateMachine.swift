import MarqueeCore

/// Budget pacing of one campaign: a pure state machine that takes what happened (an opportunity, a
/// charge, the passing of time) and says what to do (take part or not, the budget is gone, a day ended).
///
/// It holds no clock, no lock and no random generator: every input carries its time, and the caller
/// draws the uniform number that a throttle is compared with, so the same inputs always give the same
/// outputs. An actor in the decision engine keeps one per campaign and performs the actions.
///
/// **Money** is integer millicents (1 cent = 1,000 millicents) throughout. One impression at a CPM bid
/// of `b` cents costs at most `b / 1000` cents, i.e. exactly `b` millicents, so
/// `pricePerImpressionMillicents == campaign.cpmBidCents`. Rates and probabilities are `Double`.
///
/// **Days** run from local midnight to local midnight, local being UTC shifted by
/// `configuration.utcOffsetSeconds` (UTC by default). A day's *window* is the part of it inside the
/// flight (`startsAt ..< endsAt`); *progress* `c(t)` is the curve's share of the window before `t`
/// (0 at the window's start, 1 at its end).
///
/// **The day's budget** `B`, fixed when the day starts:
/// - `asFastAsPossible`: `min(daily, remaining total)`; the throttle is 1 until it is spent.
/// - `even` (`DailyBudgetRule.capOnEvenShare`, the default): the remaining total × the window's share
///   of the remaining flight's traffic (whole days count 1, partial first and last days their curve
///   share), capped by `daily` when there is one. With `.target`, a daily budget is used as it is.
///
/// **Even pacing.** The target is to have spent `B × c(t)` by `t`. At an opportunity, with `S` spent
/// today, `D̂` the expected opportunities in today's window and `σ̂` the expected spend per
/// participation, the pacer aims to be back on target after a further `h = min(catchUpShare, 1 − c)`
/// of the day's traffic:
///
///     p = clamp((B × (c + h) − S) / (D̂ × h × σ̂), minimumThrottle, 1)
///
/// On target this is `B / (D̂ σ̂)`, the rate that spends the budget over the expected traffic; behind,
/// it spends the deficit over the next `h` of the day; ahead, it holds back (down to
/// `minimumThrottle`). For the last `catchUpShare` of the day it is the remaining budget over the
/// expected remaining spend. Both estimates are smoothed, so `p` itself needs no smoothing:
/// - `D̂ = (a + N) / (w + c(t) − c₀)`: a gamma–Poisson posterior mean of today's volume from the `N`
///   opportunities seen since progress `c₀` (when counting began), with a prior of
///   `a = w × expected daily opportunities × window share` (yesterday's estimate, or the one given at
///   `init`) and `w = volumePriorWeight`; with no prior, `a = 0` and `w = coldStartExposure`. So the
///   estimate follows today's traffic when it is 30% above or below what was expected.
/// - `σ̂ = (Σ λ-weighted charges + n₀ × priorWinRate × price) / (Σ λ-weighted participations + n₀)`: an
///   exponentially weighted spend per participation (it folds in the win rate and the clearing price),
///   with `λ = 1 − 1/spendRateWindow` per participation and `n₀ = priorParticipations`. It carries
///   over from day to day.
///
/// **Hard limits.** A campaign takes part only while both today's and the flight's remaining budget
/// cover one impression at its bid, so as long as every charge is at most the bid and is recorded
/// before the next opportunity is decided, spend never passes either budget. (Charges recorded later,
/// on an impression beacon, can overshoot by the ads decided but not yet charged.)
///
/// One participation should lead to at most one impression; opportunities outside the flight are
/// ignored. Events with a time in an earlier day than the current one are applied to the current day
/// as of the latest time seen (a late charge still counts toward the total, not toward today).
public struct PacingStateMachine: Sendable, Hashable, Codable {
    /// The campaign as last given (its budgets, bid, flight and pacing mode are what matter here).
    public private(set) var campaign: Campaign
    /// The expected shape of a day's traffic for this campaign.
    public let curve: TrafficCurve
    /// The knobs, clamped to their ranges.
    public let configuration: PacingConfiguration
    /// Everything charged over the flight, in millicents.
    public private(set) var spentTotalMillicents: Int64
    /// The expected number of opportunities in a whole day: today's prior for `D̂`, updated from each day
    /// that ends. Nil until the pacer has seen a day or been given one.
    public private(set) var expectedDailyOpportunities: Double?
    /// The last day that ended (set at every day rollover, whichever input caused it).
    public private(set) var lastCompletedDay: DaySummary?

    private var day: Day
    private var rate = SpendRate()

    /// A pacer for `campaign` starting at `now`. To resume after a restart, pass what the event log
    /// says was charged over the flight and today (both in millicents); today's budget is then the one
    /// the day started with, and pacing catches up from there.
    ///
    /// `expectedDailyOpportunities` is the expected number of this campaign's opportunities in a whole
    /// day (from history); without it the first day starts cold and learns the volume as it goes.
    public init(
        campaign: Campaign, curve: TrafficCurve = .uniform, configuration: PacingConfiguration = PacingConfiguration(),
        at now: Timestamp, spentTotalMillicents: Int64 = 0, spentTodayMillicents: Int64 = 0,
        expectedDailyOpportunities: Double? = nil
    ) {
        self.campaign = campaign
        self.curve = curve
        self.configuration = configuration.sanitized
        self.spentTotalMillicents = max(0, spentTotalMillicents)
        self.expectedDailyOpportunities = expectedDailyOpportunities.flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
        self.day = Day(index: 0)
        let (index, second) = position(of: now)
        let spentToday = min(max(0, spentTodayMillicents), self.spentTotalMillicents)
        startDay(
            index, observingFrom: second, spentToday: spentToday,
            remainingAtStart: Self.millicents(cents: campaign.totalBudgetCents) - (self.spentTotalMillicents - spentToday))
    }

    // MARK: Inputs

    /// What to do with one opportunity.
    public enum OpportunityAction: Sendable, Hashable {
        /// Take part in this request's auction; `throttle` is the probability it had (a propensity for
        /// the decision log).
        case participate(throttle: Double)
        /// Stay out of this request.
        case skip(SkipReason)
    }

    /// Why a campaign stays out of a request.
    public enum SkipReason: Sendable, Hashable {
        /// The draw was at or above the throttle.
        case throttled(throttle: Double)
        /// Today's budget has less than one impression's price left.
        case dailyBudgetSpent
        /// The flight's budget has less than one impression's price left.
        case totalBudgetSpent
        /// The time is before `startsAt` or at or after `endsAt`.
        case outsideFlight
    }

    /// The campaign was eligible for an ad request at `time`: count it, and say whether to take part.
    ///
    /// `draw` is a uniform number in [0, 1) that the caller drew; the campaign takes part when
    /// `draw < throttle`. A day rollover happens first if `time` is in a later day.
    public mutating func opportunity(at time: Timestamp, draw: Double) -> OpportunityAction {
        rollOver(to: time)
        guard isInFlight(time) else { return .skip(.outsideFlight) }
        let second = secondInCurrentDay(time)
        day.opportunities += 1
        if remainingTotalMillicents < pricePerImpressionMillicents { return .skip(.totalBudgetSpent) }
        if remainingTodayMillicents < pricePerImpressionMillicents { return .skip(.dailyBudgetSpent) }
        let p = campaign.pacing == .asFastAsPossible ? 1 : evenThrottle(atSecond: second)
        guard draw < p else { return .skip(.throttled(throttle: p)) }
        day.participations += 1
        rate.participated(window: configuration.spendRateWindow)
        return .participate(throttle: p)
    }

    /// What a charge changed.
    public enum ChargeAction: Sendable, Hashable {
        case none
        /// This charge left today's budget with less than one impression's price.
        case dailyBudgetSpent
        /// This charge left the flight's budget with less than one impression's price.
        case totalBudgetSpent
    }

    /// The campaign was charged `millicents` (≥ 0) for an impression at `time`. Counts toward the total,
    /// toward today if `time` is today, and toward the spend-per-participation estimate.
    public mutating func charged(millicents: Int64, at time: Timestamp) -> ChargeAction {
        precondition(millicents >= 0, "a charge is never negative, got \(millicents) millicents")
        rollOver(to: time)
        let price = pricePerImpressionMillicents
        let hadTotal = remainingTotalMillicents >= price
        let hadToday = remainingTodayMillicents >= price
        spentTotalMillicents = Self.adding(spentTotalMillicents, millicents)
        if position(of: time).day == day.index { day.spent = Self.adding(day.spent, millicents) }
        rate.charged(millicents)
        if hadTotal && remainingTotalMillicents < price { return .totalBudgetSpent }
        if hadToday && remainingTodayMillicents < price { return .dailyBudgetSpent }
        return .none
    }

    /// What the passing of time changed.
    public enum TickAction: Sendable, Hashable {
        case none
        /// A day ended before `time` (its summary is also kept in `lastCompletedDay`).
        case dayEnded(DaySummary)
    }

    /// Time has passed: roll over to `time`'s day if it is a later one. Opportunities and charges roll
    /// over too; a periodic tick just makes the summary of a finished day arrive on time.
    public mutating func tick(at time: Timestamp) -> TickAction {
        rollOver(to: time).map { .dayEnded($0) } ?? .none
    }

    /// The campaign was edited (budget, bid, flight or pacing mode). Today's budget is recomputed from
    /// what is left, as of `time`, keeping what was spent today.
    public mutating func update(campaign: Campaign, at time: Timestamp) {
        rollOver(to: time)
        self.campaign = campaign
        let (start, end) = window(ofDay: day.index)
        day.windowStart = start
        day.windowEnd = end
        day.windowShare = curve.share(from: start, to: end)
        day.budget = dayBudget(
            remaining: Self.millicents(cents: campaign.totalBudgetCents) - spentTotalMillicents,
            from: max(secondInCurrentDay(time), start), spentToday: day.spent)
    }

    /// Another account of the campaign's spend replaces this pacer's: the delivery ledger that several
    /// servers share says what the campaign has spent over the flight and (when given) today, as of `time`.
    /// The pacer keeps its volume and spend-rate estimates and today's budget, and paces what is left from
    /// the new spend. Returns what the new spend changed, as `charged` does.
    @discardableResult
    public mutating func resynchronize(
        spentTotalMillicents total: Int64, spentTodayMillicents today: Int64?, at time: Timestamp
    )
        -> ChargeAction
    {
        rollOver(to: time)
        let price = pricePerImpressionMillicents
        let hadTotal = remainingTotalMillicents >= price
        let hadToday = remainingTodayMillicents >= price
        spentTotalMillicents = max(0, total)
        if let today { day.spent = min(max(0, today), spentTotalMillicents) }
        if hadTotal && remainingTotalMillicents < price { return .totalBudgetSpent }
        if hadToday && remainingTodayMillicents < price { return .dailyBudgetSpent }
        return .none
    }

    // MARK: Reading the state

    /// The most one impression can cost: the CPM bid in cents is the per-impression price in millicents.
    public var pricePerImpressionMillicents: Int64 { max(0, campaign.cpmBidCents) }
    /// The current day (days since 1970-01-01 in the pacer's local day).
    public var dayIndex: Int64 { day.index }
    /// Today's budget in millicents (0 on a day outside the flight).
    public var dayBudgetMillicents: Int64 { day.budget }
    public var spentTodayMillicents: Int64 { day.spent }
    public var remainingTodayMillicents: Int64 { min(day.budget - day.spent, remainingTotalMillicents) }
    public var totalBudgetMillicents: Int64 { Self.millicents(cents: campaign.totalBudgetCents) }
    public var remainingTotalMillicents: Int64 { totalBudgetMillicents - spentTotalMillicents }
    /// Opportunities counted today (inside the flight).
    public var opportunitiesToday: Int { day.opportunities }
    public var participationsToday: Int { day.participations }

    /// `σ̂`, the expected charge per participation in millicents.
    public var spendPerParticipationMillicents: Double {
        rate.estimate(
            prior: Double(pricePerImpressionMillicents) * configuration.priorWinRate,
            priorWeight: configuration.priorParticipations)
    }

    /// The probability of taking part in an opportunity at `time`, without counting one: 0 outside the
    /// flight or when the budget cannot cover an impression, 1 for as-fast-as-possible.
    public func throttle(at time: Timestamp) -> Double {
        var copy = self
        copy.rollOver(to: time)
        guard copy.isInFlight(time), copy.remainingTodayMillicents >= copy.pricePerImpressionMillicents else { return 0 }
        return campaign.pacing == .asFastAsPossible ? 1 : copy.evenThrottle(atSecond: copy.secondInCurrentDay(time))
    }

    /// The even-pacing target: `B × c(t)`, what should have been spent today by `time`.
    public func targetSpendMillicents(at time: Timestamp) -> Int64 {
        var copy = self
        copy.rollOver(to: time)
        return Int64((Double(copy.day.budget) * copy.progress(atSecond: copy.secondInCurrentDay(time))).rounded())
    }

    /// `D̂` as of `time`: the expected number of opportunities in today's whole window.
    public func expectedOpportunitiesToday(at time: Timestamp) -> Double {
        var copy = self
        copy.rollOver(to: time)
        return copy.expectedWindowOpportunities(atProgress: copy.progress(atSecond: copy.secondInCurrentDay(time)))
    }

    /// The local day of `time` (days since 1970-01-01 after shifting by `utcOffsetSeconds`).
    public static func dayIndex(of time: Timestamp, utcOffsetSeconds: Int = 0) -> Int64 {
        let local = time.millisecondsSinceEpoch + Int64(utcOffsetSeconds) * 1000
        return local >= 0 ? local / millisecondsPerDay : (local - millisecondsPerDay + 1) / millisecondsPerDay
    }

    // MARK: Internals

    /// One finished day.
    public struct DaySummary: Sendable, Hashable, Codable {
        /// Days since 1970-01-01 in the pacer's local day.
        public var dayIndex: Int64
        public var budgetMillicents: Int64
        public var spentMillicents: Int64
        public var opportunities: Int
        public var participations: Int
        /// `D̂` at the end of the day: the estimated opportunities of the whole window.
        public var expectedOpportunities: Double
    }

    struct Day: Sendable, Hashable, Codable {
        var index: Int64
        /// Seconds of the day where today's flight window begins and ends.
        var windowStart = 0.0
        var windowEnd = 0.0
        /// The curve's share of the window.
        var windowShare = 0.0
        /// The progress at which this pacer began counting today's opportunities (`c₀`).
        var observedFrom = 0.0
        var budget: Int64 = 0
        var spent: Int64 = 0
        var opportunities = 0
        var participations = 0
        /// The latest second of the day seen, used for inputs stamped in an earlier day.
        var latestSecond = 0.0
    }

    /// Exponentially weighted spend per participation.
    struct SpendRate: Sendable, Hashable, Codable {
        var spend = 0.0
        var participations = 0.0

        mutating func participated(window: Double) {
            let keep = 1 - 1 / window
            participations = participations * keep + 1
            spend *= keep
        }

        mutating func charged(_ millicents: Int64) { spend += Double(millicents) }

        func estimate(prior: Double, priorWeight: Double) -> Double {
            let weight = participations + priorWeight
            return weight > 0 ? (spend + priorWeight * prior) / weight : prior
        }
    }

    static let millisecondsPerDay: Int64 = 86_400_000

    static func millicents(cents: Int64) -> Int64 {
        let (value, overflow) = cents.multipliedReportingOverflow(by: 1000)
        return overflow ? (cents < 0 ? .min : .max) : value
    }

    static func adding(_ a: Int64, _ b: Int64) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? .min : .max) : value
    }

    private func position(of time: Timestamp) -> (day: Int64, second: Double) {
        let index = Self.dayIndex(of: time, utcOffsetSeconds: configuration.utcOffsetSeconds)
        let local = time.millisecondsSinceEpoch + Int64(configuration.utcOffsetSeconds) * 1000
        return (index, Double(local - index * Self.millisecondsPerDay) / 1000)
    }

    private func isInFlight(_ time: Timestamp) -> Bool { time >= campaign.startsAt && time < campaign.endsAt }

    /// The second of the current day to evaluate `time` at: its own, or the latest seen if it is earlier.
    private func secondInCurrentDay(_ time: Timestamp) -> Double {
        let (index, second) = position(of: time)
        return index == day.index ? second : day.latestSecond
    }

    /// The flight's part of day `index`, in seconds of that day (empty when start == end).
    private func window(ofDay index: Int64) -> (start: Double, end: Double) {
        let dayStart = index * Self.millisecondsPerDay - Int64(configuration.utcOffsetSeconds) * 1000
        let full = Double(TrafficCurve.secondsPerDay)
        let start = min(max(Double(campaign.startsAt.millisecondsSinceEpoch - dayStart) / 1000, 0), full)
        let end = min(max(Double(campaign.endsAt.millisecondsSinceEpoch - dayStart) / 1000, 0), full)
        return (start, max(start, end))
    }

    /// `c`: the share of today's window's expected traffic before `second` (time share if the curve
    /// gives the window no traffic).
    private func progress(atSecond second: Double) -> Double {
        guard day.windowEnd > day.windowStart else { return 0 }
        let value =
            day.windowShare > 1e-12
            ? curve.share(from: day.windowStart, to: second) / day.windowShare
            : (second - day.windowStart) / (day.windowEnd - day.windowStart)
        return min(max(value, 0), 1)
    }

    /// `D̂` at progress `c`.
    private func expectedWindowOpportunities(atProgress c: Double) -> Double {
        let exposure = max(0, c - day.observedFrom)
        if let daily = expectedDailyOpportunities {
            let w = configuration.volumePriorWeight
            return (w * daily * day.windowShare + Double(day.opportunities)) / (w + exposure)
        }
        return Double(day.opportunities) / (configuration.coldStartExposure + exposure)
    }

    private func evenThrottle(atSecond second: Double) -> Double {
        let c = progress(atSecond: second)
        let horizon = min(configuration.catchUpShare, 1 - c)
        guard horizon > 1e-9 else { return 1 }
        let need = Double(day.budget) * (c + horizon) - Double(day.spent)
        guard need > 0 else { return configuration.minimumThrottle }
        let expectedSpend = expectedWindowOpportunities(atProgress: c) * horizon * spendPerParticipationMillicents
        guard expectedSpend > 0 else { return 1 }
        return min(max(need / expectedSpend, configuration.minimumThrottle), 1)
    }

    /// The curve's share of the flight from `second` of day `index` to the end: what is left of that
    /// day's window, plus 1 per whole day after it, plus the last day's share before `endsAt`.
    private func remainingFlightShare(fromDay index: Int64, second: Double) -> Double {
        let (start, end) = window(ofDay: index)
        let today = curve.share(from: max(second, start), to: end)
        let (endDay, endSecond) = position(of: campaign.endsAt)
        guard endDay > index else { return today }
        return today + Double(endDay - index - 1) + curve.cumulative(at: endSecond)
    }

    /// The budget of the current day: what is already spent today plus today's part of `remaining`,
    /// from `second` on, capped by the daily budget (see the type's documentation).
    private func dayBudget(remaining: Int64, from second: Double, spentToday: Int64) -> Int64 {
        guard day.windowEnd > day.windowStart else { return 0 }
        let remaining = max(0, remaining)
        let cap = campaign.dailyBudgetCents.map { max(0, Self.millicents(cents: $0)) }
        var share = remaining
        if campaign.pacing == .even && (cap == nil || configuration.dailyBudgetRule == .capOnEvenShare) {
            let flight = remainingFlightShare(fromDay: day.index, second: second)
            let today = curve.share(from: max(second, day.windowStart), to: day.windowEnd)
            if flight > 0 {
                let even = (Double(remaining) * min(today / flight, 1)).rounded()
                share = even < Double(remaining) ? Int64(even) : remaining
            }
        }
        let budget = Self.adding(spentToday, share)
        return cap.map { min($0, budget) } ?? budget
    }

    private mutating func startDay(_ index: Int64, observingFrom second: Double, spentToday: Int64, remainingAtStart: Int64) {
        let (start, end) = window(ofDay: index)
        day = Day(index: index)
        day.windowStart = start
        day.windowEnd = end
        day.windowShare = curve.share(from: start, to: end)
        day.budget = dayBudget(remaining: remainingAtStart, from: start, spentToday: 0)
        day.spent = spentToday
        day.latestSecond = second
        day.observedFrom = progress(atSecond: max(second, start))
    }

    /// Moves to `time`'s day if it is later than the current one; returns the summary of the day that
    /// ended.
    @discardableResult
    private mutating func rollOver(to time: Timestamp) -> DaySummary? {
        let (index, second) = position(of: time)
        guard index > day.index else {
            if index == day.index { day.latestSecond = max(day.latestSecond, second) }
            return nil
        }
        let estimate = expectedWindowOpportunities(atProgress: 1)
        let summary = DaySummary(
            dayIndex: day.index, budgetMillicents: day.budget, spentMillicents: day.spent, opportunities: day.opportunities,
            participations: day.participations, expectedOpportunities: estimate)
        if day.windowShare > 1e-12 && day.observedFrom < 1 {
            let daily = estimate / day.windowShare
            expectedDailyOpportunities = daily.isFinite && daily > 0 ? daily : nil
        }
        lastCompletedDay = summary
        startDay(
            index, observingFrom: 0, spentToday: 0,
            remainingAtStart: Self.millicents(cents: campaign.totalBudgetCents) - spentTotalMillicents)
        day.latestSecond = second
        return summary
    }
}
