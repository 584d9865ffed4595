import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// Frequency caps count delivery days (`DeliveryDay`: UTC calendar days), not rolling windows.
@Suite struct AdDeliveryDayCapTests {
    /// UTC midnight of a day in the fixture's flights.
    let midnight: Int64 = 20_720 * 86_400_000
    let minute: Int64 = 60_000

    func engine(_ campaign: Campaign) -> AdDecisionEngine {
        var c = campaign
        c.pacing = .asFastAsPossible
        return AdBookFixture.engine(AdBookFixture.inventory([c]), exploration: 0)
    }

    @Test func aDailyCapStartsAgainAtUTCMidnight() {
        let engine = engine(AdBookFixture.campaign(0, capDay: 1))
        let late = engine.decide(AdBookFixture.request(at: midnight - minute, session: "a", maxPod: 15), decisionID: "late")
        #expect(late.ads.count == 1)
        // Two minutes later, but on the next delivery day: the cap of one a day allows another.
        let early = engine.decide(AdBookFixture.request(at: midnight + minute, session: "b", maxPod: 15), decisionID: "early")
        #expect(early.ads.count == 1)
        // The same day again: capped.
        let again = engine.decide(AdBookFixture.request(at: midnight + 2 * minute, session: "c", maxPod: 15), decisionID: "again")
        #expect(again.ads.isEmpty)
        #expect(again.reasons.contains { $0.contains("1 capped for this viewer") }, "\(again.reasons)")
    }

    @Test func aWeeklyCapCountsThisDayAndTheSixBefore() {
        let day: Int64 = 86_400_000
        let engine = engine(AdBookFixture.campaign(0, capWeek: 1))
        #expect(engine.decide(AdBookFixture.request(at: midnight + minute, session: "a", maxPod: 15), decisionID: "d0").ads.count == 1)
        // The last minute of the sixth day after: still the same week.
        let sixth = engine.decide(AdBookFixture.request(at: midnight + 7 * day - minute, session: "b", maxPod: 15), decisionID: "d6")
        #expect(sixth.ads.isEmpty)
        // Seven days later at 00:00:30 (less than 7 × 24 h after the ad): a new week of delivery days.
        let seventh = engine.decide(AdBookFixture.request(at: midnight + 7 * day + 30_000, session: "c", maxPod: 15), decisionID: "d7")
        #expect(seventh.ads.count == 1)
    }

    @Test func exposuresCountByDeliveryDay() {
        var state = DeliveryState()
        state.resize(campaigns: 1)
        let day: Int64 = 86_400_000
        for t in [midnight - 8 * day, midnight - 6 * day - 1, midnight - 6 * day, midnight - 1, midnight, midnight + 5 * minute] {
            state.addExposure("p", campaign: 0, at: t)
        }
        // At 12:00: today holds 2; this day and the six before (from midnight − 6 days) hold 4.
        let seen = state.exposures("p", campaign: 0, at: midnight + 12 * 60 * minute)
        #expect(seen.day == 2 && seen.week == 4)
        // What lies before the week's first day (8 days ago, and 1 ms before that day began) is pruned.
        #expect(state.viewers["p"]?.byCampaign[0]?.count == 4)
    }
}
