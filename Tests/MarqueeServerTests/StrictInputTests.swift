import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import Testing

/// Input that used to be silently accepted or ignored is refused, naming the field.
@Suite struct StrictInputTests {
    func message(_ r: TestResponse) throws -> String {
        ((try json(r)["error"] as? [String: Any])?["message"] as? String) ?? ""
    }

    @Test func adDecisionBodiesRefuseUnknownFieldsAndRegions() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            // A misspelt field: refused by name on the flat fast path and on JSONDecoder's path.
            for body in [
                #"{"profileId": "p1", "titleId": "t1", "devise": "tv"}"#,
                #"{"profileId": "p1", "titleId": "t1", "devise": {"kind": "tv"}}"#,
            ] {
                try await client.execute(uri: "/v1/ads/decision", method: .post, headers: headers(key: nil), body: buffer(body)) { r in
                    #expect(r.status == .unprocessableContent, "\(body)")
                    let m = try message(r)
                    #expect(m.hasPrefix("devise: is not a field of an ad request"), "\(m)")
                }
            }
            // An unknown region names the field and the regions Marquee knows; a known one decides.
            let unknown = #"{"profileId": "guest-1", "titleId": "t1", "region": "us-wset"}"#
            try await client.execute(uri: "/v1/ads/decision", method: .post, headers: headers(key: nil), body: buffer(unknown)) { r in
                #expect(r.status == .unprocessableContent)
                let m = try message(r)
                #expect(m.hasPrefix("region: unknown region 'us-wset'"), "\(m)")
                #expect(m.contains("us-west"))
            }
            let known = #"{"profileId": "guest-1", "titleId": "t1", "region": "us-west"}"#
            try await client.execute(uri: "/v1/ads/decision", method: .post, headers: headers(key: nil), body: buffer(known)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/v1/ads/vmap?profile=guest-1&title=t1&region=mars", method: .get) { r in
                #expect(r.status == .unprocessableContent)
            }
        }
    }

    @Test func unknownQueryParametersAreRefusedByName() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/titles?genr=drama", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                #expect(try errorCode(r) == "unknown_parameter")
                let m = try message(r)
                #expect(m.hasPrefix("genr: unknown query parameter"), "\(m)")
                #expect(m.contains("genre") && m.contains("limit"))
            }
            try await client.execute(uri: "/v1/profiles/p1/home?device=tv&rowz=3", method: .get) { r in
                #expect(r.status == .unprocessableContent)
            }
            try await client.execute(uri: "/healthz?verbose=1", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                let m = try message(r)
                #expect(m.contains("takes no query parameters"))
            }
            // Documented parameters pass; the beacon route tolerates players' cache busters (403 here: unsigned).
            try await client.execute(uri: "/v1/titles?limit=2&offset=0", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/v1/ads/track?d=x&a=0&c=c1&e=impression&t=1&s=00&cb=12345", method: .get) { r in
                #expect(r.status == .forbidden)
            }
        }
    }

    @Test func titlesFilterByGenreAndName() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let body = """
            [{"id": "x-1", "name": "The Harbor Lights", "genres": ["Comedy", "drama"]},
             {"id": "x-2", "name": "harbor", "genres": ["comedy"]},
             {"id": "x-3", "name": "Night Train", "genres": ["thriller"]}]
            """
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: fixture.adminKey), body: buffer(body)) { r in
                #expect(r.status == .ok)
            }
            func ids(_ uri: String) async throws -> (Int, [String]) {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .ok, "\(uri)")
                    let j = try json(r)
                    return (j["total"] as? Int ?? -1, (j["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
                }
            }
            #expect(try await ids("/v1/titles?genre=comedy") == (2, ["x-1", "x-2"]))
            #expect(try await ids("/v1/titles?genre=THRILLER") == (1, ["x-3"]))
            #expect(try await ids("/v1/titles?q=HARBOR") == (2, ["x-1", "x-2"]))
            #expect(try await ids("/v1/titles?q=harbor&genre=drama") == (1, ["x-1"]))
            #expect(try await ids("/v1/titles?genre=polka") == (0, []))
            // The fixture's 20 titles are all drama: the count is of the filtered titles, paged.
            #expect(try await ids("/v1/titles?genre=drama&limit=2").0 == 21)
            try await client.execute(uri: "/v1/titles?q=", method: .get) { r in #expect(r.status == .unprocessableContent) }
        }
    }

    @Test func homeRefusesTimesWithoutAnOffsetAndValuesOverTheMaximum() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/profiles/p1/home?at=2026-11-24T21:30:00", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                let m = try message(r)
                #expect(m.contains("UTC offset"))
            }
            for ok in ["2026-11-24T21:30:00Z", "2026-11-24T21:30:00-05:00"] {
                try await client.execute(uri: "/v1/profiles/p1/home?rows=2&at=\(ok)", method: .get) { r in #expect(r.status == .ok, "\(ok)")
                }
            }
            for bad in ["rows=21", "perRow=41", "rows=0", "rows=x"] {
                try await client.execute(uri: "/v1/profiles/p1/home?\(bad)", method: .get) { r in
                    #expect(r.status == .unprocessableContent, "\(bad)")
                    let m = try message(r)
                    #expect(m.hasPrefix(String(bad.prefix { $0 != "=" })), "\(m)")
                }
            }
            try await client.execute(uri: "/v1/profiles/p1/home?rows=20&perRow=40", method: .get) { r in #expect(r.status == .ok) }
            // The same rule for an ad decision's localTime.
            let body = #"{"profileId": "p1", "titleId": "t1", "localTime": "2026-11-24T21:30:00"}"#
            try await client.execute(uri: "/v1/ads/decision", method: .post, headers: headers(key: nil), body: buffer(body)) { r in
                #expect(r.status == .unprocessableContent)
                let m = try message(r)
                #expect(m.hasPrefix("localTime"))
            }
        }
    }

    @Test func theServedOpenAPIDocumentNamesNoFixedServer() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                let servers = try #require(try json(r)["servers"] as? [[String: Any]])
                for s in servers { #expect((s["url"] as? String)?.hasPrefix("http") == false, "\(s)") }
            }
        }
    }
}
