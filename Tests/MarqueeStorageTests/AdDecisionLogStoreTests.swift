import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// The ad decision log and the beacons' ad events, on every backend (the ledger's part of them is in
/// DeliveryLedgerTests).
@Suite struct AdDecisionLogStoreTests {
    static let t0 = Timestamp(iso8601: "2026-12-01T20:00:00Z")!

    /// The small dataset with advertiser a1, campaign k1 and creatives c1, c2.
    static func world() -> Dataset {
        var data = smallDataset()
        data.advertisers = [Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")]
        data.campaigns = [AdBookStoreTests.campaign("k1")]
        data.creatives = [AdBookStoreTests.creative("c1", campaign: "k1"), AdBookStoreTests.creative("c2", campaign: "k1")]
        return data
    }

    static func record(_ id: String, viewer: String, at time: Timestamp, ads: Int = 2) -> AdDecisionRecord {
        AdDecisionRecord(
            decisionID: DecisionID(trusted: id), profileKey: viewer, personalized: viewer.hasPrefix("p"), titleID: TitleID(trusted: "t1"),
            servedAt: time, breakKind: "mid-roll", device: .tv, daypart: .evening, sessionID: SessionID(trusted: "s-\(viewer)"),
            plan: .basicWithAds, region: "us-west", viewerGenres: ["Drama"], contentGenres: ["Crime"],
            ads: (0..<ads).map { slot in
                LoggedAd(
                    slot: slot, creativeID: CreativeID(trusted: "c\(slot + 1)"), campaignID: CampaignID(trusted: "k1"),
                    advertiserID: AdvertiserID(trusted: "a1"), category: "retail", durationSeconds: 15, cpmCents: 1_200, pCTR: 0.0125,
                    propensity: 0.5, explored: slot == 1, exposuresWeek: slot, sessionAds: 0)
            }, reasons: ["a reason"])
    }

    static func adEvent(
        _ id: String, _ type: EventType, viewer: String, decision: String?, rank: Int?, creative: String = "c1", at time: Timestamp
    ) -> Event {
        Event(
            id: EventID(trusted: id), profileID: ProfileID(trusted: viewer), type: type, timestamp: time,
            decisionID: decision.map(DecisionID.init(trusted:)), rank: rank, creativeID: CreativeID(trusted: creative),
            campaignID: CampaignID(trusted: "k1"))
    }

    /// Records read back whole, by id and in serving order after a position; a stored id is skipped.
    @Test(arguments: StoreFactory.all)
    func decisionsReadBackInServingOrder(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let a = Self.record("d-a", viewer: "p1", at: Self.t0)
            let b = Self.record("d-b", viewer: "ctx-9", at: Self.t0, ads: 1)
            let c = Self.record("d-c", viewer: "p2", at: Self.t0.adding(seconds: -60), ads: 0)
            try await store.appendAdDecisions([a, b])
            var changed = a
            changed.reasons = ["changed"]
            try await store.appendAdDecisions([c, changed])
            #expect(try await store.adDecisionCount() == 3)
            #expect(try await store.adDecision(id: a.decisionID) == a)
            #expect(try await store.adDecision(id: DecisionID(trusted: "d-none")) == nil)
            #expect(try await store.adDecisions(after: nil, limit: 10) == [c, a, b])
            #expect(try await store.adDecisions(after: (c.servedAt, c.decisionID), limit: 1) == [a])
            #expect(try await store.adDecisions(after: (Self.t0, a.decisionID), limit: 10) == [b])
        }
    }

    /// A beacon's event goes to the event log when its viewer has a profile, else among the contextual ad events;
    /// a replay is a duplicate; a missing creative or a viewing event is refused; outcomes come from both logs.
    @Test(arguments: StoreFactory.all)
    func beaconsAreRecordedOnceInTheRightLog(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(Self.world(), into: store)
            let start = try await store.eventLogEnd()
            let known = Self.adEvent("b1", .adImpression, viewer: "p1", decision: "d-a", rank: 0, at: Self.t0)
            let contextual = Self.adEvent("b2", .adImpression, viewer: "ctx-9", decision: "d-b", rank: 1, creative: "c2", at: Self.t0)
            let click = Self.adEvent("b3", .adClick, viewer: "ctx-9", decision: "d-b", rank: 1, creative: "c2", at: Self.t0)
            #expect(try await store.appendBeaconEvent(known, receivedAt: Self.t0) == .inserted)
            #expect(try await store.appendBeaconEvent(contextual, receivedAt: Self.t0) == .inserted)
            #expect(try await store.appendBeaconEvent(click, receivedAt: Self.t0) == .inserted)
            for replay in [known, contextual, click] {
                #expect(try await store.appendBeaconEvent(replay, receivedAt: Self.t0) == .duplicate)
            }
            let ghost = Self.adEvent("b4", .adImpression, viewer: "ctx-9", decision: nil, rank: nil, creative: "c9", at: Self.t0)
            #expect(
                try await store.appendBeaconEvent(ghost, receivedAt: Self.t0)
                    == .rejected(EventProblem(code: "unknown_creative", message: "no creative with id 'c9'")))
            let play = StoreContractTests.play("b5", "p1", "t1", at: Self.t0)
            if case .rejected(let problem) = try await store.appendBeaconEvent(play, receivedAt: Self.t0) {
                #expect(problem.code == "invalid_value")
            } else {
                Issue.record("a play was recorded as a beacon's event")
            }

            let logged = try await store.events(afterSequence: start.events, limit: 10)
            #expect(logged.map(\.event) == [known])
            let contextualLog = try await store.contextualAdEvents(afterSequence: start.contextualAdEvents, limit: 10)
            #expect(contextualLog.map(\.event) == [contextual, click])
            #expect(contextualLog[0].sequence < contextualLog[1].sequence)
            #expect(try await store.eventLogEnd().contextualAdEvents == contextualLog[1].sequence)
            #expect(try await store.adEvents(afterSequence: start.events, limit: 10).map(\.event) == [known])

            let outcomes = try await store.adOutcomes(of: [
                DecisionID(trusted: "d-a"), DecisionID(trusted: "d-b"), DecisionID(trusted: "d-x"),
            ])
            #expect(outcomes[DecisionID(trusted: "d-a")] == AdSlotOutcomes(shown: [0]))
            #expect(outcomes[DecisionID(trusted: "d-b")] == AdSlotOutcomes(shown: [1], clicked: [1]))
            #expect(outcomes[DecisionID(trusted: "d-x")] == nil)
        }
    }
}
