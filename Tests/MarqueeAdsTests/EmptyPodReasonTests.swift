import Foundation
import MarqueeCore
import Testing

@testable import MarqueeAds

/// An empty pod says why, with the real cause: each cause set up alone, and its words checked.
@Suite struct EmptyPodReasonTests {
    let day: Int64 = 86_400_000

    func reasons(_ campaigns: [Campaign], _ request: AdRequest, before: ((AdDecisionEngine) -> Void)? = nil) -> [String] {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(campaigns), exploration: 0)
        before?(engine)
        let pod = engine.decide(request, decisionID: "probe")
        #expect(pod.ads.isEmpty, "\(pod.ads.map(\.campaignID))")
        return pod.reasons
    }

    func says(_ reasons: [String], _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reasons.contains { $0.contains(phrase) }, "\(reasons) should say '\(phrase)'", sourceLocation: sourceLocation)
    }

    @Test func flightsEndedOrNotStarted() {
        let all = (0..<6).map { AdBookFixture.campaign($0) }
        let start = AdBookFixture.start.millisecondsSinceEpoch
        says(reasons(all, AdBookFixture.request(at: start + 61 * day)), "no eligible campaign: 6 flights ended")
        says(reasons(all, AdBookFixture.request(at: start - day)), "no eligible campaign: 6 flights not started yet")
        var mixed = all
        mixed[0].endsAt = Timestamp(millisecondsSinceEpoch: start + 2 * day)
        for k in 1..<6 { mixed[k].startsAt = Timestamp(millisecondsSinceEpoch: start + 40 * day) }
        says(reasons(mixed, AdBookFixture.request(at: start + 10 * day)), "1 flight ended, 5 flights not started yet")
    }

    @Test func notTargetedAndNotActive() {
        var campaigns = (0..<4).map { AdBookFixture.campaign($0, targeting: Targeting(devices: [.mobile])) }
        campaigns.append(AdBookFixture.campaign(4, targeting: Targeting(regions: ["us-west"])))
        var paused = AdBookFixture.campaign(5)
        paused.status = .paused
        campaigns.append(paused)
        let r = reasons(campaigns, AdBookFixture.request(device: .tv))
        says(r, "1 paused")
        says(r, "5 not targeted at this request (device: 4, region: 1)")
        #expect(!r.joined().contains("budget"))
    }

    @Test func budgetsCapsAndPacing() {
        let at = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        // One impression's price is the whole budget: the first decision reserves it, the next finds it spent.
        func fast(_ c: Campaign) -> Campaign {
            var c = c
            c.pacing = .asFastAsPossible
            return c
        }
        let total = [fast(AdBookFixture.campaign(0, cpm: 1000, budget: 1))]
        says(
            reasons(total, AdBookFixture.request(at: at + 60_000, seed: 2)) { engine in
                #expect(engine.decide(AdBookFixture.request(at: at, seed: 1), decisionID: "first").ads.count == 1)
            }, "1 total budget spent")
        let daily = [fast(AdBookFixture.campaign(0, cpm: 1000, budget: 1_000_000, daily: 1))]
        says(
            reasons(daily, AdBookFixture.request(at: at + 60_000, seed: 2)) { engine in
                #expect(engine.decide(AdBookFixture.request(at: at, seed: 1), decisionID: "first").ads.count == 1)
            }, "1 daily budget spent for today")
        let capped = [AdBookFixture.campaign(0, capDay: 1)]
        says(
            reasons(capped, AdBookFixture.request(at: at + 60_000, seed: 2)) { engine in
                #expect(engine.decide(AdBookFixture.request(at: at, seed: 1), decisionID: "first").ads.count == 1)
            }, "1 capped for this viewer")
    }

    @Test func noCreativeFits() {
        let all = (0..<6).map { AdBookFixture.campaign($0) }
        // The fixture's creatives are 15 s and 30 s.
        says(
            reasons(all, AdBookFixture.request(maxPod: 10)),
            "no creative fits the pod: no active creative of the 6 eligible campaigns is 10 s or shorter")
    }
}
