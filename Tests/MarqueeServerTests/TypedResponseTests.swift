import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeAds
import MarqueeCore
import MarqueeRecommend
import MarqueeRuntime
import MarqueeServer
import MarqueeTestSupport
import Testing

/// The JSON writers of the home page and the ad decision as the server had them before the typed
/// responses (`HomeController.encode`, `AdsController.encode`, straight from the domain types), kept
/// as the reference the typed writers must match byte for byte.
enum FormerWriters {
    static func home(_ page: HomePage, catalog: HomeCatalog, profile: Profile, decisionID: String, at: LocalTime) -> [UInt8] {
        var w = JSONWriter(capacity: 16_384)
        w.raw("{\"profileId\":")
        w.string(profile.id.rawValue)
        w.raw(",\"decisionId\":")
        w.string(decisionID)
        w.raw(",\"personalized\":")
        w.bool(page.personalized)
        w.raw(",\"context\":{\"daypart\":")
        w.string(page.daypart.rawValue)
        w.raw(",\"device\":")
        if let d = page.device { w.string(d.rawValue) } else { w.raw("null") }
        w.raw(",\"at\":")
        w.string(at.instant.iso8601)
        w.raw(",\"utcOffsetMinutes\":")
        w.int(at.offsetMinutes)
        w.raw("},\"rows\":[")
        for (r, row) in page.rows.enumerated() {
            if r > 0 { w.raw(",") }
            w.raw("{\"id\":")
            w.string(row.id)
            w.raw(",\"kind\":")
            w.string(row.kind.rawValue)
            w.raw(",\"title\":")
            w.string(row.title)
            w.raw(",\"reason\":")
            w.string(row.reason)
            w.raw(",\"decisionId\":")
            w.string(decisionID)
            w.raw(",\"items\":[")
            for (k, item) in row.items.enumerated() {
                if k > 0 { w.raw(",") }
                let title = catalog.titles[item.title]
                // The catalog's former pre-encoded prefix of the title.
                w.raw("{\"titleId\":")
                w.string(title.id.rawValue)
                w.raw(",\"name\":")
                w.string(title.name)
                w.raw(",\"position\":")
                w.int(k)
                w.raw(",\"score\":")
                w.number(item.score)
                w.raw(",\"explanation\":")
                w.string(item.explanation)
                if let v = item.artworkVariant, title.artwork.indices.contains(v) {
                    w.raw(",\"artwork\":{\"variant\":")
                    w.string(title.artwork[v].id.rawValue)
                    w.raw(",\"url\":")
                    w.string(catalog.artworkURLs[item.title][v])
                    w.raw(",\"propensity\":")
                    w.number(item.artworkPropensity ?? 1, decimals: 6)
                    w.raw("}")
                }
                w.raw(",\"propensity\":")
                w.number(item.propensity, decimals: 8)
                if item.explored { w.raw(",\"explored\":true") }
                if let rule = item.editorialRule {
                    w.raw(",\"editorialRule\":")
                    w.string(rule)
                }
                w.raw("}")
            }
            w.raw("]}")
        }
        w.raw("]}")
        return w.bytes
    }

