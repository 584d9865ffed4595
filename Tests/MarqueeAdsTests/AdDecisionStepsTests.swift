import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// Each step of the decision alone, on hand-made inputs with hand-computed expectations.
@Suite struct AdDecisionStepsTests {
    let now = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000

    func fast(_ c: Campaign) -> Campaign {
        var c = c
        c.pacing = .asFastAsPossible
        return c
    }

    @Test func staticEligibilityKeepsFlightStatusAndTargeting() {
        var paused = AdBookFixture.campaign(2)
        paused.status = .paused
        var ended = AdBookFixture.campaign(3)
        ended.endsAt = Timestamp(millisecondsSinceEpoch: now - 1)
        let campaigns = [
            AdBookFixture.campaign(0), AdBookFixture.campaign(1, targeting: Targeting(devices: [.mobile])), paused, ended,
            AdBookFixture.campaign(4, targeting: Targeting(regions: ["us-northeast"])),
        ]
        let inventory = AdBookFixture.inventory(campaigns)
        let request = AdBookFixture.request(at: now, device: .tv)
        let bits = AdInventory.RequestBits(request, plan: .basicWithAds)
        #expect(AdDecisionSteps.staticallyEligible(inventory, request, bits: bits, region: "us-northeast") == [0, 4])
    }

    @Test func dynamicEligibilityCountsEachCause() {
        let campaigns = [
            fast(AdBookFixture.campaign(0, cpm: 1000, budget: 1)),  // 1 cent = one impression at $10 CPM
            fast(AdBookFixture.campaign(1, capDay: 1)),
            fast(AdBookFixture.campaign(2)),
            fast(AdBookFixture.campaign(3, cpm: 1000, daily: 1)),
        ]
        let inventory = AdBookFixture.inventory(campaigns)
        var state = DeliveryState()
        state.resize(campaigns: 4)
        state.campaigns[0].spent = 1000  // the whole total budget
        state.campaigns[3].day = DeliveryState.day(now)
        state.campaigns[3].spentToday = 1000  // the whole daily budget
        state.campaigns[3].spent = 1000
        state.addExposure("p1", campaign: 1, at: now - 60_000)
        let request = AdBookFixture.request(at: now)
        var rng = SeededGenerator(seed: 1)
        let out = AdDecisionSteps.dynamicallyEligible(
            &state, inventory: inventory, campaigns: [0, 1, 2, 3], request: request, configuration: AdDecisionConfiguration(), rng: &rng)
        #expect(out.live == [AdDecisionSteps.LiveCampaign(campaign: 2, exposuresDay: 0, exposuresWeek: 0, pacing: 1)])
        #expect((out.brokeTotal, out.brokeToday, out.capped, out.paced) == (1, 1, 1, 0))

        // A configuration that allows two a day lets the capped campaign in, with its one exposure.
        var twice = AdDecisionConfiguration()
        twice.capPerDayOverride = 2
        let relaxed = AdDecisionSteps.dynamicallyEligible(
            &state, inventory: inventory, campaigns: [1], request: request, configuration: twice, rng: &rng)
        #expect(relaxed.live == [AdDecisionSteps.LiveCampaign(campaign: 1, exposuresDay: 1, exposuresWeek: 1, pacing: 1)])
    }

    @Test func podLimitsShrinkWithSkipsAndAbandons() {
        var session = DeliveryState.SessionHistory()
        let fresh = AdDecisionSteps.podLimits(session: session, maxPodSeconds: 120, configuration: AdDecisionConfiguration())
        #expect(fresh.seconds == 120 && fresh.ads == 4 && fresh.reason == nil)
        session.skips = 1
        session.abandons = 1
        // 120 × 0.75^(1 + 2×1) = 50.625 → 50 s; 4 − 1 abandon − 1/2 skips → 3 ads.
        let shrunk = AdDecisionSteps.podLimits(session: session, maxPodSeconds: 120, configuration: AdDecisionConfiguration())
        #expect(shrunk.seconds == 50 && shrunk.ads == 3)
        #expect(shrunk.reason == "pod shortened to 50 s and 3 ads: 1 skip and 1 abandon this session")
        var c = AdDecisionConfiguration()
        c.skipShrink = 0.5
        c.abandonWeight = 1
        c.adsRemovedPerAbandon = 3
        // 120 × 0.5^2 = 30 s; max(1, 4 − 3) = 1 ad.
        let other = AdDecisionSteps.podLimits(session: session, maxPodSeconds: 120, configuration: c)
        #expect(other.seconds == 30 && other.ads == 1)
    }

