import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// The analytics layer's ad facts on the metric tests' hand-made store (on every backend), against counts worked out by hand from
/// its events (see `MetricStoreTests.store()` for the story of each event).
@Suite struct AnalyticsFactsTests {
    /// The rows of a read-only statement, through the store's analytics query: numbers as doubles, text as
    /// strings, NULL as nil (the two stores type sums differently).
    func facts(_ store: any MarqueeStore, _ sql: String) async throws -> [[AnalyticsValue]] {
        try await store.analyticsQuery(AnalyticsStatement(sql: sql, arguments: []), timeLimit: 30, rowLimit: 1_000).rows
    }

    @Test(arguments: StoreFactory.all)
    func adEventsBecomeFactsWithTheirDecisionsDimensionsAndPrice(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await MetricStoreTests.prepare(store)
            let added = try await store.refreshAnalyticsFacts()
            // 6 impressions, 1 click, 2 completions, 1 skip and 2 abandons during breaks.
            #expect(added == 12)
            let totals = try await facts(
                store,
                "SELECT SUM(impressions), SUM(clicks), SUM(completions), SUM(skips), SUM(abandons), SUM(spend_millicents), "
                    + "COUNT(DISTINCT CASE WHEN impressions = 1 THEN profile_key END) FROM ad_facts")[0]
            // Spend: p1 1500 + 2500 + 1200 (the replay of ad1's slot 0 is not charged again), p2 2500 + 1200.
            #expect(totals[0].double == 6 && totals[1].double == 1 && totals[2].double == 2 && totals[3].double == 1)
            #expect(totals[4].double == 2 && totals[5].double == 8_900 && totals[6].double == 2)

            // Per campaign: cA has p1's three crA impressions and p2's one; cB the two crB ones, p1's click and the
            // abandon 19 s into crB; p2's abandon 20 s after crA's start (15 s + 5 s of slack) is cA's.
            let byCampaign = try await facts(
                store,
                "SELECT campaign_id, advertiser_id, SUM(impressions), SUM(clicks), SUM(abandons), SUM(spend_millicents) FROM ad_facts "
                    + "GROUP BY campaign_id, advertiser_id ORDER BY campaign_id")
            #expect(byCampaign.map { $0[0].string } == ["cA", "cB"])
            #expect(byCampaign.map { $0[1].string } == ["a1", "a1"])
            #expect(byCampaign.map { $0[2].double } == [4, 2])
            #expect(byCampaign.map { $0[3].double } == [0, 1])
            #expect(byCampaign.map { $0[4].double } == [1, 1])
            let spend: [Double?] = [1500 + 1200 + 1200, 2500 + 2500]
            #expect(byCampaign.map { $0[5].double } == spend)

            // ad1's impressions carry its pod: midroll, tv, the plan it logged, morning, positions 1 and 2.
            let logged = try await facts(
                store,
                "SELECT break_kind, device, plan, daypart, pod_position, title_id, genre FROM ad_facts "
                    + "WHERE decision_id = 'ad1' AND impressions = 1 ORDER BY seq")
            #expect(logged.map { $0[0].string } == ["midroll", "midroll", "midroll"])
            #expect(logged.map { $0[1].string } == ["tv", "tv", "tv"])
            #expect(logged.map { $0[2].string } == ["standardWithAds", "standardWithAds", "standardWithAds"])
            #expect(logged.map { $0[3].string } == ["morning", "morning", "morning"])
            #expect(logged.map { $0[4].double } == [1, 2, 1])
            // The pod logged no content genres: the title's first, t1's Drama, lower-cased.
            #expect(logged.map { $0[5].string } == ["t1", "t1", "t1"])
            #expect(logged.map { $0[6].string } == ["drama", "drama", "drama"])
            // Impressions without a decision: the profile's plan, the daypart of the UTC hour (no offset), the event's title.
            let undecided = try await facts(
                store,
                "SELECT profile_key, plan, daypart, genre, break_kind FROM ad_facts WHERE decision_id IS NULL AND impressions = 1 ORDER BY seq"
            )
            #expect(undecided.map { $0[0].string } == ["p1", "p2", "p2"])
            #expect(undecided.map { $0[1].string } == ["standardWithAds", "basicWithAds", "basicWithAds"])
            #expect(undecided.map { $0[2].string } == ["evening", "afternoon", "evening"])
            #expect(undecided.map { $0[3].string } == ["drama", "comedy", "kids"])
            #expect(undecided.map { $0[4].string } == [nil, nil, nil])
        }
    }

    @Test(arguments: StoreFactory.all)
    func refreshingIsIncrementalAndIdempotent(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await MetricStoreTests.prepare(store)
            #expect(try await store.refreshAnalyticsFacts() == 12)
            #expect(try await store.refreshAnalyticsFacts() == 0)
            var context = EventContext()
            context.sessionID = SessionID(trusted: "late")
            let click = Event(
                id: EventID(trusted: "late-click"), profileID: ProfileID(trusted: "p2"), type: .adClick,
                timestamp: MetricStoreTests.at(29, 10, 0), context: context, rank: 0, creativeID: CreativeID(trusted: "crA"))
            _ = try await store.appendEvents([click], receivedAt: MetricStoreTests.at(40, 0, 0))
            #expect(try await store.refreshAnalyticsFacts() == 1)
            let clicks = try await facts(store, "SELECT SUM(clicks) FROM ad_facts WHERE campaign_id = 'cA'")[0][0].double
            #expect(clicks == 1)
        }
    }

    @Test(arguments: StoreFactory.all)
    func analyticsQueriesAreReadOnlyAndLimited(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await MetricStoreTests.prepare(store)
            _ = try await store.refreshAnalyticsFacts()
            let rows = try await store.analyticsQuery(
                AnalyticsStatement(
                    sql: "SELECT seq FROM ad_facts WHERE impressions = \(store.analyticsDialect == .sqlite ? "?" : "$1") ORDER BY seq",
                    arguments: [.integer(1)]), timeLimit: 5,
                rowLimit: 4)
            #expect(rows.columns == ["seq"] && rows.rows.count == 4 && rows.truncated)
            await #expect(throws: MarqueeError.self) {
                _ = try await store.analyticsQuery(
                    AnalyticsStatement(sql: "DELETE FROM ad_facts", arguments: []), timeLimit: 5, rowLimit: 10)
            }
            #expect(try await facts(store, "SELECT COUNT(*) FROM ad_facts")[0][0].double == 12)
            // A statement past its time limit is interrupted.
            let slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT SUM(i) FROM n"
            do {
                _ = try await store.analyticsQuery(AnalyticsStatement(sql: slow, arguments: []), timeLimit: 0.2, rowLimit: 10)
                Issue.record("the slow statement was not interrupted")
            } catch let error as MarqueeError {
                #expect(error.code == "query_timeout")
            }
        }
    }
}
