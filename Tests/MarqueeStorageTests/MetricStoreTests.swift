import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// Every metric of the catalog on a small hand-made store, checked against values worked out by hand in the
/// comments (never against the code's own earlier output).
@Suite struct MetricStoreTests {
    static let t0 = Timestamp(iso8601: "2026-03-02T00:00:00Z")!
    static let day = 86_400.0

    /// Day `d` (0-based from t0) at hh:mm:ss UTC.
    static func at(_ d: Int, _ h: Int, _ m: Int, _ s: Int = 0) -> Timestamp {
        t0.adding(seconds: Double(d) * day + Double(h * 3600 + m * 60 + s))
    }

    /// The store. Profiles p1 (standard with ads), p2 (basic with ads), p3 (ad-free), p4 (standard with ads,
    /// no events). Titles t1 (Drama, Thriller; 3600 s), t2 (Comedy; 1800 s), t3 (drama, Documentary;
    /// 2400 s), t4 (Kids; 1200 s). Campaign cA at a CPM of 1200 cents with the 15-s creative crA, campaign
    /// cB at 2500 with the 30-s crB. Home pages hd1 (t1 in top-picks, t2 in continue-watching, t3 in
    /// trending) and hd2 (t1 in because-you-watched:t3, t3 in editorial:staff-picks). Ad pod ad1: slot 0
    /// crA logged at a CPM of 1500 (not the campaign's 1200), slot 1 crB at 2500.
    /// A SQLite store filled by `prepare` (the analytics facts' tests read it).
    static func store() async throws -> SQLiteStore {
        let store = try SQLiteStore(path: try temporaryStorePath())
        try await prepare(store)
        return store
    }