    @Test func scoringMultipliesCPMQualityAndFatigue() {
        let inventory = AdBookFixture.inventory([AdBookFixture.campaign(0, cpm: 1000), AdBookFixture.campaign(2, cpm: 1500)])
        let live = [
            AdDecisionSteps.LiveCampaign(campaign: 0, exposuresDay: 1, exposuresWeek: 3, pacing: 1),
            AdDecisionSteps.LiveCampaign(campaign: 1, exposuresDay: 0, exposuresWeek: 0, pacing: 0.5),
        ]
        var session = DeliveryState.SessionHistory()
        session.creativeServed[2] = 1  // cr2-0, shown once this session
        // Only the 15 s creatives fit in 20 s: cr0-0 (index 0) and cr2-0 (index 2), predicted in that order.
        var asked = 0
        let candidates = AdDecisionSteps.score(
            live, session: session, maxSeconds: 20, inventory: inventory, request: AdBookFixture.request(at: now),
            configuration: AdDecisionConfiguration(), meanCTR: 0.01,
            predict: { features in
                asked = features.count
                return [0.03, 0.008]
            })
        #expect(asked == 2)
        #expect(candidates.map(\.creative) == [0, 2])
        // cr0-0: quality 0.03/0.01 = 3 → clamped to 2; fatigue 0.9^1 (one exposure today): 1000 × 2 × 0.9 = 1800.
        #expect(abs(candidates[0].score - 1800) < 1e-9)
        #expect(candidates[0].quality == 2 && abs(candidates[0].fatigue - 0.9) < 1e-12)
        // cr2-0: quality 0.8; fatigue 0.6^1 (a repeat): 1500 × 0.8 × 0.6 = 720.
        #expect(abs(candidates[1].score - 720) < 1e-9)
        #expect(candidates[1].repeats == 1 && candidates[1].pacing == 0.5)
        #expect(candidates[1].reason(inventory.campaigns[1].campaign).contains("already shown 1× this session"))
    }

    func candidate(_ creative: Int, _ campaign: Int, score: Double, tier: Int = 1) -> AdDecisionSteps.Candidate {
        AdDecisionSteps.Candidate(
            creative: creative, campaign: campaign, tier: tier, score: score, pCTR: 0.01, features: [], quality: 1, fatigue: 1, repeats: 0,
            pacing: 1, exposuresWeek: 0)
    }

    @Test func packingKeepsExclusivityAndLimits() {
        // The fixture: advertisers 0 and 1 are both automotive; creatives i-0 are 15 s, i-1 30 s.
        let inventory = AdBookFixture.inventory()
        let sorted = [
            candidate(0, 0, score: 40),  // cr0-0, 15 s, automotive
            candidate(2, 1, score: 30),  // cr1-0, 15 s, automotive too: excluded after cr0-0
            candidate(5, 2, score: 20),  // cr2-1, 30 s
            candidate(6, 3, score: 10),  // cr3-0, 15 s: no room left after 15 + 30
        ]
        var rng = SeededGenerator(seed: 9)
        let pod = AdDecisionSteps.pack(sorted, maxSeconds: 45, maxAds: 4, inventory: inventory, explorationShare: 0, rng: &rng)
        #expect(pod.map(\.candidate.creative) == [0, 5])
        #expect(pod.allSatisfy { $0.propensity == 1 && !$0.explored })
        let one = AdDecisionSteps.pack(sorted, maxSeconds: 45, maxAds: 1, inventory: inventory, explorationShare: 0, rng: &rng)
        #expect(one.map(\.candidate.creative) == [0])
        // Always exploring: each slot is uniform over the feasible ads of the best tier. Slot 0 has 4 of them.
        let explored = AdDecisionSteps.pack(sorted, maxSeconds: 45, maxAds: 1, inventory: inventory, explorationShare: 1, rng: &rng)
        #expect(explored.count == 1 && explored[0].propensity == 0.25)
        // A better tier is never explored away from: the sponsorship stays first.
        let tiers = [candidate(6, 3, score: 1, tier: 0), candidate(0, 0, score: 40), candidate(5, 2, score: 20)]
        let sponsored = AdDecisionSteps.pack(tiers, maxSeconds: 15, maxAds: 1, inventory: inventory, explorationShare: 1, rng: &rng)
        #expect(sponsored.map(\.candidate.creative) == [6] && sponsored[0].propensity == 1)
    }
}

/// The configuration is per request: one engine, requests with different configurations.
@Suite struct AdDecisionConfigurationTests {
    let now = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000

