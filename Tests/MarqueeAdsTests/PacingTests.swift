import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// Fixtures shared by the pacing tests: a day at a known UTC midnight and campaigns around it.
enum PacingFixture {
    /// 2026-09-01T00:00:00Z, day 20,697 since 1970-01-01.
    static let dayIndex: Int64 = 20_697
    static let midnight = Timestamp(millisecondsSinceEpoch: dayIndex * 86_400_000)

    static func at(hours: Double, days: Int = 0) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: midnight.millisecondsSinceEpoch + Int64(days) * 86_400_000 + Int64((hours * 3_600_000).rounded()))
    }

    static func campaign(
        id: String = "cmp-01", pacing: PacingMode = .even, totalCents: Int64, dailyCents: Int64? = nil, cpmCents: Int64 = 2000,
        startsAt: Timestamp = midnight, endsAt: Timestamp = at(hours: 0, days: 1)
    ) -> Campaign {
        Campaign(
            id: CampaignID(trusted: id), advertiserID: AdvertiserID(trusted: "adv-01"), name: id, startsAt: startsAt, endsAt: endsAt,
            totalBudgetCents: totalCents, dailyBudgetCents: dailyCents, cpmBidCents: cpmCents, pacing: pacing)
    }

    /// The demo world's viewing habits (local hour weights of `DemoAudience`: evening, night owl, daytime,
    /// commuter, mixed 0.6/0.15/0.15/0.1): quiet nights, a lunchtime bump and an evening peak at 20–21 h.
    static let demoHourWeights: [Double] = {
        let evening: [Double] = [
            0.6, 0.3, 0.15, 0.05, 0.03, 0.05, 0.2, 0.35, 0.3, 0.25, 0.25, 0.3,
            0.45, 0.4, 0.35, 0.4, 0.55, 0.8, 1.2, 1.8, 2.4, 2.4, 1.8, 1.1,
        ]
        let nightOwl = (0..<24).map { evening[($0 + 22) % 24] }
        let daytime = (0..<24).map { (9...16).contains($0) ? evening[$0] + 1.2 : evening[$0] * 0.6 }
        let commuter = (0..<24).map { [7, 8, 17, 18].contains($0) ? evening[$0] + 1.8 : evening[$0] * 0.7 }
        let habits = [evening, nightOwl, daytime, commuter]
        let mix = [0.6, 0.15, 0.15, 0.1]
        return (0..<24).map { h in
            (0..<4).reduce(0.0) { $0 + mix[$1] * habits[$1][h] / habits[$1].reduce(0, +) }
        }
    }()
}

// MARK: - Traffic curve

@Suite struct TrafficCurveTests {
    @Test func uniformCurveIsLinearInTheTimeOfDay() {
        let curve = TrafficCurve.uniform
        #expect(curve.weights.count == 24)
        #expect(curve.cumulative(at: 0) == 0)
        #expect(abs(curve.cumulative(at: 21_600) - 0.25) < 1e-12)
        #expect(abs(curve.cumulative(at: 45_000) - 45_000.0 / 86_400) < 1e-12)
        #expect(curve.cumulative(at: 86_400) == 1)
        #expect(curve.cumulative(at: -5) == 0 && curve.cumulative(at: 90_000) == 1)
        #expect(abs(curve.share(from: 3600, to: 7200) - 1.0 / 24) < 1e-12)
        #expect(curve.share(from: 7200, to: 3600) == 0)
    }

    @Test func weightsAreNormalizedAndInterpolatedWithinTheBin() {
        // Four 6-hour bins with weights 1, 3, 0, 4 → 1/8, 3/8, 0, 4/8.
        let curve = TrafficCurve(weights: [1, 3, 0, 4])
        #expect(curve.weights == [0.125, 0.375, 0, 0.5])
        #expect(curve.binSeconds == 21_600)
        // 9:00 is halfway through the second bin: 1/8 + 3/16.
        #expect(abs(curve.cumulative(at: 9 * 3600) - 0.3125) < 1e-12)
        // Nothing happens in the empty third bin.
        #expect(abs(curve.share(from: 12 * 3600, to: 18 * 3600)) < 1e-12)
        #expect(abs(curve.cumulative(at: 21 * 3600) - 0.75) < 1e-12)
    }

    @Test func badWeightsFallBackToZeroOrUniform() {
        #expect(TrafficCurve(weights: [-1, .nan, 2, .infinity]).weights == [0, 0, 1, 0])
        #expect(TrafficCurve(weights: [0, 0, 0, 0]).weights == [0.25, 0.25, 0.25, 0.25])
    }

