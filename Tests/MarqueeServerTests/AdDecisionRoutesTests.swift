import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeAds
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import MarqueeStorage
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The home fixture's world served with an ad service that logs its decisions.
struct AdFixture: @unchecked Sendable {
    let base: HomeFixture
    var ads: AdService { base.runtime.ads }
    var router: Router<AppRequestContext> { base.router }

    static let evening = "2026-11-01T21:00:00-05:00"

    static func make(protectReads: Bool = false) async throws -> AdFixture {
        AdFixture(base: try await HomeFixture.make(profiles: 160, titles: 80, days: 7, protectReads: protectReads))
    }

    /// A restart: the decision log flushed, the store closed, then opened again from the same file with
    /// new services over it (what a restarted server has: the store, and nothing in memory). Clean up
    /// the returned fixture only: this one's store is closed.
    func restarted() async throws -> AdFixture {
        let store = try await base.store.reopened()
        let home = try await HomeFixture.serving(
            store: store, directory: base.directory, adminKey: base.adminKey,
            snapshotPath: base.directory.appendingPathComponent("model").path,
            titles: Array(base.titles.values), profiles: base.profiles)
        return AdFixture(base: home)
    }

    /// Makes a fixture, runs `checks` with an in-process client of its router, and cleans up.
    static func test(
        protectReads: Bool = false, _ checks: @escaping @Sendable (any TestClientProtocol, AdFixture) async throws -> Void
    ) async throws {
        let f = try await make(protectReads: protectReads)
        defer { f.base.cleanUp() }
        try await f.application.test(.router) { client in try await checks(client, f) }
    }

    var application: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: base.quietLogger)
    }

    func profile(_ plan: Plan) -> Profile { base.profiles.first { $0.plan == plan }! }

    var anyTitle: Title { base.titles.values.sorted { $0.id.rawValue < $1.id.rawValue }.first! }
}

/// POSTs an ad request and returns the status and the JSON answer.
func decide(_ client: some TestClientProtocol, _ body: [String: Any]) async throws -> (HTTPResponse.Status, [String: Any]) {
    let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    return try await client.execute(uri: "/v1/ads/decision", method: .post, headers: headers(key: nil), body: buffer(text)) { r in
        (r.status, (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:])
    }
}

/// The path and query of an absolute URL (the in-process client takes those).
func pathAndQuery(_ url: String) -> String {
    guard let range = url.range(of: "://") else { return url }
    let rest = url[range.upperBound...]
    return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
}

/// Element names and attributes of an XML document, in document order.
final class XMLOutline: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var text: [String: [String]] = [:]
    private var current = ""
    private var stack: [String] = []

    static func parse(_ xml: String) -> XMLOutline? {
        let outline = XMLOutline()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = outline
        return parser.parse() ? outline : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]
    ) {
        elements.append((name, attributes))
        stack.append(name)
        current = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    func parser(_ parser: XMLParser, foundCDATA data: Data) { current += String(decoding: data, as: UTF8.self) }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { text[name, default: []].append(trimmed) }
        current = ""
        stack.removeLast()
    }

    func count(_ name: String) -> Int { elements.filter { $0.name == name }.count }
}

@Suite(.serialized) struct AdDecisionRoutesTests {
    @Test func podsOverHTTPCarryReasonsTrackingAndTheRules() async throws {
        try await AdFixture.test { client, f in try await Self.podChecks(client, f) }
    }