    @Test func requestsWithDifferentConfigurationsGetPodsAsTheirConfigurationsSay() {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0)
        var one = AdDecisionConfiguration()
        one.explorationShare = 0
        one.maxAdsPerPod = 1
        one.skippableFromSeconds = 31  // nothing in the fixture (15 s and 30 s) is skippable
        let base = engine.decide(AdBookFixture.request(profile: "a", at: now, session: "sa"), decisionID: "a")
        let single = engine.decide(AdBookFixture.request(profile: "b", at: now, session: "sb"), decisionID: "b", configuration: one)
        #expect(base.maxAds == 4 && base.ads.count >= 2)
        #expect(single.maxAds == 1 && single.ads.count == 1)
        #expect(single.ads[0].creativeID == base.ads[0].creativeID)  // the same best ad, alone
        #expect(base.ads.allSatisfy { $0.skipOffsetSeconds == ($0.durationSeconds >= 15 ? 5 : nil) })
        #expect(single.ads.allSatisfy { $0.skipOffsetSeconds == nil })

        var short = AdDecisionConfiguration()
        short.maxPodSeconds = 15
        let capped = engine.decide(AdBookFixture.request(profile: "c", at: now, session: "sc"), decisionID: "c", configuration: short)
        #expect(capped.maxPodSeconds == 15 && capped.ads.count == 1 && capped.totalSeconds == 15)

        // Caps: with a daily cap of 1 for every campaign, a viewer's second pod has none of the first's campaigns.
        var capOne = AdDecisionConfiguration()
        capOne.explorationShare = 0
        capOne.capPerDayOverride = 1
        let first = engine.decide(AdBookFixture.request(profile: "d", at: now, session: "d1"), decisionID: "d1", configuration: capOne)
        let again = engine.decide(
            AdBookFixture.request(profile: "d", at: now + 60_000, session: "d2"), decisionID: "d2", configuration: capOne)
        #expect(!first.ads.isEmpty)
        #expect(Set(first.ads.map(\.campaignID)).isDisjoint(with: again.ads.map(\.campaignID)))
        // Without the override (the book has no caps), the same viewer gets the same best campaign again.
        let uncapped = engine.decide(AdBookFixture.request(profile: "d", at: now + 120_000, session: "d3"), decisionID: "d3")
        #expect(uncapped.ads.first?.campaignID == first.ads.first?.campaignID)
    }

    @Test func capScaleRoundsAndKeepsAtLeastOne() {
        var c = AdDecisionConfiguration()
        let campaign = AdBookFixture.campaign(0, capDay: 3, capWeek: 10, capSession: 1)
        #expect(c.caps(of: campaign) == (3, 10, 1))
        c.capScale = 0.5
        #expect(c.caps(of: campaign) == (2, 5, 1))  // 1.5 → 2, 5, 0.5 → 1 (at least one)
        c.capPerWeekOverride = 7
        #expect(c.caps(of: campaign) == (2, 7, 1))
        #expect(c.caps(of: AdBookFixture.campaign(1)) == (nil, 7, nil))
    }
}

/// The reservation seam: propose, a ledger's answers, complete.
@Suite struct AdReservationSeamTests {
    let now = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000

    @Test func proposalsCarryOneReservationPerAdWithPriceBudgetsAndCaps() throws {
        var campaigns = (0..<6).map { i in
            var c = AdBookFixture.campaign(i, cpm: 1000 + 200 * Int64(i), budget: 5_000 + Int64(i))
            c.pacing = .asFastAsPossible  // no pacing draw: every campaign takes part
            return c
        }
        campaigns[5].dailyBudgetCents = 700
        campaigns[5].capPerDay = 2
        campaigns[5].capPerWeek = 9
        campaigns[5].capPerSession = 1
        let engine = AdBookFixture.engine(AdBookFixture.inventory(campaigns), exploration: 0)
        let request = AdBookFixture.request(at: now)
        let proposal = engine.propose(request, decisionID: "p1", configuration: engine.configuration)
        #expect(proposal.reservations.count >= 3)
        #expect(proposal.reservations.map(\.order) == Array(0..<proposal.reservations.count))
        let first = proposal.reservations[0]
        // The best bid is campaign 5's ($20 CPM): 2000 millicents an impression.
        #expect(first.campaignID.rawValue == "cmp5")
        #expect(first.priceMillicents == 2000)
        #expect(first.totalBudgetMillicents == 5_005_000)
        #expect(first.dailyBudgetMillicents == 700_000)
        #expect(first.capPerDay == 2 && first.capPerWeek == 9 && first.capPerSession == 1)
        #expect(first.decisionID.rawValue == "p1" && first.profileKey == "p1" && first.sessionID?.rawValue == "s1")
        #expect(first.servedAt == request.now)
        #expect(proposal.reservations[1].dailyBudgetMillicents == nil)
        // Proposing reserves nothing.
        #expect(engine.delivery(of: CampaignID(trusted: "cmp5"))!.reserved == 0)
        #expect(engine.pendingCount == 0)
    }