    static func prepare(_ store: any MarqueeStore) async throws {
        var data = Dataset()
        let genres: [(String, [String], Int)] = [
            ("t1", ["Drama", "Thriller"], 3600), ("t2", ["Comedy"], 1800), ("t3", ["drama", "Documentary"], 2400), ("t4", ["Kids"], 1200),
        ]
        data.titles = genres.map { Title(id: TitleID(trusted: $0.0), name: $0.0, genres: $0.1, runtimeSeconds: $0.2, dateAdded: t0) }
        data.profiles = [("p1", Plan.standardWithAds), ("p2", .basicWithAds), ("p3", .adFree), ("p4", .standardWithAds)].map {
            Profile(id: ProfileID(trusted: $0.0), plan: $0.1, region: "us-west", createdAt: t0)
        }
        data.advertisers = [Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")]
        data.campaigns = [("cA", Int64(1200)), ("cB", 2500)].map {
            Campaign(
                id: CampaignID(trusted: $0.0), advertiserID: AdvertiserID(trusted: "a1"), name: $0.0, startsAt: t0,
                endsAt: t0.adding(seconds: 60 * day), totalBudgetCents: 1_000_000, cpmBidCents: $0.1)
        }
        data.creatives = [("crA", "cA", 15), ("crB", "cB", 30)].map {
            Creative(
                id: CreativeID(trusted: $0.0), campaignID: CampaignID(trusted: $0.1), name: $0.0, durationSeconds: $0.2,
                mediaURL: "https://ads.example/\($0.0).mp4", clickURL: "https://acme.example", category: "retail")
        }
        try await load(data, into: store)

        func item(_ row: String, _ position: Int, _ title: String) -> ServedItem {
            ServedItem(rowID: row, position: position, titleID: TitleID(trusted: title))
        }
        try await store.appendHomeDecisions(
            [
                HomeDecisionRecord(
                    decisionID: DecisionID(trusted: "hd1"), profileID: ProfileID(trusted: "p1"), servedAt: at(0, 9, 59), device: .tv,
                    daypart: .morning, items: [item("top-picks", 0, "t1"), item("continue-watching", 0, "t2"), item("trending", 0, "t3")]),
                HomeDecisionRecord(
                    decisionID: DecisionID(trusted: "hd2"), profileID: ProfileID(trusted: "p3"), servedAt: at(0, 20, 58), device: .tv,
                    daypart: .evening, items: [item("because-you-watched:t3", 0, "t1"), item("editorial:staff-picks", 0, "t3")]),
            ], countingArtwork: false)
        func ad(_ slot: Int, _ creative: String, _ campaign: String, _ seconds: Int, _ cpm: Int64) -> LoggedAd {
            LoggedAd(
                slot: slot, creativeID: CreativeID(trusted: creative), campaignID: CampaignID(trusted: campaign),
                advertiserID: AdvertiserID(trusted: "a1"), category: "retail", durationSeconds: seconds, cpmCents: cpm, pCTR: 0.01,
                propensity: 1, explored: false, exposuresWeek: 0, sessionAds: 0)
        }
        try await store.appendAdDecisions([
            AdDecisionRecord(
                decisionID: DecisionID(trusted: "ad1"), profileKey: "p1", personalized: true, titleID: TitleID(trusted: "t1"),
                servedAt: at(0, 10, 11), breakKind: "midroll", device: .tv, daypart: .morning, sessionID: SessionID(trusted: "s1"),
                plan: .standardWithAds, region: "us-west", viewerGenres: [], contentGenres: [],
                ads: [ad(0, "crA", "cA", 15, 1500), ad(1, "crB", "cB", 30, 2500)], reasons: [])
        ])

        var events: [Event] = []
        func add(
            _ profile: String, _ type: EventType, _ time: Timestamp, title: String? = nil, session: String? = nil,
            decision: String? = nil, row: String? = nil, position: Double? = nil, duration: Double? = nil, creative: String? = nil,
            rank: Int? = nil, rating: Int? = nil
        ) {
            var context = EventContext()
            context.sessionID = session.map(SessionID.init(trusted:))
            events.append(
                Event(
                    id: EventID(trusted: "e\(events.count)"), profileID: ProfileID(trusted: profile), type: type, timestamp: time,
                    titleID: title.map(TitleID.init(trusted:)), decisionID: decision.map(DecisionID.init(trusted:)), context: context,
                    positionSeconds: position, durationSeconds: duration, rating: rating, row: row, rank: rank,
                    creativeID: creative.map(CreativeID.init(trusted:))))
        }

        // p1, window [day 0 09:00, day 15 09:00).
        // Session s0: a play of t4 before the window, two of its progress events inside it (900 − 600 = 300 s).
        add("p1", .play, at(0, 8, 30), title: "t4", session: "s0", position: 0, duration: 1200)
        add("p1", .progress, at(0, 9, 5), title: "t4", session: "s0", position: 600, duration: 1200)
        add("p1", .progress, at(0, 9, 10), title: "t4", session: "s0", position: 900, duration: 1200)
        // Session s1: first event 10:00:00, first play 10:01:00 (60 s to select).
        add("p1", .impression, at(0, 10, 0), title: "t1", session: "s1", decision: "hd1", row: "top-picks", rank: 0)
        add("p1", .click, at(0, 10, 0, 30), title: "t1", session: "s1", decision: "hd1", row: "top-picks", rank: 0)
        // The play carries no source: the click just before it does (hd1 → top-picks: recommended, a home start).
        add("p1", .play, at(0, 10, 1), title: "t1", session: "s1", position: 0, duration: 3600)
        add("p1", .progress, at(0, 10, 11), title: "t1", session: "s1", position: 600, duration: 3600)
        add("p1", .adImpression, at(0, 10, 11, 5), title: "t1", session: "s1", decision: "ad1", creative: "crA", rank: 0)
        add("p1", .adComplete, at(0, 10, 11, 20), title: "t1", session: "s1", decision: "ad1", creative: "crA", rank: 0)
        add("p1", .adImpression, at(0, 10, 11, 21), title: "t1", session: "s1", decision: "ad1", creative: "crB", rank: 1)
        add("p1", .adClick, at(0, 10, 11, 30), title: "t1", session: "s1", decision: "ad1", creative: "crB", rank: 1)
        // 19 s into crB's 30: an abandon during an ad break. t1 was watched 0 → 610 s.
        add("p1", .abandon, at(0, 10, 11, 40), title: "t1", session: "s1", position: 610, duration: 3600)
        // Its own decision, continue-watching: a home start, not recommended. Complete without a position:
        // the duration, 1800 − 1200 = 600 s.
        add("p1", .play, at(0, 10, 20), title: "t2", session: "s1", decision: "hd1", position: 1200, duration: 1800)
        add("p1", .complete, at(0, 10, 35), title: "t2", session: "s1", duration: 1800)
        // Two events without a session on day 1 (from the window's start) and one on day 3: two day-sessions.
        add("p1", .rate, at(1, 12, 0), title: "t1", rating: 4)
        add("p1", .like, at(1, 13, 0), title: "t1")
        add("p1", .addToList, at(3, 12, 0), title: "t3")
        // Session s2 on day 7 (from day 7 09:00): the play is the first event (0 s to select); its own row,
        // trending: recommended, a home start. Position 2500 of 2400 is capped: 2400 s.
        add("p1", .play, at(7, 20, 0), title: "t3", session: "s2", row: "trending", position: 0, duration: 2400)
        add("p1", .progress, at(7, 20, 10), title: "t3", session: "s2", position: 600, duration: 2400)
        add("p1", .progress, at(7, 20, 45), title: "t3", session: "s2", position: 2500, duration: 2400)
        // An impression without a decision (campaign cA's 1200), a skip, and a replay of ad1's slot 0
        // (counted as an impression, not charged again).
        add("p1", .adImpression, at(7, 20, 46), title: "t3", session: "s2", creative: "crA", rank: 0)
        add("p1", .adSkip, at(7, 20, 46, 15), title: "t3", session: "s2", creative: "crA", rank: 0)
        add("p1", .adImpression, at(7, 20, 46, 16), title: "t3", session: "s2", decision: "ad1", creative: "crA", rank: 0)
        // A resumed play without a source: not a home start; 610 → 1210 = 600 s. Its abandon comes long after
        // the ad (20:46:16 + 15 s + 5 s): not during a break.
        add("p1", .play, at(7, 20, 50), title: "t1", session: "s2", position: 610, duration: 3600)
        add("p1", .abandon, at(7, 21, 0), title: "t1", session: "s2", position: 1210, duration: 3600)
        // Session s3: a like 1 s before the window ends (the last event), then a play of t4 (Kids) after it.
        add("p1", .like, at(15, 8, 59, 59), title: "t2", session: "s3")
        add("p1", .play, at(15, 10, 0), title: "t4", session: "s3", row: "trending", position: 0, duration: 1200)
        add("p1", .progress, at(15, 10, 10), title: "t4", session: "s3", position: 600, duration: 1200)

        // p2, window [day 0, day 30).
        // Session q1: first event 12:00:00, first play 12:02:00 (120 s). The click is on another title: the
        // play has no source.
        add("p2", .impression, at(0, 12, 0), title: "t2", session: "q1", row: "genre:comedy", rank: 0)
        add("p2", .click, at(0, 12, 1), title: "t4", session: "q1", row: "genre:kids", rank: 0)
        add("p2", .play, at(0, 12, 2), title: "t2", session: "q1", position: 0, duration: 1800)
        add("p2", .progress, at(0, 12, 12), title: "t2", session: "q1", position: 600, duration: 1800)
        add("p2", .adImpression, at(0, 12, 12, 1), title: "t2", session: "q1", creative: "crB", rank: 0)
        add("p2", .adComplete, at(0, 12, 12, 31), title: "t2", session: "q1", creative: "crB", rank: 0)
        // After the ad completed: not during a break. 610 s watched.
        add("p2", .abandon, at(0, 12, 12, 40), title: "t2", session: "q1", position: 610, duration: 1800)
        // Session q3 on day 28: a play carrying a decision the home log does not hold (a home start, no row).
        add("p2", .play, at(28, 18, 0), title: "t4", session: "q3", decision: "hd-gone", position: 0, duration: 1200)
        // crA has no duration on the event: the creative's 15 s; the abandon at exactly 15 s + 5 s of slack counts.
        add("p2", .adImpression, at(28, 18, 5), title: "t4", session: "q3", creative: "crA", rank: 0)
        add("p2", .abandon, at(28, 18, 5, 20), title: "t4", session: "q3", position: 300, duration: 1200)

        // p3, window [day 0, day 20).
        // Session r1: the click on hd2 names t1's row, because-you-watched (recommended); 3600 s.
        add("p3", .click, at(0, 20, 59), title: "t1", session: "r1", decision: "hd2", rank: 0)
        add("p3", .play, at(0, 21, 0), title: "t1", session: "r1", position: 0, duration: 3600)
        add("p3", .complete, at(0, 22, 0), title: "t1", session: "r1", position: 3600, duration: 3600)
        // Session r2: editorial (a home start, not recommended); 2400 s; last event day 10 00:10.
        add("p3", .click, at(9, 23, 29), title: "t3", session: "r2", decision: "hd2", row: "editorial:staff-picks", rank: 0)
        add("p3", .play, at(9, 23, 30), title: "t3", session: "r2", position: 0, duration: 2400)
        add("p3", .progress, at(9, 23, 50), title: "t3", session: "r2", position: 1200, duration: 2400)
        add("p3", .complete, at(10, 0, 10), title: "t3", session: "r2", position: 2400, duration: 2400)

        let statuses = try await store.appendEvents(events, receivedAt: at(40, 0, 0))
        #expect(statuses.allSatisfy { $0 == .inserted })
    }

    static let windows = [
        MetricUnitWindow(profileID: ProfileID(trusted: "p1"), from: at(0, 9, 0), to: at(15, 9, 0)),
        MetricUnitWindow(profileID: ProfileID(trusted: "p2"), from: at(0, 0, 0), to: at(30, 0, 0)),
        MetricUnitWindow(profileID: ProfileID(trusted: "p3"), from: at(0, 0, 0), to: at(20, 0, 0)),
        MetricUnitWindow(profileID: ProfileID(trusted: "p4"), from: at(0, 0, 0), to: at(14, 0, 0)),
    ]

    /// Hand-computed (numerator, denominator) per profile and metric.
    static let expected: [String: [String: (Double, Double)]] = [
        "p1": [
            // crA, crB (ad1), crA without a decision, crA (ad1 slot 0 again).
            "ad_impressions": (4, 1),
            "ad_clicks": (1, 1),
            "ad_ctr": (1, 4),
            // ad1 slot 0 logged at 1500, slot 1 at 2500, the undecided crA at cA's 1200; the replay of slot 0 is
            // not charged: (1500 + 2500 + 1200) / 100,000 dollars.
            "advertiser_revenue": (0.052, 1),
            // 300 (s0) + 610 + 600 (s1) + 2400 + 600 (s2) = 4510 s.
            "ads_per_viewing_hour": (4, 4510.0 / 3600),
            "ad_skips": (1, 1),
            "ad_break_abandons": (1, 1),
            "viewing_minutes": (4510.0 / 60, 1),
            // s0, s1, s2, s3 and the day-sessions of days 1 and 3.
            "sessions": (6, 1),
            // t1 through hd1's click, t2 with hd1, t3 with its row.
            "home_starts": (3, 1),
            // t1 from top-picks (610 s) and t3 from trending (2400 s).
            "recommended_viewing_share": (3010.0 / 60, 4510.0 / 60),
            // s1: 60 s; s2: 0 s; s0 and s3 have no play in the window.
            "time_to_select": (60, 2),
            // t1 Drama, Thriller; t2 Comedy; t3 drama (the same), Documentary. t4's plays are outside.
            "distinct_genres": (4, 1),
            "active_day_7": (1, 1),
            // A 15-day window does not reach day 28.
            "active_day_28": (0, 1),
            // The like at day 15 08:59:59 is in the last 7 days.
            "churned": (0, 1),
            // Subscribed the whole 15 days (last event + 7 days is past the end): 7.99 × 15 / 30, plus ads.
            "revenue_per_viewer": (7.99 * 15 / 30 + 0.052, 1),
        ],
        "p2": [
            "ad_impressions": (2, 1),
            "ad_clicks": (0, 1),
            "ad_ctr": (0, 2),
            // crB without a decision at cB's 2500, crA at cA's 1200.
            "advertiser_revenue": (0.037, 1),
            // 610 (t2) + 300 (t4) = 910 s.
            "ads_per_viewing_hour": (2, 910.0 / 3600),
            "ad_skips": (0, 1),
            "ad_break_abandons": (1, 1),
            "viewing_minutes": (910.0 / 60, 1),
            "sessions": (2, 1),
            "home_starts": (1, 1),
            "recommended_viewing_share": (0, 910.0 / 60),
            // q1: 120 s; q3: 0 s.
            "time_to_select": (120, 2),
            // t2 Comedy, t4 Kids.
            "distinct_genres": (2, 1),
            "active_day_7": (0, 1),
            // Day 28 is [day 28 00:00, day 29 00:00): the play at 18:00.
            "active_day_28": (1, 1),
            "churned": (0, 1),
            // The whole 30 days: 5.99 × 30 / 30, plus ads.
            "revenue_per_viewer": (5.99 + 0.037, 1),
        ],
        "p3": [
            "ad_impressions": (0, 1),
            "ad_clicks": (0, 1),
            "ad_ctr": (0, 0),
            "advertiser_revenue": (0, 1),
            // 3600 + 2400 = 6000 s.
            "ads_per_viewing_hour": (0, 6000.0 / 3600),
            "ad_skips": (0, 1),
            "ad_break_abandons": (0, 1),
            "viewing_minutes": (100, 1),
            "sessions": (2, 1),
            "home_starts": (2, 1),
            "recommended_viewing_share": (60, 100),
            // r1: click 20:59 → play 21:00; r2: click 23:29 → play 23:30.
            "time_to_select": (120, 2),
            // t1 Drama, Thriller; t3 drama, Documentary.
            "distinct_genres": (3, 1),
            "active_day_7": (0, 1),
            "active_day_28": (0, 1),
            // Nothing in [day 13, day 20).
            "churned": (1, 1),
            // Subscribed until 7 days after the last event (day 10 00:10): 17 days and 10 minutes of 30.
            "revenue_per_viewer": (17.99 * (17 + 10.0 / 1440) / 30, 1),
        ],
        "p4": [
            "ad_impressions": (0, 1), "ad_clicks": (0, 1), "ad_ctr": (0, 0), "advertiser_revenue": (0, 1),
            "ads_per_viewing_hour": (0, 0), "ad_skips": (0, 1), "ad_break_abandons": (0, 1), "viewing_minutes": (0, 1),
            "sessions": (0, 1), "home_starts": (0, 1), "recommended_viewing_share": (0, 0), "time_to_select": (0, 0),
            "distinct_genres": (0, 1), "active_day_7": (0, 1), "active_day_28": (0, 1),
            // No event at all: churned, and subscribed for the 7 days after the window's start.
            "churned": (1, 1), "revenue_per_viewer": (7.99 * 7 / 30, 1),
        ],
    ]

    @Test(arguments: StoreFactory.all)
    func everyMetricMatchesTheHandComputedValues(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let keys = MetricCatalog.all.map(\.key)
            let values = try await store.unitMetrics(Self.windows, metrics: keys, pricing: PlanPricing())
            #expect(values.count == 4)
            for (profile, metrics) in Self.expected {
                #expect(metrics.count == keys.count, "\(profile) checks every metric")
                for (key, (numerator, denominator)) in metrics {
                    let value = try #require(values[ProfileID(trusted: profile)]?[key], "\(profile) \(key)")
                    #expect(
                        abs(value.numerator - numerator) < 1e-9, "\(profile) \(key) numerator \(value.numerator), expected \(numerator)")
                    #expect(
                        abs(value.denominator - denominator) < 1e-9,
                        "\(profile) \(key) denominator \(value.denominator), expected \(denominator)")
                }
            }
        }
    }

    /// A subset runs only the statements it needs and answers only the keys asked; the pricing is the caller's.
    @Test(arguments: StoreFactory.all)
    func aSubsetOfMetricsAndOwnPrices(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let values = try await store.unitMetrics(
                Array(Self.windows.prefix(2)), metrics: ["revenue_per_viewer", "ad_ctr"], pricing: PlanPricing(standardWithAds: 10))
            #expect(Set(values.keys) == [ProfileID(trusted: "p1"), ProfileID(trusted: "p2")])
            let p1 = try #require(values[ProfileID(trusted: "p1")])
            #expect(Set(p1.keys) == ["revenue_per_viewer", "ad_ctr"])
            // 10 × 15 / 30 + 0.052.
            #expect(abs(p1["revenue_per_viewer"]!.numerator - 5.052) < 1e-9)
            #expect(p1["ad_ctr"] == UnitMetricValue(numerator: 1, denominator: 4))
        }
    }

    /// A window that ends before an event's day hides it: p1 cut at day 7 09:00 no longer sees s2.
    @Test(arguments: StoreFactory.all)
    func windowsCutEventsAtBothEnds(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            let window = MetricUnitWindow(profileID: ProfileID(trusted: "p1"), from: Self.at(0, 10, 1), to: Self.at(7, 20, 0))
            let values = try await store.unitMetrics(
                [window], metrics: ["viewing_minutes", "home_starts", "ad_impressions", "sessions", "time_to_select", "active_day_7"],
                pricing: PlanPricing())
            let p1 = try #require(values[ProfileID(trusted: "p1")])
            // From the play of t1 at 10:01 (inclusive): t1 0 → 610 and t2 1200 → 1800; the play of t3 at day 7
            // 20:00 is the window's end (exclusive).
            #expect(p1["viewing_minutes"]!.numerator == 1210.0 / 60)
            // The click before 10:01 is outside: the play of t1 has no source; t2 carries hd1.
            #expect(p1["home_starts"]!.numerator == 1)
            #expect(p1["ad_impressions"]!.numerator == 2)
            // s1 and the day-sessions of days 1 and 3 (days from 10:01 on day 0: day 1 12:00 is day 1, day 3 12:00 day 3).
            #expect(p1["sessions"]!.numerator == 3)
            // s1's first event in the window is the play itself.
            #expect(p1["time_to_select"] == UnitMetricValue(numerator: 0, denominator: 1))
            // Day 7 from day 0 10:01 starts at day 7 10:01; the window ends at day 7 20:00 before any event.
            #expect(p1["active_day_7"]!.numerator == 0)
        }
    }

    @Test(arguments: StoreFactory.all)
    func badRequestsAreRefusedNamingTheField(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await Self.prepare(store)
            func message(_ body: () async throws -> Void) async -> String? {
                do {
                    try await body()
                    return nil
                } catch let error as MarqueeError {
                    #expect(error.kind == .invalidValue)
                    return error.message
                } catch {
                    return "\(error)"
                }
            }
            let unknown = await message {
                _ = try await store.unitMetrics(Self.windows, metrics: ["ad_ctr", "watch_time"], pricing: .standard)
            }
            #expect(unknown?.hasPrefix("metrics: unknown metric 'watch_time'") == true)
            let twice = await message {
                _ = try await store.unitMetrics([Self.windows[0], Self.windows[0]], metrics: ["ad_ctr"], pricing: .standard)
            }
            #expect(twice?.hasPrefix("windows: profile 'p1'") == true)
            let empty = await message {
                let w = MetricUnitWindow(profileID: ProfileID(trusted: "p1"), from: Self.t0, to: Self.t0)
                _ = try await store.unitMetrics([w], metrics: ["ad_ctr"], pricing: .standard)
            }
            #expect(empty?.hasPrefix("windows: the window of profile 'p1'") == true)
            let price = await message {
                _ = try await store.unitMetrics(Self.windows, metrics: ["ad_ctr"], pricing: PlanPricing(adFree: -1))
            }
            #expect(price?.hasPrefix("pricing.adFree:") == true)
        }
    }
}