    static func podChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let viewer = f.profile(.basicWithAds)
        let title = f.anyTitle
        let (status, pod) = try await decide(
            client,
            [
                "profileId": viewer.id.rawValue, "titleId": title.id.rawValue, "breakKind": "mid-roll", "device": "tv",
                "localTime": AdFixture.evening, "sessionId": "sess-1", "maxPodSeconds": 120,
            ])
        #expect(status == .ok)
        let ads = try #require(pod["ads"] as? [[String: Any]])
        #expect(!ads.isEmpty)
        #expect(pod["personalized"] as? Bool == true)
        let advertisers = ads.compactMap { $0["advertiserId"] as? String }
        let categories = ads.compactMap { $0["category"] as? String }
        #expect(Set(advertisers).count == ads.count)
        #expect(Set(categories).count == ads.count)
        #expect(ads.compactMap { $0["durationSeconds"] as? Int }.reduce(0, +) <= 120)
        for ad in ads {
            #expect(!((ad["reason"] as? String) ?? "").isEmpty)
            let tracking = try #require(ad["tracking"] as? [String: String])
            #expect(
                Set(tracking.keys).isSuperset(of: ["impression", "firstQuartile", "midpoint", "thirdQuartile", "complete", "click", "skip"])
            )
        }

        // The impression beacon becomes an ad event; a forged one is refused.
        let first = ads[0]
        let tracking = first["tracking"] as! [String: String]
        let before = try await f.base.store.statistics().events
        try await client.execute(uri: pathAndQuery(tracking["impression"]!), method: .get) { r in #expect(r.status == .noContent) }
        try await client.execute(uri: pathAndQuery(tracking["impression"]!), method: .get) { r in #expect(r.status == .noContent) }
        #expect(try await f.base.store.statistics().events == before + 1)  // the repeat is a duplicate
        var forged = pathAndQuery(tracking["click"]!)
        forged = forged.replacingOccurrences(of: "&a=0&", with: "&a=1&")
        try await client.execute(uri: forged, method: .get) { r in #expect(r.status == .forbidden) }
        let campaign = CampaignID(trusted: first["campaignId"] as! String)
        #expect(f.ads.delivery(of: campaign)!.spent > 0)

        // VAST for the decision: one Ad per pod slot, durations as HH:MM:SS.mmm.
        let decisionID = pod["decisionId"] as! String
        let vast = try await client.execute(uri: "/v1/ads/vast/\(decisionID)", method: .get) { r in
            #expect(r.status == .ok)
            return String(buffer: r.body)
        }
        let outline = try #require(XMLOutline.parse(vast))
        #expect(outline.count("Ad") == ads.count)
        #expect(outline.elements.first?.attributes["version"] == "4.1")
        #expect(outline.text["Duration"]?.count == ads.count)
        for d in outline.text["Duration"] ?? [] { #expect(d.range(of: #"^\d{2}:\d{2}:\d{2}\.\d{3}$"#, options: .regularExpression) != nil) }

        // Ad-free, contextual, impossible, unknown title, bad enum, bad body.
        let adFree = try await decide(
            client, ["profileId": f.profile(.adFree).id.rawValue, "titleId": title.id.rawValue, "localTime": AdFixture.evening])
        #expect(adFree.0 == .ok)
        #expect((adFree.1["ads"] as? [Any])?.isEmpty == true)
        #expect(((adFree.1["reasons"] as? [String]) ?? []).contains { $0.contains("ad-free") })
        let stranger = try await decide(client, ["profileId": "nobody-here", "titleId": title.id.rawValue, "localTime": AdFixture.evening])
        #expect(stranger.0 == .ok)
        #expect(stranger.1["personalized"] as? Bool == false)
        #expect(((stranger.1["reasons"] as? [String]) ?? []).contains { $0.contains("contextual") })
        let tiny = try await decide(
            client, ["profileId": viewer.id.rawValue, "titleId": title.id.rawValue, "maxPodSeconds": 5, "localTime": AdFixture.evening])
        #expect(tiny.0 == .ok)
        #expect((tiny.1["ads"] as? [Any])?.isEmpty == true)
        #expect(((tiny.1["reasons"] as? [String]) ?? []).contains { $0.contains("no ad fits in 5 s") })
        #expect(try await decide(client, ["profileId": viewer.id.rawValue, "titleId": "no-such-title"]).0 == .notFound)
        let badKind = try await decide(client, ["profileId": viewer.id.rawValue, "titleId": title.id.rawValue, "breakKind": "post-roll"])
        #expect(badKind.0 == .unprocessableContent)
        #expect(((badKind.1["error"] as? [String: Any])?["message"] as? String)?.contains("pre-roll, mid-roll") == true)
        #expect(try await decide(client, ["titleId": title.id.rawValue]).0 == .unprocessableContent)
        for body in ["{not json", "null", "[1]", "42"] {
            try await client.execute(uri: "/v1/ads/decision", method: .post, body: buffer(body)) { r in
                #expect(r.status == .badRequest, "\(body)")
            }
        }
        try await client.execute(uri: "/v1/ads/vast/a-unknown", method: .get) { r in #expect(r.status == .notFound) }
    }

    /// Flat request bodies are read without JSONDecoder; a member that is not flat (here an extra
    /// `"zz":[0]`, which the request ignores) sends the same body to JSONDecoder. Both readings must
    /// answer alike: the same status, the same echoed request, the same error message.
    @Test func flatBodiesReadAsJSONDecoderReadsThem() async throws {
        try await AdFixture.test { client, f in try await Self.flatBodyChecks(client, f) }
    }

    static func flatBodyChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let p = f.profile(.basicWithAds).id.rawValue
        let t = f.anyTitle.id.rawValue
        let bodies = [
            #"{"profileId":"\#(p)","titleId":"\#(t)","breakKind":"pre-roll","device":"tv","localTime":"2026-11-01T21:00:00-05:00","sessionId":"s-é","maxPodSeconds":90,"cuePointSeconds":12.5}"#,
            #" { "profileId" : "\#(p)" , "titleId" : "\#(t)" , "device" : null , "maxPodSeconds" : null , "region" : "us-west" } "#,
            #"{"profileId":"\#(p)","titleId":"\#(t)","cuePointSeconds":1e1,"maxPodSeconds":60,"unknown":true}"#,
            #"{"profileId":"\#(p)","titleId":"\#(t)","maxPodSeconds":"30"}"#,
            #"{"profileId":"\#(p)","titleId":"\#(t)","maxPodSeconds":30.5}"#,
            #"{"profileId":"\#(p)","titleId":"\#(t)","maxPodSeconds":30.0}"#,
            #"{"profileId":"\#(p)","titleId":"\#(t)","maxPodSeconds":99999999999999999999}"#,
            #"{"profileId":true,"titleId":"\#(t)"}"#,
            #"{"profileId":"\#(p)","titleId":"\#(t)","device":"toaster"}"#,
            #"{"profileId":"\#(p)","titleId":"\#(t)","cuePointSeconds":-1}"#,
            #"{"profileId":"\#(p)","profileId":"\#(p)","titleId":"\#(t)"}"#,
            #"{"titleId":"\#(t)"}"#,
        ]
        func answer(_ body: String) async throws -> (HTTPResponse.Status, [String: String]) {
            try await client.execute(uri: "/v1/ads/decision", method: .post, body: buffer(body)) { r in
                let json = (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:]
                var echo: [String: String] = [:]
                for key in ["profileId", "titleId", "breakKind", "maxPodSeconds", "personalized"] { echo[key] = json[key].map { "\($0)" } }
                echo["error"] = ((json["error"] as? [String: Any])?["message"] as? String)
                return (r.status, echo)
            }
        }
        for body in bodies {
            let direct = try await answer(body)
            // A nested member sends the body to JSONDecoder; it answers alike, or names the unknown member
            // (the members read into `DecisionInput` are compared path against path in FlatDecisionInputTests).
            let decoded = try await answer(String(body.trimmingCharacters(in: .whitespaces).dropLast()) + #","zz":[0]}"#)
            let refusedByName = decoded.0 == .unprocessableContent && decoded.1["error"] == "zz: is not a field of an ad request"
            #expect((direct.0 == decoded.0 && direct.1 == decoded.1) || refusedByName, "\(body)")
        }
    }

    /// The viewer genres a decision uses (audiences, CTR features) are cached per viewer; new
    /// history must show in the very next decision.
    @Test func viewerGenresFollowNewHistory() async throws {
        try await AdFixture.test { client, f in try await Self.genreChecks(client, f) }
    }

    static func genreChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let viewer = f.profile(.basicWithAds)
        let title = f.anyTitle.id.rawValue
        func loggedGenres() async throws -> [String] {
            let (status, pod) = try await decide(
                client, ["profileId": viewer.id.rawValue, "titleId": title, "localTime": AdFixture.evening, "maxPodSeconds": 30])
            #expect(status == .ok)
            let id = try #require(pod["decisionId"] as? String)
            return try #require(try await f.base.store.adDecision(id: DecisionID(trusted: id))).viewerGenres.map { $0.lowercased() }
        }
        // Some history first, so that the viewer's genres are computed and cached.
        let seed = f.anyTitle
        try await postJSON(
            client, "/v1/events", key: f.base.adminKey,
            [
                "events": [
                    [
                        "id": "genre-seed", "profileId": viewer.id.rawValue, "type": "like", "titleId": seed.id.rawValue,
                        "timestamp": "2026-11-01T20:00:00-05:00",
                    ]
                ]
            ],
            expect: .ok)
        let before = try await loggedGenres()
        #expect(!before.isEmpty)
        #expect(try await loggedGenres() == before)
        // The genre with the most titles that is not among the viewer's genres yet.
        var counts: [String: Int] = [:]
        for t in f.base.titles.values { for g in t.genres { counts[g.lowercased(), default: 0] += 1 } }
        let genre = try #require(counts.filter { !before.contains($0.key) }.max { $0.value < $1.value }?.key)
        let liked = f.base.titles.values.filter { $0.genres.contains { $0.lowercased() == genre } }.sorted {
            $0.id.rawValue < $1.id.rawValue
        }
        .prefix(15)
        var events: [[String: Any]] = []
        for (k, t) in liked.enumerated() {
            for type in ["complete", "like"] {
                events.append([
                    "id": "genre-\(type)-\(k)", "profileId": viewer.id.rawValue, "type": type, "titleId": t.id.rawValue,
                    "timestamp": "2026-11-01T20:\(String(format: "%02d", 10 + k)):00-05:00",
                ])
            }
        }
        try await postJSON(client, "/v1/events", key: f.base.adminKey, ["events": events], expect: .ok)
        let after = try await loggedGenres()
        #expect(after.first == genre, "before \(before), after \(after)")
    }

    /// With reads protected, a player fetches the VAST tags of a VMAP, and a decision's `vastUrl`,
    /// without a key: Marquee signed them. An altered or unsigned tag needs the key.
    @Test func signedTagsNeedNoKeyWhenReadsAreProtected() async throws {
        try await AdFixture.test(protectReads: true) { client, f in try await Self.signedTagChecks(client, f) }
    }

    static func signedTagChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let viewer = f.profile(.basicWithAds)
        let title = try #require(f.base.titles.values.filter { ($0.runtimeSeconds ?? 0) > 3600 && !$0.cuePoints.isEmpty }.first)
        let vmapURI = "/v1/ads/vmap?profile=\(viewer.id.rawValue)&title=\(title.id.rawValue)&device=tv&at=2026-11-01T21:00:00-05:00"
        try await client.execute(uri: vmapURI, method: .get) { r in #expect(r.status == .unauthorized) }
        let vmap = try await client.execute(uri: vmapURI, method: .get, headers: headers(key: f.base.adminKey)) { r in
            #expect(r.status == .ok)
            return String(buffer: r.body)
        }
        let tags = try #require(XMLOutline.parse(vmap)?.text["vmap:AdTagURI"] ?? XMLOutline.parse(vmap)?.text["AdTagURI"])
        #expect(!tags.isEmpty)
        for tag in tags {
            try await client.execute(uri: pathAndQuery(tag), method: .get) { r in
                #expect(r.status == .ok, "\(tag)")
                #expect(String(buffer: r.body).contains("<VAST"))
            }
        }
        // Altered: another profile, a longer pod, the signature dropped, a parameter appended.
        let tag = pathAndQuery(tags[0])
        let altered = [
            tag.replacingOccurrences(of: "profile=\(viewer.id.rawValue)", with: "profile=\(f.profile(.standardWithAds).id.rawValue)"),
            tag.replacingOccurrences(of: "&max=", with: "&max=9"), String(tag[..<tag.range(of: "&s=")!.lowerBound]), tag + "&max=600",
        ]
        for uri in altered {
            #expect(uri != tag)
            try await client.execute(uri: uri, method: .get) { r in #expect(r.status == .unauthorized, "\(uri)") }
            try await client.execute(uri: uri, method: .get, headers: headers(key: f.base.adminKey)) { r in
                #expect(r.status == .ok || r.status == .unprocessableContent, "\(uri) with a key")
            }
        }
        // A decision's vastUrl works without a key; the same decision's VAST without the signature does not.
        let (status, pod) = try await client.execute(
            uri: "/v1/ads/decision", method: .post, headers: headers(key: f.base.adminKey),
            body: buffer(#"{"profileId":"\#(viewer.id.rawValue)","titleId":"\#(title.id.rawValue)","localTime":"\#(AdFixture.evening)"}"#)
        ) { r in (r.status, (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]) ?? [:]) }
        #expect(status == .ok)
        let vastURL = try #require(pod["vastUrl"] as? String)
        try await client.execute(uri: pathAndQuery(vastURL), method: .get) { r in #expect(r.status == .ok) }
        let unsigned = "/v1/ads/vast/" + (pod["decisionId"] as! String)
        try await client.execute(uri: unsigned, method: .get) { r in #expect(r.status == .unauthorized) }
        // A tag signed for one decision does not open another's.
        let other = pathAndQuery(vastURL).replacingOccurrences(of: pod["decisionId"] as! String, with: "a-0000")
        try await client.execute(uri: other, method: .get) { r in #expect(r.status == .unauthorized) }
    }

    @Test func vmapSchedulesBreaksWhoseTagsDecideAtTheBreak() async throws {
        try await AdFixture.test { client, f in try await Self.vmapChecks(client, f) }
    }

    static func vmapChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let viewer = f.profile(.basicWithAds)
        let title = try #require(f.base.titles.values.filter { ($0.runtimeSeconds ?? 0) > 3600 && !$0.cuePoints.isEmpty }.first)
        let vmap = try await client.execute(
            uri: "/v1/ads/vmap?profile=\(viewer.id.rawValue)&title=\(title.id.rawValue)&device=tv&at=2026-11-01T21:00:00-05:00",
            method: .get
        ) { r in
            #expect(r.status == .ok)
            return String(buffer: r.body)
        }
        let outline = try #require(XMLOutline.parse(vmap))
        let breaks = outline.elements.filter { $0.name == "vmap:AdBreak" }
        #expect(breaks.count >= 2)
        #expect(breaks.first?.attributes["timeOffset"] == "start")
        let tags = try #require(outline.text["vmap:AdTagURI"])
        #expect(tags.count == breaks.count)
        let vast = try await client.execute(uri: pathAndQuery(tags[1]), method: .get) { r in
            #expect(r.status == .ok)
            return String(buffer: r.body)
        }
        #expect(XMLOutline.parse(vast)?.count("Ad") ?? 0 >= 1)
        // An ad-free viewer's schedule has no breaks.
        let none = try await client.execute(
            uri: "/v1/ads/vmap?profile=\(f.profile(.adFree).id.rawValue)&title=\(title.id.rawValue)", method: .get
        ) { r in String(buffer: r.body) }
        #expect(XMLOutline.parse(none)?.elements.filter { $0.name == "vmap:AdBreak" }.isEmpty == true)
        try await client.execute(uri: "/v1/ads/vmap?profile=\(viewer.id.rawValue)&title=nope", method: .get) { r in
            #expect(r.status == .notFound)
        }
    }

    /// A sponsorship with a budget of 20 impressions, 64 clients deciding and firing impression
    /// beacons at once: spend stays within one impression's price of the budget.
    @Test func sixtyFourConcurrentClientsNeverOverspendABudget() async throws {
        try await AdFixture.test { client, f in try await Self.budgetChecks(client, f) }
    }

    static func budgetChecks(_ client: some TestClientProtocol, _ f: AdFixture) async throws {
        let key = f.base.adminKey
        try await postJSON(
            client, "/v1/advertisers", key: key, ["id": "adv-test", "name": "Budget Co", "category": "budget-tests"], expect: .created)
        try await postJSON(
            client, "/v1/campaigns", key: key,
            [
                "id": "cmp-budget", "advertiserId": "adv-test", "name": "Tiny budget", "startsAt": "2026-10-01T00:00:00Z",
                "endsAt": "2026-12-31T00:00:00Z", "totalBudgetCents": 100, "cpmBidCents": 5000, "priority": "sponsorship",
                "pacing": "asFastAsPossible",
            ], expect: .created)
        try await postJSON(
            client, "/v1/creatives", key: key,
            [
                "id": "cr-budget", "campaignId": "cmp-budget", "name": "Spot", "durationSeconds": 15,
                "mediaUrl": "https://cdn.example/b.mp4", "clickUrl": "https://budget.example/",
            ], expect: .created)
        let viewers = f.base.profiles.filter { $0.plan != .adFree }
        let title = f.anyTitle.id.rawValue
        let shown = try await withThrowingTaskGroup(of: Int.self) { group in
            for c in 0..<64 {
                group.addTask {
                    var n = 0
                    for k in 0..<3 {
                        let viewer = viewers[(c * 3 + k) % viewers.count].id.rawValue
                        let (_, pod) = try await decide(
                            client, ["profileId": viewer, "titleId": title, "localTime": AdFixture.evening, "sessionId": "b\(c)-\(k)"])
                        for ad in (pod["ads"] as? [[String: Any]] ?? []) where ad["campaignId"] as? String == "cmp-budget" {
                            let url = (ad["tracking"] as! [String: String])["impression"]!
                            try await client.execute(uri: pathAndQuery(url), method: .get) { r in #expect(r.status == .noContent) }
                            n += 1
                        }
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        let delivery = try #require(f.ads.delivery(of: CampaignID(trusted: "cmp-budget")))
        #expect(shown == 20)  // $1.00 at a $50 CPM
        #expect(delivery.spent <= 100 * 1000 + 5000)
        #expect(delivery.spent == Int64(shown) * 5000)
    }

    @Test func decisionsAreLoggedWithPropensities() async throws {
        let f = try await AdFixture.make()
        defer { f.base.cleanUp() }
        try await f.application.test(.router) { client in
            let viewer = f.profile(.standardWithAds)
            let (_, pod) = try await decide(
                client, ["profileId": viewer.id.rawValue, "titleId": f.anyTitle.id.rawValue, "localTime": AdFixture.evening])
            let logged = try #require(try await f.base.store.adDecision(id: DecisionID(trusted: pod["decisionId"] as! String)))
            let ads = pod["ads"] as! [[String: Any]]
            #expect(!ads.isEmpty)
            #expect(logged.ads.map(\.creativeID.rawValue) == ads.map { $0["creativeId"] as! String })
            #expect(logged.ads.allSatisfy { $0.propensity > 0 && $0.propensity <= 1 })
            #expect(logged.profileKey == viewer.id.rawValue)
        }
    }
}

/// Decision ids are 32 hex digits after their prefix and sort by serving time.
@Test func decisionIDsSortByTime() {
    let early = DecisionIDs.make(prefix: "a-", at: Timestamp(millisecondsSinceEpoch: 1_793_491_200_000))
    let later = DecisionIDs.make(prefix: "a-", at: Timestamp(millisecondsSinceEpoch: 1_793_491_200_001))
    #expect(early.id < later.id)
    #expect(early.id.range(of: "^a-[0-9a-f]{32}$", options: .regularExpression) != nil)
    #expect(String(early.id.dropFirst(2).prefix(12)) == "01a19467e800")  // hex(1793491200000) in Python
    #expect(DecisionIDs.make(prefix: "h-", at: .now()).id != DecisionIDs.make(prefix: "h-", at: .now()).id)
    // Ids made at the same millisecond (from concurrent tasks) are all distinct, and so are their seeds.
    let at = Timestamp(millisecondsSinceEpoch: 1_793_491_200_000)
    let made = (0..<20_000).map { _ in DecisionIDs.make(prefix: "a-", at: at) }
    #expect(Set(made.map(\.id)).count == made.count)
    #expect(Set(made.map(\.seed)).count == made.count)
    // The random part is spread: every hex digit position takes many values.
    for position in 14..<34 {
        let digits = Set(made.prefix(1_000).map { Array($0.id.utf8)[position] })
        #expect(digits.count >= 14, "position \(position)")
    }
}
