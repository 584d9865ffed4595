import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import Testing

/// The web app's routes (`GET /`, `GET /app/{file}`) and the campaign delivery routes its ads console reads.
@Suite struct WebAppTests {
    @Test func servesThePageAndItsAssetsWithTypesAndValidators() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            var etag = ""
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                #expect(r.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                #expect(r.headers[.cacheControl] == "no-cache")
                let page = String(buffer: r.body)
                #expect(page.contains("<script type=\"module\" src=\"/app/app.js\"></script>"))
                etag = try #require(r.headers[.eTag])
            }
            var revalidate = HTTPFields()
            revalidate[.ifNoneMatch] = etag
            try await client.execute(uri: "/", method: .get, headers: revalidate) { r in
                #expect(r.status == .notModified)
                #expect(r.body.readableBytes == 0)
            }
            for (file, type) in [
                ("app.js", "text/javascript; charset=utf-8"), ("app.css", "text/css; charset=utf-8"), ("icon.svg", "image/svg+xml"),
            ] {
                try await client.execute(uri: "/app/\(file)", method: .get) { r in
                    #expect(r.status == .ok, "\(file)")
                    #expect(r.headers[.contentType] == type, "\(file)")
                    #expect(r.headers[.eTag] != nil && r.headers[.eTag] != etag, "\(file)")
                }
            }
        }
    }

    /// Only the bundled files by name: no path out of the folder, nothing unknown, no key needed.
    @Test func refusesUnknownFilesAndTraversal() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application(protectReads: true).test(.router) { client in
            for uri in ["/app/nope.js", "/app/..%2FPackage.swift", "/app/..%2F..%2Fopenapi.json", "/app/%2Fetc%2Fpasswd", "/app/.."] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .notFound, "\(uri)")
                    try #expect(errorCode(r) == "not_found", "\(uri)")
                }
            }
            try await client.execute(uri: "/app/app.js", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/app", method: .get) { r in #expect(r.status == .notFound) }
        }
    }

    /// Every file the page and its modules load is in the bundle, so no journey meets a missing module.
    @Test func everyReferencedFileIsBundled() throws {
        let files = WebAppAssets.bundled.files
        let page = String(decoding: try #require(files["index.html"]).bytes, as: UTF8.self)
        var referenced = Set(Self.matches(#"/app/([A-Za-z0-9_.-]+)"#, in: page))
        for (name, file) in files where name.hasSuffix(".js") {
            referenced.formUnion(Self.matches(#"from '\./([A-Za-z0-9_.-]+)'"#, in: String(decoding: file.bytes, as: UTF8.self)))
        }
        #expect(referenced.isSuperset(of: ["app.js", "app.css", "icon.svg", "api.js", "charts.js", "chat.js", "player.js"]))
        for name in referenced { #expect(files[name] != nil, "\(name) is referenced but not bundled") }
        // The page holds no key: keys come from the URL's fragment or the key form.
        #expect(!page.lowercased().contains("bearer"))
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    /// Impressions and clicks per UTC day and hour from the event log, spend from the ledger (the fixture's
    /// campaign bids a CPM of 1,000 cents: 1 cent an impression), against hand-counted events.
    @Test func campaignDeliveryCountsByDayAndHour() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let today = Timestamp.now().startOfDayUTC
        // Today 01:15 and 01:40 (hour 1) and 03:05 (hour 3) UTC; yesterday 22:10. At most 24 h ahead of now.
        let times = [
            today.adding(seconds: 4500), today.adding(seconds: 6000), today.adding(seconds: 11100), today.adding(seconds: -6600),
        ]
        var events: [[String: Any]] = []
        for (i, t) in times.enumerated() {
            events.append([
                "id": "imp-\(i)", "profileId": "p1", "type": "adImpression", "timestamp": t.iso8601, "creativeId": "c1",
                "decisionId": "d-\(i)", "rank": 0,
            ])
        }
        events.append([
            "id": "clk-0", "profileId": "p1", "type": "adClick", "timestamp": times[2].iso8601, "creativeId": "c1", "decisionId": "d-2",
            "rank": 0,
        ])
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["events": events]), as: UTF8.self)
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(body)) { r in
                try #expect(json(r)["accepted"] as? Int == 5)
            }
            try await client.execute(uri: "/v1/campaigns/k1/delivery?days=2", method: .get, headers: headers(key: fixture.adminKey)) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["today"] as? String == String(today.iso8601.prefix(10)))
                #expect(j["impressions"] as? Int == 4)
                #expect(j["spentCents"] as? Double == 4)
                #expect(j["spentTodayCents"] as? Double == 3)
                #expect(j["totalBudgetCents"] as? Int == 100_000)
                #expect((j["trafficCurve"] as? [Double])?.count == 24)
                let days = try #require(j["days"] as? [[String: Any]])
                #expect(days.map { $0["date"] as? String } == [today.adding(seconds: -86400), today].map { String($0.iso8601.prefix(10)) })
                #expect(days.map { $0["impressions"] as? Int } == [1, 3])
                #expect(days.map { $0["clicks"] as? Int } == [0, 1])
                #expect(days.map { $0["spentCents"] as? Double } == [1, 3])
                var hours = Array(repeating: 0, count: 24)
                hours[1] = 2
                hours[3] = 1
                #expect(days[1]["hourlyImpressions"] as? [Int] == hours)
                #expect((days[1]["hourlyClicks"] as? [Int])?[3] == 1)
                #expect((days[0]["hourlyImpressions"] as? [Int])?[22] == 1)
            }
            try await client.execute(uri: "/v1/campaign-delivery", method: .get, headers: headers(key: fixture.adminKey)) { r in
                #expect(r.status == .ok)
                let items = try #require(try json(r)["items"] as? [[String: Any]])
                #expect(items.count == 1)
                #expect(items.first?["campaignId"] as? String == "k1")
                #expect(items.first?["spentCents"] as? Double == 4)
                #expect(items.first?["spentTodayCents"] as? Double == 3)
            }
        }
    }

    @Test func campaignDeliveryRefusesBadInput() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/campaigns/k1/delivery", method: .get, headers: headers(key: nil)) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/campaigns/k1/delivery", method: .get, headers: headers(key: fixture.readKey)) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/v1/campaigns/nope/delivery", method: .get, headers: headers(key: fixture.adminKey)) { r in
                #expect(r.status == .notFound)
            }
            for days in ["0", "93", "x"] {
                try await client.execute(
                    uri: "/v1/campaigns/k1/delivery?days=\(days)", method: .get, headers: headers(key: fixture.adminKey)
                ) {
                    r in
                    #expect(r.status == .unprocessableContent, "days=\(days)")
                    #expect(String(buffer: r.body).contains("days: must be a whole number from 1 to 92"), "days=\(days)")
                }
            }
            // A campaign that never delivered: zeros for every day asked.
            try await client.execute(uri: "/v1/campaigns/k1/delivery?days=3", method: .get, headers: headers(key: fixture.adminKey)) { r in
                let days = try #require(try json(r)["days"] as? [[String: Any]])
                #expect(days.map { $0["impressions"] as? Int } == [0, 0, 0])
            }
        }
    }
}