    @Test func countsAreShrunkTowardUniform() {
        // Hour 0 saw 10 opportunities, the others none; one pseudo-count per hour:
        // w₀ = 11/34, every other hour 1/34.
        var counts = Array(repeating: 0.0, count: 24)
        counts[0] = 10
        let curve = TrafficCurve(counts: counts, pseudoCountPerBin: 1)
        #expect(abs(curve.weights[0] - 11.0 / 34) < 1e-12)
        #expect(abs(curve.weights[5] - 1.0 / 34) < 1e-12)
        #expect(abs(curve.cumulative(at: 1800) - 5.5 / 34) < 1e-12)
        #expect(abs(curve.cumulative(at: 5400) - 11.5 / 34) < 1e-12)
        // Without a pseudo-count the raw shares come back.
        #expect(TrafficCurve(counts: counts, pseudoCountPerBin: 0).weights[0] == 1)
    }

    @Test func learnsFromTimesInTheLocalDay() {
        // 22:30 UTC is 00:30 at UTC+2: ten opportunities there land in local hour 0, as above.
        let times = (0..<10).map { PacingFixture.at(hours: 22.5 + Double($0) / 100) }
        let local = TrafficCurve.learned(fromOpportunitiesAt: times, utcOffsetSeconds: 7200, pseudoCountPerBin: 1)
        #expect(abs(local.weights[0] - 11.0 / 34) < 1e-12)
        let utc = TrafficCurve.learned(fromOpportunitiesAt: times, pseudoCountPerBin: 1)
        #expect(abs(utc.weights[22] - 11.0 / 34) < 1e-12)
        // A finer curve: half-hour bins.
        let halfHours = TrafficCurve.learned(fromOpportunitiesAt: times, bins: 48, pseudoCountPerBin: 1)
        #expect(halfHours.weights.count == 48 && abs(halfHours.weights[45] - 11.0 / 58) < 1e-12)
    }

    @Test func roundTripsThroughJSONAndRejectsABadBinCount() throws {
        let curve = TrafficCurve(weights: PacingFixture.demoHourWeights)
        let data = try JSONEncoder().encode(curve)
        #expect(try JSONDecoder().decode(TrafficCurve.self, from: data) == curve)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TrafficCurve.self, from: Data(#"{"weights":[1,2,3,4,5,6,7]}"#.utf8))
        }
    }
}

// MARK: - State machine transitions

@Suite struct PacingStateMachineTests {
    typealias F = PacingFixture

    /// A one-day flight of 1,000 cents (1,000,000 millicents) at a 2,000-cent CPM (2,000 millicents an
    /// impression), uniform traffic, an expected 10,000 opportunities a day.
    static func oneDay(
        spentToday: Int64 = 0, expected: Double? = 10_000, configuration: PacingConfiguration = PacingConfiguration()
    ) -> PacingStateMachine {
        PacingStateMachine(
            campaign: F.campaign(totalCents: 1000), configuration: configuration, at: F.midnight, spentTotalMillicents: spentToday,
            spentTodayMillicents: spentToday, expectedDailyOpportunities: expected)
    }

    /// Feeds `count` opportunities evenly over [0, hours) that never take part (draw 1).
    static func feed(_ pacer: inout PacingStateMachine, count: Int, until hours: Double) {
        for i in 0..<count {
            let action = pacer.opportunity(at: F.at(hours: hours * Double(i) / Double(count)), draw: 1)
            guard case .skip(.throttled) = action else {
                Issue.record("opportunity \(i) gave \(action)")
                return
            }
        }
    }

    @Test func evenThrottleSpreadsTheBudgetOverTheExpectedTraffic() {
        // At 06:00 after 2,500 opportunities: c = 0.25, h = 0.15, B(c + h) − S = 400,000;
        // D̂ = (0.05 × 10,000 + 2,500) / (0.05 + 0.25) = 10,000; σ̂ = 0.5 × 2,000 = 1,000;
        // p = 400,000 / (10,000 × 0.15 × 1,000) = 4/15.
        var pacer = Self.oneDay()
        #expect(pacer.dayBudgetMillicents == 1_000_000)
        Self.feed(&pacer, count: 2500, until: 6)
        let six = F.at(hours: 6)
        #expect(abs(pacer.expectedOpportunitiesToday(at: six) - 10_000) < 1e-6)
        #expect(pacer.spendPerParticipationMillicents == 1000)
        #expect(pacer.targetSpendMillicents(at: six) == 250_000)
        #expect(abs(pacer.throttle(at: six) - 4.0 / 15) < 1e-12)
        #expect(pacer.opportunitiesToday == 2500 && pacer.participationsToday == 0)
    }

