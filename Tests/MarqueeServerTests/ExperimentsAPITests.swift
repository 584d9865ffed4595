import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarqueeCore
import MarqueeRuntime
import MarqueeServer
import MarqueeStorage
import Synchronization
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
                // Planned units for a 10% lift of a mean 0.02 with sd 0.14 at 80% power, alpha 5% (two-sided t), as the
                // report tests it (relative, delta method with control's sd in both arms):
                // (z₀.₉₇₅ + z₀.₈)² · (0.14 / 0.002)² · (1 + 1.1²) = 84,995.52 (by hand), and Student's t adds about
                // z₀.₉₇₅² / 4 ≈ 1 unit.
                let planned = try #require(j["plannedUnitsPerVariant"] as? Int)
                #expect((84_996...84_999).contains(planned))
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

/// A clock the test moves.
private final class TestClock: Sendable {
    let ms: Mutex<Int64>
    init(_ t: Timestamp) { ms = Mutex(t.millisecondsSinceEpoch) }
    func set(_ t: Timestamp) { ms.withLock { $0 = t.millisecondsSinceEpoch } }
    var now: Timestamp { Timestamp(millisecondsSinceEpoch: ms.withLock { $0 }) }
}

@Suite struct ExperimentReportRouteTests {
    /// Viewers see pages (exposure at T0), then watch: treatment units reach 3,000 s + 60·(i mod 5), control
    /// units 600 s + 60·(i mod 5). The report's viewing minutes per variant are the means of those, in minutes,
    /// over the units the exposures put in each variant.
    @Test func reportsMetricsFromTheLogsPerVariant() async throws {
        let fixture = try await Fixture.make(profiles: 40)
        defer { fixture.cleanUp() }
        let t0 = Timestamp(iso8601: "2026-11-20T20:00:00Z")!
        let clock = TestClock(t0)
        let (app, runtime) = try await fixture.served(runtime: RuntimeConfiguration(clock: { clock.now }))
        var d = ExperimentDraft(
            key: "longer",
            variants: [
                ExperimentVariant(key: "control", weight: 0.5),
                ExperimentVariant(key: "treatment", weight: 0.5, overrides: ["home.diversityLambda": .number(0.6)]),
            ],
            primaryMetric: "viewing_minutes")
        d.status = .running
        d.guardrailMetrics = ["sessions"]
        d.baseline = ExperimentBaseline(mean: 10, standardDeviation: 5, source: "given")
        _ = try await runtime.experiments.create(d)
        let definition = d
        let admin = headers(key: fixture.adminKey)
        try await app.test(.router) { client in
            for p in 1...40 {
                try await client.execute(uri: "/v1/profiles/p\(p)/home", method: .get) { r in #expect(r.status == .ok) }
            }
            try await runtime.experiments.flushExposures()
            let exposures = try await fixture.store.exposures(experiment: "longer")
            #expect(exposures.count == 40)
            var events: [[String: Any]] = []
            var minutes: [[Double]] = [[], []]
            for e in exposures {
                let i = Int(e.profileID.rawValue.dropFirst())!
                let reached = (e.variant == 1 ? 3_000.0 : 600.0) + 60 * Double(i % 5)
                minutes[e.variant].append(reached / 60)
                for (k, type) in ["play", "progress"].enumerated() {
                    var event: [String: Any] = [
                        "id": "w-\(i)-\(k)", "profileId": e.profileID.rawValue, "type": type, "timestamp": "2026-11-20T21:0\(k):00Z",
                        "titleId": "t1", "context": ["device": "tv", "sessionId": "s-\(i)"],
                    ]
                    if type == "progress" {
                        event["positionSeconds"] = reached
                        event["durationSeconds"] = 5400
                    }
                    events.append(event)
                }
            }
            try await client.execute(
                uri: "/v1/events", method: .post, headers: headers(key: fixture.ingestKey),
                body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["events": events]))
            ) { r in #expect(r.status == .ok) }
            clock.set(t0.adding(seconds: 3 * 3_600))
            try await client.execute(uri: "/v1/experiments/longer/report", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                let j = try json(r)
                let metrics = try #require(j["metrics"] as? [[String: Any]])
                let viewing = try #require(metrics.first { $0["metric"] as? String == "viewing_minutes" })
                let variants = try #require(viewing["variants"] as? [[String: Any]])
                for v in 0..<2 {
                    let expected = minutes[v].reduce(0, +) / Double(minutes[v].count)
                    let value = try #require(variants[v]["value"] as? Double)
                    #expect(abs(value - expected) < 1e-9, "variant \(v): \(value) vs \(expected)")
                    #expect(variants[v]["units"] as? Int == minutes[v].count)
                }
                let recommendation = try #require(j["recommendation"] as? [String: Any])
                #expect(recommendation["decision"] as? String == "ship")
            }
            try await client.execute(uri: "/v1/experiments/longer/report?format=html", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: r.body).contains("<svg"))
            }
            try await client.execute(uri: "/v1/experiments/longer/report?format=pdf", method: .get, headers: admin) { r in
                #expect(r.status == .unprocessableContent)
                #expect(message(r).hasPrefix("format"))
            }
            try await client.execute(uri: "/v1/experiments/nothing/report", method: .get, headers: admin) { r in
                #expect(r.status == .notFound)
            }
            // An experiment nobody has been exposed to yet has a report too: keep running.
            var fresh = definition
            fresh.key = "fresh"
            fresh.layer = "other"
            fresh.variants[1].overrides = ["home.explorationShare": .number(0.2)]
            _ = try await runtime.experiments.create(fresh)
            try await client.execute(uri: "/v1/experiments/fresh/report?format=text", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains("KEEP RUNNING"))
            }
        }
    }
}
