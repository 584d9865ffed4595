import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// The store contract: the same tests against every backend (`StoreFactory.all`: SQLite, and PostgreSQL
/// when `MARQUEE_TEST_DATABASE_URL` is set). Each test gets a fresh store.
@Suite struct StoreContractTests {
    static let t0 = Timestamp(iso8601: "2026-01-01T00:00:00Z")!

    static func play(_ id: String, _ profile: String, _ title: String, at time: Timestamp, type: EventType = .play) -> Event {
        Event(
            id: EventID(trusted: id), profileID: ProfileID(trusted: profile), type: type, timestamp: time, titleID: TitleID(trusted: title))
    }

    // MARK: Ingestion

    /// Duplicates (stored before, or earlier in the same batch) are no-ops; missing references are refused by name.
    @Test(arguments: StoreFactory.all)
    func duplicatesAndMissingReferences(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(smallDataset(), into: store)
            let t = Timestamp(iso8601: "2026-02-01T00:00:00Z")!
            let batch = [
                Self.play("e1", "p1", "t1", at: t), Self.play("n1", "p1", "t1", at: t), Self.play("n1", "p1", "t1", at: t),
                Self.play("n2", "p7", "t1", at: t), Self.play("n3", "p1", "t7", at: t),
            ]
            let statuses = try await store.appendEvents(batch, receivedAt: t)
            #expect(statuses[0] == .duplicate)
            #expect(statuses[1] == .inserted)
            #expect(statuses[2] == .duplicate)
            #expect(statuses[3] == .rejected(EventProblem(code: "unknown_profile", message: "no profile with id 'p7'")))
            #expect(statuses[4] == .rejected(EventProblem(code: "unknown_title", message: "no title with id 't7'")))
            #expect(try await store.eventCount() == 11)
            #expect(try await store.containsEvents(ids: [EventID(trusted: "n1"), EventID(trusted: "n2")]) == [EventID(trusted: "n1")])
        }
    }

    /// A batch sent again (a client's retry after a lost answer) stores nothing new and reads back the same log.
    @Test(arguments: StoreFactory.all)
    func aRetriedBatchIsANoOp(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(smallDataset(), into: store)
            let batch = (0..<4).map { Self.play("r\($0)", "p2", "t3", at: Self.t0.adding(seconds: 3_600 + Double($0))) }
            #expect(try await store.appendEvents(batch, receivedAt: Self.t0) == Array(repeating: .inserted, count: 4))
            let before = try await store.events(afterSequence: 0, limit: 100)
            #expect(try await store.appendEvents(batch, receivedAt: Self.t0) == Array(repeating: .duplicate, count: 4))
            let after = try await store.events(afterSequence: 0, limit: 100)
            #expect(after.map(\.sequence) == before.map(\.sequence))
            #expect(after.map(\.event) == before.map(\.event))
            #expect(try await store.eventCount() == 14)
            #expect(try await store.eventLogEnd().events == before.last?.sequence)
        }
    }

    /// Batches sharing ids appended at the same time: every id is stored once, and exactly one batch reports
    /// it inserted.
    @Test(arguments: StoreFactory.all)
    func concurrentBatchesStoreEachIDOnce(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(smallDataset(), into: store)
            // Batch k holds ids c(k) … c(k + 9): neighbours share nine ids.
            let results = try await withThrowingTaskGroup(of: [(String, EventAppendStatus)].self) { group in
                for k in 0..<8 {
                    group.addTask {
                        let batch = (k..<(k + 10)).map { Self.play("c\($0)", "p1", "t2", at: Self.t0.adding(seconds: Double($0))) }
                        let statuses = try await store.appendEvents(batch, receivedAt: Self.t0)
                        return zip(batch.map(\.id.rawValue), statuses).map { ($0, $1) }
                    }
                }
                var all: [(String, EventAppendStatus)] = []
                for try await part in group { all += part }
                return all
            }
            let insertedIDs = results.filter { $0.1 == .inserted }.map(\.0)
            #expect(insertedIDs.count == 17)  // c0 … c16
            #expect(Set(insertedIDs).count == 17)
            #expect(results.allSatisfy { $0.1 == .inserted || $0.1 == .duplicate })
            #expect(try await store.eventCount() == 10 + 17)
            let log = try await store.events(afterSequence: 0, limit: 1_000)
            #expect(Set(log.map(\.sequence)).count == log.count)
        }
    }

    /// The log reads back in arrival order (batch by batch, each batch in its order) whatever the events'
    /// times, across months (partitions on PostgreSQL); a profile's events read back oldest first.
    @Test(arguments: StoreFactory.all)
    func theLogReadsBackInArrivalOrder(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            var data = smallDataset()
            data.events = []
            try await load(data, into: store)
            let feb = Timestamp(iso8601: "2026-02-14T12:00:00Z")!
            let dec = Timestamp(iso8601: "2025-12-31T23:59:59.999Z")!
            let jan = Timestamp(iso8601: "2026-01-01T00:00:00Z")!
            let first = [Self.play("a", "p1", "t1", at: feb), Self.play("b", "p1", "t2", at: dec), Self.play("c", "p2", "t1", at: jan)]
            let second = [Self.play("d", "p1", "t3", at: jan, type: .abandon), Self.play("e", "p1", "t1", at: jan.adding(seconds: 1))]
            _ = try await store.appendEvents(first, receivedAt: feb)
            _ = try await store.appendEvents(second, receivedAt: feb)

            let log = try await store.events(afterSequence: 0, limit: 100)
            #expect(log.map(\.event.id.rawValue) == ["a", "b", "c", "d", "e"])
            #expect(zip(log, log.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
            #expect(log.map(\.event) == first + second)
            #expect(try await store.events(afterSequence: log[2].sequence, limit: 100).map(\.event.id.rawValue) == ["d", "e"])
            #expect(try await store.events(afterSequence: 0, limit: 2).map(\.event.id.rawValue) == ["a", "b"])
            #expect(try await store.adEvents(afterSequence: 0, limit: 100).map(\.event.id.rawValue) == ["d"])
            let end = try await store.eventLogEnd()
            #expect(end.events == log[4].sequence)
            #expect(end.contextualAdEvents == 0)
            #expect(try await store.events(profile: ProfileID(trusted: "p1"), limit: 10).map(\.id.rawValue) == ["b", "d", "e", "a"])
            #expect(try await store.events(profile: ProfileID(trusted: "p1"), limit: 2).map(\.id.rawValue) == ["b", "d"])
            #expect(try await store.eventCount() == 5)
        }
    }

    /// Every field of an event is stored and read back as it was.
    @Test(arguments: StoreFactory.all)
    func everyEventFieldRoundTrips(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            var data = smallDataset()
            data.events = []
            try await load(data, into: store)
            var context = EventContext()
            context.device = .tv
            context.region = "eu-west"
            context.sessionID = SessionID(trusted: "s-1")
            context.localTimeOffsetMinutes = -300
            let full = Event(
                id: EventID(trusted: "full"), profileID: ProfileID(trusted: "p2"), type: .progress,
                timestamp: Timestamp(iso8601: "2026-03-03T03:03:03.333Z")!, titleID: TitleID(trusted: "t3"),
                decisionID: DecisionID(trusted: "d-9"), context: context, positionSeconds: 12.5, durationSeconds: 3_600.25, rating: 4,
                row: "because-you-watched", rank: 3, campaignID: CampaignID(trusted: "camp-1"), quartile: 2)
            let bare = Self.play("bare", "p1", "t1", at: Timestamp(millisecondsSinceEpoch: 1_767_225_600_001))
            #expect(try await store.appendEvents([full, bare], receivedAt: Self.t0) == [.inserted, .inserted])
            #expect(try await store.events(profile: ProfileID(trusted: "p2"), limit: 10) == [full])
            #expect(try await store.events(afterSequence: 0, limit: 10).map(\.event) == [full, bare])
        }
    }

    // MARK: Catalog and profiles

    @Test(arguments: StoreFactory.all)
    func catalogUpserts(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let titles = [
                Title(
                    id: TitleID(trusted: "t1"), kind: .series, name: "Night Harbor", synopsis: "Fog.", genres: ["Drama", "Crime"],
                    releaseYear: 2021, runtimeSeconds: 3_000, maturityRating: .age16, regions: ["us"], cuePoints: [600, 1_200.5],
                    dateAdded: Self.t0),
                Title(id: TitleID(trusted: "t2"), name: "Sun Days", genres: ["comedy"], dateAdded: Self.t0.adding(seconds: 60)),
                Title(id: TitleID(trusted: "t3"), name: "Harbor Lights", genres: ["drama"], dateAdded: Self.t0),
            ]
            try await store.upsertTitles(titles)
            #expect(try await store.title(id: TitleID(trusted: "t1")) == titles[0])
            #expect(try await store.title(id: TitleID(trusted: "t9")) == nil)
            #expect(try await store.titleCount() == 3)

            // A later upsert replaces; within one batch the last of an id wins.
            var renamed = titles[1]
            renamed.name = "Sun Days (Remastered)"
            var renamedAgain = renamed
            renamedAgain.genres = ["Comedy", "Family"]
            try await store.upsertTitles([renamed, renamedAgain])
            #expect(try await store.title(id: TitleID(trusted: "t2")) == renamedAgain)
            #expect(try await store.titleCount() == 3)

            let all = try await store.titles(limit: 2, offset: 0)
            #expect(all.items.map(\.id.rawValue) == ["t1", "t2"])
            #expect(all.total == 3)
            #expect(try await store.titles(limit: 10, offset: 2).items.map(\.id.rawValue) == ["t3"])
            let drama = try await store.titles(limit: 10, offset: 0, genre: "DRAMA", nameContains: nil)
            #expect(drama.items.map(\.id.rawValue) == ["t1", "t3"])
            #expect(drama.total == 2)
            let harbor = try await store.titles(limit: 10, offset: 0, genre: "drama", nameContains: "harBOR")
            #expect(harbor.items.map(\.id.rawValue) == ["t1", "t3"])
            #expect(try await store.titles(limit: 10, offset: 0, genre: nil, nameContains: "lights").items.map(\.id.rawValue) == ["t3"])
            #expect(try await store.titles(limit: 10, offset: 0, genre: "family", nameContains: "sun").total == 1)
        }
    }

    @Test(arguments: StoreFactory.all)
    func profileUpserts(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let profiles = [
                Profile(
                    id: ProfileID(trusted: "p1"), plan: .adFree, region: "us-west", language: "en", maturityLimit: .all, createdAt: Self.t0),
                Profile(id: ProfileID(trusted: "p2"), plan: .basicWithAds, region: "eu-central", language: "de", createdAt: Self.t0),
                Profile(id: ProfileID(trusted: "p3"), plan: .basicWithAds, region: "us-west", createdAt: Self.t0.adding(seconds: 1)),
            ]
            try await store.upsertProfiles(profiles)
            #expect(try await store.profile(id: ProfileID(trusted: "p2")) == profiles[1])
            #expect(try await store.profile(id: ProfileID(trusted: "p9")) == nil)
            var moved = profiles[0]
            moved.region = "ap-south"
            moved.plan = .standardWithAds
            try await store.upsertProfiles([moved])
            #expect(try await store.profile(id: ProfileID(trusted: "p1")) == moved)
            #expect(try await store.profileCount() == 3)
            #expect(try await store.profileRegions() == ["ap-south", "eu-central", "us-west"])
            let basic = try await store.profiles(limit: 1, offset: 1, plan: .basicWithAds)
            #expect(basic.items == [profiles[2]])
            #expect(basic.total == 2)
            #expect(try await store.profiles(limit: 10, offset: 0, plan: nil).items.map(\.id.rawValue) == ["p1", "p2", "p3"])
        }
    }

    // MARK: Keys and shared state

    /// Expiry, revocation and the last four characters are kept; a revocation keeps its first time;
    /// the list holds every key, oldest first.
    @Test(arguments: StoreFactory.all)
    func keysListAndRevoke(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let t0 = Timestamp(iso8601: "2026-02-01T00:00:00Z")!
            let first = APIKeys.make(scope: .admin, name: "first", now: t0)
            let second = APIKeys.make(scope: .read, name: "second", now: t0.adding(seconds: 10), expiresAt: t0.adding(seconds: 86_400))
            try await store.insertAPIKey(second.record, keyHash: second.hash)
            try await store.insertAPIKey(first.record, keyHash: first.hash)
            let listed = try await store.apiKeys()
            #expect(listed.map(\.name) == ["first", "second"])
            #expect(listed[1].expiresAt == t0.adding(seconds: 86_400))
            #expect(listed[1].lastFour == String(second.key.suffix(4)))
            #expect(listed.allSatisfy { $0.revokedAt == nil })
            #expect(try await store.apiKey(hash: APIKeys.hash(second.key)) == second.record)

            let revoked = try await store.revokeAPIKey(id: first.record.id, at: t0.adding(seconds: 60))
            #expect(revoked?.revokedAt == t0.adding(seconds: 60))
            let again = try await store.revokeAPIKey(id: first.record.id, at: t0.adding(seconds: 120))
            #expect(again?.revokedAt == t0.adding(seconds: 60))
            #expect(try await store.apiKey(hash: first.hash)?.revokedAt == t0.adding(seconds: 60))
            #expect(try await store.apiKey(hash: second.hash)?.revokedAt == nil)
            #expect(try await store.revokeAPIKey(id: APIKeyID(trusted: "key-nothing"), at: t0) == nil)
            #expect(try await store.apiKey(hash: String(repeating: "0", count: 64)) == nil)
        }
    }

    /// The first value stored under a name stays, also when several ask at once.
    @Test(arguments: StoreFactory.all)
    func sharedSecretsKeepTheFirstValue(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let answers = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for k in 0..<6 {
                    group.addTask {
                        try await store.sharedSecret(named: "beacon", creatingWith: [UInt8](repeating: UInt8(k + 1), count: 32))
                    }
                }
                var all: [[UInt8]] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(Set(answers).count == 1)
            let stored = try #require(answers.first)
            #expect(stored.count == 32 && Set(stored).count == 1 && (1...6).contains(stored[0]))
            #expect(try await store.sharedSecret(named: "beacon", creatingWith: [UInt8](repeating: 99, count: 40)) == stored)
            let other = [UInt8](repeating: 7, count: 48)
            #expect(try await store.sharedSecret(named: "other", creatingWith: other) == other)
        }
    }

    /// Writing titles bumps the catalog version, profiles the profiles version, the ad book its own, and nothing else.
    @Test(arguments: StoreFactory.all)
    func writesBumpTheirChangeVersion(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let start = try await store.changeVersions()
            try await store.upsertTitles([Title(id: TitleID(trusted: "t1"), name: "One", dateAdded: Self.t0)])
            let afterTitles = try await store.changeVersions()
            #expect(afterTitles.catalog > start.catalog)
            #expect(afterTitles.profiles == start.profiles)
            #expect(afterTitles.adBook == start.adBook && afterTitles.editorial == start.editorial)
            #expect(afterTitles.experiments == start.experiments)
            try await store.upsertProfiles([Profile(id: ProfileID(trusted: "p1"), plan: .adFree, region: "us", createdAt: Self.t0)])
            let afterProfiles = try await store.changeVersions()
            #expect(afterProfiles.profiles > afterTitles.profiles)
            #expect(afterProfiles.catalog == afterTitles.catalog)
            try await store.upsertAdvertisers([Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")])
            let afterAds = try await store.changeVersions()
            #expect(afterAds.adBook > afterProfiles.adBook)
            #expect(afterAds.catalog == afterProfiles.catalog && afterAds.profiles == afterProfiles.profiles)
            // Events change none.
            _ = try await store.appendEvents([Self.play("x", "p1", "t1", at: Self.t0)], receivedAt: Self.t0)
            #expect(try await store.changeVersions() == afterAds)
        }
    }

    // MARK: Editorial rules

    /// Rules read back whole, oldest first; an id is taken once; a delete says whether there was one; every
    /// write bumps the editorial version.
    @Test(arguments: StoreFactory.all)
    func editorialRules(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let pin = EditorialRule(
                id: EditorialRuleID(trusted: "r-pin"), kind: .pin, titleIDs: [TitleID(trusted: "t1")], row: "top-picks", position: 2,
                regions: ["us-west"], plans: [.basicWithAds], startsAt: Self.t0, endsAt: Self.t0.adding(seconds: 86_400),
                createdAt: Self.t0.adding(seconds: 5))
            let boost = EditorialRule(
                id: EditorialRuleID(trusted: "r-boost"), kind: .boost, titleIDs: [TitleID(trusted: "t2")], weight: 1.75,
                createdAt: Self.t0)
            let v0 = try await store.changeVersions().editorial
            try await store.insertEditorialRule(pin)
            try await store.insertEditorialRule(boost)
            #expect(try await store.editorialRules() == [boost, pin])
            let v1 = try await store.changeVersions().editorial
            #expect(v1 > v0)
            let error = await #expect(throws: MarqueeError.self) { try await store.insertEditorialRule(pin) }
            #expect(error?.code == "rule_exists")
            #expect(try await store.deleteEditorialRule(id: pin.id))
            #expect(try await !store.deleteEditorialRule(id: pin.id))
            #expect(try await store.editorialRules() == [boost])
            #expect(try await store.changeVersions().editorial > v1)
        }
    }

    /// Clicks on one page and title appended by concurrent batches credit the artwork shown once.
    @Test(arguments: StoreFactory.all)
    func concurrentFirstClicksCreditTheArtworkOnce(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await load(smallDataset(), into: store)
            let served = Timestamp(iso8601: "2026-01-02T20:00:00Z")!
            let page = HomeDecisionRecord(
                decisionID: DecisionID(trusted: "h-1"), profileID: ProfileID(trusted: "p1"), servedAt: served, device: .tv,
                daypart: .evening,
                items: [
                    ServedItem(
                        rowID: "top-picks", position: 0, titleID: TitleID(trusted: "t1"), artworkVariant: ArtworkVariantID(trusted: "t1-a"),
                        artworkSegment: "s", artworkPropensity: 0.5)
                ])
            try await store.appendHomeDecisions([page])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for k in 0..<8 {
                    group.addTask {
                        let click = Event(
                            id: EventID(trusted: "click-\(k)"), profileID: ProfileID(trusted: "p1"), type: k % 2 == 0 ? .click : .play,
                            timestamp: served.adding(seconds: Double(k)), titleID: TitleID(trusted: "t1"), decisionID: page.decisionID)
                        _ = try await store.appendEvents([click], receivedAt: served)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.artworkStats().map(\.rewards) == [1])
            #expect(try await store.artworkStats().map(\.impressions) == [1])
        }
    }
}