    @Test func behindOrAheadOfTargetChangesTheThrottle() {
        // The same 06:00 state, resumed with 300,000 already spent today: the horizon target is
        // 400,000, so p = 100,000 / 1,500,000 = 1/15.
        var behind = Self.oneDay(spentToday: 300_000)
        Self.feed(&behind, count: 2500, until: 6)
        #expect(abs(behind.throttle(at: F.at(hours: 6)) - 1.0 / 15) < 1e-12)
        // 500,000 spent is past the horizon target: only the minimum throttle.
        var ahead = Self.oneDay(spentToday: 500_000)
        Self.feed(&ahead, count: 2500, until: 6)
        #expect(ahead.throttle(at: F.at(hours: 6)) == 0.001)
    }

    @Test func lastPartOfTheDaySpendsWhatIsLeft() {
        // 21:36 is c = 0.9 < 1 − 0.15, so h = 0.1 and the whole remaining budget is aimed at the
        // remaining traffic: (1,000,000 − 500,000) / (10,000 × 0.1 × 1,000) = 0.5 with D̂ = 10,000.
        var pacer = Self.oneDay(spentToday: 500_000)
        Self.feed(&pacer, count: 9000, until: 21.6)
        #expect(abs(pacer.expectedOpportunitiesToday(at: F.at(hours: 21.6)) - 10_000) < 1e-6)
        #expect(abs(pacer.throttle(at: F.at(hours: 21.6)) - 0.5) < 1e-12)
    }

    @Test func volumeEstimateFollowsTodaysTraffic() {
        // 30% more traffic than expected: 3,250 by 06:00 → D̂ = (500 + 3,250) / 0.3 = 12,500,
        // p = 400,000 / (12,500 × 0.15 × 1,000) = 0.21333…
        var busy = Self.oneDay()
        Self.feed(&busy, count: 3250, until: 6)
        #expect(abs(busy.expectedOpportunitiesToday(at: F.at(hours: 6)) - 12_500) < 1e-6)
        #expect(abs(busy.throttle(at: F.at(hours: 6)) - 400_000.0 / (12_500 * 0.15 * 1000)) < 1e-12)
        // No expectation at all: D̂ = 2,500 / (0.25 + 1/1440).
        var cold = Self.oneDay(expected: nil)
        Self.feed(&cold, count: 2500, until: 6)
        let coldVolume = 2500 / (0.25 + 1.0 / 1440)
        #expect(abs(cold.expectedOpportunitiesToday(at: F.at(hours: 6)) - coldVolume) < 1e-6)
        #expect(abs(cold.throttle(at: F.at(hours: 6)) - 400_000 / (coldVolume * 0.15 * 1000)) < 1e-12)
    }

    @Test func spendPerParticipationIsAnExponentiallyWeightedAverage() {
        // Window 4 (λ = 0.75), two prior participations worth 0.5 × 2,000 = 1,000 each.
        let configuration = PacingConfiguration(priorParticipations: 2, spendRateWindow: 4)
        var pacer = Self.oneDay(configuration: configuration)
        let t = F.at(hours: 1)
        guard case .participate = pacer.opportunity(at: t, draw: 0) else {
            Issue.record("a draw of 0 did not take part")
            return
        }
        #expect(pacer.charged(millicents: 1600, at: t) == .none)
        // (1,600 + 2 × 1,000) / (1 + 2) = 1,200.
        #expect(abs(pacer.spendPerParticipationMillicents - 1200) < 1e-9)
        // Lost the next auction: weights 1.75 and 1,200 → (1,200 + 2,000) / 3.75.
        _ = pacer.opportunity(at: t, draw: 0)
        #expect(abs(pacer.spendPerParticipationMillicents - 3200 / 3.75) < 1e-9)
        // Won at 2,000: weights 2.3125 and 900 + 2,000 → 4,900 / 4.3125.
        _ = pacer.opportunity(at: t, draw: 0)
        _ = pacer.charged(millicents: 2000, at: t)
        #expect(abs(pacer.spendPerParticipationMillicents - 4900 / 4.3125) < 1e-9)
        #expect(pacer.participationsToday == 3 && pacer.spentTodayMillicents == 3600)
    }

    @Test func drawAtOrAboveTheThrottleSkips() {
        var pacer = Self.oneDay()
        Self.feed(&pacer, count: 2500, until: 6)
        let six = F.at(hours: 6)
        // The opportunity itself is counted before the throttle is taken: D̂ = 3,001 / 0.3.
        let expected = 400_000 / (3001 / 0.3 * 0.15 * 1000)
        var copy = pacer
        guard case .skip(.throttled(let p)) = copy.opportunity(at: six, draw: expected + 1e-9) else {
            Issue.record("a draw above the throttle took part")
            return
        }
        #expect(abs(p - expected) < 1e-12)
        #expect(pacer.opportunity(at: six, draw: p - 1e-9) == .participate(throttle: p))
        #expect(pacer.participationsToday == 1 && copy.participationsToday == 0)
    }