    @Test func completeServesTheGrantedAdsAndLearnsFromRefusals() throws {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0)
        let proposal = engine.propose(AdBookFixture.request(at: now), decisionID: "p1", configuration: engine.configuration)
        try #require(proposal.reservations.count >= 3)
        let r = proposal.reservations
        let pod = engine.complete(
            proposal, outcomes: [.granted(slot: 0), .dailyBudgetSpent, .granted(slot: 1)] + r.dropFirst(3).map { _ in .dailyCapReached })
        #expect(pod.ads.map(\.creativeID) == [r[0].creativeID, r[2].creativeID])
        #expect(pod.ads.map(\.slot) == [0, 1])
        #expect(pod.reasons.contains("\(r[1].creativeID.rawValue): daily budget spent (another server took it)"), "\(pod.reasons)")
        // Only the granted ads are reserved and pending (one impression each at the campaign's bid).
        #expect(engine.pendingCount == 2)
        #expect(engine.delivery(of: r[0].campaignID)!.reserved == r[0].priceMillicents)
        #expect(engine.delivery(of: r[1].campaignID)!.reserved == 0)

        // The next proposal, for another viewer, leaves out the campaign whose daily budget the ledger spent …
        let next = engine.propose(
            AdBookFixture.request(profile: "p2", at: now + 1000), decisionID: "p2", configuration: engine.configuration)
        #expect(!next.reservations.map(\.campaignID).contains(r[1].campaignID))
        // … and, for the same viewer, the campaigns the ledger said were capped for them today.
        if r.count > 3 {
            let same = engine.propose(
                AdBookFixture.request(at: now + 2000, session: "s2"), decisionID: "p3", configuration: engine.configuration)
            #expect(Set(same.reservations.map(\.campaignID)).isDisjoint(with: r.dropFirst(3).map(\.campaignID)))
        }
        // A refresh from the ledger replaces the figures and forgets the refusals.
        engine.refresh(
            totals: [
                CampaignDeliveryTotals(
                    campaignID: r[1].campaignID, spentMillicents: 7_000, reservedMillicents: 2_000, spentTodayMillicents: 3_000,
                    reservedTodayMillicents: 1_000, impressions: 5)
            ], day: DeliveryDay.of(milliseconds: now))
        let d = try #require(engine.delivery(of: r[1].campaignID))
        #expect(d.spent == 7_000 && d.reserved == 2_000 && d.spentToday == 3_000 && d.impressions == 5)
        let after = engine.propose(
            AdBookFixture.request(profile: "p2", at: now + 3000), decisionID: "p4", configuration: engine.configuration)
        #expect(after.reservations.map(\.campaignID).contains(r[1].campaignID))
    }

    /// `decide` is propose, the local grant, complete: a second engine that proposes and completes with
    /// every ad granted serves the same pods.
    @Test func decideEqualsProposeAndCompleteWithEverythingGranted() {
        let a = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0.3)
        let b = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0.3)
        for k in 0..<200 {
            let request = AdBookFixture.request(
                profile: "p\(k % 7)", at: now + Int64(k) * 60_000, session: "s\(k % 11)", maxPod: [30, 60, 120][k % 3], seed: UInt64(k))
            let decided = a.decide(request, decisionID: "d\(k)")
            let proposal = b.propose(request, decisionID: "d\(k)", configuration: b.configuration)
            let completed = b.complete(proposal, outcomes: proposal.reservations.indices.map { .granted(slot: $0) })
            #expect(decided.ads == completed.ads)
            #expect(decided.reasons == completed.reasons)
        }
    }

    @Test func aRefreshedSpendStopsTheCampaign() {
        var campaign = AdBookFixture.campaign(2, cpm: 2000, budget: 200)  // $2.00 = 100 impressions at $20 CPM
        campaign.pacing = .asFastAsPossible
        let engine = AdBookFixture.engine(AdBookFixture.inventory([campaign]), exploration: 0)
        #expect(engine.decide(AdBookFixture.request(profile: "a", at: now), decisionID: "a").ads.count == 1)
        // The ledger says other servers spent all but one impression's price, and one is reserved.
        engine.refresh(
            totals: [
                CampaignDeliveryTotals(
                    campaignID: campaign.id, spentMillicents: 198_000, reservedMillicents: 2_000, spentTodayMillicents: 198_000,
                    reservedTodayMillicents: 2_000, impressions: 99)
            ], day: DeliveryDay.of(milliseconds: now))
        let pod = engine.decide(AdBookFixture.request(profile: "b", at: now + 1000), decisionID: "b")
        #expect(pod.ads.isEmpty)
        #expect(pod.reasons.contains { $0.contains("1 total budget spent") }, "\(pod.reasons)")
    }
}
