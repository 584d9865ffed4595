import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// The home decision log and the artwork statistics, on every backend.
@Suite struct DecisionLogStoreTests {
    @Test(arguments: StoreFactory.all)
    func artworkLogJoinsAClickOnTheSameDecisionAndTitle(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(smallDataset(), into: store)  // profiles p1–p2, titles t1–t3
            let served = Timestamp(iso8601: "2026-11-20T20:00:00Z")!
            let decision = DecisionID(trusted: "d1")
            try await store.appendHomeDecisions([
                HomeDecisionRecord(
                    decisionID: decision, profileID: ProfileID(trusted: "p1"), servedAt: served, device: .tv, daypart: .evening,
                    items: [
                        ServedItem(
                            rowID: "top-picks", position: 0, titleID: TitleID(trusted: "t1"),
                            artworkVariant: ArtworkVariantID(trusted: "t1-a"),
                            artworkSegment: "drama-fans", artworkPropensity: 0.5),
                        ServedItem(
                            rowID: "top-picks", position: 1, titleID: TitleID(trusted: "t2"),
                            artworkVariant: ArtworkVariantID(trusted: "t2-b"),
                            artworkSegment: "drama-fans", artworkPropensity: 0.25),
                        // No artwork choice: not in the artwork log.
                        ServedItem(rowID: "trending", position: 0, titleID: TitleID(trusted: "t3")),
                    ])
            ])
            let later = served.adding(seconds: 30)
            let clicks = [
                // The viewer clicked t1 on this page: t1's artwork choice is rewarded, t2's (another title) is not.
                Event(
                    id: EventID(trusted: "click-1"), profileID: ProfileID(trusted: "p1"), type: .click, timestamp: later,
                    titleID: TitleID(trusted: "t1"), decisionID: decision, row: "top-picks", rank: 0),
                // A click on t2 from another page does not reward t2's choice on this one either.
                Event(
                    id: EventID(trusted: "click-2"), profileID: ProfileID(trusted: "p1"), type: .click, timestamp: later,
                    titleID: TitleID(trusted: "t2"), decisionID: DecisionID(trusted: "d-other"), row: "top-picks", rank: 1),
            ]
            let statuses = try await store.appendEvents(clicks, receivedAt: later)
            #expect(statuses == [.inserted, .inserted])

            let log = try await store.artworkLog(limit: 10)
            #expect(
                log == [
                    ArtworkLogEntry(
                        titleID: TitleID(trusted: "t1"), segment: "drama-fans", variant: ArtworkVariantID(trusted: "t1-a"), propensity: 0.5,
                        rewarded: true),
                    ArtworkLogEntry(
                        titleID: TitleID(trusted: "t2"), segment: "drama-fans", variant: ArtworkVariantID(trusted: "t2-b"),
                        propensity: 0.25,
                        rewarded: false),
                ])
            #expect(try await store.artworkLog(limit: 1).count == 1)
        }
    }
}

@Suite struct CompactHomeDecisionTests {
    static func items() -> [ServedItem] {
        (0..<60).map { (k: Int) -> ServedItem in
            var item = ServedItem(
                rowID: "row-\(k / 10)", position: k % 10, titleID: TitleID(trusted: "t\(1000 + k)"), propensity: k % 5 == 0 ? 0.25 : 1,
                explored: k % 11 == 0)
            if k % 7 != 0 {
                item.artworkVariant = ArtworkVariantID(trusted: "t\(1000 + k)-v\(k % 3)")
                item.artworkSegment = k < 30 ? "drama-fans" : "comedy-fans"
                let share: Double = Double(k % 9) / 10
                item.artworkPropensity = 0.1 + share
            }
            return item
        }
    }

    /// Every field survives the compact form (propensities to Float32 precision), and the form is several
    /// times smaller than the JSON of format 1 that it replaces.
    @Test func theCompactFormKeepsEveryFieldInAFractionOfTheBytes() throws {
        let items = Self.items()
        let bytes = HomeDecisionCoding.encode(items)
        let back = try HomeDecisionCoding.decode(bytes)
        #expect(back.count == items.count)
        for (a, b) in zip(items, back) {
            #expect(a.rowID == b.rowID && a.position == b.position && a.titleID == b.titleID && a.explored == b.explored)
            #expect(a.artworkVariant == b.artworkVariant && a.artworkSegment == b.artworkSegment)
            #expect(abs((a.artworkPropensity ?? 0) - (b.artworkPropensity ?? 0)) < 1e-7)
            #expect(abs(a.propensity - b.propensity) < 1e-7)
        }
        let json = formatOneJSON(items).utf8.count
        #expect(bytes.count * 3 < json)
        // Truncated or trailing bytes are refused, never read past.
        #expect(throws: MarqueeError.self) { try HomeDecisionCoding.decode(Array(bytes.dropLast())) }
        #expect(throws: MarqueeError.self) { try HomeDecisionCoding.decode(bytes + [0]) }
    }

