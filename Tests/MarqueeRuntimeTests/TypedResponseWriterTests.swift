import Foundation
import MarqueeCore
import MarqueeRuntime
import MarqueeTestSupport
import Testing

/// Both JSON texts parsed by Foundation (an independent reader), compared as values.
func sameJSONObject(_ a: some Sequence<UInt8>, _ b: some Sequence<UInt8>) throws -> Bool {
    try JSONValue(parsing: a) == JSONValue(parsing: b)
}

/// The typed responses' fast writers against Foundation: what they write decodes to the value written,
/// and `JSONEncoder` of the value is the same JSON object.
@Suite struct TypedResponseWriterTests {
    static let awkward = "quote \" backslash \\ line\nbreak\ttab \u{01}\u{1F} émoji 🎬 <&'>"

    /// A small page with every optional case: no device, an item without artwork, one explored and
    /// placed by an editorial rule, awkward strings, numbers that round to zero or away.
    static var page: HomePageResponse {
        HomePageResponse(
            profileId: "p-1", decisionId: "h-0123456789abcdef-1", personalized: false,
            context: .init(daypart: .lateNight, device: nil, at: "2026-11-24T02:30:00.000Z", utcOffsetMinutes: -300),
            rows: [
                .init(
                    id: "because-you-watched", kind: .becauseYouWatched, title: "Because you watched \"Heat\"", reason: awkward,
                    decisionId: "h-0123456789abcdef-1",
                    items: [
                        .init(
                            titleId: "t-1", name: awkward, position: 0, score: 0.1235, explanation: "top pick",
                            artwork: .init(variant: "a/1", url: "/v1/titles/t-1/artwork/a%2F1", propensity: 0.333333),
                            propensity: 0.12345679),
                        .init(
                            titleId: "t-2", name: "Ünïcödé", position: 1, score: -2.5, explanation: awkward, artwork: nil, propensity: 1,
                            explored: true, editorialRule: "rule-\"x\""),
                    ])
            ])
    }

    @Test func aPageIsWrittenAsTheHomeRouteWritesIt() throws {
        // Written out by hand from the route's documented shape: keys in order, `device` null, no
        // artwork key for the item without one, `explored` and `editorialRule` only where set.
        let a = #"quote \" backslash \\ line\nbreak\ttab \u0001\u001f émoji 🎬 <&'>"#
        let expected =
            #"{"profileId":"p-1","decisionId":"h-0123456789abcdef-1","personalized":false,"#
            + #""context":{"daypart":"late-night","device":null,"at":"2026-11-24T02:30:00.000Z","utcOffsetMinutes":-300},"#
            + #""rows":[{"id":"because-you-watched","kind":"because-you-watched","title":"Because you watched \"Heat\"","reason":""#
            + a + #"","decisionId":"h-0123456789abcdef-1","items":["#
            + #"{"titleId":"t-1","name":""# + a + #"","position":0,"score":0.1235,"explanation":"top pick","#
            + #""artwork":{"variant":"a/1","url":"/v1/titles/t-1/artwork/a%2F1","propensity":0.333333},"propensity":0.12345679},"#
            + #"{"titleId":"t-2","name":"Ünïcödé","position":1,"score":-2.5,"explanation":""# + a + #"","propensity":1,"#
            + #""explored":true,"editorialRule":"rule-\"x\""}]}]}"#
        #expect(String(decoding: Self.page.jsonBytes(), as: UTF8.self) == expected)
    }

    /// The comparison tells values apart (so that its "same" means something).
    @Test func theJSONComparisonSeesDifferences() throws {
        #expect(try sameJSONObject(Array(#"{"a":[1,true,null],"b":"x"}"#.utf8), Array(#"{"b":"x","a":[1.0,true,null]}"#.utf8)))
        #expect(try !sameJSONObject(Array(#"{"a":true}"#.utf8), Array(#"{"a":1}"#.utf8)))
        #expect(try !sameJSONObject(Array(#"{"a":0.1235}"#.utf8), Array(#"{"a":0.12345}"#.utf8)))
        #expect(try !sameJSONObject(Array(#"{"a":null}"#.utf8), Array(#"{}"#.utf8)))
    }

