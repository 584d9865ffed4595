import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

@Suite struct DecisionLogStoreTests {
    @Test func artworkLogJoinsAClickOnTheSameDecisionAndTitle() async throws {
        let store = try SQLiteStore(path: try temporaryStorePath())
        defer { try? store.close() }
        _ = try await store.importDataset(smallDataset())  // profiles p1–p2, titles t1–t3
        let served = Timestamp(iso8601: "2026-11-20T20:00:00Z")!
        let decision = DecisionID(trusted: "d1")
        try await store.appendHomeDecisions([
            HomeDecisionRecord(
                decisionID: decision, profileID: ProfileID(trusted: "p1"), servedAt: served, device: .tv, daypart: .evening,
                items: [
                    ServedItem(
                        rowID: "top-picks", position: 0, titleID: TitleID(trusted: "t1"), artworkVariant: ArtworkVariantID(trusted: "t1-a"),
                        artworkSegment: "drama-fans", artworkPropensity: 0.5),
                    ServedItem(
                        rowID: "top-picks", position: 1, titleID: TitleID(trusted: "t2"), artworkVariant: ArtworkVariantID(trusted: "t2-b"),
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
                    titleID: TitleID(trusted: "t2"), segment: "drama-fans", variant: ArtworkVariantID(trusted: "t2-b"), propensity: 0.25,
                    rewarded: false),
            ])
        #expect(try await store.artworkLog(limit: 1).count == 1)
    }
}
