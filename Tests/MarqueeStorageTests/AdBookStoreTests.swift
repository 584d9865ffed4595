import Foundation
import GRDB
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// The ad book; every test but the migration one runs on every backend.
@Suite struct AdBookStoreTests {
    static let t0 = Timestamp(iso8601: "2026-12-01T00:00:00Z")!

    static func campaign(_ id: String, advertiser: String = "a1", status: CampaignStatus = .active) -> Campaign {
        Campaign(
            id: CampaignID(trusted: id), advertiserID: AdvertiserID(trusted: advertiser), name: "Campaign \(id)", status: status,
            startsAt: t0, endsAt: t0.adding(seconds: 30 * 86_400), totalBudgetCents: 100_000, cpmBidCents: 1200)
    }

    static func creative(_ id: String, campaign: String) -> Creative {
        Creative(
            id: CreativeID(trusted: id), campaignID: CampaignID(trusted: campaign), name: "Spot \(id)", durationSeconds: 15,
            mediaURL: "https://ads.example/\(id).mp4", clickURL: "https://acme.example", category: "retail")
    }

    /// A store written before v3-ads (targeting JSON with only regions, devices, plans and genres, or
    /// none of them) reads after the migration, with the new fields unrestricted.
    @Test func targetingStoredBeforeV3StillReads() async throws {
        let path = try temporaryStorePath()
        do {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try SQLiteStore.migrator.migrate(queue, upTo: "v2-home")
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO advertisers (id, name, category) VALUES ('a1', 'Acme', 'retail')")
                let insert = """
                    INSERT INTO campaigns (id, advertiser_id, name, status, starts_at, ends_at, total_budget_cents, daily_budget_cents,
                        cpm_bid_cents, priority, pacing, targeting, cap_per_day, cap_per_week, cap_per_session)
                    VALUES (?, 'a1', 'Old', 'active', 1000, 2000, 500, NULL, 100, 'standard', 'even', ?, 2, NULL, NULL)
                    """
                try db.execute(
                    sql: insert,
                    arguments: ["old", #"{"regions":["us-west"],"devices":["tv"],"plans":["basicWithAds"],"genres":["comedy"]}"#])
                try db.execute(sql: insert, arguments: ["bare", "{}"])
            }
            try queue.close()
        }
        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let applied = try await store.pool.read { db in try SQLiteStore.migrator.appliedIdentifiers(db) }
        #expect(applied.contains("v3-ads"))
        let old = try #require(try await store.campaign(id: CampaignID(trusted: "old")))
        #expect(old.targeting == Targeting(regions: ["us-west"], devices: [.tv], plans: [.basicWithAds], genres: ["comedy"]))
        #expect(old.targeting.maxContentMaturity == nil && old.targeting.dayparts.isEmpty && old.targeting.audiences.isEmpty)
        #expect(old.competitiveCategory == nil && old.capPerDay == 2)
        let bare = try #require(try await store.campaign(id: CampaignID(trusted: "bare")))
        #expect(bare.targeting == Targeting())
        // The old rows can be replaced with the new fields.
        var updated = old
        updated.targeting.dayparts = [.morning]
        updated.targeting.audiences = ["fans:comedy"]
        updated.competitiveCategory = "groceries"
        #expect(try await store.replaceCampaign(updated))
        #expect(try await store.campaign(id: old.id) == updated)
    }

    @Test(arguments: StoreFactory.all)
    func damagedTargetingIsAnErrorNotAnUnrestrictedCampaign(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            try await store.upsertAdvertisers([Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")])
            try await store.insertCampaign(Self.campaign("k1"))
            try await StoreFactory.execute(#"UPDATE campaigns SET targeting = '{"devices": ["fridge"]}' WHERE id = 'k1'"#, on: store)
            await #expect {
                _ = try await store.campaign(id: CampaignID(trusted: "k1"))
            } throws: { error in
                (error as? MarqueeError)?.code == "store_corrupt"
            }
        }
    }

    @Test(arguments: StoreFactory.all)
    func everyFieldRoundTripsAndListsFilter(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            for (id, category) in [("a1", "retail"), ("a2", "automotive")] {
                try await store.insertAdvertiser(Advertiser(id: AdvertiserID(trusted: id), name: id.uppercased(), category: category))
            }
            var full = Self.campaign("k1")
            full.dailyBudgetCents = 5000
            full.priority = .sponsorship
            full.pacing = .asFastAsPossible
            full.targeting = Targeting(
                regions: ["us-west"], devices: [.mobile], plans: [.standardWithAds], genres: ["Sci-Fi"], maxContentMaturity: .age16,
                dayparts: [.lateNight, .morning], audiences: ["fans:sci-fi", "fans:horror"])
            full.capPerDay = 2
            full.capPerWeek = 5
            full.capPerSession = 1
            full.competitiveCategory = "insurance"
            try full.validate()
            try await store.insertCampaign(full)
            try await store.insertCampaign(Self.campaign("k2", advertiser: "a2", status: .paused))
            try await store.insertCampaign(Self.campaign("k3", advertiser: "a2"))
            #expect(try await store.campaign(id: full.id) == full)
            #expect(try await store.campaigns().map(\.id.rawValue) == ["k1", "k2", "k3"])

            let byAdvertiser = try await store.campaigns(advertiser: AdvertiserID(trusted: "a2"), status: nil, limit: 1, offset: 1)
            #expect(byAdvertiser.items.map(\.id.rawValue) == ["k3"] && byAdvertiser.total == 2)
            let active = try await store.campaigns(advertiser: nil, status: .active, limit: 50, offset: 0)
            #expect(active.items.map(\.id.rawValue) == ["k1", "k3"] && active.total == 2)
            let both = try await store.campaigns(advertiser: AdvertiserID(trusted: "a2"), status: .paused, limit: 50, offset: 0)
            #expect(both.items.map(\.id.rawValue) == ["k2"])

            try await store.insertCreative(Self.creative("c1", campaign: "k1"))
            try await store.insertCreative(Self.creative("c2", campaign: "k2"))
            let ofK1 = try await store.creatives(campaign: CampaignID(trusted: "k1"), status: nil, limit: 50, offset: 0)
            #expect(ofK1.items == [Self.creative("c1", campaign: "k1")] && ofK1.total == 1)
            #expect(try await store.creatives(campaign: nil, status: .archived, limit: 50, offset: 0).total == 0)
        }
    }

    @Test(arguments: StoreFactory.all)
    func conflictsAndUnknownReferencesAreDomainErrors(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let acme = Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")
            try await store.insertAdvertiser(acme)
            try await store.insertCampaign(Self.campaign("k1"))
            try await store.insertCreative(Self.creative("c1", campaign: "k1"))
            let cases: [(String, @Sendable () async throws -> Void)] = [
                ("advertiser_exists", { try await store.insertAdvertiser(acme) }),
                ("campaign_exists", { try await store.insertCampaign(Self.campaign("k1")) }),
                ("creative_exists", { try await store.insertCreative(Self.creative("c1", campaign: "k1")) }),
                ("unknown_advertiser", { try await store.insertCampaign(Self.campaign("k2", advertiser: "ghost")) }),
                ("unknown_advertiser", { _ = try await store.replaceCampaign(Self.campaign("k1", advertiser: "ghost")) }),
                ("unknown_campaign", { try await store.insertCreative(Self.creative("c2", campaign: "ghost")) }),
                ("unknown_campaign", { _ = try await store.replaceCreative(Self.creative("c1", campaign: "ghost")) }),
                ("advertiser_in_use", { _ = try await store.deleteAdvertiser(id: acme.id) }),
            ]
            for (code, body) in cases {
                do {
                    try await body()
                    Issue.record("\(code): nothing was thrown")
                } catch {
                    #expect((error as? MarqueeError)?.code == code, "\(code): \(error)")
                }
            }
            #expect(try await store.replaceCampaign(Self.campaign("ghost")) == false)
            #expect(try await store.replaceCreative(Self.creative("ghost", campaign: "k1")) == false)
            #expect(try await store.replaceAdvertiser(Advertiser(id: AdvertiserID(trusted: "ghost"), name: "G", category: "x")) == false)
            #expect(try await store.archiveCampaign(id: CampaignID(trusted: "ghost")) == false)
            #expect(try await store.archiveCreative(id: CreativeID(trusted: "ghost")) == false)
            #expect(try await store.deleteAdvertiser(id: AdvertiserID(trusted: "ghost")) == false)
            #expect(try await store.campaigns().count == 1)
            #expect(try await store.creatives().count == 1)
        }
    }