    static func decision(_ pod: AdPod, ask: AdService.Ask, tracking: [AdBeacons], vastURL: String) -> [UInt8] {
        var w = JSONWriter(capacity: 2048 + 1536 * pod.ads.count)
        w.raw("{\"decisionId\":")
        w.string(pod.decisionID)
        w.raw(",\"profileId\":")
        w.string(ask.profileKey)
        w.raw(",\"titleId\":")
        w.string(ask.titleID)
        w.raw(",\"breakKind\":")
        w.string(ask.breakKind.rawValue)
        w.raw(",\"personalized\":")
        w.bool(pod.personalized)
        w.raw(",\"maxPodSeconds\":")
        w.int(pod.maxPodSeconds)
        w.raw(",\"maxAds\":")
        w.int(pod.maxAds)
        w.raw(",\"totalSeconds\":")
        w.int(pod.totalSeconds)
        w.raw(",\"reasons\":")
        w.strings(pod.reasons)
        w.raw(",\"vastUrl\":")
        w.string(vastURL)
        w.raw(",\"ads\":[")
        for (i, ad) in pod.ads.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"slot\":")
            w.int(ad.slot)
            w.raw(",\"creativeId\":")
            w.string(ad.creativeID.rawValue)
            w.raw(",\"campaignId\":")
            w.string(ad.campaignID.rawValue)
            w.raw(",\"advertiserId\":")
            w.string(ad.advertiserID.rawValue)
            w.raw(",\"advertiser\":")
            w.string(ad.advertiserName)
            w.raw(",\"name\":")
            w.string(ad.creativeName)
            w.raw(",\"category\":")
            w.string(ad.category)
            w.raw(",\"durationSeconds\":")
            w.int(ad.durationSeconds)
            w.raw(",\"mediaUrl\":")
            w.string(ad.mediaURL)
            w.raw(",\"clickUrl\":")
            w.string(ad.clickURL)
            w.raw(",\"tier\":")
            w.string(ad.tier.rawValue)
            w.raw(",\"cpmCents\":")
            w.int(Int(ad.cpmCents))
            w.raw(",\"priceCents\":")
            w.number(ad.priceCents, decimals: 3)
            w.raw(",\"pCTR\":")
            w.number(ad.pCTR, decimals: 6)
            w.raw(",\"score\":")
            w.number(ad.score, decimals: 3)
            w.raw(",\"propensity\":")
            w.number(ad.propensity, decimals: 8)
            w.raw(",\"explored\":")
            w.bool(ad.explored)
            w.raw(",\"reason\":")
            w.string(ad.reason)
            w.raw(",\"tracking\":{")
            if i < tracking.count {
                for (n, event) in AdTrackingEvent.allCases.enumerated() {
                    if n > 0 { w.raw(",") }
                    w.string(event.rawValue)
                    w.raw(":")
                    tracking[i].appendJSONString(event, to: &w.bytes)
                }
            }
            w.raw("}}")
        }
        w.raw("]}")
        return w.bytes
    }
}

/// Both JSON texts parsed by Foundation (an independent reader), compared as values.
func sameJSONObject(_ a: some Sequence<UInt8>, _ b: some Sequence<UInt8>) throws -> Bool {
    try JSONValue(parsing: a) == JSONValue(parsing: b)
}

/// The typed responses over a demo world: the same bytes as the former writers, a round trip through
/// `JSONDecoder`, the same object as `JSONEncoder` writes, and the routes' bodies exactly the typed
/// writer's output of what they decode to.
@Suite(.serialized) struct TypedResponseTests {
    @Test func demoHomePagesAreTheFormerBytesAndRoundTrip() async throws {
        let f = try await HomeFixture.make(profiles: 120, titles: 80, days: 7)
        defer { f.cleanUp() }
        var items = 0
        var withArtwork = 0
        for (i, profile) in f.profiles.prefix(16).enumerated() {
            let device: Device? = i % 3 == 0 ? nil : Device.allCases[i % Device.allCases.count]
            let at = LocalTime(iso8601: i % 2 == 0 ? "2026-11-24T21:30:00-05:00" : "2026-11-25T07:15:00+01:00")!
            let decisionID = DecisionIDs.make(prefix: "h-", at: at.instant).id
            let request = HomeRequest(profile: profile, device: device, at: at, rows: 8, perRow: 10, seed: UInt64(i + 1))
            let (page, catalog) = try await f.home.page(for: request, decisionID: decisionID)
            let answer = HomePageAnswer(page: page, catalog: catalog, profileID: profile.id.rawValue, decisionID: decisionID, at: at)
            let typed = answer.response
            let fast = typed.jsonBytes()
            // What the route writes straight from the page is the structure's JSON, byte for byte.
            #expect(answer.jsonBytes() == fast)
            #expect(fast == FormerWriters.home(page, catalog: catalog, profile: profile, decisionID: decisionID, at: at))
            #expect(try JSONDecoder().decode(HomePageResponse.self, from: Data(fast)) == typed)
            #expect(try sameJSONObject(JSONEncoder().encode(typed), fast))
            #expect(typed.context.device == device)
            for row in typed.rows {
                items += row.items.count
                withArtwork += row.items.filter { $0.artwork != nil }.count
                for item in row.items {
                    let title = try #require(f.titles[item.titleId])
                    #expect(item.name == title.name)
                }
            }
        }
        #expect(items > 0 && withArtwork > 0)

        // Over HTTP: the body decodes, and the typed writer gives back exactly its bytes.
        let app = Application(router: f.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.router) { client in
            for profile in f.profiles.prefix(3) {
                let body = try await client.execute(uri: "/v1/profiles/\(profile.id.rawValue)/home?rows=5", method: .get) { r in
                    #expect(r.status == .ok)
                    return Array(r.body.readableBytesView)
                }
                let decoded = try JSONDecoder().decode(HomePageResponse.self, from: Data(body))
                #expect(decoded.profileId == profile.id.rawValue)
                #expect(decoded.context.device == nil)
                #expect(decoded.jsonBytes() == body)
            }
        }
    }

