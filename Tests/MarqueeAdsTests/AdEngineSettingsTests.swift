import Foundation
import MarqueeCore
import MarqueeKernels
import Testing

@testable import MarqueeAds

/// The pacer takes the ledger's spend in place of its own, and the engine-wide settings are honoured.
@Suite struct AdEngineSettingsTests {
    typealias F = PacingFixture

    /// A one-day flight of 1,000 cents (1,000,000 millicents) at 2,000 millicents an impression.
    @Test func aResynchronizedPacerPacesWhatTheLedgerLeft() {
        var pacer = PacingStateMachine(campaign: F.campaign(totalCents: 1000), at: F.midnight)
        #expect(pacer.charged(millicents: 2000, at: F.at(hours: 1)) == .none)
        // Other servers spent 998,000 more in all, 997,000 of them today: 1,000 left, less than one impression.
        let action = pacer.resynchronize(spentTotalMillicents: 999_000, spentTodayMillicents: 998_000, at: F.at(hours: 2))
        #expect(action == .totalBudgetSpent)
        #expect(pacer.spentTotalMillicents == 999_000 && pacer.spentTodayMillicents == 998_000)
        #expect(pacer.remainingTotalMillicents == 1000)
        #expect(pacer.opportunity(at: F.at(hours: 3), draw: 0) == .skip(.totalBudgetSpent))
        // A ledger that says less was spent (a refund) reopens it.
        #expect(pacer.resynchronize(spentTotalMillicents: 10_000, spentTodayMillicents: 9_000, at: F.at(hours: 4)) == .none)
        #expect(pacer.spentTodayMillicents == 9_000 && pacer.remainingTotalMillicents == 990_000)
        if case .participate = pacer.opportunity(at: F.at(hours: 5), draw: 0) {} else { Issue.record("still closed") }
    }

    func abandonCounts(slackMs: Int64) -> Bool {
        var configuration = AdDecisionConfiguration()
        configuration.explorationShare = 0
        configuration.abandonSlackMs = slackMs
        let engine = AdDecisionEngine(
            inventory: AdBookFixture.inventory(), configuration: configuration, clickModel: ClickModelBox(CampaignMeanPredictor()))
        let t0 = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        let pod = engine.decide(AdBookFixture.request(at: t0, maxPod: 15), decisionID: "d1")
        var event = AdBookFixture.impression(pod, pod.ads[0], at: t0)
        engine.observe([event])
        // The 15 s ad ends at t0 + 15 s; the viewer leaves 3 s after that.
        event.id = EventID(trusted: "ab")
        event.type = .abandon
        event.titleID = TitleID(trusted: "t1")
        event.timestamp = Timestamp(millisecondsSinceEpoch: t0 + 18_000)
        engine.observe([event])
        let next = engine.decide(AdBookFixture.request(at: t0 + 60_000, maxPod: 120), decisionID: "d2")
        return next.reasons.contains { $0.contains("1 abandon this session") }
    }

    @Test func theAbandonSlackIsTheEngines() {
        #expect(abandonCounts(slackMs: 5_000))  // the default: within 5 s of the ad's end
        #expect(!abandonCounts(slackMs: 2_000))
    }

    func sessionsLeft(generationMs: Int64) -> Int {
        var configuration = AdDecisionConfiguration()
        configuration.sessionGenerationMs = generationMs
        let engine = AdDecisionEngine(
            inventory: AdBookFixture.inventory(), configuration: configuration, clickModel: ClickModelBox(CampaignMeanPredictor()))
        let t0 = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        _ = engine.decide(AdBookFixture.request(at: t0, session: "a"), decisionID: "a")
        // The first sweep starts a generation; each later one a generation past it starts the next and
        // drops the one before the current.
        for hours: Int64 in 1...3 { engine.sweep(now: Timestamp(millisecondsSinceEpoch: t0 + hours * 3_600_000)) }
        return engine.sessionCount
    }

    @Test func sessionsLastTheConfiguredGenerations() {
        #expect(sessionsLeft(generationMs: 3_600_000) == 0)  // rotated at +2 h and +3 h: dropped
        #expect(sessionsLeft(generationMs: 3 * 3_600_000) == 1)  // the default: no rotation yet
    }

    @Test func aMissingAnswerOrASessionCapRefusalIsSaid() throws {
        let engine = AdBookFixture.engine(AdBookFixture.inventory(), exploration: 0)
        let now = AdBookFixture.start.millisecondsSinceEpoch + 86_400_000
        let proposal = engine.propose(AdBookFixture.request(at: now), decisionID: "p", configuration: engine.configuration)
        try #require(proposal.reservations.count >= 2)
        let r = proposal.reservations
        let pod = engine.complete(proposal, outcomes: [.sessionCapReached])
        #expect(pod.ads.isEmpty)
        #expect(pod.reasons.contains("\(r[0].creativeID.rawValue): session cap reached (another server took it)"))
        #expect(pod.reasons.contains("\(r[1].creativeID.rawValue): no answer from the delivery ledger"))
        #expect(pod.reasons.last == "no creative fits the pod: the delivery ledger refused every proposed ad")
        // The same session is not offered that campaign again; another session of the viewer is.
        let same = engine.propose(AdBookFixture.request(at: now + 1000), decisionID: "q", configuration: engine.configuration)
        #expect(!same.reservations.map(\.campaignID).contains(r[0].campaignID))
        let other = engine.propose(
            AdBookFixture.request(at: now + 2000, session: "s2"), decisionID: "r", configuration: engine.configuration)
        #expect(other.reservations.first?.campaignID == r[0].campaignID)
    }
}
