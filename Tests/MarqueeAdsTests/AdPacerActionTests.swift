import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// The pacer's actions are carried out: a charge that spends the pacer's day budget closes the campaign
/// for the rest of the delivery day.
@Suite struct AdPacerActionTests {
    /// A two-day flight from UTC midnight, no daily budget, a total of four impressions at $10 CPM (4 cents):
    /// even pacing on a uniform curve gives each day half, two impressions.
    let midnight: Int64 = 20_720 * 86_400_000

    func campaign() -> Campaign {
        var c = AdBookFixture.campaign(0, cpm: 1000, budget: 4)
        c.startsAt = Timestamp(millisecondsSinceEpoch: midnight)
        c.endsAt = Timestamp(millisecondsSinceEpoch: midnight + 2 * 86_400_000)
        return c
    }

    func impression(_ id: String, at ms: Int64) -> Event {
        Event(
            id: EventID(trusted: id), profileID: ProfileID(trusted: "other"), type: .adImpression,
            timestamp: Timestamp(millisecondsSinceEpoch: ms), context: EventContext(), rank: 0, creativeID: CreativeID(trusted: "cr0-0"),
            campaignID: CampaignID(trusted: "cmp0"))
    }

    @Test func aSpentDayBudgetClosesTheCampaignForTheDay() {
        var state = DeliveryState()
        state.resize(campaigns: 1)
        let c = campaign()
        let hour: Int64 = 3_600_000
        for (n, t) in [midnight + hour, midnight + 2 * hour].enumerated() {
            state.chargeUnreserved(campaign: 0, creative: 0, price: 1000, profileKey: "x\(n)", sessionKey: nil, at: t)
            state.paced(0, campaign: c, spent: 1000, at: t)
        }
        // The pacer's day budget is 2,000 millicents (half the total): spent. The total still covers 2 more.
        #expect(state.pacers[0]?.dayBudgetMillicents == 2000)
        #expect(state.totalBudgetCovers(0, price: 1000, campaign: c))
        let later = state.affordable(0, price: 1000, campaign: c, at: midnight + 3 * hour)
        #expect(!later)
        // The next delivery day is open again.
        let tomorrow = state.affordable(0, price: 1000, campaign: c, at: midnight + 86_400_000 + hour)
        #expect(tomorrow)
    }

    @Test func anEmptyPodSaysTheDayBudgetIsSpentNotPacedOut() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory([campaign()]), exploration: 0)
        let hour: Int64 = 3_600_000
        engine.observe([impression("i1", at: midnight + hour), impression("i2", at: midnight + 2 * hour)])
        let pod = engine.decide(AdBookFixture.request(at: midnight + 12 * hour, maxPod: 15), decisionID: "noon")
        #expect(pod.ads.isEmpty)
        #expect(pod.reasons.contains("no eligible campaign: 1 daily budget spent for today"), "\(pod.reasons)")
        let next = engine.decide(AdBookFixture.request(at: midnight + 36 * hour, maxPod: 15), decisionID: "tomorrow")
        #expect(next.ads.count == 1)
    }

    /// The ledger's figures resynchronize the pacer, and what it then says is carried out too.
    @Test func aRefreshThatSpendsThePacersDayClosesTheDay() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory([campaign()]), exploration: 0)
        let hour: Int64 = 3_600_000
        // The first request makes the campaign's pacer (whether or not it takes part).
        _ = engine.decide(AdBookFixture.request(profile: "a", at: midnight + hour, maxPod: 15), decisionID: "first")
        // Other servers spent today's half of the budget (two impressions).
        engine.refresh(
            totals: [
                CampaignDeliveryTotals(
                    campaignID: CampaignID(trusted: "cmp0"), spentMillicents: 2000, reservedMillicents: 0, spentTodayMillicents: 2000,
                    reservedTodayMillicents: 0, impressions: 2)
            ], day: midnight / 86_400_000)
        let pod = engine.decide(AdBookFixture.request(profile: "b", at: midnight + 12 * hour, maxPod: 15), decisionID: "noon")
        #expect(pod.ads.isEmpty)
        #expect(pod.reasons.contains("no eligible campaign: 1 daily budget spent for today"), "\(pod.reasons)")
    }
}
