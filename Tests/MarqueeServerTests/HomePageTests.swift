import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRecommend
import MarqueeRuntime
import MarqueeServer
import MarqueeSimulation
import MarqueeStorage
import Testing

/// A small demo world in a temporary store, with a trained snapshot and an in-process router.
struct HomeFixture: @unchecked Sendable {
    let store: any TestStore
    let directory: URL
    let adminKey: String
    let titles: [String: Title]
    let profiles: [Profile]
    let runtime: ServingRuntime
    let router: Router<AppRequestContext>
    var home: HomeService { runtime.home }
    var decisionLog: DecisionLogWriter { runtime.homeDecisionLog! }

    static func make(profiles: Int = 240, titles: Int = 120, days: Int = 14, protectReads: Bool = false) async throws -> HomeFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marquee-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await TestBackend.freshStore(in: directory, file: "home.sqlite")
        let world = DemoWorld.generate(DemoWorldConfiguration(seed: 7, profiles: profiles, titles: titles, days: days))
        _ = try await store.load(world)
        let made = APIKeys.make(scope: .admin, name: "admin")
        try await store.insertAPIKey(made.record, keyHash: made.hash)
        let path = directory.appendingPathComponent("model").path
        let (snapshot, _) = try await SnapshotTrainer.train(from: store, now: Timestamp(iso8601: "2026-11-01T00:00:00Z")!)
        try snapshot.write(to: path)
        return try await serving(
            store: store, directory: directory, adminKey: made.key, snapshotPath: path, titles: world.titles, profiles: world.profiles,
            protectReads: protectReads)
    }

    /// The home service (warmed up) and router over a filled store with a trained snapshot at `snapshotPath`.
    static func serving(
        store: any TestStore, directory: URL, adminKey: String, snapshotPath path: String, titles: [Title], profiles: [Profile],
        protectReads: Bool = false
    ) async throws -> HomeFixture {
        var configuration = HomeConfiguration()
        configuration.seed = 11
        // The delivery clock is the evening the ad requests name, whatever day the tests run on.
        let runtime = try await ServingRuntime(
            store: store,
            configuration: RuntimeConfiguration(
                snapshotPath: path, beaconSecret: Array(repeating: 7, count: 32), publicBaseURL: "http://localhost", home: configuration,
                clock: { LocalTime(iso8601: AdFixture.evening)!.instant }),
            logger: MarqueeServerTests.quietLogger)
        try await runtime.warmUp()
        let router = buildRouter(
            runtime: runtime, metrics: ServerMetrics(), configuration: ServerConfiguration(port: 0, protectReads: protectReads))
        return HomeFixture(
            store: store, directory: directory, adminKey: adminKey,
            titles: Dictionary(uniqueKeysWithValues: titles.map { ($0.id.rawValue, $0) }), profiles: profiles, runtime: runtime,
            router: router)
    }

    var quietLogger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    func cleanUp() {
        store.shutDown()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct PageRow {
    var id: String
    var kind: String
    var title: String
    var reason: String
    var items: [[String: Any]]
    var titleIDs: [String] { items.compactMap { $0["titleId"] as? String } }
}

func pageRows(_ response: TestResponse) throws -> (rows: [PageRow], json: [String: Any]) {
    let j = try json(response)
    let rows = try #require(j["rows"] as? [[String: Any]]).map { r in
        PageRow(
            id: r["id"] as? String ?? "", kind: r["kind"] as? String ?? "", title: r["title"] as? String ?? "",
            reason: r["reason"] as? String ?? "", items: r["items"] as? [[String: Any]] ?? [])
    }
    return (rows, j)
}

