import Foundation
import Logging
import MarqueeAds
import MarqueeCore
import MarqueeRuntime
import MarqueeStorage
import Synchronization
import Testing

/// The CTR model shared through the store: learned from every process's settled decisions, joined to
/// impressions and clicks in both event logs, and adopted by the other processes instead of relearned.
@Suite struct CTRLearnerTests {
    static let t0 = Timestamp(iso8601: "2026-12-01T20:00:00Z")!
    static let logger = Logger(label: "test")

    final class Clock: Sendable {
        let now: Mutex<Timestamp>
        init(_ t: Timestamp) { now = Mutex(t) }
        func set(_ t: Timestamp) { now.withLock { $0 = t } }
        var read: @Sendable () -> Timestamp { { [self] in now.withLock { $0 } } }
    }

    static func path() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ctr-learner-\(UUID().uuidString).sqlite").path
    }

    /// Advertiser a1 with campaigns k1 and k2 (one creative each, `k1-c`, `k2-c`) and profiles p1, p2.
    static func store(at path: String) async throws -> SQLiteStore {
        let store = try SQLiteStore(path: path)
        try await store.upsertAdvertisers([Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")])
        try await store.upsertCampaigns(
            ["k1", "k2"].map {
                Campaign(
                    id: CampaignID(trusted: $0), advertiserID: AdvertiserID(trusted: "a1"), name: $0, startsAt: t0.adding(seconds: -86_400),
                    endsAt: t0.adding(seconds: 86_400), totalBudgetCents: 100_000, cpmBidCents: 1200)
            })
        try await store.upsertCreatives(
            ["k1", "k2"].map {
                Creative(
                    id: CreativeID(trusted: "\($0)-c"), campaignID: CampaignID(trusted: $0), name: $0, durationSeconds: 15,
                    mediaURL: "https://ads.example/\($0).mp4", clickURL: "https://acme.example", category: $0 == "k1" ? "retail" : "auto")
            })
        try await store.upsertProfiles(
            ["p1", "p2"].map { Profile(id: ProfileID(trusted: $0), plan: .basicWithAds, region: "us-west", createdAt: t0) })
        return store
    }

    /// Decision `id` for `viewer` at `seconds` after t0: slot 0 of k1, slot 1 of k2.
    static func record(_ id: String, viewer: String, at seconds: Double, device: Device) -> AdDecisionRecord {
        AdDecisionRecord(
            decisionID: DecisionID(trusted: id), profileKey: viewer, personalized: viewer.hasPrefix("p"), titleID: TitleID(trusted: "t1"),
            servedAt: t0.adding(seconds: seconds), breakKind: "midroll", device: device, daypart: .evening, sessionID: nil,
            plan: .basicWithAds, region: "us-west", viewerGenres: viewer == "p1" ? ["drama"] : [], contentGenres: ["drama"],
            ads: ["k1", "k2"].enumerated().map { slot, campaign in
                LoggedAd(
                    slot: slot, creativeID: CreativeID(trusted: "\(campaign)-c"), campaignID: CampaignID(trusted: campaign),
                    advertiserID: AdvertiserID(trusted: "a1"), category: campaign == "k1" ? "retail" : "auto", durationSeconds: 15,
                    cpmCents: 1200, pCTR: 0.01, propensity: 1, explored: false, exposuresWeek: 0, sessionAds: 0)
            }, reasons: [])
    }

    static func adEvent(_ type: EventType, _ record: AdDecisionRecord, slot: Int, after seconds: Double) -> Event {
        let ad = record.ads[slot]
        return Event(
            id: EventID(trusted: "\(type.rawValue)-\(record.decisionID.rawValue)-\(slot)"),
            profileID: ProfileID(trusted: record.profileKey),
            type: type, timestamp: record.servedAt.adding(seconds: seconds), decisionID: record.decisionID, context: EventContext(),
            rank: slot, creativeID: ad.creativeID, campaignID: ad.campaignID)
    }

    /// Twelve decisions a minute apart, alternating a viewer with a profile (its events in the event log)
    /// and one without (its events among the contextual ad events); by hand, which slots were shown and clicked.
    static func world(_ store: SQLiteStore) async throws -> (records: [AdDecisionRecord], labels: [String: [Int: Bool]]) {
        var records: [AdDecisionRecord] = []
        var labels: [String: [Int: Bool]] = [:]
        for i in 0..<12 {
            let viewer = i % 2 == 0 ? "p\(1 + i % 4 / 2)" : "anon-\(i)"
            let r = record(String(format: "a-%04d", i), viewer: viewer, at: Double(i) * 60, device: i % 3 == 0 ? .tv : .mobile)
            records.append(r)
            // Slot 0 is shown in every decision but the fourth ones; slot 1 in every third; clicks on a few shown ones.
            var shown: [Int: Bool] = [:]
            if i % 4 != 3 { shown[0] = i % 5 == 0 }
            if i % 3 == 0 { shown[1] = i == 3 || i == 9 }
            labels[r.decisionID.rawValue] = shown
        }
        try await store.appendAdDecisions(records)
        for r in records {
            for (slot, clicked) in labels[r.decisionID.rawValue]!.sorted(by: { $0.key < $1.key }) {
                var events = [adEvent(.adImpression, r, slot: slot, after: 1)]
                if clicked { events.append(adEvent(.adClick, r, slot: slot, after: 5)) }
                for e in events {
                    if r.profileKey.hasPrefix("p") {
                        #expect(try await store.appendEvents([e], receivedAt: e.timestamp) == [.inserted])
                    } else {
                        #expect(try await store.appendBeaconEvent(e, receivedAt: e.timestamp) == .inserted)
                    }
                }
            }
        }
        // A click on an ad never shown (no impression) teaches nothing.
        let unshown = records[3]
        _ = try await store.appendEvents([adEvent(.adClick, unshown, slot: 1, after: 2)], receivedAt: unshown.servedAt)
        return (records, labels)
    }

    /// The model a reader would build by hand: each shown ad of the decisions given, in serving order,
    /// with its hand-written label.
    static func reference(_ records: some Sequence<AdDecisionRecord>, labels: [String: [Int: Bool]]) -> ClickModelBox {
        let box = ClickModelBox.serving()
        for r in records {
            for ad in r.ads {
                guard let clicked = labels[r.decisionID.rawValue]?[ad.slot] else { continue }
                box.learn(AdFeatures.tokens(r, ad), clicked: clicked)
            }
        }
        return box
    }

    static func probes(_ records: [AdDecisionRecord]) -> [[FeatureToken]] {
        records.flatMap { r in r.ads.map { AdFeatures.tokens(r, $0) } }
    }

    @Test func learnsSettledDecisionsFromBothLogsInServingOrder() async throws {
        let path = Self.path()
        let store = try await Self.store(at: path)
        defer { try? store.close() }
        let (records, labels) = try await Self.world(store)
        // Twelve decisions a minute apart from t0; at t0 + 15 min those served before t0 + 5 min (the first
        // five) are older than the 10-minute label window.
        let clock = Clock(Self.t0.adding(seconds: 15 * 60))
        let box = ClickModelBox.serving()
        let learner = CTRLearner(store: store, model: box, labelWindowMs: 600_000, clock: clock.read, logger: Self.logger)
        let first = try await learner.step()
        let settled = records.filter { $0.servedAt < clock.read().adding(seconds: -600) }
        #expect(settled.count == 5)
        #expect(first == settled.reduce(0) { $0 + labels[$1.decisionID.rawValue]!.count })
        #expect(learner.learnedThrough?.id == settled.last?.decisionID)
        let probes = Self.probes(records)
        #expect(box.predict(probes) == Self.reference(settled, labels: labels).predict(probes))
        // Nothing new has settled: nothing learned.
        #expect(try await learner.step() == 0)
        // An hour later every decision has settled.
        clock.set(Self.t0.adding(seconds: 3_600))
        let second = try await learner.step()
        #expect(first + second == labels.values.reduce(0) { $0 + $1.count })
        let all = Self.reference(records, labels: labels)
        #expect(box.predict(probes) == all.predict(probes))
        #expect(box.counts.shows == all.counts.shows && box.counts.clicks == all.counts.clicks)
        // Clicks by hand: slot 0 of decisions 0, 5 and 10 (shown, i % 5 == 0), slot 1 of decisions 3 and 9.
        #expect(box.counts.clicks == 5)
    }

    @Test func anotherProcessAdoptsTheStoredModelInsteadOfRelearningIt() async throws {
        let path = Self.path()
        let a = try await Self.store(at: path)
        let b = try SQLiteStore(path: path)
        defer {
            try? a.close()
            try? b.close()
        }
        let (records, labels) = try await Self.world(a)
        let clock = Clock(Self.t0.adding(seconds: 15 * 60))
        let boxA = ClickModelBox.serving()
        let boxB = ClickModelBox.serving()
        let learnerA = CTRLearner(store: a, model: boxA, labelWindowMs: 600_000, clock: clock.read, logger: Self.logger)
        let learnerB = CTRLearner(store: b, model: boxB, labelWindowMs: 600_000, clock: clock.read, logger: Self.logger)
        #expect(try await learnerA.step() > 0)
        // B picks up A's model and position, and learns nothing itself.
        #expect(try await learnerB.step() == 0)
        let probes = Self.probes(records)
        #expect(boxB.predict(probes) == boxA.predict(probes))
        #expect(learnerB.learnedThrough?.id == learnerA.learnedThrough?.id)
        // Later B learns the rest first; A adopts it.
        clock.set(Self.t0.adding(seconds: 3_600))
        #expect(try await learnerB.step() > 0)
        #expect(try await learnerA.step() == 0)
        #expect(boxA.predict(probes) == Self.reference(records, labels: labels).predict(probes))
        #expect(boxA.predict(probes) == boxB.predict(probes))
        let stored = try #require(try await a.checkpoint(named: CTRLearner.checkpointName))
        #expect(stored.progress == records.last!.servedAt.millisecondsSinceEpoch)
    }

    @Test func anUnreadableStoredModelIsIgnored() async throws {
        let path = Self.path()
        let store = try await Self.store(at: path)
        defer { try? store.close() }
        let (records, labels) = try await Self.world(store)
        for (format, state) in [(1, Array("MQADCTR1 but not a model".utf8)), (99, [UInt8](repeating: 7, count: 64))] {
            try await store.saveCheckpoint(
                StateCheckpoint(name: CTRLearner.checkpointName, format: format, progress: .max, state: state, writtenAt: Self.t0))
            let box = ClickModelBox.serving()
            let clock = Clock(Self.t0.adding(seconds: 3_600))
            let learner = CTRLearner(store: store, model: box, labelWindowMs: 600_000, clock: clock.read, logger: Self.logger)
            #expect(try await learner.step() == labels.values.reduce(0) { $0 + $1.count })
            let probes = Self.probes(records)
            #expect(box.predict(probes) == Self.reference(records, labels: labels).predict(probes))
        }
    }
}
