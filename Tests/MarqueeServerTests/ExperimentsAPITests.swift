import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import MarqueeStorage
import Testing

private func body(_ object: [String: Any]) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))
}

private func message(_ response: TestResponse) -> String {
    (((try? json(response))?["error"] as? [String: Any])?["message"] as? String) ?? ""
}

/// A two-variant experiment setting `overrides` in its treatment.
private func definition(
    _ key: String, overrides: [String: Any], weights: [Double] = [0.5, 0.5], layer: String = "default", status: String = "running",
    metric: String = "ad_ctr"
) -> [String: Any] {
    [
        "key": key, "hypothesis": "Testing \(key)", "layer": layer, "status": status, "primaryMetric": metric,
        "variants": [["key": "control", "weight": weights[0]], ["key": "treatment", "weight": weights[1], "overrides": overrides]],
    ]
}

@Suite struct ExperimentsAPITests {
    @Test func createReadListAndUpdate() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let app = try await fixture.application()
        let admin = headers(key: fixture.adminKey)
        try await app.test(.router) { client in
            var made = definition("pod-size", overrides: ["ads.maxAdsPerPod": 2])
            made["baseline"] = ["mean": 0.02, "standardDeviation": 0.14]
            made["minimumDetectableEffect"] = 0.1
            made["guardrailMetrics"] = ["ad_break_abandons"]
            try await client.execute(uri: "/v1/experiments", method: .post, headers: admin, body: body(made)) { r in
                #expect(r.status == .created)
                let j = try json(r)
                #expect(j["key"] as? String == "pod-size")
                #expect(j["status"] as? String == "running")
                #expect(j["version"] as? Int == 1)
                #expect(j["startedAt"] is String)
                // Planned units for a 10% change of a mean 0.02 with sd 0.14 at 80% power, alpha 5% (two-sided t):
                // d = 0.002 / 0.14 = 0.0142857; the normal approximation 2 (z₀.₉₇₅ + z₀.₈)² / d² = 76,919.02 (scipy), and
                // Student's t adds about z₀.₉₇₅² / 4 ≈ 1 unit.
                let planned = try #require(j["plannedUnitsPerVariant"] as? Int)
                #expect((76_919...76_923).contains(planned))
                let allocation = try #require(j["allocation"] as? [String: Any])
                #expect((allocation["layer"] as? [[String: Int]]) == [["lower": 0, "upper": 10_000]])
                #expect(
                    (allocation["variants"] as? [[[String: Int]]]) == [
                        [["lower": 0, "upper": 5_000]], [["lower": 5_000, "upper": 10_000]],
                    ])
            }
            try await client.execute(uri: "/v1/experiments", method: .post, headers: admin, body: body(made)) { r in
                #expect(r.status == .conflict)
            }
            try await client.execute(uri: "/v1/experiments/pod-size", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["hypothesis"] as? String == "Testing pod-size")
            }
            try await client.execute(uri: "/v1/experiments/nope", method: .get, headers: admin) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/v1/experiments?status=running", method: .get, headers: admin) { r in
                let j = try json(r)
                #expect((j["items"] as? [[String: Any]])?.count == 1)
            }
            try await client.execute(uri: "/v1/experiments?status=draft", method: .get, headers: admin) { r in
                let j = try json(r)
                #expect((j["items"] as? [[String: Any]])?.count == 0)
            }
            // Reads need the admin key.
            try await client.execute(uri: "/v1/experiments", method: .get, headers: headers(key: fixture.readKey)) { r in
                #expect(r.status == .forbidden)
            }
            // Weights change mid-flight; a stale version is refused.
            var changed = definition("pod-size", overrides: ["ads.maxAdsPerPod": 2], weights: [0.2, 0.8])
            changed["version"] = 1
            try await client.execute(uri: "/v1/experiments/pod-size", method: .put, headers: admin, body: body(changed)) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["version"] as? Int == 2)
                let allocation = try #require(j["allocation"] as? [String: Any])
                // Control keeps its lowest 2,000 buckets; treatment keeps its own and takes the rest.
                #expect(
                    (allocation["variants"] as? [[[String: Int]]])
                        == [[["lower": 0, "upper": 2_000]], [["lower": 2_000, "upper": 10_000]]])
            }
            try await client.execute(uri: "/v1/experiments/pod-size", method: .put, headers: admin, body: body(changed)) { r in
                #expect(r.status == .conflict)
                #expect(message(r).hasPrefix("version"))
            }
            // Stop; a stopped experiment does not run again.
            changed["version"] = nil
            changed["status"] = "stopped"
            try await client.execute(uri: "/v1/experiments/pod-size", method: .put, headers: admin, body: body(changed)) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                #expect(j["stoppedAt"] is String)
            }
            changed["status"] = "running"
            try await client.execute(uri: "/v1/experiments/pod-size", method: .put, headers: admin, body: body(changed)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(message(r).hasPrefix("status:"))
            }
            try await client.execute(uri: "/v1/experiment-parameters", method: .get, headers: admin) { r in
                let j = try json(r)
                let items = try #require(j["items"] as? [[String: Any]])
                let names = items.compactMap { $0["name"] as? String }
                for name in [
                    "ads.capsEnabled", "ads.maxAdsPerPod", "ads.adLoadSecondsPerHour", "ads.breakPlacement", "ads.creativeChoice",
                    "home.recommender", "home.diversityLambda", "home.explorationShare",
                ] {
                    #expect(names.contains(name))
                }
                #expect(items.first { $0["name"] as? String == "ads.maxAdsPerPod" }?["defaultValue"] as? Int == 4)
            }
        }
    }

    @Test func badDefinitionsAreRefusedNamingTheField() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let app = try await fixture.application()
        let admin = headers(key: fixture.adminKey)
        try await app.test(.router) { client in
            func refused(_ object: [String: Any], _ field: String, status: HTTPResponse.Status = .unprocessableContent) async throws {
                try await client.execute(uri: "/v1/experiments", method: .post, headers: admin, body: body(object)) { r in
                    #expect(r.status == status, "\(field)")
                    #expect(message(r).hasPrefix(field), "\(message(r)) should name \(field)")
                }
            }
            try await refused(definition("w", overrides: [:], weights: [0.5, 0.4]), "variants:")
            try await refused(definition("u", overrides: ["ads.bogus": 1]), "variants[1].overrides.ads.bogus:")
            try await refused(definition("r", overrides: ["ads.maxAdsPerPod": 40]), "variants[1].overrides.ads.maxAdsPerPod:")
            try await refused(definition("t", overrides: ["ads.breakPlacement": "sometimes"]), "variants[1].overrides.ads.breakPlacement:")
            try await refused(definition("f", overrides: ["ads.maxAdsPerPod": 2.5]), "variants[1].overrides.ads.maxAdsPerPod:")
            try await refused(definition("m", overrides: [:], metric: "happiness"), "primaryMetric:")
            try await refused(definition("Bad Key", overrides: [:]), "key:")
            var unknown = definition("x", overrides: [:])
            unknown["colour"] = "blue"
            try await refused(unknown, "colour:")
            var badVariant = definition("v", overrides: [:])
            badVariant["variants"] = [["key": "a", "weight": 0.5, "extra": 1], ["key": "b", "weight": 0.5]]
            try await refused(badVariant, "variants[0].extra:")
            var badTraffic = definition("tr", overrides: [:])
            badTraffic["traffic"] = 0
            try await refused(badTraffic, "traffic:")
            // Two running experiments may not set one parameter.
            try await client.execute(
                uri: "/v1/experiments", method: .post, headers: admin,
                body: body(definition("first", overrides: ["home.diversityLambda": 0.6]))
            ) { r in #expect(r.status == .created) }
            try await refused(definition("second", overrides: ["home.diversityLambda": 0.1]), "variants[1].overrides.home.diversityLambda:")
            // ... not even in another layer; a draft may, and a layer has only so much traffic.
            try await refused(
                definition("third", overrides: ["home.diversityLambda": 0.1], layer: "other"), "variants[1].overrides.home.diversityLambda:"
            )
            try await client.execute(
                uri: "/v1/experiments", method: .post, headers: admin,
                body: body(definition("draft", overrides: ["home.diversityLambda": 0.1], status: "draft"))
            ) { r in #expect(r.status == .created) }
            try await refused(definition("full", overrides: ["home.explorationShare": 0.2]), "traffic:")
        }
    }
}
