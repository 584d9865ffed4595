import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import Testing

@Suite struct CatalogTests {
    @Test func upsertGetAndPageTitles() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let body = """
            {"titles": [{"id": "new-1", "kind": "movie", "name": "The Harbor", "genres": ["drama"], "runtimeSeconds": 6000,
              "cuePoints": [900, 2400], "maturityRating": "13+", "artwork": [{"id": "v1", "tags": ["dark"]}],
              "dateAdded": "2026-11-01T00:00:00Z"},
             {"id": "t1", "name": "Title One, renamed"}]}
            """
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: fixture.adminKey), body: buffer(body)) { r in
                #expect(r.status == .ok)
                try #expect(json(r)["upserted"] as? Int == 2)
            }
            try await client.execute(uri: "/v1/titles/new-1", method: .get) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["name"] as? String == "The Harbor")
                #expect(j["cuePoints"] as? [Double] == [900, 2400])
                #expect(j["maturityRating"] as? String == "13+")
                #expect(j["dateAdded"] as? String == "2026-11-01T00:00:00.000Z")
            }
            try await client.execute(uri: "/v1/titles/t1", method: .get) { r in
                try #expect(json(r)["name"] as? String == "Title One, renamed")
            }
            try await client.execute(uri: "/v1/titles?limit=5&offset=19", method: .get) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["total"] as? Int == 21)
                #expect((j["items"] as? [Any])?.count == 2)
                #expect(j["offset"] as? Int == 19)
            }
            for bad in ["limit=0", "limit=501", "limit=abc", "offset=-1"] {
                try await client.execute(uri: "/v1/titles?\(bad)", method: .get) { r in #expect(r.status == .unprocessableContent, "\(bad)")
                }
            }
            try await client.execute(uri: "/v1/titles/nope", method: .get) { r in
                #expect(r.status == .notFound)
                let code = try errorCode(r)
                #expect(code == "not_found")
            }
        }
    }

    @Test func anInvalidTitleRefusesTheWholeBatch() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let body = """
            [{"id": "ok-1", "name": "Fine"},
             {"id": "bad-1", "name": "Bad cues", "runtimeSeconds": 100, "cuePoints": [50, 20]},
             {"id": "bad-2", "name": "Bad kind", "kind": "podcast"},
             {"id": "ok-1", "name": "Twice"}]
            """
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/titles", method: .post, headers: headers(key: fixture.adminKey), body: buffer(body)) { r in
                #expect(r.status == .unprocessableContent)
                let error = try #require(try json(r)["error"] as? [String: Any])
                let problems = try #require(error["problems"] as? [[String: Any]])
                #expect(problems.map { $0["index"] as? Int } == [1, 2, 3])
            }
            try await client.execute(uri: "/v1/titles/ok-1", method: .get) { r in #expect(r.status == .notFound) }
        }
        try #expect(await fixture.store.titleCount() == 20)
    }

    @Test func profilesUpsertListAndFilter() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let body = """
            [{"id": "kid-1", "plan": "adFree", "region": "us-west", "maturityLimit": "7+", "createdAt": "2026-10-01T00:00:00Z"},
             {"id": "p2", "plan": "basicWithAds", "region": "us-south", "language": "es"}]
            """
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/v1/profiles", method: .post, headers: headers(key: fixture.adminKey), body: buffer(body)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/v1/profiles/p2", method: .get) { r in
                let j = try json(r)
                #expect(j["plan"] as? String == "basicWithAds")
                #expect(j["language"] as? String == "es")
            }
            // p3, p6, … p48 are ad-free (16 of them) plus kid-1.
            try await client.execute(uri: "/v1/profiles?plan=adFree&limit=500", method: .get) { r in
                let j = try json(r)
                #expect(j["total"] as? Int == 17)
                let plans = (j["items"] as? [[String: Any]])?.compactMap { $0["plan"] as? String }
                #expect(plans?.allSatisfy { $0 == "adFree" } == true)
            }
            try await client.execute(uri: "/v1/profiles?plan=premium", method: .get) { r in #expect(r.status == .unprocessableContent) }
            try await client.execute(
                uri: "/v1/profiles", method: .post, headers: headers(key: fixture.adminKey),
                body: buffer(#"[{"id": "x", "plan": "gold", "region": "us-west"}]"#)
            ) { r in #expect(r.status == .unprocessableContent) }
            try await client.execute(
                uri: "/v1/profiles", method: .post, headers: headers(key: fixture.adminKey),
                body: buffer(#"[{"id": "x", "plan": "adFree", "region": "us west"}]"#)
            ) { r in #expect(r.status == .unprocessableContent) }
            try await client.execute(uri: "/v1/profiles/x", method: .get) { r in #expect(r.status == .notFound) }
        }
    }
}

@Suite struct SystemTests {
    @Test func healthMetricsAndUnknownRoutes() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        try await fixture.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                try #expect(json(r)["status"] as? String == "ok")
                #expect(r.headers[HTTPField.Name("X-Request-Id")!] != nil)
            }
            try await client.execute(
                uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey), body: buffer(try eventBatch(3, prefix: "m")))
            try await client.execute(uri: "/no/such/route", method: .get) { r in
                #expect(r.status == .notFound)
                let code = try errorCode(r)
                #expect(code == "not_found")
            }
            try await client.execute(uri: "/v1/titles/t1", method: .delete) { r in
                #expect(r.status == .methodNotAllowed)
                #expect(r.headers[.allow] == "GET")
                let code = try errorCode(r)
                #expect(code == "method_not_allowed")
            }
            try await client.execute(uri: "/v1/events", method: .get) { r in
                #expect(r.status == .methodNotAllowed)
                #expect(r.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                #expect(text.contains(#"marquee_http_requests_total{method="GET",route="/healthz",status="200"} 1"#))
                #expect(text.contains(#"marquee_http_requests_total{method="POST",route="/v1/events",status="200"} 1"#))
                #expect(text.contains("marquee_events_ingested_total 3"))
                #expect(text.contains("marquee_http_request_duration_seconds_bucket"))
                #expect(text.contains("marquee_store_size_bytes"))
            }
        }
    }

    /// Every route the router has is in the OpenAPI document, and every documented operation is routed.
    @Test func openAPIDocumentMatchesTheRoutes() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let document = try #require(OpenAPIDocument.bytes)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document)) as? [String: Any])
        #expect(object["openapi"] as? String == "3.1.0")
        let paths = try #require(object["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let runtime = try await ServingRuntime(store: fixture.store, configuration: RuntimeConfiguration(), logger: quietLogger)
        let router = buildRouter(runtime: runtime, metrics: ServerMetrics(), configuration: ServerConfiguration())
        let routed = Set(
            router.routes.map {
                "\($0.method.rawValue) \(String(describing: $0.path).replacingOccurrences(of: "{", with: "{").replacingOccurrences(of: ":", with: ""))"
            })
        let normalized = Set(
            routed.map { route in
                // Hummingbird prints parameters as {name}; make sure a leading slash is there.
                route.replacingOccurrences(of: " /", with: " /").replacingOccurrences(of: "  ", with: " ")
            })
        #expect(
            normalized == documented,
            "routes not documented: \(normalized.subtracting(documented)); documented but not routed: \(documented.subtracting(normalized))"
        )
    }
}