    @Test func dayBudgetSpreadsTheTotalOverTheFlight() {
        // 10,000 cents over 10 whole days, no daily budget: 1,000 cents a day.
        let tenDays = F.campaign(totalCents: 10_000, endsAt: F.at(hours: 0, days: 10))
        #expect(PacingStateMachine(campaign: tenDays, at: F.at(hours: 3)).dayBudgetMillicents == 1_000_000)
        // Resumed on day 4 (0-based) with 4,000 cents spent before it: 6,000 over 6 days.
        let resumed = PacingStateMachine(
            campaign: tenDays, at: F.at(hours: 10, days: 4), spentTotalMillicents: 4_300_000, spentTodayMillicents: 300_000)
        #expect(resumed.dayBudgetMillicents == 1_000_000 && resumed.spentTodayMillicents == 300_000)
        // From noon of day 0 to midnight after day 2 (2.5 days, uniform): day 0 gets 0.5 / 2.5 of it.
        let halfFirstDay = F.campaign(totalCents: 10_000, startsAt: F.at(hours: 12), endsAt: F.at(hours: 0, days: 3))
        let pacer = PacingStateMachine(campaign: halfFirstDay, at: F.midnight)
        #expect(pacer.dayBudgetMillicents == 2_000_000)
        #expect(pacer.throttle(at: F.at(hours: 11)) == 0)
        #expect(pacer.targetSpendMillicents(at: F.at(hours: 18)) == 1_000_000)
        // With the evening curve, the day's share is its curve share after noon over 2 days + that.
        let curve = TrafficCurve(weights: F.demoHourWeights)
        let share = curve.share(from: 43_200, to: 86_400)
        let evening = PacingStateMachine(campaign: halfFirstDay, curve: curve, at: F.midnight)
        #expect(evening.dayBudgetMillicents == Int64((10_000_000 * share / (share + 2)).rounded()))
    }

    @Test func dayRolloverSummarizesTheDayAndRebudgets() {
        let campaign = F.campaign(totalCents: 10_000, startsAt: F.at(hours: 12), endsAt: F.at(hours: 0, days: 3))
        var pacer = PacingStateMachine(campaign: campaign, at: F.midnight, expectedDailyOpportunities: 8000)
        for i in 0..<600 { _ = pacer.opportunity(at: F.at(hours: 12 + Double(i) / 50), draw: 1) }
        #expect(pacer.charged(millicents: 1_500_000, at: F.at(hours: 23)) == .none)
        #expect(pacer.tick(at: F.at(hours: 23.9)) == .none)
        // Window share 0.5, prior a = 0.05 × 8,000 × 0.5 = 200, exposure w + 1 = 1.05:
        // D̂ = 800 / 1.05 for the half-day window, i.e. 1,600 / 1.05 for a whole day.
        guard case .dayEnded(let summary) = pacer.tick(at: F.at(hours: 0.5, days: 1)) else {
            Issue.record("no rollover at midnight")
            return
        }
        #expect(summary.dayIndex == F.dayIndex && summary.budgetMillicents == 2_000_000 && summary.spentMillicents == 1_500_000)
        #expect(summary.opportunities == 600 && summary.participations == 0)
        #expect(abs(summary.expectedOpportunities - 800 / 1.05) < 1e-9)
        #expect(pacer.lastCompletedDay == summary)
        #expect(abs(pacer.expectedDailyOpportunities! - 1600 / 1.05) < 1e-9)
        // 8,500,000 left over two whole days.
        #expect(pacer.dayIndex == F.dayIndex + 1)
        #expect(pacer.dayBudgetMillicents == 4_250_000 && pacer.spentTodayMillicents == 0)
        #expect(pacer.opportunitiesToday == 0 && pacer.spentTotalMillicents == 1_500_000)
        // A late charge stamped yesterday counts toward the total only.
        _ = pacer.charged(millicents: 10_000, at: F.at(hours: 23.99))
        #expect(pacer.spentTodayMillicents == 0 && pacer.spentTotalMillicents == 1_510_000)
    }

