import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import NIOCore
import Testing

// The fixture's ad book: advertiser a1 (category retail) with campaign k1 and its creative c1.
// Long test bodies are static functions: large closures have crashed the compiler before.

/// The application the composition root builds, with the ad book change hook the test can look into.
private func adBookApplication(_ fixture: Fixture) async throws -> (app: some ApplicationProtocol, changes: AdBookChanges) {
    let served = try await fixture.served()
    return (served.application, served.runtime.adBookChanges)
}

/// A response: its status, its body as a JSON object (empty when there is none) and the error message, if any.
private struct Reply {
    var status: HTTPResponse.Status
    var object: [String: Any]
    var message: String { ((object["error"] as? [String: Any])?["message"] as? String) ?? "" }
    var code: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var items: [[String: Any]] { object["items"] as? [[String: Any]] ?? [] }
}

private func call(
    _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, key: String?, _ body: [String: Any]? = nil,
    raw: String? = nil
) async throws -> Reply {
    let buffer = try raw.map { ByteBuffer(string: $0) } ?? body.map { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: $0)) }
    let response = try await client.executeRequest(uri: uri, method: method, headers: headers(key: key), body: buffer)
    var object: [String: Any] = [:]
    if response.body.readableBytes > 0 {
        object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
    }
    return Reply(status: response.status, object: object)
}

private func with(_ base: [String: Any], _ changes: [String: Any?]) -> [String: Any] {
    var out = base
    for (key, value) in changes { out[key] = value }
    return out
}

@Suite struct AdBookTests {
    static var campaign: [String: Any] {
        [
            "id": "winter", "advertiserId": "a1", "name": "Winter Sale", "startsAt": "2026-12-01T00:00:00Z",
            "endsAt": "2027-01-01T00:00:00Z", "totalBudgetCents": 500_000, "dailyBudgetCents": 20_000, "cpmBidCents": 1500,
            "priority": "sponsorship", "pacing": "asFastAsPossible",
            "targeting": [
                "regions": ["us-west"], "devices": ["tv", "web"], "plans": ["basicWithAds"], "genres": ["drama"],
                "maxContentMaturity": "13+", "dayparts": ["evening", "late-night"], "audiences": ["fans:sci-fi"],
            ],
            "capPerDay": 3, "capPerWeek": 10, "capPerSession": 1, "competitiveCategory": "finance",
        ]
    }

    static var creative: [String: Any] {
        [
            "id": "spot-30", "campaignId": "k1", "name": "Winter 30s", "durationSeconds": 30,
            "mediaUrl": "https://ads.example/spot-30.mp4", "clickUrl": "https://acme.example/winter?utm_source=marquee",
            "category": "retail",
        ]
    }

    static var advertiser: [String: Any] { ["id": "globex", "name": "Globex", "category": "telecom"] }

    // MARK: Advertisers