/// Checks the page invariants: reasons, one decision id, no title twice (Continue Watching aside),
/// nothing above the maturity limit or outside the region.
func checkInvariants(_ rows: [PageRow], profile: Profile, titles: [String: Title]) {
    var seen = Set<String>()
    for row in rows {
        #expect(!row.reason.isEmpty && !row.title.isEmpty, "row \(row.id) lacks a title or reason")
        #expect(!row.items.isEmpty)
        for item in row.items {
            let id = item["titleId"] as? String ?? ""
            let title = titles[id]
            #expect(title != nil, "unknown title \(id)")
            if let title {
                #expect(title.maturityRating <= profile.maturityLimit, "\(id) is \(title.maturityRating.rawValue) for \(profile.id)")
                #expect(title.regions.isEmpty || title.regions.contains(profile.region), "\(id) not available in \(profile.region)")
            }
            #expect(!(item["explanation"] as? String ?? "").isEmpty)
            if row.kind != "continue-watching" {
                #expect(seen.insert(id).inserted, "\(id) twice on the page of \(profile.id)")
            }
        }
    }
}

func fetchRows(_ client: some TestClientProtocol, _ uri: String) async throws -> [PageRow] {
    try await client.execute(uri: uri, method: .get) { r in
        #expect(r.status == .ok, "\(uri): \(String(buffer: r.body))")
        return try pageRows(r).rows
    }
}

func postJSON(
    _ client: some TestClientProtocol, _ uri: String, key: String, _ object: [String: Any], expect status: HTTPResponse.Status
)
    async throws
{
    let text = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    try await client.execute(uri: uri, method: .post, headers: headers(key: key), body: buffer(text)) { r in
        #expect(r.status == status, "\(uri): \(String(buffer: r.body))")
    }
}

@Suite(.serialized) struct HomePageTests {
    static let evening = "2026-11-01T21:00:00-05:00"