    @Test func demoDecisionsAreTheFormerBytesAndRoundTrip() async throws {
        let f = try await AdFixture.make()
        defer { f.base.cleanUp() }
        let title = f.anyTitle
        var ads = 0
        for (profile, breakKind) in [
            (f.profile(.basicWithAds).id.rawValue, "mid-roll"), (f.profile(.standardWithAds).id.rawValue, "pre-roll"),
            (f.profile(.adFree).id.rawValue, nil), ("stranger \"é\"", nil),
        ] {
            let ask = try AdService.ask(
                profile: profile, title: title.id.rawValue, breakKind: breakKind, cue: 600, device: "tv", region: nil,
                localTime: AdFixture.evening, session: "sess-typed", maxPod: 120)
            let (pod, _, tracking) = try await f.ads.decide(ask)
            let vastURL = "http://localhost/v1/ads/vast/\(pod.decisionID)?t=1&s=00"
            let typed = AdDecisionResponse(pod: pod, ask: ask, tracking: tracking, vastURL: vastURL)
            let fast = typed.jsonBytes()
            #expect(fast == FormerWriters.decision(pod, ask: ask, tracking: tracking, vastURL: vastURL))
            let decoded = try JSONDecoder().decode(AdDecisionResponse.self, from: Data(fast))
            #expect(decoded == typed)
            #expect(decoded.jsonBytes() == fast)
            #expect(try sameJSONObject(JSONEncoder().encode(typed), fast))
            for (i, ad) in typed.ads.enumerated() {
                #expect(ad.tracking.impression == tracking[i].url(.impression))
                #expect(ad.tracking.urls == AdTrackingEvent.allCases.map { tracking[i].url($0) })
                #expect(f.ads.signer.verify(url: ad.tracking.click)?.event == .click)
            }
            ads += typed.ads.count

            // Through the runtime: a signed VAST URL for the decision.
            let answer = try await f.ads.decision(ask)
            let path = AdService.vastPath + "/" + answer.decisionId
            #expect(answer.vastUrl.hasPrefix("http://localhost" + path + "?"))
            #expect(f.ads.isSignedTag(path: path, query: String(answer.vastUrl.split(separator: "?", maxSplits: 1)[1])))
            #expect(try JSONDecoder().decode(AdDecisionResponse.self, from: Data(answer.jsonBytes())) == answer)
        }
        #expect(ads > 0)

        // Over HTTP: the body decodes, and the typed writer gives back exactly its bytes.
        try await f.application.test(.router) { client in
            let request: [String: Any] = [
                "profileId": f.profile(.basicWithAds).id.rawValue, "titleId": title.id.rawValue, "localTime": AdFixture.evening,
            ]
            let text = String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
            let body = try await client.execute(uri: "/v1/ads/decision", method: .post, headers: headers(key: nil), body: buffer(text)) {
                r in
                #expect(r.status == .ok)
                return Array(r.body.readableBytesView)
            }
            let decoded = try JSONDecoder().decode(AdDecisionResponse.self, from: Data(body))
            #expect(decoded.breakKind == .midRoll)
            #expect(decoded.jsonBytes() == body)
        }
    }
}