    @Test func advertisersCanBeCreatedReadReplacedAndDeleted() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, changes) = try await adBookApplication(fixture)
        try await app.test(.router) { client in
            try await Self.advertiserLifecycle(client, fixture: fixture)
        }
        // create, create, replace, delete
        #expect(changes.version == 4)
        try #expect(await fixture.store.advertisers(limit: 10, offset: 0).items.map(\.id.rawValue) == ["a1", "globex"])
    }

    static func advertiserLifecycle(_ client: some TestClientProtocol, fixture: Fixture) async throws {
        let key = fixture.adminKey
        var r = try await call(client, .post, "/v1/advertisers", key: key, advertiser)
        #expect(r.status == .created)
        #expect(r.object["id"] as? String == "globex" && r.object["name"] as? String == "Globex")
        r = try await call(client, .post, "/v1/advertisers", key: key, ["name": "Initech", "category": "software"])
        #expect(r.status == .created)
        let generated = try #require(r.object["id"] as? String)
        #expect(generated.hasPrefix("adv-") && generated.count == 20)

        r = try await call(client, .get, "/v1/advertisers", key: key)
        #expect(r.status == .ok)
        #expect(r.items.compactMap { $0["id"] as? String } == ["a1", generated, "globex"])
        #expect(r.object["total"] as? Int == 3)
        r = try await call(client, .get, "/v1/advertisers?limit=1&offset=1", key: key)
        #expect(r.items.compactMap { $0["id"] as? String } == [generated])

        r = try await call(client, .put, "/v1/advertisers/globex", key: key, ["name": "Globex Corporation", "category": "telecom"])
        #expect(r.status == .ok)
        #expect(r.object["name"] as? String == "Globex Corporation")
        r = try await call(client, .get, "/v1/advertisers/globex", key: key)
        #expect(r.object["name"] as? String == "Globex Corporation" && r.object["category"] as? String == "telecom")
        r = try await call(client, .put, "/v1/advertisers/globex", key: key, ["id": "other", "name": "G", "category": "telecom"])
        #expect(r.status == .unprocessableContent && r.message.hasPrefix("id:"), "\(r.message)")

        r = try await call(client, .delete, "/v1/advertisers/\(generated)", key: key)
        #expect(r.status == .noContent)
        r = try await call(client, .get, "/v1/advertisers/\(generated)", key: key)
        #expect(r.status == .notFound)
        // a1 has a campaign: campaigns are archived, never deleted, so a1 stays.
        r = try await call(client, .delete, "/v1/advertisers/a1", key: key)
        #expect(r.status == .conflict && r.code == "advertiser_in_use")
    }

    // MARK: Campaigns

    @Test func campaignsCanBeCreatedReadReplacedAndArchived() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, changes) = try await adBookApplication(fixture)
        let stream = changes.stream()
        try await app.test(.router) { client in
            try await Self.campaignLifecycle(client, fixture: fixture)
        }
        // Every committed change was published, in order: create ×2, replace ×2, archive, restore.
        var published: [AdBookChange] = []
        for await change in stream {
            published.append(change)
            if published.count == 6 { break }
        }
        #expect(published.map(\.version) == Array(1...6))
        #expect(published.first?.entity == .campaign(CampaignID(trusted: "winter")))
        #expect(changes.version == 6)
    }

    static func campaignLifecycle(_ client: some TestClientProtocol, fixture: Fixture) async throws {
        let key = fixture.adminKey
        var r = try await call(client, .post, "/v1/campaigns", key: key, campaign)
        #expect(r.status == .created)
        let stored = try #require(try await fixture.store.campaign(id: CampaignID(trusted: "winter")))
        let expected = Campaign(
            id: CampaignID(trusted: "winter"), advertiserID: AdvertiserID(trusted: "a1"), name: "Winter Sale", status: .active,
            startsAt: Timestamp(iso8601: "2026-12-01T00:00:00Z")!, endsAt: Timestamp(iso8601: "2027-01-01T00:00:00Z")!,
            totalBudgetCents: 500_000, dailyBudgetCents: 20_000, cpmBidCents: 1500, priority: .sponsorship, pacing: .asFastAsPossible,
            targeting: Targeting(
                regions: ["us-west"], devices: [.tv, .web], plans: [.basicWithAds], genres: ["drama"], maxContentMaturity: .age13,
                dayparts: [.evening, .lateNight], audiences: ["fans:sci-fi"]),
            capPerDay: 3, capPerWeek: 10, capPerSession: 1, competitiveCategory: "finance")
        #expect(stored == expected)
        r = try await call(client, .get, "/v1/campaigns/winter", key: key)
        #expect(r.status == .ok)
        #expect(r.object["startsAt"] as? String == "2026-12-01T00:00:00.000Z")
        #expect(r.object["competitiveCategory"] as? String == "finance")
        let targeting = try #require(r.object["targeting"] as? [String: Any])
        #expect(targeting["maxContentMaturity"] as? String == "13+")
        #expect(targeting["dayparts"] as? [String] == ["evening", "late-night"])
        #expect(targeting["audiences"] as? [String] == ["fans:sci-fi"])

        // The least a campaign needs; the rest defaults.
        let minimal: [String: Any] = [
            "advertiserId": "a1", "name": "Always on", "startsAt": 1_798_761_600, "endsAt": "2027-06-01T00:00:00+02:00",
            "totalBudgetCents": 100, "cpmBidCents": 1,
        ]
        r = try await call(client, .post, "/v1/campaigns", key: key, minimal)
        #expect(r.status == .created)
        let generated = try #require(r.object["id"] as? String)
        #expect(generated.hasPrefix("cmp-") && generated.count == 20)
        #expect(r.object["status"] as? String == "active" && r.object["priority"] as? String == "standard")
        #expect(r.object["pacing"] as? String == "even" && r.object["dailyBudgetCents"] == nil)
        #expect(r.object["endsAt"] as? String == "2027-05-31T22:00:00.000Z")

        try await campaignListsAndReplace(client, key: key, generated: generated)
    }

    static func campaignListsAndReplace(_ client: some TestClientProtocol, key: String, generated: String) async throws {
        var r = try await call(client, .get, "/v1/campaigns", key: key)
        #expect(r.items.compactMap { $0["id"] as? String } == [generated, "k1", "winter"])
        r = try await call(client, .get, "/v1/campaigns?advertiser=a1&status=active&limit=2", key: key)
        #expect(r.items.count == 2 && r.object["total"] as? Int == 3)
        r = try await call(client, .get, "/v1/campaigns?advertiser=nobody", key: key)
        #expect(r.status == .ok && r.items.isEmpty)

        // Replace: the whole campaign; no id in the body takes the path's.
        var replacement = with(campaign, ["id": nil, "name": "Winter Sale II", "dailyBudgetCents": nil, "targeting": ["devices": ["tv"]]])
        r = try await call(client, .put, "/v1/campaigns/winter", key: key, replacement)
        #expect(r.status == .ok)
        #expect(r.object["name"] as? String == "Winter Sale II" && r.object["dailyBudgetCents"] == nil)
        #expect((r.object["targeting"] as? [String: Any])?["audiences"] as? [String] == [])

        // Delete archives; the campaign stays readable, and a replace without a status keeps it archived.
        r = try await call(client, .delete, "/v1/campaigns/winter", key: key)
        #expect(r.status == .noContent)
        r = try await call(client, .get, "/v1/campaigns/winter", key: key)
        #expect(r.status == .ok && r.object["status"] as? String == "archived")
        r = try await call(client, .get, "/v1/campaigns?status=archived", key: key)
        #expect(r.items.compactMap { $0["id"] as? String } == ["winter"])
        replacement["name"] = "Winter Sale III"
        r = try await call(client, .put, "/v1/campaigns/winter", key: key, replacement)
        #expect(r.object["status"] as? String == "archived")
        replacement["status"] = "paused"
        r = try await call(client, .put, "/v1/campaigns/winter", key: key, replacement)
        #expect(r.object["status"] as? String == "paused")
        r = try await call(client, .put, "/v1/campaigns/winter", key: key, with(replacement, ["id": "summer"]))
        #expect(r.status == .unprocessableContent && r.message.hasPrefix("id:"), "\(r.message)")
    }

    // MARK: Creatives

    @Test func creativesCanBeCreatedReadReplacedAndArchived() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, changes) = try await adBookApplication(fixture)
        try await app.test(.router) { client in
            try await Self.creativeLifecycle(client, fixture: fixture)
        }
        // create ×3 (and one campaign), replace, archive
        #expect(changes.version == 6)
        // An archived creative is still a known creative: its events are still accepted.
        let statuses = try await fixture.store.appendEvents(
            [
                Event(
                    id: EventID(trusted: "ad-1"), profileID: ProfileID(trusted: "p1"), type: .adImpression,
                    timestamp: Timestamp(iso8601: "2026-11-20T20:00:00Z")!, creativeID: CreativeID(trusted: "spot-30"))
            ], receivedAt: Timestamp.now())
        #expect(statuses == [EventAppendStatus.inserted])
    }

    static func creativeLifecycle(_ client: some TestClientProtocol, fixture: Fixture) async throws {
        let key = fixture.adminKey
        var r = try await call(client, .post, "/v1/creatives", key: key, creative)
        #expect(r.status == .created)
        #expect(r.object["mediaUrl"] as? String == "https://ads.example/spot-30.mp4" && r.object["status"] as? String == "active")
        // No category: the campaign's competitive category, else its advertiser's.
        r = try await call(client, .post, "/v1/creatives", key: key, with(creative, ["id": nil, "category": nil, "durationSeconds": 6]))
        #expect(r.status == .created && r.object["category"] as? String == "retail")
        let generated = try #require(r.object["id"] as? String)
        #expect(generated.hasPrefix("cr-") && generated.count == 19)
        var campaign = Self.campaign
        campaign["id"] = "insure"
        campaign["competitiveCategory"] = "insurance"
        _ = try await call(client, .post, "/v1/campaigns", key: key, campaign)
        r = try await call(
            client, .post, "/v1/creatives", key: key, with(creative, ["id": "ins-15", "campaignId": "insure", "category": nil]))
        #expect(r.status == .created && r.object["category"] as? String == "insurance")

        r = try await call(client, .get, "/v1/creatives?campaign=k1", key: key)
        #expect(r.items.compactMap { $0["id"] as? String } == ["c1", generated, "spot-30"].sorted())
        r = try await call(client, .get, "/v1/creatives/spot-30", key: key)
        #expect(r.status == .ok && r.object["durationSeconds"] as? Int == 30)

        r = try await call(client, .put, "/v1/creatives/spot-30", key: key, with(creative, ["durationSeconds": 15, "name": "Winter 15s"]))
        #expect(r.status == .ok && r.object["durationSeconds"] as? Int == 15)
        r = try await call(client, .delete, "/v1/creatives/spot-30", key: key)
        #expect(r.status == .noContent)
        r = try await call(client, .get, "/v1/creatives/spot-30", key: key)
        #expect(r.object["status"] as? String == "archived" && r.object["name"] as? String == "Winter 15s")
        r = try await call(client, .get, "/v1/creatives?campaign=k1&status=archived", key: key)
        #expect(r.items.compactMap { $0["id"] as? String } == ["spot-30"])
        r = try await call(client, .put, "/v1/creatives/spot-30", key: key, with(creative, ["campaignId": "nope"]))
        #expect(r.status == .unprocessableContent && r.code == "unknown_campaign" && r.message.hasPrefix("campaignId:"))
    }

    // MARK: Refusals

    /// Each campaign body is one mistake; the 422's message starts with the field it names.
    static var invalidCampaigns: [(field: String, body: [String: Any])] {
        let c = campaign
        func targeting(_ t: [String: Any]) -> [String: Any] { with(c, ["targeting": t]) }
        return [
            ("id", with(c, ["id": "bad id"])),
            ("advertiserId", with(c, ["advertiserId": "bad id"])),
            ("advertiserId", with(c, ["advertiserId": "nobody"])),
            ("name", with(c, ["name": ""])),
            ("name", with(c, ["name": String(repeating: "x", count: 201)])),
            ("name", with(c, ["name": "bell\u{07}"])),
            ("status", with(c, ["status": "running"])),
            ("priority", with(c, ["priority": "gold"])),
            ("pacing", with(c, ["pacing": "as-fast-as-possible"])),
            ("startsAt", with(c, ["startsAt": "next tuesday"])),
            ("startsAt", with(c, ["startsAt": "1989-12-31T23:59:59Z"])),
            ("endsAt", with(c, ["endsAt": "2026-11-30T00:00:00Z"])),
            ("endsAt", with(c, ["endsAt": "2026-12-01T00:00:00Z"])),
            ("endsAt", with(c, ["endsAt": "2100-01-01T00:00:00.001Z"])),
            ("totalBudgetCents", with(c, ["totalBudgetCents": 0])),
            ("totalBudgetCents", with(c, ["totalBudgetCents": -5])),
            ("totalBudgetCents", with(c, ["totalBudgetCents": 1.5])),
            ("totalBudgetCents", with(c, ["totalBudgetCents": 1e300])),
            ("capPerWeek", with(c, ["capPerWeek": 2.5])),
            ("totalBudgetCents", with(c, ["totalBudgetCents": "100"])),
            ("totalBudgetCents", with(c, ["totalBudgetCents": AdBookLimits.maxBudgetCents + 1])),
            ("dailyBudgetCents", with(c, ["dailyBudgetCents": 0])),
            ("dailyBudgetCents", with(c, ["dailyBudgetCents": 500_001])),
            ("cpmBidCents", with(c, ["cpmBidCents": 0])),
            ("cpmBidCents", with(c, ["cpmBidCents": -100])),
            ("cpmBidCents", with(c, ["cpmBidCents": AdBookLimits.maxCPMBidCents + 1])),
            ("capPerDay", with(c, ["capPerDay": 0])),
            ("capPerDay", with(c, ["capPerDay": 11])),
            ("capPerWeek", with(c, ["capPerWeek": 1001])),
            ("capPerSession", with(c, ["capPerSession": -1])),
            ("competitiveCategory", with(c, ["competitiveCategory": "Fast Food"])),
            ("competitiveCategory", with(c, ["competitiveCategory": ""])),
            ("targeting", with(c, ["targeting": "tv"])),
            ("targeting.regions[1]", targeting(["regions": ["us-west", "us west"]])),
            ("targeting.regions", targeting(["regions": (0...300).map { "r\($0)" }])),
            ("targeting.devices[1]", targeting(["devices": ["tv", "fridge"]])),
            ("targeting.plans[0]", targeting(["plans": ["gold"]])),
            ("targeting.genres[0]", targeting(["genres": [""]])),
            ("targeting.maxContentMaturity", targeting(["maxContentMaturity": "PG-13"])),
            ("targeting.dayparts[0]", targeting(["dayparts": ["night"]])),
            ("targeting.audiences[0]", targeting(["audiences": ["sci-fi"]])),
            ("targeting.audiences[0]", targeting(["audiences": ["fans:"]])),
            ("targeting.audiences[1]", targeting(["audiences": ["fans:drama", "fans:Sci-Fi"]])),
            ("targeting.ages", targeting(["ages": ["18-34"]])),
            ("advertiserID", with(c, ["advertiserID": "a1"])),
        ]
    }

    static var invalidCreatives: [(field: String, body: [String: Any])] {
        let c = creative
        return [
            ("id", with(c, ["id": "bad id"])),
            ("campaignId", with(c, ["campaignId": "bad id"])),
            ("campaignId", with(c, ["campaignId": "nope"])),
            ("campaignId", with(c, ["campaignId": "nope", "category": nil])),
            ("name", with(c, ["name": ""])),
            ("durationSeconds", with(c, ["durationSeconds": 20])),
            ("durationSeconds", with(c, ["durationSeconds": 0])),
            ("durationSeconds", with(c, ["durationSeconds": "30"])),
            ("durationSeconds", with(c, ["durationSeconds": 30.5])),
            ("mediaUrl", with(c, ["mediaUrl": "ftp://ads.example/a.mp4"])),
            ("mediaUrl", with(c, ["mediaUrl": "/spots/a.mp4"])),
            ("mediaUrl", with(c, ["mediaUrl": "https://"])),
            ("mediaUrl", with(c, ["mediaUrl": "https://ads.example/a b.mp4"])),
            ("mediaUrl", with(c, ["mediaUrl": "https://ads.example:80a/a.mp4"])),
            ("clickUrl", with(c, ["clickUrl": "javascript:alert(1)"])),
            ("clickUrl", with(c, ["clickUrl": "https://acme.example/" + String(repeating: "x", count: 2030)])),
            ("category", with(c, ["category": "Retail"])),
            ("status", with(c, ["status": "live"])),
            ("campaignID", with(c, ["campaignID": "k1"])),
        ]
    }

    static var invalidAdvertisers: [(field: String, body: [String: Any])] {
        let a = advertiser
        return [
            ("id", with(a, ["id": "bad id"])),
            ("id", with(a, ["id": String(repeating: "x", count: 129)])),
            ("name", with(a, ["name": ""])),
            ("category", with(a, ["category": "Fast Food"])),
            ("category", with(a, ["category": ""])),
            ("website", with(a, ["website": "https://globex.example"])),
        ]
    }

    @Test func anInvalidCampaignIsRefusedNamingTheField() async throws {
        try await Self.expectRefusals("/v1/campaigns", { Self.invalidCampaigns }, replacing: "/v1/campaigns/k1")
    }

    @Test func anInvalidCreativeIsRefusedNamingTheField() async throws {
        try await Self.expectRefusals("/v1/creatives", { Self.invalidCreatives }, replacing: "/v1/creatives/c1")
    }

    @Test func anInvalidAdvertiserIsRefusedNamingTheField() async throws {
        try await Self.expectRefusals("/v1/advertisers", { Self.invalidAdvertisers }, replacing: "/v1/advertisers/a1")
    }

    /// Posts each body, then puts it over an existing resource (where the body's id must match the
    /// path, so ids are left out): 422 naming the field, nothing stored, nothing published.
    static func expectRefusals(
        _ uri: String, _ cases: @escaping @Sendable () -> [(field: String, body: [String: Any])], replacing: String
    ) async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, changes) = try await adBookApplication(fixture)
        let before = try await (fixture.store.campaigns(), fixture.store.creatives(), fixture.store.advertisers(limit: 50, offset: 0).items)
        try await app.test(.router) { client in
            for (field, body) in cases() {
                let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                let r = try await call(client, .post, uri, key: fixture.adminKey, body)
                #expect(r.status == .unprocessableContent, "\(field): \(text.prefix(300))")
                #expect(r.message.hasPrefix("\(field):"), "\(r.message)")
                if field == "id" { continue }
                let put = try await call(client, .put, replacing, key: fixture.adminKey, with(body, ["id": nil]))
                #expect(put.status == .unprocessableContent, "PUT \(field): \(text.prefix(300))")
                #expect(put.message.hasPrefix("\(field):"), "PUT \(put.message)")
            }
        }
        #expect(changes.version == 0)
        let after = try await (fixture.store.campaigns(), fixture.store.creatives(), fixture.store.advertisers(limit: 50, offset: 0).items)
        #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2)
    }

    @Test func unknownEnumValuesNameTheFieldAndTheAllowedValues() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        try await adBookApplication(fixture).app.test(.router) { client in
            try await Self.unknownEnumValues(client, key: fixture.adminKey)
        }
    }

    static func unknownEnumValues(_ client: some TestClientProtocol, key: String) async throws {
        let cases: [(String, [String: Any], String)] = [
            ("status", with(campaign, ["status": "running"]), "active, paused, archived"),
            ("priority", with(campaign, ["priority": "gold"]), "sponsorship, standard, house"),
            ("pacing", with(campaign, ["pacing": "fast"]), "even, asFastAsPossible"),
            ("targeting.devices[0]", with(campaign, ["targeting": ["devices": ["fridge"]]]), "tv, mobile, web, tablet"),
            ("targeting.plans[0]", with(campaign, ["targeting": ["plans": ["gold"]]]), "adFree, standardWithAds, basicWithAds"),
            ("targeting.maxContentMaturity", with(campaign, ["targeting": ["maxContentMaturity": "R"]]), "ALL, 7+, 13+, 16+, 18+"),
            ("targeting.dayparts[0]", with(campaign, ["targeting": ["dayparts": ["night"]]]), "morning, afternoon, evening, late-night"),
        ]
        for (field, body, allowed) in cases {
            let r = try await call(client, .post, "/v1/campaigns", key: key, body)
            #expect(r.status == .unprocessableContent && r.code == "invalid_value")
            #expect(r.message.hasPrefix("\(field): must be one of \(allowed) (got '"), "\(r.message)")
        }
        let r = try await call(client, .post, "/v1/creatives", key: key, with(creative, ["status": "live"]))
        #expect(r.message == "status: must be one of active, paused, archived (got 'live')")
        for uri in ["/v1/campaigns?status=live", "/v1/creatives?status=live"] {
            let q = try await call(client, .get, uri, key: key)
            #expect(q.status == .unprocessableContent && q.message.hasPrefix("status: must be one of active, paused, archived"))
        }
        for uri in ["/v1/campaigns?advertiser=bad%20id", "/v1/creatives?campaign=", "/v1/campaigns?limit=0"] {
            let q = try await call(client, .get, uri, key: key)
            #expect(q.status == .unprocessableContent, "\(uri)")
        }
    }

    @Test func malformedBodiesAre400AndMissingFields422() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        try await adBookApplication(fixture).app.test(.router) { client in
            for uri in ["/v1/advertisers", "/v1/campaigns", "/v1/creatives", "/v1/campaigns/k1"] {
                let method: HTTPRequest.Method = uri.hasSuffix("k1") ? .put : .post
                for bad in ["", "{", "[]", "42", "null", #"[{"name": "x"}]"#] {
                    let r = try await call(client, method, uri, key: fixture.adminKey, raw: bad)
                    #expect(r.status == .badRequest && r.code == "malformed_json", "\(uri) \(bad)")
                }
            }
            let missing: [(String, [String: Any], String)] = [
                ("/v1/advertisers", ["name": "Globex"], "category is required"),
                ("/v1/campaigns", with(Self.campaign, ["advertiserId": nil]), "advertiserId is required"),
                ("/v1/campaigns", with(Self.campaign, ["endsAt": nil]), "endsAt is required"),
                ("/v1/creatives", with(Self.creative, ["mediaUrl": nil]), "mediaUrl is required"),
            ]
            for (uri, body, message) in missing {
                let r = try await call(client, .post, uri, key: fixture.adminKey, body)
                #expect(r.status == .unprocessableContent && r.message == message, "\(r.message)")
            }
        }
    }

    @Test func duplicatesAre409AndUnknownIds404() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, changes) = try await adBookApplication(fixture)
        try await app.test(.router) { client in
            try await Self.duplicatesAndUnknownIds(client, key: fixture.adminKey)
        }
        #expect(changes.version == 0)
        try #expect(await fixture.store.campaign(id: CampaignID(trusted: "k1"))?.name == "Launch")
    }

    static func duplicatesAndUnknownIds(_ client: some TestClientProtocol, key: String) async throws {
        let duplicates: [(String, [String: Any], String)] = [
            ("/v1/advertisers", with(advertiser, ["id": "a1"]), "advertiser_exists"),
            ("/v1/campaigns", with(campaign, ["id": "k1"]), "campaign_exists"),
            ("/v1/creatives", with(creative, ["id": "c1"]), "creative_exists"),
        ]
        for (uri, body, code) in duplicates {
            let r = try await call(client, .post, uri, key: key, body)
            #expect(r.status == .conflict && r.code == code, "\(uri): \(r.message)")
        }
        let bodies: [String: [String: Any]] = [
            "advertisers": with(advertiser, ["id": nil]), "campaigns": with(campaign, ["id": nil]),
            "creatives": with(creative, ["id": nil]),
        ]
        for (resource, body) in bodies {
            for id in ["nope", "bad%20id"] {
                let uri = "/v1/\(resource)/\(id)"
                for method in [HTTPRequest.Method.get, .put, .delete] {
                    let r = try await call(client, method, uri, key: key, method == .put ? body : nil)
                    #expect(r.status == .notFound && r.code == "not_found", "\(method) \(uri): \(r.message)")
                }
            }
        }
    }

    @Test func everyRouteNeedsAnAdminKey() async throws {
        let fixture = try await Fixture.make(profiles: 1, titles: 3)
        defer { fixture.cleanUp() }
        let (app, changes) = try await adBookApplication(fixture)
        try await app.test(.router) { client in
            try await Self.adminOnly(client, fixture: fixture)
        }
        #expect(changes.version == 0)
    }

    static func adminOnly(_ client: some TestClientProtocol, fixture: Fixture) async throws {
        var routes: [(String, HTTPRequest.Method, [String: Any]?)] = []
        for (resource, id, body) in [("advertisers", "a1", advertiser), ("campaigns", "k1", campaign), ("creatives", "c1", creative)] {
            routes += [
                ("/v1/\(resource)", .post, body), ("/v1/\(resource)", .get, nil), ("/v1/\(resource)/\(id)", .get, nil),
                ("/v1/\(resource)/\(id)", .put, with(body, ["id": nil])), ("/v1/\(resource)/\(id)", .delete, nil),
            ]
        }
        for (uri, method, body) in routes {
            for key in [nil, "not-a-key"] {
                let r = try await call(client, method, uri, key: key, body)
                #expect(r.status == .unauthorized && r.code == "unauthorized", "\(method) \(uri)")
            }
            for key in [fixture.readKey, fixture.ingestKey] {
                let r = try await call(client, method, uri, key: key, body)
                #expect(r.status == .forbidden && r.code == "forbidden", "\(method) \(uri)")
            }
        }
    }
}