    @Test func dailyBudgetCapsTheEvenShareOrIsTheTarget() {
        // 10,000 cents over 10 days is 1,000 a day; a daily budget of 500 caps it.
        let capped = F.campaign(totalCents: 10_000, dailyCents: 500, endsAt: F.at(hours: 0, days: 10))
        #expect(PacingStateMachine(campaign: capped, at: F.midnight).dayBudgetMillicents == 500_000)
        // A daily budget of 1,500 is above the even share: the cap rule keeps 1,000, the target rule 1,500.
        let generous = F.campaign(totalCents: 10_000, dailyCents: 1500, endsAt: F.at(hours: 0, days: 10))
        #expect(PacingStateMachine(campaign: generous, at: F.midnight).dayBudgetMillicents == 1_000_000)
        let target = PacingConfiguration(dailyBudgetRule: .target)
        #expect(PacingStateMachine(campaign: generous, configuration: target, at: F.midnight).dayBudgetMillicents == 1_500_000)
        // Under the target rule, never more than what is left of the total.
        let short = F.campaign(totalCents: 1200, dailyCents: 1500, endsAt: F.at(hours: 0, days: 10))
        #expect(PacingStateMachine(campaign: short, configuration: target, at: F.midnight).dayBudgetMillicents == 1_200_000)
    }

    @Test func campaignEditRebudgetsTheRestOfTheDay() {
        // Two days, 1,000 cents, 200,000 spent by noon; raised to 2,000 cents: 1,800,000 left over
        // 0.5 + 1 days, today's half gets a third → 200,000 + 600,000.
        var campaign = F.campaign(totalCents: 1000, endsAt: F.at(hours: 0, days: 2))
        var pacer = PacingStateMachine(campaign: campaign, at: F.midnight)
        #expect(pacer.dayBudgetMillicents == 500_000)
        _ = pacer.charged(millicents: 200_000, at: F.at(hours: 12))
        campaign.totalBudgetCents = 2000
        pacer.update(campaign: campaign, at: F.at(hours: 12))
        #expect(pacer.dayBudgetMillicents == 800_000)
    }

    @Test func budgetExhaustionStopsParticipation() {
        // A daily budget of 5 cents (5,000 millicents) at 2,000 millicents an impression: two
        // impressions leave 1,000, less than a third's price.
        let campaign = F.campaign(pacing: .asFastAsPossible, totalCents: 11, dailyCents: 5, endsAt: F.at(hours: 0, days: 5))
        var pacer = PacingStateMachine(campaign: campaign, at: F.midnight)
        #expect(pacer.dayBudgetMillicents == 5000 && pacer.pricePerImpressionMillicents == 2000)
        let t = F.at(hours: 8)
        #expect(pacer.opportunity(at: t, draw: 0.999) == .participate(throttle: 1))
        #expect(pacer.charged(millicents: 2000, at: t) == .none)
        #expect(pacer.opportunity(at: t, draw: 0.5) == .participate(throttle: 1))
        #expect(pacer.charged(millicents: 2000, at: t) == .dailyBudgetSpent)
        #expect(pacer.opportunity(at: t, draw: 0) == .skip(.dailyBudgetSpent))
        #expect(pacer.throttle(at: t) == 0)
        // The next day: min(5,000, 7,000 left) = 5,000, then the total runs out after three more.
        #expect(pacer.opportunity(at: F.at(hours: 8, days: 1), draw: 0) == .participate(throttle: 1))
        #expect(pacer.dayBudgetMillicents == 5000)
        #expect(pacer.charged(millicents: 2000, at: F.at(hours: 8, days: 1)) == .none)
        #expect(pacer.charged(millicents: 2000, at: F.at(hours: 9, days: 1)) == .dailyBudgetSpent)
        #expect(pacer.opportunity(at: F.at(hours: 8, days: 2), draw: 0) == .participate(throttle: 1))
        #expect(pacer.charged(millicents: 2000, at: F.at(hours: 8, days: 2)) == .totalBudgetSpent)
        #expect(pacer.opportunity(at: F.at(hours: 9, days: 2), draw: 0) == .skip(.totalBudgetSpent))
        #expect(pacer.remainingTotalMillicents == 1000)
    }

    @Test func asFastAsPossibleAlwaysTakesPartWhileThereIsBudget() {
        var pacer = PacingStateMachine(campaign: F.campaign(pacing: .asFastAsPossible, totalCents: 1000), at: F.midnight)
        #expect(pacer.dayBudgetMillicents == 1_000_000)
        for i in 0..<499 {
            let t = F.at(hours: Double(i) / 100)
            #expect(pacer.opportunity(at: t, draw: 0.9999) == .participate(throttle: 1))
            #expect(pacer.charged(millicents: 2000, at: t) == .none)
        }
        #expect(pacer.charged(millicents: 2000, at: F.at(hours: 5)) == .totalBudgetSpent)
        #expect(pacer.spentTodayMillicents == 1_000_000)
    }

