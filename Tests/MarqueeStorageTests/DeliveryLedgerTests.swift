import Foundation
import GRDB
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// The delivery ledger, on every backend (but the SQLite migration's test). Prices are CPM bids in cents, which are millicents per
/// impression: a campaign bidding 1200 cents pays 1200 millicents an impression.
@Suite struct DeliveryLedgerTests {
    /// 2026-12-01T00:00:00Z: 56 years after 1970 with 14 leap days (20 454 days to 2026-01-01), plus the
    /// 334 days of January to November: delivery day 20 788.
    static let t0 = Timestamp(iso8601: "2026-12-01T00:00:00Z")!
    static let day0: Int64 = 20_788

    struct Limits {
        var price: Int64 = 1200
        var total: Int64 = 1_000_000
        var daily: Int64?
        var capPerDay: Int?
        var capPerWeek: Int?
        var capPerSession: Int?
    }

    /// Fills a store with advertiser a1, and for each campaign id a campaign bidding 1200 cents with one creative
    /// "<campaign>-c"; profiles p1–p3.
    static func prepare(_ store: any MarqueeStore, campaigns: [String] = ["k1"]) async throws {
        try await store.upsertAdvertisers([Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")])
        try await store.upsertCampaigns(
            campaigns.map {
                Campaign(
                    id: CampaignID(trusted: $0), advertiserID: AdvertiserID(trusted: "a1"), name: $0,
                    startsAt: t0.adding(seconds: -30 * 86_400),
                    endsAt: t0.adding(seconds: 30 * 86_400), totalBudgetCents: 100_000, cpmBidCents: 1200)
            })
        try await store.upsertCreatives(
            campaigns.map {
                Creative(
                    id: CreativeID(trusted: "\($0)-c"), campaignID: CampaignID(trusted: $0), name: $0, durationSeconds: 15,
                    mediaURL: "https://ads.example/\($0).mp4", clickURL: "https://acme.example", category: "retail")
            })
        try await store.upsertProfiles(
            (1...3).map { Profile(id: ProfileID(trusted: "p\($0)"), plan: .basicWithAds, region: "us-west", createdAt: t0) })
    }

    static func ad(_ campaign: String, slot: Int) -> LoggedAd {
        LoggedAd(
            slot: slot, creativeID: CreativeID(trusted: "\(campaign)-c"), campaignID: CampaignID(trusted: campaign),
            advertiserID: AdvertiserID(trusted: "a1"), category: "retail", durationSeconds: 15, cpmCents: 1200, pCTR: 0.01,
            propensity: 1, explored: false, exposuresWeek: 0, sessionAds: 0)
    }

    /// A decision proposing one ad of each campaign listed, in order, all with the same limits.
    static func decision(
        _ id: String, viewer: String = "p1", session: String? = nil, at servedAt: Timestamp, campaigns: [String], limits: Limits = Limits()
    ) -> LedgerDecision {
        decision(id, viewer: viewer, session: session, at: servedAt, proposals: campaigns.map { ($0, limits) })
    }

    static func decision(
        _ id: String, viewer: String = "p1", session: String? = nil, at servedAt: Timestamp, proposals: [(String, Limits)]
    ) -> LedgerDecision {
        let decisionID = DecisionID(trusted: id)
        let record = AdDecisionRecord(
            decisionID: decisionID, profileKey: viewer, personalized: true, titleID: TitleID(trusted: "t1"), servedAt: servedAt,
            breakKind: "midroll", device: .tv, daypart: .evening, sessionID: session.map(SessionID.init(trusted:)), plan: .basicWithAds,
            region: "us-west", viewerGenres: [], contentGenres: [], ads: proposals.enumerated().map { ad($1.0, slot: $0) }, reasons: [])
        let reservations = proposals.enumerated().map { order, proposal in
            let (campaign, limits) = proposal
            return AdReservation(
                decisionID: decisionID, order: order, campaignID: CampaignID(trusted: campaign),
                creativeID: CreativeID(trusted: "\(campaign)-c"),
                profileKey: viewer, sessionID: session.map(SessionID.init(trusted:)), servedAt: servedAt, priceMillicents: limits.price,
                totalBudgetMillicents: limits.total, dailyBudgetMillicents: limits.daily, capPerDay: limits.capPerDay,
                capPerWeek: limits.capPerWeek, capPerSession: limits.capPerSession)
        }
        return LedgerDecision(record: record, reservations: reservations)
    }

    static func impression(
        _ id: String, viewer: String = "p1", campaign: String = "k1", decision: String?, rank: Int?, at time: Timestamp,
        session: String? = nil
    ) -> Event {
        Event(
            id: EventID(trusted: id), profileID: ProfileID(trusted: viewer), type: .adImpression, timestamp: time,
            decisionID: decision.map(DecisionID.init(trusted:)), context: EventContext(sessionID: session.map(SessionID.init(trusted:))),
            rank: rank, creativeID: CreativeID(trusted: "\(campaign)-c"))
    }

    static func totals(_ store: any MarqueeStore, day: Int64) async throws -> [String: CampaignDeliveryTotals] {
        Dictionary(uniqueKeysWithValues: try await store.campaignDeliveryTotals(day: day).map { ($0.campaignID.rawValue, $0) })
    }

    static func at(day: Int64, seconds: Double = 0) -> Timestamp { t0.adding(seconds: Double(day - day0) * 86_400 + seconds) }

    // MARK: Budgets

    @Test func theDeliveryDayOfTheFixtureIsTheHandComputedOne() {
        #expect(DeliveryDay.of(Self.t0) == Self.day0)
        #expect(DeliveryDay.of(Self.t0.adding(seconds: -0.001)) == Self.day0 - 1)
    }

    /// 1200 millicents an impression; a total of 6000 (five impressions) and 2400 a day (two): two on the
    /// last second of day 0, two from the first instant of day 1, one on day 2, then the total refuses.
    @Test(arguments: StoreFactory.all)
    func budgetsAreGrantedExactlyToTheLimitThenRefused(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let limits = Limits(price: 1200, total: 6000, daily: 2400)
            let lastSecond = Self.at(day: Self.day0, seconds: 86_399.999)
            let outcomes = try await store.reserveAndLog([
                Self.decision("d1", at: lastSecond, campaigns: ["k1", "k1", "k1"], limits: limits),
                Self.decision("d2", at: Self.at(day: Self.day0 + 1), campaigns: ["k1", "k1", "k1"], limits: limits),
                Self.decision("d3", at: Self.at(day: Self.day0 + 2), campaigns: ["k1"], limits: limits),
            ])
            #expect(
                outcomes == [
                    [.granted(slot: 0), .granted(slot: 1), .dailyBudgetSpent],
                    [.granted(slot: 0), .granted(slot: 1), .dailyBudgetSpent],
                    [.granted(slot: 0)],
                ])
            // 5 × 1200 = 6000 reserved: nothing more fits the total, on any day (the total is checked first).
            let refused = try await store.reserveAndLog([
                Self.decision("d4", at: Self.at(day: Self.day0 + 3), campaigns: ["k1"], limits: limits)
            ])
            #expect(refused == [[.totalBudgetSpent]])
            let day1 = try #require(try await Self.totals(store, day: Self.day0 + 1)["k1"])
            #expect(
                day1
                    == CampaignDeliveryTotals(
                        campaignID: CampaignID(trusted: "k1"), spentMillicents: 0, reservedMillicents: 6000, spentTodayMillicents: 0,
                        reservedTodayMillicents: 2400, impressions: 0))
            #expect(try await Self.totals(store, day: Self.day0 + 2)["k1"]?.reservedTodayMillicents == 1200)
            #expect(try await Self.totals(store, day: Self.day0 + 3)["k1"]?.reservedTodayMillicents == 0)
        }
    }

    // MARK: Caps

    @Test(arguments: StoreFactory.all)
    func theDailyCapCountsOneDeliveryDayAndOneViewer(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let limits = Limits(capPerDay: 2)
            let morning = Self.at(day: Self.day0, seconds: 3600)
            var outcomes: [[ReservationOutcome]] = []
            for (i, at) in [morning, morning, Self.at(day: Self.day0, seconds: 86_399), Self.at(day: Self.day0 + 1)].enumerated() {
                outcomes += try await store.reserveAndLog([Self.decision("d\(i)", at: at, campaigns: ["k1"], limits: limits)])
            }
            // The third of day 0 is refused; day 1 starts afresh.
            #expect(outcomes == [[.granted(slot: 0)], [.granted(slot: 0)], [.dailyCapReached], [.granted(slot: 0)]])
            // Another viewer is not capped by p1's ads.
            #expect(
                try await store.reserveAndLog([Self.decision("d9", viewer: "p2", at: morning, campaigns: ["k1"], limits: limits)]) == [
                    [.granted(slot: 0)]
                ])
            let counts = try await store.exposureCounts(profileKey: "p1", day: Self.day0 + 1)
            #expect(counts == [CampaignID(trusted: "k1"): CampaignExposures(day: 1, week: 3)])
        }
    }

    /// A cap of 3 a week, one ad proposed a day over 8 days: days 0–2 granted, days 3–6 refused (days 0–2
    /// are in their weeks), day 7 granted (its week is days 1–7), a second on day 7 refused (1, 2, 7).
    @Test(arguments: StoreFactory.all)
    func theWeeklyCapCountsTheDayAndTheSixBefore(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let limits = Limits(capPerWeek: 3)
            var outcomes: [ReservationOutcome] = []
            for day in 0..<8 {
                let answer = try await store.reserveAndLog([
                    Self.decision("d\(day)", at: Self.at(day: Self.day0 + Int64(day), seconds: 600), campaigns: ["k1"], limits: limits)
                ])
                outcomes += answer[0]
            }
            let again = try await store.reserveAndLog([
                Self.decision("d7b", at: Self.at(day: Self.day0 + 7, seconds: 700), campaigns: ["k1"], limits: limits)
            ])
            outcomes += again[0]
            let g = ReservationOutcome.granted(slot: 0)
            let w = ReservationOutcome.weeklyCapReached
            #expect(outcomes == [g, g, g, w, w, w, w, g, w])
            let counts = try await store.exposureCounts(profileKey: "p1", day: Self.day0 + 7)
            #expect(counts == [CampaignID(trusted: "k1"): CampaignExposures(day: 1, week: 3)])
        }
    }

    @Test(arguments: StoreFactory.all)
    func theSessionCapCountsTheSessionsAdsOfTheCampaign(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store, campaigns: ["k1", "k2"])
            let capped = Limits(capPerSession: 2)
            let at = Self.at(day: Self.day0, seconds: 600)
            let outcomes = try await store.reserveAndLog([
                Self.decision("d1", session: "s1", at: at, proposals: [("k1", capped), ("k2", capped), ("k1", capped), ("k1", capped)]),
                // Another session, and no session at all, are not capped by s1's ads.
                Self.decision("d2", session: "s2", at: at, campaigns: ["k1"], limits: capped),
                Self.decision("d3", at: at, campaigns: ["k1", "k1", "k1"], limits: capped),
            ])
            #expect(
                outcomes == [
                    [.granted(slot: 0), .granted(slot: 1), .granted(slot: 2), .sessionCapReached],
                    [.granted(slot: 0)],
                    [.granted(slot: 0), .granted(slot: 1), .granted(slot: 2)],
                ])
            #expect(
                try await store.sessionCounts(sessionID: SessionID(trusted: "s1")) == [
                    CampaignID(trusted: "k1"): 2, CampaignID(trusted: "k2"): 1,
                ])
            #expect(try await store.sessionCounts(sessionID: SessionID(trusted: "s3")) == [:])
        }
    }

    // MARK: Impressions

    @Test(arguments: StoreFactory.all)
    func anImpressionConfirmsItsReservationOnce(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let served = Self.at(day: Self.day0, seconds: 86_390)
            _ = try await store.reserveAndLog([Self.decision("d1", at: served, campaigns: ["k1", "k1"])])
            // Shown 20 s later, on day 1: the spend stays on the reservation's day, 0.
            let shown = served.adding(seconds: 20)
            let first = Self.impression("i1", decision: "d1", rank: 1, at: shown)
            #expect(try await store.appendEvents([first], receivedAt: shown) == [.inserted])
            let expected = CampaignDeliveryTotals(
                campaignID: CampaignID(trusted: "k1"), spentMillicents: 1200, reservedMillicents: 1200, spentTodayMillicents: 1200,
                reservedTodayMillicents: 1200, impressions: 1)
            #expect(try await Self.totals(store, day: Self.day0)["k1"] == expected)
            // The same event again, and another event for the same slot, charge nothing more.
            #expect(try await store.appendEvents([first], receivedAt: shown) == [.duplicate])
            #expect(
                try await store.appendEvents([Self.impression("i2", decision: "d1", rank: 1, at: shown)], receivedAt: shown) == [.inserted])
            #expect(try await Self.totals(store, day: Self.day0)["k1"] == expected)
            // A rejected impression (no such profile) changes nothing either.
            let stranger = Self.impression("i3", viewer: "nobody", decision: "d1", rank: 0, at: shown)
            #expect(try await store.appendEvents([stranger], receivedAt: shown).first != .inserted)
            #expect(try await Self.totals(store, day: Self.day0)["k1"] == expected)
            // Slot 0 confirmed by a beacon: all spent.
            #expect(
                try await store.appendBeaconEvent(Self.impression("i4", decision: "d1", rank: 0, at: shown), receivedAt: shown) == .inserted
            )
            let done = try #require(try await Self.totals(store, day: Self.day0)["k1"])
            #expect(
                done.spentMillicents == 2400 && done.reservedMillicents == 0 && done.spentTodayMillicents == 2400 && done.impressions == 2)
            #expect(try await Self.totals(store, day: Self.day0 + 1)["k1"]?.spentTodayMillicents == 0)
        }
    }

    /// An impression nothing reserved (history, another system) is charged at the campaign's CPM (1200) on
    /// its own day and counts an exposure, whether in the event log or among the contextual ad events.
    @Test(arguments: StoreFactory.all)
    func anUnreservedImpressionIsChargedAndCounted(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let day3 = Self.at(day: Self.day0 + 3, seconds: 100)
            let statuses = try await store.appendEvents(
                [
                    Self.impression("h1", decision: nil, rank: nil, at: day3, session: "s1"),
                    // A decision the ledger never saw.
                    Self.impression("h2", decision: "old", rank: 0, at: day3.adding(seconds: 1)),
                    // Not an impression: not charged.
                    Event(
                        id: EventID(trusted: "h3"), profileID: ProfileID(trusted: "p1"), type: .adClick, timestamp: day3,
                        creativeID: CreativeID(trusted: "k1-c")),
                ], receivedAt: day3)
            #expect(statuses == [.inserted, .inserted, .inserted])
            let contextual = Self.impression("b1", viewer: "anon-7", decision: nil, rank: nil, at: day3)
            #expect(try await store.appendBeaconEvent(contextual, receivedAt: day3) == .inserted)
            #expect(try await store.appendBeaconEvent(contextual, receivedAt: day3) == .duplicate)
            #expect(
                try await Self.totals(store, day: Self.day0 + 3)["k1"]
                    == CampaignDeliveryTotals(
                        campaignID: CampaignID(trusted: "k1"), spentMillicents: 3600, reservedMillicents: 0, spentTodayMillicents: 3600,
                        reservedTodayMillicents: 0, impressions: 3))
            #expect(
                try await store.exposureCounts(profileKey: "p1", day: Self.day0 + 3) == [
                    CampaignID(trusted: "k1"): CampaignExposures(day: 2, week: 2)
                ])
            #expect(
                try await store.exposureCounts(profileKey: "anon-7", day: Self.day0 + 3) == [
                    CampaignID(trusted: "k1"): CampaignExposures(day: 1, week: 1)
                ])
            #expect(try await store.sessionCounts(sessionID: SessionID(trusted: "s1")) == [CampaignID(trusted: "k1"): 1])
            // The counted exposures cap later decisions.
            let capped = try await store.reserveAndLog([
                Self.decision("d1", at: day3.adding(seconds: 60), campaigns: ["k1"], limits: Limits(capPerDay: 2))
            ])
            #expect(capped == [[.dailyCapReached]])
        }
    }

    /// Caps counted within one batch of decisions (PostgreSQL reads the counts once per batch and keeps the batch's
    /// own grants in memory): the same viewer's third decision of a day is refused at capPerDay 2, a week's cap
    /// counts the batch's earlier days, a session's cap its earlier decisions; and what the batch granted is stored.
    @Test(arguments: StoreFactory.all)
    func capsHoldWithinOneBatchOfDecisions(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store, campaigns: ["k1", "k2", "k3"])
            let daily = Limits(capPerDay: 2)
            let weekly = Limits(capPerWeek: 2)
            let perSession = Limits(capPerSession: 1)
            let noon = Self.at(day: Self.day0, seconds: 43_200)
            let outcomes = try await store.reserveAndLog([
                Self.decision("a1", at: noon, campaigns: ["k1"], limits: daily),
                Self.decision("a2", at: noon.adding(seconds: 1), campaigns: ["k1"], limits: daily),
                Self.decision("a3", at: noon.adding(seconds: 2), campaigns: ["k1"], limits: daily),
                Self.decision("a4", viewer: "p2", at: noon.adding(seconds: 3), campaigns: ["k1"], limits: daily),
                Self.decision("b1", at: noon, campaigns: ["k2"], limits: weekly),
                Self.decision("b2", at: Self.at(day: Self.day0 + 2), campaigns: ["k2"], limits: weekly),
                Self.decision("b3", at: Self.at(day: Self.day0 + 5), campaigns: ["k2"], limits: weekly),
                Self.decision("c1", session: "s9", at: noon, campaigns: ["k3", "k3"], limits: perSession),
                Self.decision("c2", session: "s9", at: noon.adding(seconds: 60), campaigns: ["k3"], limits: perSession),
            ])
            #expect(
                outcomes == [
                    [.granted(slot: 0)], [.granted(slot: 0)], [.dailyCapReached], [.granted(slot: 0)],
                    [.granted(slot: 0)], [.granted(slot: 0)], [.weeklyCapReached],
                    [.granted(slot: 0), .sessionCapReached], [.sessionCapReached],
                ])
            #expect(
                try await store.exposureCounts(profileKey: "p1", day: Self.day0)[CampaignID(trusted: "k1")]
                    == CampaignExposures(day: 2, week: 2))
            #expect(try await store.sessionCounts(sessionID: SessionID(trusted: "s9")) == [CampaignID(trusted: "k3"): 1])
            // A later batch reads what this one stored.
            #expect(
                try await store.reserveAndLog([Self.decision("a5", at: noon.adding(seconds: 9), campaigns: ["k1"], limits: daily)]) == [
                    [.dailyCapReached]
                ])
        }
    }

    // MARK: Release

    @Test(arguments: StoreFactory.all)
    func releasingExpiredReservationsFreesBudgetButNotCaps(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let limits = Limits(price: 1200, total: 2400, capPerDay: 2)
            let served = Self.at(day: Self.day0, seconds: 600)
            #expect(
                try await store.reserveAndLog([Self.decision("d1", at: served, campaigns: ["k1", "k1"], limits: limits)]) == [
                    [.granted(slot: 0), .granted(slot: 1)]
                ])
            #expect(
                try await store.reserveAndLog([Self.decision("d2", viewer: "p2", at: served, campaigns: ["k1"], limits: limits)]) == [
                    [.totalBudgetSpent]
                ])
            // Served at the bound is not before it.
            #expect(try await store.releaseExpiredReservations(servedBefore: served) == 0)
            #expect(try await store.releaseExpiredReservations(servedBefore: served.adding(seconds: 0.001)) == 2)
            #expect(try await store.releaseExpiredReservations(servedBefore: served.adding(seconds: 60)) == 0)
            let freed = try #require(try await Self.totals(store, day: Self.day0)["k1"])
            #expect(freed.reservedMillicents == 0 && freed.reservedTodayMillicents == 0 && freed.spentMillicents == 0)
            // The budget is free again, but p1's two served ads still count toward the cap.
            let later = served.adding(seconds: 120)
            let outcomes = try await store.reserveAndLog([
                Self.decision("d3", at: later, campaigns: ["k1"], limits: limits),
                Self.decision("d4", viewer: "p2", at: later, campaigns: ["k1"], limits: limits),
            ])
            #expect(outcomes == [[.dailyCapReached], [.granted(slot: 0)]])
            // A late impression of a released ad is charged (it was shown), without reserving again.
            #expect(
                try await store.appendEvents([Self.impression("late", decision: "d1", rank: 0, at: later)], receivedAt: later) == [
                    .inserted
                ])
            let after = try #require(try await Self.totals(store, day: Self.day0)["k1"])
            #expect(after.spentMillicents == 1200 && after.reservedMillicents == 1200 && after.impressions == 1)
            #expect(
                try await store.exposureCounts(profileKey: "p1", day: Self.day0)[CampaignID(trusted: "k1")]
                    == CampaignExposures(day: 2, week: 2))
        }
    }

    // MARK: The decision log

    /// Every outcome reads back as stored; a decision logged without the ledger served its first ads.
    @Test func storedOutcomesReadBack() {
        let all: [ReservationOutcome] = [
            .granted(slot: 0), .totalBudgetSpent, .dailyBudgetSpent, .dailyCapReached, .weeklyCapReached, .sessionCapReached,
            .granted(slot: 1),
        ]
        #expect(SQLiteStore.encode(all) == "0,total,daily,day-cap,week-cap,session-cap,1")
        #expect(SQLiteStore.outcomes(stored: "0,total,daily,day-cap,week-cap,session-cap,1", adCount: 2, proposed: 7) == all)
        #expect(SQLiteStore.outcomes(stored: "", adCount: 0, proposed: 0) == [])
        #expect(SQLiteStore.outcomes(stored: nil, adCount: 2, proposed: 3) == [.granted(slot: 0), .granted(slot: 1), .totalBudgetSpent])
    }

    @Test(arguments: StoreFactory.all)
    func theLoggedRecordHoldsOnlyTheGrantedAdsRenumbered(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store, campaigns: ["k1", "k2"])
            let at = Self.at(day: Self.day0, seconds: 600)
            let open = Limits()
            let broke = Limits(total: 1000)  // less than one impression's 1200
            let decision = Self.decision("d1", at: at, proposals: [("k1", open), ("k2", broke), ("k1", open)])
            #expect(try await store.reserveAndLog([decision]) == [[.granted(slot: 0), .totalBudgetSpent, .granted(slot: 1)]])
            let stored = try #require(try await store.adDecision(id: DecisionID(trusted: "d1")))
            var expected = decision.record
            expected.ads = [Self.ad("k1", slot: 0), Self.ad("k1", slot: 1)]
            #expect(stored == expected)

            // A replay of the decision, alone or twice in one call, answers as stored and reserves nothing more.
            let replays = try await store.reserveAndLog([decision, Self.decision("d2", at: at, campaigns: ["k2"]), decision])
            #expect(
                replays == [
                    [.granted(slot: 0), .totalBudgetSpent, .granted(slot: 1)], [.granted(slot: 0)],
                    [.granted(slot: 0), .totalBudgetSpent, .granted(slot: 1)],
                ])
            #expect(try await Self.totals(store, day: Self.day0)["k1"]?.reservedMillicents == 2400)
            #expect(try await store.adDecisionCount() == 2)
            #expect(try await store.exposureCounts(profileKey: "p1", day: Self.day0)[CampaignID(trusted: "k1")]?.day == 2)
        }
    }

    @Test(arguments: StoreFactory.all)
    func reservationsThatDoNotMatchTheirRecordAreRefusedWhole(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let at = Self.at(day: Self.day0)
            var wrongOrder = Self.decision("d1", at: at, campaigns: ["k1"])
            wrongOrder.reservations[0].order = 3
            var unknown = Self.decision("d2", at: at, campaigns: ["ghost"])
            unknown.record.ads[0].campaignID = CampaignID(trusted: "ghost")
            for (bad, code, field) in [
                (wrongOrder, "invalid_value", "decisions[1].reservations[0].order"), (unknown, "unknown_campaign", "campaignId"),
            ] {
                await #expect {
                    _ = try await store.reserveAndLog([Self.decision("ok", at: at, campaigns: ["k1"]), bad])
                } throws: { error in
                    let e = error as? MarqueeError
                    return e?.code == code && e?.message.hasPrefix(field) == true
                }
            }
            // Nothing of either call was written.
            #expect(try await store.adDecisionCount() == 0)
            #expect(try await store.campaignDeliveryTotals(day: Self.day0).allSatisfy { $0.reservedMillicents == 0 })
        }
    }

    // MARK: Several processes

    /// Two stores on one database (two pools, as two processes would have), eight tasks each, proposing one
    /// ad to each of 60 viewers in turn, four times over: a budget of 100 impressions and a cap of 2 a day
    /// grant exactly 100, and no viewer gets a third.
    @Test(arguments: StoreFactory.all)
    func twoStoresOnOneDatabaseNeverOverspendNorExceedACap(_ factory: StoreFactory) async throws {
        try await factory.withTwoStores { (first: any MarqueeStore, second: any MarqueeStore) async throws in
            try await Self.prepare(first)
            let limits = Limits(price: 1000, total: 100_000, capPerDay: 2)
            let at = Self.at(day: Self.day0, seconds: 3600)
            let tasks = 16
            let perTask = 15
            let granted = try await withThrowingTaskGroup(of: [String: Int].self) { group in
                for t in 0..<tasks {
                    let store = t % 2 == 0 ? first : second
                    group.addTask {
                        var shown: [String: Int] = [:]
                        for j in 0..<perTask {
                            // Two decisions a call (a group commit), for viewers spread over the 60.
                            let viewers = ["v\((t * 7 + 2 * j) % 60)", "v\((t * 7 + 2 * j + 1) % 60)"]
                            let decisions = viewers.enumerated().map { k, viewer in
                                Self.decision("t\(t)-\(j)-\(k)", viewer: viewer, at: at, campaigns: ["k1"], limits: limits)
                            }
                            for (viewer, outcome) in zip(viewers, try await store.reserveAndLog(decisions)) where outcome[0].isGranted {
                                shown[viewer, default: 0] += 1
                            }
                        }
                        return shown
                    }
                }
                var all: [String: Int] = [:]
                for try await shown in group { all.merge(shown, uniquingKeysWith: +) }
                return all
            }
            #expect(tasks * perTask * 2 == 480)
            #expect(granted.values.reduce(0, +) == 100)
            #expect(granted.values.allSatisfy { $0 <= 2 })
            let totals = try #require(try await Self.totals(second, day: Self.day0)["k1"])
            #expect(totals.reservedMillicents == 100_000 && totals.reservedTodayMillicents == 100_000)
            for viewer in granted.keys {
                let counted = try await first.exposureCounts(profileKey: viewer, day: Self.day0)[CampaignID(trusted: "k1")]
                #expect(counted?.day == granted[viewer])
            }
        }
    }

    /// Reservations of two campaigns proposed in either order, impressions confirming them or charged without
    /// one, and sweeps releasing expired reservations, all at once from two stores: nothing fails (no deadlock,
    /// no constraint broken) and the accounts add up: every impression charged once at 1200, and exactly the
    /// unexpired unconfirmed reservations still reserved.
    @Test(arguments: StoreFactory.all)
    func reservingConfirmingAndReleasingAtOnceKeepTheAccountsExact(_ factory: StoreFactory) async throws {
        try await factory.withTwoStores { (first: any MarqueeStore, second: any MarqueeStore) async throws in
            try await Self.prepare(first, campaigns: ["k1", "k2"])
            let at = Self.at(day: Self.day0, seconds: 3600)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<8 {
                    let store = t % 2 == 0 ? first : second
                    group.addTask {
                        for j in 0..<6 {
                            let id = "t\(t)-\(j)"
                            let order = (t + j) % 2 == 0 ? ["k1", "k2"] : ["k2", "k1"]
                            // Even rounds served an hour earlier: their open reservations expire in the sweeps.
                            let served = j % 2 == 0 ? at.adding(seconds: -3600) : at
                            _ = try await store.reserveAndLog([Self.decision(id, viewer: "p\(1 + t % 3)", at: served, campaigns: order)])
                            // Slot 0 shown; every third task also shows an ad nothing reserved.
                            var shown = [Self.impression("i-\(id)", campaign: order[0], decision: id, rank: 0, at: at)]
                            if t % 3 == 0 { shown.append(Self.impression("u-\(id)", campaign: order[1], decision: nil, rank: nil, at: at)) }
                            _ = try await store.appendEvents(shown, receivedAt: at)
                            if j % 3 == 2 { _ = try await store.releaseExpiredReservations(servedBefore: at.adding(seconds: -60)) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            _ = try await first.releaseExpiredReservations(servedBefore: at.adding(seconds: -60))
            // 48 decisions of two ads each: slot 0 confirmed, slot 1 reserved, and released for the 24 served early;
            // 3 tasks (0, 3, 6) × 6 ads shown unreserved.
            let totals = try await Self.totals(second, day: Self.day0)
            let spent = totals.values.map(\.spentMillicents).reduce(0, +)
            let reserved = totals.values.map(\.reservedMillicents).reduce(0, +)
            let impressions = totals.values.map(\.impressions).reduce(0, +)
            #expect(impressions == 48 + 18)
            #expect(spent == Int64(impressions) * 1200)
            #expect(reserved == 24 * 1200)
        }
    }

    // MARK: Migration

    /// A store with ad history written before the ledger: after the migration its accounts hold the
    /// impressions charged at the campaign's CPM (1200) by day, and its exposures count.
    @Test func theMigrationFillsTheLedgerFromTheStoredImpressions() async throws {
        let path = try temporaryStorePath()
        do {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try SQLiteStore.migrator.migrate(queue, upTo: "v7-ad-event-index")
            let day0 = Self.t0.millisecondsSinceEpoch
            try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO advertisers (id, name, category) VALUES ('a1', 'Acme', 'retail');
                        INSERT INTO campaigns (id, advertiser_id, name, status, starts_at, ends_at, total_budget_cents, cpm_bid_cents,
                            priority, pacing, targeting)
                        VALUES ('k1', 'a1', 'K1', 'active', 0, 9000000000000, 100000, 1200, 'standard', 'even', '{}'),
                            ('k2', 'a1', 'K2', 'active', 0, 9000000000000, 100000, 500, 'standard', 'even', '{}');
                        INSERT INTO creatives (id, campaign_id, name, duration_seconds, media_url, click_url, category, status)
                        VALUES ('k1-c', 'k1', 'C', 15, 'https://a/x.mp4', 'https://a', 'retail', 'active'),
                            ('k2-c', 'k2', 'C', 15, 'https://a/y.mp4', 'https://a', 'retail', 'active');
                        INSERT INTO profiles (id, plan, region, language, maturity_limit, created_at)
                        VALUES ('p1', 'basicWithAds', 'us-west', 'en', '18+', 0);
                        """)
                let event = """
                    INSERT INTO events (id, profile_id, type, occurred_at, received_at, creative_id) VALUES (?, 'p1', ?, ?, ?, ?)
                    """
                for (id, type, at, creative) in [
                    ("e1", "adImpression", day0 + 1000, "k1-c"), ("e2", "adImpression", day0 + 2000, "k1-c"),
                    ("e3", "adImpression", day0 - 1000, "k1-c"), ("e4", "adClick", day0 + 3000, "k1-c"),
                    ("e5", "adImpression", day0 + 4000, "k2-c"),
                ] {
                    try db.execute(sql: event, arguments: [id, type, at, at, creative])
                }
                try db.execute(
                    sql: """
                        INSERT INTO contextual_ad_events (id, profile_key, type, occurred_at, received_at, creative_id)
                        VALUES ('c1', 'anon', 'adImpression', ?, ?, 'k1-c'), ('c2', 'anon', 'adComplete', ?, ?, 'k1-c')
                        """, arguments: [day0 + 5000, day0 + 5000, day0 + 6000, day0 + 6000])
            }
            try queue.close()
        }
        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        // k1: e1, e2, c1 on day 0 and e3 on day −1, at 1200; k2: e5 at 500.
        #expect(
            try await store.campaignDeliveryTotals(day: Self.day0) == [
                CampaignDeliveryTotals(
                    campaignID: CampaignID(trusted: "k1"), spentMillicents: 4800, reservedMillicents: 0, spentTodayMillicents: 3600,
                    reservedTodayMillicents: 0, impressions: 4),
                CampaignDeliveryTotals(
                    campaignID: CampaignID(trusted: "k2"), spentMillicents: 500, reservedMillicents: 0, spentTodayMillicents: 500,
                    reservedTodayMillicents: 0, impressions: 1),
            ])
        #expect(try await Self.totals(store, day: Self.day0 - 1)["k1"]?.spentTodayMillicents == 1200)
        #expect(
            try await store.exposureCounts(profileKey: "p1", day: Self.day0) == [
                CampaignID(trusted: "k1"): CampaignExposures(day: 2, week: 3),
                CampaignID(trusted: "k2"): CampaignExposures(day: 1, week: 1),
            ])
        #expect(
            try await store.exposureCounts(profileKey: "anon", day: Self.day0) == [
                CampaignID(trusted: "k1"): CampaignExposures(day: 1, week: 1)
            ])
        // The upgraded accounts go on: a total of 6000 leaves one impression of k1 (4800 + 1200).
        let outcomes = try await store.reserveAndLog([
            Self.decision("d1", viewer: "p9", at: Self.t0.adding(seconds: 60), campaigns: ["k1", "k1"], limits: Limits(total: 6000))
        ])
        #expect(outcomes == [[.granted(slot: 0), .totalBudgetSpent]])
    }
}
