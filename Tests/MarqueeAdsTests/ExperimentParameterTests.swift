import MarqueeCore
import Testing

@testable import MarqueeAds

/// The ad decision's settings that experiments vary.
@Suite struct ExperimentParameterTests {
    static let campaign = Campaign(
        id: CampaignID(trusted: "k1"), advertiserID: AdvertiserID(trusted: "a1"), name: "Capped",
        startsAt: Timestamp(secondsSinceEpoch: 0), endsAt: Timestamp(secondsSinceEpoch: 86_400), totalBudgetCents: 1_000,
        cpmBidCents: 500, capPerDay: 3, capPerWeek: 10, capPerSession: 2)

    @Test func capsCanBeTurnedOff() {
        var c = AdDecisionConfiguration()
        #expect(c.caps(of: Self.campaign) == (3, 10, 2))
        c.capScale = 2
        #expect(c.caps(of: Self.campaign) == (6, 20, 4))
        c.capsEnabled = false
        #expect(c.caps(of: Self.campaign) == (nil, nil, nil))
        c.capPerDayOverride = 1
        #expect(c.caps(of: Self.campaign) == (nil, nil, nil))
    }
}