@Suite struct AdBookValidationTests {
    static let start = Timestamp(iso8601: "2026-12-01T00:00:00Z")!

    static func campaign() -> Campaign {
        Campaign(
            id: CampaignID(trusted: "k"), advertiserID: AdvertiserID(trusted: "a"), name: "K", startsAt: start,
            endsAt: start.adding(seconds: 86_400), totalBudgetCents: 1000, cpmBidCents: 100)
    }

    @Test func theUpperBoundsAreAccepted() throws {
        var c = Self.campaign()
        c.totalBudgetCents = AdBookLimits.maxBudgetCents
        c.dailyBudgetCents = AdBookLimits.maxBudgetCents
        c.cpmBidCents = AdBookLimits.maxCPMBidCents
        c.capPerDay = AdBookLimits.caps.upperBound
        c.capPerWeek = AdBookLimits.caps.upperBound
        c.capPerSession = AdBookLimits.caps.upperBound
        c.endsAt = AdBookLimits.times.upperBound
        c.targeting = Targeting(
            regions: Array(repeating: "us-west", count: AdBookLimits.maxRegions), maxContentMaturity: .age18,
            audiences: [AudienceSegment.fans(of: "Sci-Fi")])
        #expect(throws: Never.self) { try c.validate() }
    }

    @Test func audienceSegmentsAreFansOfALowercaseGenre() {
        #expect(AudienceSegment.fans(of: "Sci-Fi") == "fans:sci-fi")
        #expect(AudienceSegment.fansGenre("fans:sci-fi") == "sci-fi")
        #expect(AudienceSegment.fansGenre("fans:") == nil)
        #expect(AudienceSegment.fansGenre("sci-fi") == nil)
        for good in ["fans:sci-fi", "fans:film-noir", "fans:children's", "fans:science fiction"] {
            #expect(AudienceSegment.problem(with: good) == nil, "\(good)")
        }
        for bad in [
            "", "fans", "fans:", "fans: drama", "fans:Drama", "Fans:drama", "lovers:drama", "fans:a\tb",
            "fans:" + String(repeating: "x", count: 65),
        ] {
            #expect(AudienceSegment.problem(with: bad) != nil, "\(bad)")
        }
    }