    /// Format 2's layout, byte by byte as its documentation gives it (what pages already stored hold): two
    /// items, the second at position 40 with only four bytes after it.
    @Test func theCompactFormIsTheDocumentedLayout() throws {
        let items = [
            ServedItem(
                rowID: "top", position: 3, titleID: TitleID(trusted: "t1"), artworkVariant: ArtworkVariantID(trusted: "t1-a"),
                artworkSegment: "s", artworkPropensity: 0.5, propensity: 0.25),
            ServedItem(rowID: "top", position: 40, titleID: TitleID(trusted: "t9")),
        ]
        let t = UInt8(ascii: "t")
        let bytes: [UInt8] =
            // Version 2, the strings "top" and "s", 2 items.
            [2, 2, 3, t, UInt8(ascii: "o"), UInt8(ascii: "p"), 1, UInt8(ascii: "s"), 2]
            // Item 1: row 0, position 3, "t1", flags artwork | partial | suffixed, "a", segment 1, 0.5 and 0.25 as Float32.
            + [0, 3, 2, t, UInt8(ascii: "1"), 1 | 4 | 8, 1, UInt8(ascii: "a"), 1, 0, 0, 0, 0x3F, 0, 0, 0x80, 0x3E]
            + [0, 40, 2, t, UInt8(ascii: "9"), 0]
        #expect(HomeDecisionCoding.encode(items) == bytes)
        let back = try HomeDecisionCoding.decode(bytes)
        #expect(back.map(\.position) == [3, 40])
        #expect(back[0].artworkVariant?.rawValue == "t1-a" && back[0].artworkSegment == "s" && back[0].artworkPropensity == 0.5)
        #expect(back[0].propensity == 0.25 && back[1].propensity == 1 && back[1].artworkVariant == nil)
    }