    @Test func aPageRoundTripsThroughJSONDecoderAndMatchesJSONEncoder() throws {
        let page = Self.page
        let fast = page.jsonBytes()
        #expect(try JSONDecoder().decode(HomePageResponse.self, from: Data(fast)) == page)
        let encoded = try JSONEncoder().encode(page)
        #expect(try sameJSONObject(encoded, fast))
        // JSONEncoder keeps the null device too.
        let context = try #require((try JSONSerialization.jsonObject(with: encoded) as? [String: Any])?["context"] as? [String: Any])
        #expect(context.keys.contains("device") && context["device"] is NSNull)
        // With a device and nothing optional on the items.
        var other = page
        other.context.device = .tv
        other.rows[0].items[1].explored = nil
        other.rows[0].items[1].editorialRule = nil
        #expect(try JSONDecoder().decode(HomePageResponse.self, from: Data(other.jsonBytes())) == other)
        #expect(try sameJSONObject(JSONEncoder().encode(other), other.jsonBytes()))
        #expect(!String(decoding: other.jsonBytes(), as: UTF8.self).contains("explored"))
    }

    static var decision: AdDecisionResponse {
        let base = "http://ads.example/v1/ads/track?d=a-1&a=0&c=c%22q&e="
        let tracking = AdDecisionResponse.Tracking(
            impression: base + "impression", start: base + "start", firstQuartile: base + "firstQuartile", midpoint: base + "midpoint",
            thirdQuartile: base + "thirdQuartile", complete: base + "complete", skip: base + "skip", click: base + "click",
            error: base + "error&code=%5BERRORCODE%5D \"odd\"")
        return AdDecisionResponse(
            decisionId: "a-1", profileId: "viewer \"k\" é", titleId: "t-1", breakKind: .preRoll, personalized: false, maxPodSeconds: 30,
            maxAds: 2, totalSeconds: 15, reasons: ["contextual: no profile", awkward],
            vastUrl: "http://ads.example/v1/ads/vast/a-1?t=1&s=ab",
            ads: [
                .init(
                    slot: 0, creativeId: "c-1", campaignId: "k-1", advertiserId: "a-1", advertiser: awkward, name: "Spot \"15\"",
                    category: "retail", durationSeconds: 15, mediaUrl: "https://m.example/1.mp4", clickUrl: "https://c.example/?q=\"x\"",
                    tier: .sponsorship, cpmCents: 1250, priceCents: 1.25, pCTR: 0.012346, score: -0.5, propensity: 0.98765432,
                    explored: true, reason: "won", tracking: tracking)
            ])
    }

    @Test func aDecisionRoundTripsThroughJSONDecoderAndMatchesJSONEncoder() throws {
        let decision = Self.decision
        let fast = decision.jsonBytes()
        let decoded = try JSONDecoder().decode(AdDecisionResponse.self, from: Data(fast))
        #expect(decoded == decision)
        #expect(decoded.ads[0].tracking.error.hasSuffix("\"odd\""))
        #expect(try sameJSONObject(JSONEncoder().encode(decision), fast))
        // The tracking object's keys, in the VAST order.
        let text = String(decoding: fast, as: UTF8.self)
        let keys = AdDecisionResponse.Tracking.events.map { "\"\($0)\":" }
        #expect(
            keys
                == ["impression", "start", "firstQuartile", "midpoint", "thirdQuartile", "complete", "skip", "click", "error"].map {
                    "\"\($0)\":"
                })
        var last = text.startIndex
        for key in keys {
            let found = try #require(text.range(of: key, range: last..<text.endIndex))
            last = found.upperBound
        }
        #expect(text.contains(#""tier":"sponsorship","cpmCents":1250,"priceCents":1.25,"pCTR":0.012346,"score":-0.5,"#))
        // An empty pod.
        var empty = decision
        empty.ads = []
        #expect(try JSONDecoder().decode(AdDecisionResponse.self, from: Data(empty.jsonBytes())) == empty)
        #expect(String(decoding: empty.jsonBytes(), as: UTF8.self).hasSuffix(#""ads":[]}"#))
    }

    /// A tracking object missing an event is refused by name, not read as a partial one.
    @Test func aTrackingObjectWithoutEveryEventDoesNotDecode() {
        let json =
            #"{"impression":"u","start":"u","firstQuartile":"u","midpoint":"u","thirdQuartile":"u","complete":"u","skip":"u","click":"u"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AdDecisionResponse.Tracking.self, from: Data(json.utf8)) }
    }
}