    @Test func urlsMustBeAbsoluteHTTP() {
        for good in ["https://ads.example/a.mp4", "http://ads.example", "HTTPS://ads.example:8443/a?b=c#d", "https://user@[::1]:80/x"] {
            #expect(AdBookLimits.urlProblem(good) == nil, "\(good)")
        }
        for bad in [
            "", "ads.example/a.mp4", "//ads.example/a", "https://", "https:///a", "https://:80/a", "https://a.example:x/", "https://[::1/",
            "https://a.example/ä", "mailto:a@b.example", "https://a.example/\"x\"",
        ] {
            #expect(AdBookLimits.urlProblem(bad) != nil, "\(bad)")
        }
    }

    @Test func capsAndBudgetsAtTheirBounds() {
        var c = Self.campaign()
        c.capPerDay = 5
        c.capPerWeek = 5
        c.dailyBudgetCents = c.totalBudgetCents
        #expect(throws: Never.self) { try c.validate() }
        c.capPerDay = 6
        #expect(throws: MarqueeError.self) { try c.validate() }
        c.capPerDay = nil
        c.dailyBudgetCents = c.totalBudgetCents + 1
        #expect(throws: MarqueeError.self) { try c.validate() }
    }

    @Test func aCampaignsCategoryDefaultsToItsAdvertisers() {
        let advertiser = Advertiser(id: AdvertiserID(trusted: "a"), name: "A", category: "automotive")
        var c = Self.campaign()
        #expect(c.effectiveCategory(advertiser: advertiser) == "automotive")
        c.competitiveCategory = "insurance"
        #expect(c.effectiveCategory(advertiser: advertiser) == "insurance")
    }

    @Test func changesArePublishedInOrderToEveryStream() async {
        let changes = AdBookChanges()
        let a = changes.stream()
        let b = changes.stream(buffer: 2)
        #expect(changes.subscriberCount == 2)
        for i in 1...5 { changes.publish(.creative(CreativeID(trusted: "c\(i)"))) }
        var seenA: [UInt64] = []
        for await change in a {
            seenA.append(change.version)
            if seenA.count == 5 { break }
        }
        #expect(seenA == [1, 2, 3, 4, 5])
        // A slow stream keeps only the newest changes: the gap tells its reader to reload everything.
        var seenB: [UInt64] = []
        for await change in b {
            seenB.append(change.version)
            if seenB.count == 2 { break }
        }
        #expect(seenB == [4, 5])
        #expect(changes.version == 5)
    }
}
