import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeAds
import MarqueeCore
import MarqueeServer
import MarqueeStorage
import MarqueeTestSupport
import Testing

/// Every kind of VAST and VMAP document the ad routes serve, as they serve it, checked by the IAB's
/// own schemas with xmllint (../shared/iab/): VAST against vast_4.1.xsd and vast_4.2.xsd, VMAP
/// against vmap_checkable.xsd.
@Suite(.serialized) struct AdDocumentSchemaTests {
    static func expectValid(_ xml: String, _ schemas: [IABSchemas.Schema], _ what: String) throws {
        for schema in schemas {
            let problems = try IABSchemas.problems(xml, against: schema)
            #expect(problems == nil, "\(what): \(problems ?? "")\n\(xml)")
        }
    }

    static func get(_ client: some TestClientProtocol, _ uri: String) async throws -> String {
        try await client.execute(uri: uri, method: .get) { r in
            #expect(r.status == .ok, "\(uri)")
            return String(buffer: r.body)
        }
    }

    @Test func everyServedDocumentIsValidUnderTheIABSchemas() async throws {
        try await AdFixture.test { client, f in try await Self.documentChecks(client, f) }
    }

    static func documentChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let vast: [IABSchemas.Schema] = [.vast41, .vast42]
        let viewer = f.profile(.basicWithAds).id.rawValue
        let title = try #require(f.base.titles.values.filter { ($0.runtimeSeconds ?? 0) > 3600 && !$0.cuePoints.isEmpty }.first).id.rawValue

        // A VMAP with a pre-roll and mid-rolls.
        let vmap = try await get(client, "/v1/ads/vmap?profile=\(viewer)&title=\(title)&device=tv&at=2026-11-01T21:00:00-05:00")
        let outline = try #require(XMLOutline.parse(vmap))
        let breaks = outline.elements.filter { $0.name == "vmap:AdBreak" }
        #expect(breaks.first?.attributes["timeOffset"] == "start")
        #expect(breaks.dropFirst().count >= 2 && breaks.dropFirst().allSatisfy { $0.attributes["timeOffset"] != "start" })
        try expectValid(vmap, [.vmap], "VMAP")

        // A tag response: the first mid-roll's AdTagURI, decided now.
        let tags = try #require(outline.text["vmap:AdTagURI"])
        let tagged = try await get(client, pathAndQuery(tags[1]))
        let tagOutline = try #require(XMLOutline.parse(tagged))
        #expect(tagOutline.count("Ad") >= 1)
        #expect(tagOutline.count("Error") == tagOutline.count("Ad"))  // one error beacon per ad
        try expectValid(tagged, vast, "VAST tag")