    @Test func outsideTheFlightNothingIsCountedOrSpent() {
        let campaign = F.campaign(totalCents: 1000, startsAt: F.at(hours: 6), endsAt: F.at(hours: 18))
        var pacer = PacingStateMachine(campaign: campaign, at: F.midnight, expectedDailyOpportunities: 1000)
        #expect(pacer.opportunity(at: F.at(hours: 5), draw: 0) == .skip(.outsideFlight))
        #expect(pacer.opportunity(at: F.at(hours: 18), draw: 0) == .skip(.outsideFlight))
        #expect(pacer.throttle(at: F.at(hours: 19)) == 0)
        #expect(pacer.opportunitiesToday == 0)
        // The whole budget goes to the 12-hour window.
        #expect(pacer.dayBudgetMillicents == 1_000_000)
        // After the flight, the next day has no window and no budget.
        #expect(pacer.tick(at: F.at(hours: 1, days: 1)) != .none)
        #expect(pacer.dayBudgetMillicents == 0)
    }

    @Test func daysFollowTheConfiguredUTCOffset() {
        // At UTC+2, the local day ends at 22:00 UTC.
        let configuration = PacingConfiguration(utcOffsetSeconds: 7200)
        let campaign = F.campaign(totalCents: 10_000, startsAt: F.at(hours: -2), endsAt: F.at(hours: -2, days: 10))
        var pacer = PacingStateMachine(campaign: campaign, configuration: configuration, at: F.at(hours: 12))
        #expect(pacer.dayIndex == F.dayIndex && pacer.dayBudgetMillicents == 1_000_000)
        #expect(pacer.tick(at: F.at(hours: 21.99)) == .none)
        guard case .dayEnded(let summary) = pacer.tick(at: F.at(hours: 22)) else {
            Issue.record("no rollover at 22:00 UTC")
            return
        }
        #expect(summary.dayIndex == F.dayIndex && pacer.dayIndex == F.dayIndex + 1)
        // At UTC−5, 03:00 UTC is still the previous local day.
        #expect(PacingStateMachine.dayIndex(of: F.at(hours: 3), utcOffsetSeconds: -18_000) == F.dayIndex - 1)
        #expect(PacingStateMachine.dayIndex(of: F.at(hours: 5), utcOffsetSeconds: -18_000) == F.dayIndex)
    }
}

// MARK: - A day of demo-like traffic

/// Simulated days of demo-like traffic: Poisson arrivals following the demo's evening-heavy curve,
/// scaled each day by a traffic multiplier the pacers are not told about; four campaigns with
/// different bids, each eligible for 70% of requests, competing with each other and with outside
/// demand (a uniform 8–22 dollar CPM) in a second-price auction, so win rates are below 1 and prices
/// vary. Each campaign's budget is well below what it would win if it took part every time.
struct PacingDaySimulation {
    struct Day {
        var budget: [Int64]
        var spent: [Int64]
        /// Spend of each campaign before each hour boundary 0…24.
        var spentByHour: [[Int64]]
        /// When (hours into the day) each campaign had less than one price left today, if it did.
        var exhaustedAtHours: [Double?]
    }

    static let requestsPerDay = 10_000.0
    static let eligibility = 0.7
    static let bids: [Int64] = [1200, 1500, 1800, 2500]
    static let dailyBudgetsCents: [Int64] = [500, 800, 1200, 2500]
    static let curve = TrafficCurve(weights: PacingFixture.demoHourWeights)