    @Test func demoPagesHaveSixRowKindsWithReasonsAndRespectTheFilters() async throws {
        let f = try await HomeFixture.make(profiles: 240, titles: 300, days: 14)
        defer { f.cleanUp() }
        let app = Application(router: f.router, logger: f.quietLogger)
        let kindCounts = try await app.test(.router) { client in
            var kindCounts: [(Int, Bool)] = []
            for profile in f.profiles.prefix(40) {
                let kinds = try await client.execute(uri: "/v1/profiles/\(profile.id)/home?device=tv&at=\(Self.evening)", method: .get) {
                    r in
                    #expect(r.status == .ok)
                    let (rows, j) = try pageRows(r)
                    checkInvariants(rows, profile: profile, titles: f.titles)
                    for row in rows { #expect(RowKind(rowID: row.id)?.rawValue == row.kind) }
                    return (Set(rows.map(\.kind)).count, j["personalized"] as? Bool == true)
                }
                kindCounts.append(kinds)
            }
            return kindCounts
        }
        // Profiles with history get at least six kinds (a few with a strict maturity limit in a small
        // catalog fewer); new ones get a cold-start page.
        let personalized = kindCounts.filter(\.1).map(\.0)
        #expect(personalized.count >= 20)
        #expect(personalized.filter { $0 >= 6 }.count >= personalized.count * 8 / 10, "\(kindCounts)")
        #expect(kindCounts.allSatisfy { $0.0 >= 3 }, "\(kindCounts)")
    }

    @Test func aPlayADislikeAndNewHistoryChangeTheNextPageAtOnce() async throws {
        let f = try await HomeFixture.make()
        defer { f.cleanUp() }
        let app = Application(router: f.router, logger: f.quietLogger)
        let profile = try #require(f.profiles.first { $0.maturityLimit == .age18 && $0.plan != .adFree })
        let seen = Set(try await f.store.events(profile: profile.id, limit: 10_000).compactMap { $0.titleID?.rawValue })
        let candidates = f.titles.values.filter {
            !seen.contains($0.id.rawValue) && ($0.regions.isEmpty || $0.regions.contains(profile.region)) && $0.kind != .episode
        }.sorted { $0.id < $1.id }
        try await app.test(.router) { client in
            let uri = "/v1/profiles/\(profile.id)/home?device=tv&at=\(Self.evening)&perRow=20"
            let before = try await fetchRows(client, uri)
            let topBefore = before.first { $0.kind == "top-picks" }?.titleIDs ?? []
            // A play (and some progress) of a title never seen: Continue Watching and Because You Watched show it.
            let played = try #require(candidates.first)
            let started = Date()
            try await postJSON(
                client, "/v1/events", key: f.adminKey,
                [
                    "events": [
                        [
                            "id": "rt-play", "profileId": profile.id.rawValue, "type": "play", "titleId": played.id.rawValue,
                            "timestamp": "2026-11-01T20:30:00-05:00", "context": ["device": "tv"],
                        ],
                        [
                            "id": "rt-progress", "profileId": profile.id.rawValue, "type": "progress", "titleId": played.id.rawValue,
                            "timestamp": "2026-11-01T20:50:00-05:00", "positionSeconds": 1200, "durationSeconds": 5400,
                        ],
                    ]
                ], expect: .ok)
            let after = try await fetchRows(client, uri)
            #expect(Date().timeIntervalSince(started) < 1, "the effect must show within the second")
            let cw = try #require(after.first { $0.kind == "continue-watching" })
            #expect(cw.titleIDs.first == played.id.rawValue)
            #expect(after.contains { $0.id == "because-you-watched:\(played.id.rawValue)" }, "\(after.map(\.id))")
            // Top Picks fold in the new history: the list changes.
            let topAfter = after.first { $0.kind == "top-picks" }?.titleIDs ?? []
            #expect(topAfter != topBefore)
            // A dislike removes the titles most similar to the disliked one.
            let similar = try await client.execute(uri: "/v1/titles/\(played.id)/similar?n=10", method: .get) { r in
                try #require(try json(r)["items"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            }
            let shownSimilar = after.filter { $0.kind != "continue-watching" }.flatMap(\.titleIDs).filter { similar.contains($0) }
            #expect(!shownSimilar.isEmpty, "the page showed none of the similar titles to begin with")
            try await postJSON(
                client, "/v1/events", key: f.adminKey,
                [
                    "events": [
                        [
                            "id": "rt-dislike", "profileId": profile.id.rawValue, "type": "dislike", "titleId": played.id.rawValue,
                            "timestamp": "2026-11-01T20:55:00-05:00",
                        ]
                    ]
                ], expect: .ok)
            let disliked = try await fetchRows(client, uri)
            let all = disliked.flatMap(\.titleIDs)
            #expect(!all.contains(played.id.rawValue))
            #expect(all.filter { similar.contains($0) }.isEmpty, "similar titles still shown: \(all.filter { similar.contains($0) })")
            #expect(!disliked.contains { $0.id == "because-you-watched:\(played.id.rawValue)" })
        }
    }

    @Test func editorialPinsBoostsBlocksAndCollectionsApplyWithinTheirScope() async throws {
        let f = try await HomeFixture.make()
        defer { f.cleanUp() }
        let app = Application(router: f.router, logger: f.quietLogger)
        let profile = try #require(f.profiles.first { $0.maturityLimit == .age18 })
        let everywhere = f.titles.values.filter { $0.regions.isEmpty && $0.maturityRating == .all && $0.kind != .episode }
            .sorted { $0.id < $1.id }
        try await app.test(.router) { client in
            try await Self.editorialChecks(client, key: f.adminKey, profile: profile, everywhere: everywhere)
        }
    }

    static func editorialChecks(_ client: some TestClientProtocol, key: String, profile: Profile, everywhere: [Title]) async throws {
        let uri = "/v1/profiles/\(profile.id)/home?device=tv&at=\(Self.evening)&perRow=10"
        let before = try await fetchRows(client, uri)
        let top = try #require(before.first { $0.kind == "top-picks" })
        // Block the first top pick: it disappears from the whole page.
        let blocked = top.titleIDs[0]
        try await postJSON(
            client, "/v1/editorial/rules", key: key, ["id": "r-block", "kind": "block", "titleIds": [blocked]], expect: .created)
        // Pin a title that is not on the page at position 1 of Top Picks.
        let onPage = Set(before.flatMap(\.titleIDs))
        let pinned = try #require(everywhere.first { !onPage.contains($0.id.rawValue) }).id.rawValue
        try await postJSON(
            client, "/v1/editorial/rules", key: key,
            ["id": "r-pin", "kind": "pin", "titleIds": [pinned], "row": "top-picks", "position": 1], expect: .created)
        // Boost the last item of a genre row strongly: it moves to the front of its row.
        let genreRow = try #require(before.first { $0.kind == "genre" })
        let boosted = try #require(genreRow.titleIDs.last)
        try await postJSON(
            client, "/v1/editorial/rules", key: key, ["id": "r-boost", "kind": "boost", "titleIds": [boosted], "weight": 100],
            expect: .created)
        // A collection, and one scoped to another region (not applied).
        let collection = everywhere.suffix(4).map(\.id.rawValue)
        try await postJSON(
            client, "/v1/editorial/rules", key: key,
            ["id": "r-coll", "kind": "collection", "titleIds": collection, "name": "Staff Favourites"], expect: .created)
        try await postJSON(
            client, "/v1/editorial/rules", key: key,
            [
                "id": "r-elsewhere", "kind": "collection", "titleIds": collection, "name": "Elsewhere", "regions": ["zz-nowhere"],
            ], expect: .created)
        try await postJSON(
            client, "/v1/editorial/rules", key: key,
            [
                "id": "r-later", "kind": "pin", "titleIds": [blocked == pinned ? boosted : pinned], "row": "trending", "position": 0,
                "startsAt": "2030-01-01T00:00:00Z",
            ], expect: .created)
        let after = try await fetchRows(client, uri)
        let ids = after.flatMap(\.titleIDs)
        #expect(!ids.contains(blocked), "a blocked title is shown")
        let newTop = try #require(after.first { $0.kind == "top-picks" })
        #expect(newTop.titleIDs.count > 1 && newTop.titleIDs[1] == pinned, "\(newTop.titleIDs)")
        #expect(newTop.items[1]["editorialRule"] as? String == "r-pin")
        let pinnedExplanation = newTop.items[1]["explanation"] as? String ?? ""
        #expect(pinnedExplanation.contains("editors"))
        let boostedRow = after.first { $0.titleIDs.contains(boosted) }
        #expect(boostedRow?.titleIDs.first == boosted, "\(boostedRow?.titleIDs ?? [])")
        let boostedExplanation = boostedRow?.items.first?["explanation"] as? String ?? ""
        #expect(boostedExplanation.contains("Boosted"))
        let editorial = after.filter { $0.kind == "editorial" }
        #expect(editorial.map(\.title) == ["Staff Favourites"])
        let collectionShown = Set(editorial.first?.titleIDs ?? [])
        #expect(!collectionShown.isEmpty && collectionShown.isSubset(of: Set(collection)))
        #expect(ids.filter { $0 == pinned }.count == 1)
    }

    @Test func badParametersAreRefusedAndLimitsCapped() async throws {
        let f = try await HomeFixture.make(profiles: 60, titles: 60, days: 7)
        defer { f.cleanUp() }
        let app = Application(router: f.router, logger: f.quietLogger)
        let profile = f.profiles[0]
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/profiles/nobody/home", method: .get) { #expect($0.status == .notFound) }
            for (query, word) in [
                ("device=phone", "tv, mobile, web, tablet"), ("at=yesterday", "ISO 8601"), ("at=2026-13-01T10:00:00Z", "ISO 8601"),
                ("rows=0", "1 to"), ("rows=abc", "1 to"), ("perRow=-3", "1 to"), ("perRow=1.5", "1 to"),
            ] {
                try await client.execute(uri: "/v1/profiles/\(profile.id)/home?\(query)", method: .get) { r in
                    #expect(r.status == .unprocessableContent, "\(query)")
                    #expect(String(buffer: r.body).contains(word), "\(query): \(String(buffer: r.body))")
                }
            }
            // Over the maximum is refused (it used to be capped silently); at the maximum is served.
            for query in ["rows=1000", "perRow=41", "rows=21"] {
                try await client.execute(uri: "/v1/profiles/\(profile.id)/home?\(query)", method: .get) { r in
                    #expect(r.status == .unprocessableContent, "\(query)")
                    #expect(String(buffer: r.body).contains("1 to"), "\(query): \(String(buffer: r.body))")
                }
            }
            let maxRows = HomeConfiguration().maxRows
            let maxPerRow = HomeConfiguration().maxPerRow
            try await client.execute(uri: "/v1/profiles/\(profile.id)/home?rows=\(maxRows)&perRow=\(maxPerRow)", method: .get) { r in
                #expect(r.status == .ok)
                let rows = try pageRows(r).rows
                #expect(rows.count <= maxRows)
                #expect(rows.allSatisfy { $0.items.count <= maxPerRow })
            }
            // A profile whose limit excludes every title still gets a valid page, and a new profile a cold-start page.
            let strict = Profile(
                id: ProfileID(trusted: "strict"), plan: .basicWithAds, region: "zz-nowhere", maturityLimit: .all, createdAt: .now())
            let fresh = Profile(id: ProfileID(trusted: "fresh"), plan: .standardWithAds, region: profile.region, createdAt: .now())
            let body = String(decoding: try JSONEncoder().encode(["profiles": [strict, fresh]]), as: UTF8.self)
            try await client.execute(uri: "/v1/profiles", method: .post, headers: headers(key: f.adminKey), body: buffer(body)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/profiles/strict/home", method: .get) { r in
                #expect(r.status == .ok)
                let rows = try pageRows(r).rows
                checkInvariants(rows, profile: strict, titles: f.titles)
            }
            try await client.execute(uri: "/v1/profiles/fresh/home?device=mobile&at=2026-11-01T08:00:00+01:00", method: .get) { r in
                #expect(r.status == .ok)
                let (rows, j) = try pageRows(r)
                #expect(j["personalized"] as? Bool == false)
                checkInvariants(rows, profile: fresh, titles: f.titles)
                #expect(Set(rows.map(\.kind)).count >= 4, "\(rows.map(\.kind))")
                #expect(rows.contains { $0.title == "Popular on mobile this morning" })
            }
        }
    }

    @Test func servedPagesAreLoggedAndClicksJoinThem() async throws {
        let f = try await HomeFixture.make(profiles: 60, titles: 60, days: 7)
        defer { f.cleanUp() }
        let app = Application(router: f.router, logger: f.quietLogger)
        let profile = f.profiles[3]
        try await app.test(.router) { client in
            let (decision, first) = try await client.execute(uri: "/v1/profiles/\(profile.id)/home?perRow=5", method: .get) { r in
                let (rows, j) = try pageRows(r)
                return (try #require(j["decisionId"] as? String), try #require(rows.first { $0.kind != "continue-watching" }))
            }
            let clicked = first.titleIDs[0]
            let body = String(
                decoding: try JSONSerialization.data(withJSONObject: [
                    "events": [
                        [
                            "id": "join-click", "profileId": profile.id.rawValue, "type": "click", "titleId": clicked,
                            "decisionId": decision,
                            "row": first.id, "rank": 0, "timestamp": "2026-11-01T10:00:00Z",
                        ]
                    ]
                ]), as: UTF8.self)
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: f.adminKey), body: buffer(body)) {
                #expect($0.status == .ok)
            }
            await f.decisionLog.flush()
            let record = try #require(try await f.store.homeDecision(id: DecisionID(trusted: decision)))
            #expect(record.profileID == profile.id)
            #expect(record.items.contains { $0.rowID == first.id && $0.position == 0 && $0.titleID.rawValue == clicked })
            #expect(record.items.allSatisfy { $0.propensity > 0 && $0.propensity <= 1 })
            let log = try await f.store.artworkLog(limit: 10_000)
            #expect(log.contains { $0.titleID.rawValue == clicked && $0.rewarded })
        }
    }
}