    /// Pages logged by format 1 (JSON text) before this version are still read, item for item.
    @Test func pagesLoggedAsJSONAreStillRead() async throws {
        let store = try SQLiteStore(path: try temporaryStorePath())
        defer { try? store.close() }
        _ = try await store.importDataset(smallDataset())
        let items = Self.items()
        let json = formatOneJSON(items)
        try await store.write("a format 1 page") { db in
            try db.execute(
                sql: "INSERT INTO home_decisions (decision_id, profile_id, served_at, device, daypart, items) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: ["h-old", "p1", 1_000, "tv", "evening", json])
        }
        let read = try #require(try await store.homeDecision(id: DecisionID(trusted: "h-old")))
        // Format 1 wrote propensities as decimal text: equal to the last digit or so, not bit for bit.
        #expect(read.items.count == items.count)
        for (a, b) in zip(read.items, items) {
            #expect(a.rowID == b.rowID && a.position == b.position && a.titleID == b.titleID && a.explored == b.explored)
            #expect(a.artworkVariant == b.artworkVariant && a.artworkSegment == b.artworkSegment)
            #expect(abs((a.artworkPropensity ?? -1) - (b.artworkPropensity ?? -1)) < 1e-12 && abs(a.propensity - b.propensity) < 1e-12)
        }
        #expect(try await store.artworkLog(limit: 1_000).count == items.filter { $0.artworkVariant != nil }.count)
    }

    /// The store counts artwork impressions as pages are logged and a reward when a click or play first
    /// joins a page for a title (a second click on the same page and title is not a second reward).
    @Test(arguments: StoreFactory.all)
    func artworkStatisticsFollowLoggedPagesAndTheirFirstClicks(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(smallDataset(), into: store)
            let served = Timestamp(iso8601: "2026-11-20T20:00:00Z")!
            func page(_ id: String) -> HomeDecisionRecord {
                HomeDecisionRecord(
                    decisionID: DecisionID(trusted: id), profileID: ProfileID(trusted: "p1"), servedAt: served, device: .tv,
                    daypart: .evening,
                    items: [
                        ServedItem(
                            rowID: "top-picks", position: 0, titleID: TitleID(trusted: "t1"),
                            artworkVariant: ArtworkVariantID(trusted: "t1-a"),
                            artworkSegment: "drama-fans", artworkPropensity: 0.5),
                        ServedItem(rowID: "trending", position: 0, titleID: TitleID(trusted: "t3")),
                    ])
            }
            try await store.appendHomeDecisions([page("h-1"), page("h-2")])
            try await store.appendHomeDecisions([page("h-2")])  // logged again: not counted again
            func click(_ id: String, _ decision: String) -> Event {
                Event(
                    id: EventID(trusted: id), profileID: ProfileID(trusted: "p1"), type: .click, timestamp: served.adding(seconds: 5),
                    titleID: TitleID(trusted: "t1"), decisionID: DecisionID(trusted: decision), row: "top-picks", rank: 0)
            }
            _ = try await store.appendEvents([click("c1", "h-1"), click("c2", "h-1")], receivedAt: served)
            _ = try await store.appendEvents([click("c1", "h-1")], receivedAt: served)  // a retry: a duplicate
            let stats = try await store.artworkStats()
            #expect(
                stats == [
                    ArtworkStat(
                        titleID: TitleID(trusted: "t1"), variant: ArtworkVariantID(trusted: "t1-a"), segment: "drama-fans", impressions: 2,
                        rewards: 1)
                ])
            // The retention sweep deletes old pages and keeps the counts.
            #expect(try await store.deleteHomeDecisions(servedBefore: served.adding(seconds: 1)) == 2)
            #expect(try await store.homeDecisionCount() == 0)
            #expect(try await store.artworkStats().first?.impressions == 2)
        }
    }

    /// Pages logged without counting their artwork, and the counts of several batches summed and added at
    /// once (what the serving runtime's tally does): the same statistics as counting in each batch.
    @Test(arguments: StoreFactory.all)
    func artworkImpressionsAddedLaterSumToTheCountsOfEachBatch(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(smallDataset(), into: store)
            let served = Timestamp(iso8601: "2026-11-20T20:00:00Z")!
            func page(_ id: String, _ variant: String, segment: String) -> HomeDecisionRecord {
                HomeDecisionRecord(
                    decisionID: DecisionID(trusted: id), profileID: ProfileID(trusted: "p1"), servedAt: served, device: .tv,
                    daypart: .evening,
                    items: [
                        ServedItem(
                            rowID: "top-picks", position: 0, titleID: TitleID(trusted: "t1"),
                            artworkVariant: ArtworkVariantID(trusted: variant),
                            artworkSegment: segment, artworkPropensity: 0.5),
                        ServedItem(rowID: "trending", position: 0, titleID: TitleID(trusted: "t3")),
                    ])
            }
            let batches = [
                [page("h-1", "t1-a", segment: "s1"), page("h-2", "t1-b", segment: "s1")],
                [page("h-3", "t1-a", segment: "s1"), page("h-4", "t1-a", segment: "s2")],
            ]
            var tallied: [ArtworkImpressionCount] = []
            for batch in batches {
                try await store.appendHomeDecisions(batch, countingArtwork: false)
                tallied += ArtworkImpressionCount.of(batch)
            }
            #expect(try await store.artworkStats().isEmpty)
            try await store.addArtworkImpressions(ArtworkImpressionCount.merged(tallied))
            // By hand: t1-a shown twice in s1 and once in s2, t1-b once in s1.
            let stats = try await store.artworkStats().map { "\($0.variant.rawValue)/\($0.segment)=\($0.impressions)" }.sorted()
            #expect(stats == ["t1-a/s1=2", "t1-a/s2=1", "t1-b/s1=1"])
            #expect(try await store.homeDecisionCount() == 4)
        }
    }
}

/// A page's items as format 1 wrote them (a JSON array per item), for the stores logged before format 2.
private func formatOneJSON(_ items: [ServedItem]) -> String {
    var w = JSONWriter(capacity: items.count * 48 + 2)
    w.raw("[")
    for (k, item) in items.enumerated() {
        if k > 0 { w.raw(",") }
        w.raw("[")
        w.string(item.rowID)
        w.raw(",")
        w.int(item.position)
        w.raw(",")
        w.string(item.titleID.rawValue)
        w.raw(",")
        if let v = item.artworkVariant { w.string(v.rawValue) } else { w.raw("null") }
        w.raw(",")
        if let s = item.artworkSegment { w.string(s) } else { w.raw("null") }
        w.raw(",")
        if let p = item.artworkPropensity, p.isFinite { w.exact(p) } else { w.raw("null") }
        w.raw(",")
        w.exact(item.propensity.isFinite ? item.propensity : 1)
        w.raw(item.explored ? ",1]" : ",0]")
    }
    w.raw("]")
    return String(decoding: w.bytes, as: UTF8.self)
}