    /// Runs one day per entry of `trafficMultipliers`. With `dailyBudgets`, each campaign has its daily
    /// budget and a 30-day total that never binds; without, a total of three daily budgets for a flight
    /// of exactly three days. `knowsVolume` says whether the pacers start with the expected (unscaled)
    /// daily opportunities; `afap` marks campaigns paced as fast as possible.
    static func run(
        seed: UInt64, trafficMultipliers: [Double], knowsVolume: Bool = true, dailyBudgets: Bool = true, afap: Set<Int> = []
    ) -> [Day] {
        var arrivals = SeededGenerator(seed: seed, stream: "arrivals")
        var rng = SeededGenerator(seed: seed, stream: "auctions")
        // The curve the pacers use is learned from a simulated day before, at the expected volume.
        let yesterday = poissonArrivals(rate: requestsPerDay * eligibility, &arrivals)
        let learned = TrafficCurve(counts: hourlyCounts(yesterday), pseudoCountPerBin: 10)
        let n = bids.count
        var pacers: [PacingStateMachine] = (0..<n).map { k in
            let campaign = PacingFixture.campaign(
                id: "cmp-\(k)", pacing: afap.contains(k) ? .asFastAsPossible : .even,
                totalCents: dailyBudgetsCents[k] * (dailyBudgets ? 30 : 3), dailyCents: dailyBudgets ? dailyBudgetsCents[k] : nil,
                cpmCents: bids[k], endsAt: PacingFixture.at(hours: 0, days: dailyBudgets ? 30 : 3))
            return PacingStateMachine(
                campaign: campaign, curve: learned, at: PacingFixture.midnight,
                expectedDailyOpportunities: knowsVolume ? requestsPerDay * eligibility : nil)
        }
        var days: [Day] = []
        var bidders: [Int] = []
        for (d, multiplier) in trafficMultipliers.enumerated() {
            let times = poissonArrivals(rate: requestsPerDay * multiplier, &arrivals)
            var spentByHour = Array(repeating: [Int64](), count: n)
            var exhausted: [Double?] = Array(repeating: nil, count: n)
            var hour = 0
            func record(until seconds: Double) {
                while hour <= 24 && Double(hour) * 3600 <= seconds {
                    for k in 0..<n { spentByHour[k].append(hour == 0 ? 0 : pacers[k].spentTodayMillicents) }
                    hour += 1
                }
            }
            for seconds in times {
                record(until: seconds)
                let t = PacingFixture.at(hours: seconds / 3600, days: d)
                bidders.removeAll(keepingCapacity: true)
                for k in 0..<n where rng.nextUnit() < eligibility {
                    if case .participate = pacers[k].opportunity(at: t, draw: rng.nextUnit()) { bidders.append(k) }
                }
                var price = Int64(800 + rng.nextUnit() * 1400)
                var winner: Int?
                for k in bidders where bids[k] > price {
                    if let w = winner, bids[w] > bids[k] {
                        price = bids[k]
                    } else {
                        if let w = winner { price = bids[w] }
                        winner = k
                    }
                }
                if let w = winner, pacers[w].charged(millicents: price, at: t) != .none, exhausted[w] == nil {
                    exhausted[w] = seconds / 3600
                }
            }
            let budgets = pacers.map(\.dayBudgetMillicents)
            record(until: 86_400)
            days.append(
                Day(budget: budgets, spent: pacers.map(\.spentTodayMillicents), spentByHour: spentByHour, exhaustedAtHours: exhausted))
        }
        return days
    }

    /// Seconds of day of a Poisson process with `rate` arrivals a day shaped by the demo curve.
    static func poissonArrivals(rate: Double, _ rng: inout SeededGenerator) -> [Double] {
        var times: [Double] = []
        times.reserveCapacity(Int(rate * 1.2))
        let total = PacingFixture.demoHourWeights.reduce(0, +)
        for (h, w) in PacingFixture.demoHourWeights.enumerated() {
            let perSecond = rate * w / total / 3600
            var t = Double(h) * 3600
            while true {
                t += -log(1 - rng.nextUnit()) / perSecond
                if t >= Double(h + 1) * 3600 { break }
                times.append(t)
            }
        }
        return times
    }

    static func hourlyCounts(_ times: [Double]) -> [Double] {
        var counts = Array(repeating: 0.0, count: 24)
        for t in times { counts[min(Int(t / 3600), 23)] += 1 }
        return counts
    }
}

@Suite struct PacingSimulationTests {
    typealias Sim = PacingDaySimulation

    struct Scenario: CustomTestStringConvertible, Sendable {
        var seed: UInt64
        var trafficMultiplier: Double
        var knowsVolume: Bool
        var testDescription: String { "seed \(seed), traffic ×\(trafficMultiplier)\(knowsVolume ? "" : ", no volume prior")" }
    }

    static let scenarios: [Scenario] =
        [1, 2, 3].flatMap { seed in [1.0, 1.3, 0.7].map { Scenario(seed: seed, trafficMultiplier: $0, knowsVolume: true) } }
        + [Scenario(seed: 4, trafficMultiplier: 1.0, knowsVolume: false), Scenario(seed: 5, trafficMultiplier: 1.3, knowsVolume: false)]