    /// Events refer to creatives by foreign key: "deleting" archives, so the log and the references stay intact.
    @Test(arguments: StoreFactory.all)
    func archivingKeepsEventsAndReferences(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            var data = smallDataset()
            data.advertisers = [Advertiser(id: AdvertiserID(trusted: "a1"), name: "Acme", category: "retail")]
            data.campaigns = [Self.campaign("k1")]
            data.creatives = [Self.creative("c1", campaign: "k1")]
            data.events.append(
                Event(
                    id: EventID(trusted: "ad-1"), profileID: ProfileID(trusted: "p1"), type: .adImpression, timestamp: Self.t0,
                    creativeID: CreativeID(trusted: "c1"), campaignID: CampaignID(trusted: "k1")))
            try await store.upsertTitles(data.titles)
            try await store.upsertProfiles(data.profiles)
            try await store.upsertAdvertisers(data.advertisers)
            try await store.upsertCampaigns(data.campaigns)
            try await store.upsertCreatives(data.creatives)
            #expect(try await store.appendEvents(data.events, receivedAt: Self.t0).allSatisfy { $0 == .inserted })
            #expect(try await store.archiveCampaign(id: CampaignID(trusted: "k1")))
            #expect(try await store.archiveCreative(id: CreativeID(trusted: "c1")))
            #expect(try await store.campaign(id: CampaignID(trusted: "k1"))?.status == .archived)
            #expect(try await store.creative(id: CreativeID(trusted: "c1"))?.status == .archived)
            #expect(try await store.eventCount() == 11)
            // Events for an archived creative are still accepted (late beacons), and a restore is a replace.
            let late = Event(
                id: EventID(trusted: "ad-2"), profileID: ProfileID(trusted: "p1"), type: .adComplete, timestamp: Self.t0,
                creativeID: CreativeID(trusted: "c1"))
            #expect(try await store.appendEvents([late], receivedAt: Self.t0) == [.inserted])
            #expect(try await store.replaceCampaign(Self.campaign("k1")))
            #expect(try await store.campaign(id: CampaignID(trusted: "k1"))?.status == .active)
            if let sqlite = store as? SQLiteStore {
                let violations = try await sqlite.pool.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
                #expect(violations.isEmpty)
            }
        }
    }
}
