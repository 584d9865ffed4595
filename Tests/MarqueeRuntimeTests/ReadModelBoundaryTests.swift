import Foundation
import Logging
import MarqueeAds
import MarqueeCore
import MarqueeRuntime
import MarqueeStorage
import Testing

/// The shared read models are the boundary between the home page and the ad side: the ad service
/// decides from the catalog and the viewer facts alone, and a change reaches both services through them.
@Suite struct ReadModelBoundaryTests {
    /// The delivery clock: a fixed instant inside every flight below, whatever day the tests run on.
    static let now = Timestamp(iso8601: "2026-11-02T02:00:00Z")!

    static var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// A store with titles t-horror (horror), t-drama (drama) and t-news (news, the title ads are asked
    /// for); profiles p1–p3 on an ad plan; campaigns k-horror (audience `fans:horror`) and k-drama
    /// (`fans:drama`), one 15 s creative each; p1 liked t-horror, p2 played t-drama, p3 has no history.
    static func store() async throws -> (SQLiteStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-readmodels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: directory.appendingPathComponent("store.sqlite").path)
        let added = now.adding(seconds: -400 * 86_400)
        try await store.upsertTitles([
            Title(id: TitleID(trusted: "t-horror"), name: "Night", genres: ["horror"], dateAdded: added),
            Title(id: TitleID(trusted: "t-drama"), name: "Day", genres: ["drama"], dateAdded: added),
            Title(id: TitleID(trusted: "t-news"), name: "Tonight", genres: ["news"], dateAdded: added),
        ])
        try await store.upsertProfiles(
            (1...3).map { Profile(id: ProfileID(trusted: "p\($0)"), plan: .basicWithAds, region: "us-west", createdAt: added) })
        try await store.upsertAdvertisers([Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")])
        try await store.upsertCampaigns(
            ["horror", "drama"].map { genre in
                Campaign(
                    id: CampaignID(trusted: "k-\(genre)"), advertiserID: AdvertiserID(trusted: "a1"), name: genre,
                    startsAt: now.adding(seconds: -30 * 86_400), endsAt: now.adding(seconds: 30 * 86_400), totalBudgetCents: 100_000,
                    cpmBidCents: 1000, pacing: .asFastAsPossible, targeting: Targeting(audiences: ["fans:\(genre)"]))
            })
        try await store.upsertCreatives(
            ["horror", "drama"].map { genre in
                Creative(
                    id: CreativeID(trusted: "c-\(genre)"), campaignID: CampaignID(trusted: "k-\(genre)"), name: genre, durationSeconds: 15,
                    mediaURL: "https://ads.example/\(genre).mp4", clickURL: "https://acme.example", category: "retail")
            })
        _ = try await store.appendEvents(
            [
                event("e1", profile: "p1", .like, title: "t-horror", at: now.adding(seconds: -3_600)),
                event("e2", profile: "p2", .play, title: "t-drama", at: now.adding(seconds: -3_600)),
            ], receivedAt: now.adding(seconds: -3_600))
        return (store, directory)
    }

    static func event(_ id: String, profile: String, _ type: EventType, title: String, at: Timestamp) -> Event {
        Event(id: EventID(trusted: id), profileID: ProfileID(trusted: profile), type: type, timestamp: at, titleID: TitleID(trusted: title))
    }

    static func ask(_ profile: String, title: String = "t-news") -> AdService.Ask {
        AdService.Ask(
            profileKey: profile, titleID: title, breakKind: .midRoll, cueSeconds: 600, device: .tv, region: nil, at: nil,
            sessionID: nil, maxPodSeconds: nil)
    }

    static func campaigns(_ pod: AdPod) -> Set<String> { Set(pod.ads.map(\.campaignID.rawValue)) }

    /// An ad service over the two read models and nothing of the home page: each viewer's liked history
    /// becomes their top genres, and the campaign for fans of that genre is the one served. A like that
    /// arrives through the tail after the warm-up changes the next pod.
    @Test func theAdServiceDecidesFromTheReadModelsWithoutAHomeService() async throws {
        let (store, directory) = try await Self.store()
        defer {
            try? store.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let tail = EventTail(store: store)
        let catalog = CatalogReadModel(store: store, snapshots: SnapshotService(path: nil, logger: Self.quietLogger))
        let viewers = ViewerFactsReadModel(catalog: catalog, store: store, tail: tail, logger: Self.quietLogger)
        let ads = AdService(
            store: store, catalog: catalog, viewers: viewers, changes: AdBookChanges(),
            signer: try BeaconSigner(secret: Array(repeating: 7, count: 32), baseURL: "http://localhost"), tail: tail,
            logger: Self.quietLogger, clock: { Self.now })
        tail.subscribe(contextual: true) { events in await viewers.observe(events) }
        tail.subscribe(contextual: true) { events in await ads.observe(events) }
        try await viewers.warmUp()
        try await ads.warmUp()

        #expect(try await viewers.topGenres("p1") == ["horror"])
        #expect(try await viewers.topGenres("p2") == ["drama"])
        #expect(try await viewers.topGenres("p3") == [])
        #expect(Self.campaigns(try await ads.decide(Self.ask("p1")).pod) == ["k-horror"])
        #expect(Self.campaigns(try await ads.decide(Self.ask("p2")).pod) == ["k-drama"])
        #expect(try await ads.decide(Self.ask("p3")).pod.ads.isEmpty)

        // p3 likes a horror title; the tail folds it into the viewer facts, and the ad side reads it.
        _ = try await store.appendEvents([Self.event("e3", profile: "p3", .like, title: "t-horror", at: Self.now)], receivedAt: Self.now)
        try await tail.catchUp()
        #expect(try await viewers.topGenres("p3") == ["horror"])
        #expect(Self.campaigns(try await ads.decide(Self.ask("p3")).pod) == ["k-horror"])
    }

    /// The home page and the ad side read one catalog: a title added to the store is unknown to both until
    /// the change watcher refreshes the catalog read model, then known to both.
    @Test func aCatalogChangeReachesBothServicesThroughTheReadModel() async throws {
        let (store, directory) = try await Self.store()
        defer {
            try? store.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let runtime = try await ServingRuntime(
            store: store,
            configuration: RuntimeConfiguration(
                beaconSecret: Array(repeating: 7, count: 32), publicBaseURL: "http://localhost", clock: { Self.now },
                logsDecisions: false),
            logger: Self.quietLogger)
        try await runtime.warmUp()
        #expect(runtime.home.catalog === runtime.catalog && runtime.ads.catalog === runtime.catalog)
        #expect(runtime.home.viewers === runtime.viewers && runtime.ads.viewers === runtime.viewers)

        try await store.upsertTitles([
            Title(id: TitleID(trusted: "t-new"), name: "New", genres: ["horror"], dateAdded: Self.now.adding(seconds: -86_400))
        ])
        #expect(try await runtime.home.title("t-new") == nil)
        await #expect(throws: MarqueeError.self) { try await runtime.ads.decide(Self.ask("p1", title: "t-new")) }

        try await runtime.changes.check()
        #expect(try await runtime.home.title("t-new")?.name == "New")
        #expect(Self.campaigns(try await runtime.ads.decide(Self.ask("p1", title: "t-new")).pod) == ["k-horror"])
    }

    /// An event naming a title the catalog does not have yet (written before the change watcher looked)
    /// grows the shared catalog when the viewer facts fold it: the viewer's genres count it, and the ad
    /// side knows the title at once.
    @Test func anEventNamingANewTitleGrowsTheSharedCatalog() async throws {
        let (store, directory) = try await Self.store()
        defer {
            try? store.close()
            try? FileManager.default.removeItem(at: directory)
        }
        let runtime = try await ServingRuntime(
            store: store,
            configuration: RuntimeConfiguration(
                beaconSecret: Array(repeating: 7, count: 32), publicBaseURL: "http://localhost", clock: { Self.now },
                logsDecisions: false),
            logger: Self.quietLogger)
        try await runtime.warmUp()
        try await store.upsertTitles([
            Title(id: TitleID(trusted: "t-new"), name: "New", genres: ["drama"], dateAdded: Self.now.adding(seconds: -86_400))
        ])
        _ = try await store.appendEvents([Self.event("e3", profile: "p3", .like, title: "t-new", at: Self.now)], receivedAt: Self.now)
        try await runtime.tail.catchUp()
        #expect(try await runtime.viewers.topGenres("p3") == ["drama"])
        #expect(try await runtime.ads.catalog.title("t-new")?.name == "New")
        #expect(Self.campaigns(try await runtime.ads.decide(Self.ask("p3", title: "t-new")).pod) == ["k-drama"])
    }
}