    /// Checks one even campaign's day: within ±10% of its budget, never past it by more than one
    /// impression's price, and by 06:00, noon and 18:00 within 10 points of the curve's share.
    static func checkEven(_ day: Sim.Day, _ k: Int, _ label: String) {
        let budget = Double(day.budget[k])
        #expect(abs(Double(day.spent[k]) / budget - 1) <= 0.10, "\(label) campaign \(k) spent \(day.spent[k]) of \(day.budget[k])")
        #expect(day.spent[k] <= day.budget[k] + Sim.bids[k])
        for cut in [6, 12, 18] {
            let spentShare = Double(day.spentByHour[k][cut]) / budget
            let curveShare = Sim.curve.cumulative(at: Double(cut) * 3600)
            #expect(
                abs(spentShare - curveShare) <= 0.10,
                "\(label) campaign \(k) had spent \(spentShare) of its budget by \(cut):00; the curve says \(curveShare)")
        }
    }

    @Test(arguments: scenarios)
    func evenPacingDeliversTheDayAlongTheCurve(_ scenario: Scenario) {
        let day = Sim.run(seed: scenario.seed, trafficMultipliers: [scenario.trafficMultiplier], knowsVolume: scenario.knowsVolume)[0]
        for k in Sim.bids.indices {
            #expect(day.budget[k] == Sim.dailyBudgetsCents[k] * 1000, "the daily budget is the day's target")
            Self.checkEven(day, k, "")
        }
    }

    @Test func withoutADailyBudgetTheTotalIsSpreadOverTheFlight() {
        // Three days of 1×, 1.3× and 0.7× the expected traffic; each day's budget is what is left over
        // the days left, and the flight ends within 5% of its total, never above it.
        let days = Sim.run(seed: 6, trafficMultipliers: [1, 1.3, 0.7], dailyBudgets: false)
        for k in Sim.bids.indices {
            let total = Sim.dailyBudgetsCents[k] * 3000
            #expect(days[0].budget[k] == total / 3)
            #expect(days[1].budget[k] == Int64((Double(total - days[0].spent[k]) / 2).rounded()))
            #expect(days[2].budget[k] == total - days[0].spent[k] - days[1].spent[k])
            for (d, day) in days.enumerated() { Self.checkEven(day, k, "day \(d)") }
            let spent = days.reduce(0) { $0 + $1.spent[k] }
            #expect(spent <= total && Double(spent) >= 0.95 * Double(total), "campaign \(k) spent \(spent) of \(total)")
        }
    }

    @Test func asFastAsPossibleSpendsTheBudgetEarly() {
        for seed: UInt64 in [1, 2] {
            let day = Sim.run(seed: seed, trafficMultipliers: [1], afap: [3])[0]
            // Out of budget before noon, when the day's traffic is not a quarter gone.
            let hours = day.exhaustedAtHours[3] ?? 24
            #expect(hours < 12 && Sim.curve.cumulative(at: hours * 3600) < 0.25, "as fast as possible ran out at \(hours) h")
            #expect(day.spent[3] <= day.budget[3] && day.budget[3] - day.spent[3] < Sim.bids[3])
            // The even campaigns still deliver their budgets, though the lowest bidder wins almost
            // nothing while the fast one is in the market, so it falls behind the curve in the morning.
            for k in 0..<3 {
                #expect(abs(Double(day.spent[k]) / Double(day.budget[k]) - 1) <= 0.10 && day.spent[k] <= day.budget[k])
            }
        }
    }

    /// Prints the measured figures: `PACING_REPORT=1 swift test --skip-build --filter PacingSimulationTests/report`.
    @Test func report() {
        guard ProcessInfo.processInfo.environment["PACING_REPORT"] != nil else { return }
        func line(_ day: Sim.Day) -> String {
            day.budget.indices.map { k in
                let b = Double(day.budget[k])
                let cuts = [6, 12, 18].map {
                    String(format: "%+.3f", Double(day.spentByHour[k][$0]) / b - Sim.curve.cumulative(at: Double($0) * 3600))
                }
                return String(format: "[%d: end %.3f, 6/12/18 h ", k, Double(day.spent[k]) / b) + cuts.joined(separator: " ") + "]"
            }.joined(separator: " ")
        }
        print("curve by hour:", (0...24).map { String(format: "%.3f", Sim.curve.cumulative(at: Double($0) * 3600)) }.joined(separator: " "))
        for s in Self.scenarios {
            print(
                s.testDescription + ": "
                    + line(Sim.run(seed: s.seed, trafficMultipliers: [s.trafficMultiplier], knowsVolume: s.knowsVolume)[0]))
        }
        for (d, day) in Sim.run(seed: 6, trafficMultipliers: [1, 1.3, 0.7], dailyBudgets: false).enumerated() {
            print("no daily budget, day \(d): budgets \(day.budget) " + line(day))
        }
        for seed: UInt64 in [1, 2] {
            let day = Sim.run(seed: seed, trafficMultipliers: [1], afap: [3])[0]
            print(
                "afap seed \(seed): out at \(day.exhaustedAtHours[3] ?? -1) h, spent \(day.spent[3]) of \(day.budget[3]); even " + line(day)
            )
        }
    }
}