        // A pod by decision id (its vastUrl).
        let (_, pod) = try await decide(
            client,
            ["profileId": viewer, "titleId": title, "breakKind": "mid-roll", "localTime": AdFixture.evening, "sessionId": "schema-1"])
        let ads = try #require(pod["ads"] as? [[String: Any]])
        #expect(!ads.isEmpty)
        let byID = try await get(client, pathAndQuery(try #require(pod["vastUrl"] as? String)))
        #expect(XMLOutline.parse(byID)?.count("Ad") == ads.count)
        try expectValid(byID, vast, "VAST by decision id")

        // Nothing served: no ad fits in 5 seconds.
        let empty = try await get(client, "/v1/ads/vast?profile=\(viewer)&title=\(title)&break=mid-roll&offset=1200&max=5")
        #expect(XMLOutline.parse(empty)?.count("Ad") == 0)
        try expectValid(empty, vast, "empty VAST")

        // A contextual pod: a viewer Marquee has no profile for.
        let contextual = try await get(
            client,
            "/v1/ads/vast?profile=guest-schema&title=\(title)&break=pre-roll&offset=0&max=30&region=us-west&at=2026-11-01T21:00:00-05:00")
        #expect(XMLOutline.parse(contextual)?.count("Ad") ?? 0 >= 1)
        try expectValid(contextual, vast, "contextual VAST")

        // An ad-free viewer's VMAP: no breaks.
        let adFree = try await get(client, "/v1/ads/vmap?profile=\(f.profile(.adFree).id.rawValue)&title=\(title)")
        #expect(XMLOutline.parse(adFree)?.elements.contains { $0.name == "vmap:AdBreak" } == false)
        try expectValid(adFree, [.vmap], "ad-free VMAP")
    }

    /// The harness can fail: the served VMAP with a string AdSource id (what Marquee wrote before) is refused.
    @Test func theHarnessRefusesAStringAdSourceID() async throws {
        try await AdFixture.test { client, f in
            let title = try #require(f.base.titles.values.filter { ($0.runtimeSeconds ?? 0) > 3600 && !$0.cuePoints.isEmpty }.first)
            let vmap = try await Self.get(client, "/v1/ads/vmap?profile=\(f.profile(.basicWithAds).id.rawValue)&title=\(title.id.rawValue)")
            let broken = vmap.replacingOccurrences(of: #"<vmap:AdSource id="1""#, with: #"<vmap:AdSource id="preroll-ad""#)
            #expect(broken != vmap)
            let problems = try IABSchemas.problems(broken, against: .vmap)
            #expect(problems?.contains("'preroll-ad' is not a valid value") == true, "\(problems ?? "accepted")")
        }
    }
}

/// The beacons of served pods: the VAST `<Error>` beacon, and contextual pods' beacons that count once.
@Suite(.serialized) struct AdBeaconRouteTests {
    static func fire(_ client: some TestClientProtocol, _ url: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: pathAndQuery(url), method: .get) { $0.status }
    }

    @Test func errorBeaconsRecordOneAdErrorPerAdWithItsCode() async throws {
        try await AdFixture.test { client, f in try await Self.errorChecks(client, f) }
    }

    static func errorChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let viewer = f.profile(.basicWithAds)
        let (status, pod) = try await decide(
            client,
            [
                "profileId": viewer.id.rawValue, "titleId": f.anyTitle.id.rawValue, "breakKind": "mid-roll", "maxPodSeconds": 120,
                "localTime": AdFixture.evening, "sessionId": "err-1",
            ])
        #expect(status == .ok)
        let ads = try #require(pod["ads"] as? [[String: Any]])
        try #require(ads.count >= 2)
        let errors = try ads.map { try #require(($0["tracking"] as? [String: String])?["error"]) }
        #expect(errors.allSatisfy { $0.hasSuffix("&code=%5BERRORCODE%5D") })
        // The VAST carries the same URLs in each Ad's <Error>.
        let vast = try await client.execute(uri: pathAndQuery(try #require(pod["vastUrl"] as? String)), method: .get) {
            String(buffer: $0.body)
        }
        #expect(XMLOutline.parse(vast)?.text["Error"] == errors)

        // The player fills in the code: one adError for the ad, whatever the replays say.
        let first = errors[0].replacingOccurrences(of: "%5BERRORCODE%5D", with: "405")
        #expect(try await fire(client, first) == .noContent)
        #expect(try await fire(client, errors[0].replacingOccurrences(of: "%5BERRORCODE%5D", with: "402")) == .noContent)
        #expect(try await fire(client, first + "&cb=123") == .noContent)
        // A player that leaves the macro as it is (encoded or bare) still reports the error, without a code.
        #expect(try await fire(client, errors[1]) == .noContent)
        #expect(try await fire(client, errors[1].replacingOccurrences(of: "%5BERRORCODE%5D", with: "[ERRORCODE]")) == .noContent)
        let recorded = try await f.base.store.events(profile: viewer.id, limit: 10_000).filter { $0.type == .adError }
            .sorted { ($0.rank ?? 0) < ($1.rank ?? 0) }
        #expect(recorded.count == 2)
        #expect(recorded.map(\.rank) == [0, 1])
        #expect(recorded.map(\.errorCode) == [405, nil])
        #expect(recorded.map { $0.decisionID?.rawValue } == [pod["decisionId"] as? String, pod["decisionId"] as? String])
        #expect(recorded.map { $0.creativeID?.rawValue } == ads.prefix(2).map { $0["creativeId"] as? String })

        // A code that is not a VAST error code is a 422 naming the parameter; a forged error beacon a 403.
        for bad in ["abc", "99", "1000", "4051", "-405"] {
            try await client.execute(uri: pathAndQuery(errors[0].replacingOccurrences(of: "%5BERRORCODE%5D", with: bad)), method: .get) {
                r in
                #expect(r.status == .unprocessableContent, "\(bad)")
                let message = ((try? json(r))?["error"] as? [String: Any])?["message"] as? String
                #expect(message?.hasPrefix("code must be a VAST error code") == true, "\(bad): \(message ?? "")")
            }
        }
        let click = try #require((ads[0]["tracking"] as? [String: String])?["click"])
        #expect(try await fire(client, click.replacingOccurrences(of: "e=click", with: "e=error")) == .forbidden)
    }

    static let guestCampaign = CampaignID(trusted: "cmp-guest")

    /// The ads of `guestCampaign` in a contextual pod decided for `guest`.
    static func guestPod(_ client: some TestClientProtocol, _ guest: String, _ title: String) async throws -> [[String: Any]] {
        let (status, pod) = try await decide(
            client, ["profileId": guest, "titleId": title, "breakKind": "mid-roll", "localTime": AdFixture.evening])
        #expect(status == .ok)
        #expect(pod["personalized"] as? Bool == false)
        return (pod["ads"] as? [[String: Any]] ?? []).filter { $0["campaignId"] as? String == guestCampaign.rawValue }
    }

    /// A guest's impression beacon fired 21 times counts once against the budget, and the spend is
    /// still there after a restart: the campaign the guests exhausted is not served again.
    @Test func guestBeaconsCountOnceAndTheirSpendSurvivesARestart() async throws {
        let f = try await AdFixture.make()
        var restarted: AdFixture?
        // The restart closes the first store; clean up whichever is open (a store is closed once).
        defer { (restarted ?? f).base.cleanUp() }
        let campaign = Self.guestCampaign
        let title = f.anyTitle.id.rawValue
        let impression = try await f.application.test(.router) { client in
            let key = f.base.adminKey
            try await postJSON(
                client, "/v1/advertisers", key: key, ["id": "adv-guest", "name": "Guest Co", "category": "guest-tests"], expect: .created)
            // 5 cents at a $50 CPM: one impression spends the whole budget.
            try await postJSON(
                client, "/v1/campaigns", key: key,
                [
                    "id": campaign.rawValue, "advertiserId": "adv-guest", "name": "One impression", "startsAt": "2026-10-01T00:00:00Z",
                    "endsAt": "2026-12-31T00:00:00Z", "totalBudgetCents": 5, "cpmBidCents": 5000, "priority": "sponsorship",
                    "pacing": "asFastAsPossible",
                ], expect: .created)
            try await postJSON(
                client, "/v1/creatives", key: key,
                [
                    "id": "cr-guest", "campaignId": campaign.rawValue, "name": "Spot", "durationSeconds": 15,
                    "mediaUrl": "https://cdn.example/g.mp4", "clickUrl": "https://guest.example/",
                ], expect: .created)
            let shown = try await Self.guestPod(client, "guest-21", title)
            let impression = try #require((shown.first?["tracking"] as? [String: String])?["impression"])
            for _ in 0..<21 { #expect(try await Self.fire(client, impression) == .noContent) }
            let delivery = try #require(f.ads.delivery(of: campaign))
            #expect(delivery.spent == 5000)  // 5 cents in millicents, once
            #expect(delivery.impressions == 1)
            #expect(try await f.base.store.contextualAdEvents(afterSequence: 0, limit: 100).map(\.event.type) == [.adImpression])
            #expect(try await Self.guestPod(client, "guest-22", title).isEmpty)  // the budget is spent
            return impression
        }

        let g = try await f.restarted()
        restarted = g
        let delivery = try #require(g.ads.delivery(of: campaign))
        #expect(delivery.spent == 5000)
        #expect(delivery.impressions == 1)
        try await g.application.test(.router) { client async throws -> Void in
            #expect(try await Self.guestPod(client, "guest-23", title).isEmpty)
            // Fired again after the restart (its decision now read from the decision log), still one impression.
            #expect(try await Self.fire(client, impression) == .noContent)
        }
        #expect(g.ads.delivery(of: campaign)?.spent == 5000)
        #expect(try await g.base.store.contextualAdEvents(afterSequence: 0, limit: 100).count == 1)
    }
}
