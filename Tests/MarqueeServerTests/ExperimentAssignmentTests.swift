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

private func draft(
    _ key: String, _ overrides: [String: ParameterValue], weights: [Double] = [0.5, 0.5], layer: String = "default"
) -> ExperimentDraft {
    var d = ExperimentDraft(
        key: key,
        variants: [
            ExperimentVariant(key: "control", weight: weights[0]),
            ExperimentVariant(key: "treatment", weight: weights[1], overrides: overrides),
        ], primaryMetric: "viewing_minutes")
    d.layer = layer
    d.status = .running
    return d
}

/// The VMAP's mid-roll breaks (time offsets other than the start).
private func midRolls(_ xml: String) -> Int {
    xml.components(separatedBy: "<vmap:AdBreak ").dropFirst().filter { !$0.hasPrefix("timeOffset=\"start\"") }.count
}

@Suite struct ExperimentAssignmentTests {
    /// An experiment started after another one stopped is exposed to the units the first one already saw
    /// (it takes the stopped one's place in the process's compiled table).
    @Test func aNewExperimentExposesUnitsAStoppedOneSaw() async throws {
        let fixture = try await Fixture.make(profiles: 12)
        defer { fixture.cleanUp() }
        let (app, runtime) = try await fixture.served()
        let viewers = (1...6).map { "p\($0)" }
        func serveHomePages() async throws {
            try await app.test(.router) { client in
                for p in viewers {
                    try await client.execute(uri: "/v1/profiles/\(p)/home", method: .get) { r in #expect(r.status == .ok) }
                }
            }
        }
        _ = try await runtime.experiments.create(draft("first", ["home.explorationShare": .number(0.3)]))
        try await serveHomePages()
        var stop = draft("first", ["home.explorationShare": .number(0.3)])
        stop.status = .stopped
        _ = try await runtime.experiments.update("first", with: stop)
        _ = try await runtime.experiments.create(draft("second", ["home.explorationShare": .number(0.5)]))
        try await serveHomePages()
        try await runtime.experiments.flushExposures()
        #expect(try await fixture.store.exposures(experiment: "first").map(\.profileID.rawValue).sorted() == viewers)
        #expect(try await fixture.store.exposures(experiment: "second").map(\.profileID.rawValue).sorted() == viewers)
    }

    /// Exposures: one per unit and experiment, only when a request of the experiment's surface reads its
    /// parameters, with the variant the assignment gives; none for held-out units.
    @Test func exposuresAreLoggedOncePerUnitWhenTheirSurfaceIsServed() async throws {
        let fixture = try await Fixture.make(profiles: 30)
        defer { fixture.cleanUp() }
        let (app, runtime) = try await fixture.served()
        _ = try await runtime.experiments.create(draft("home-explore", ["home.explorationShare": .number(0.3)]))
        _ = try await runtime.experiments.create(draft("pod-size", ["ads.maxAdsPerPod": .number(1)], layer: "ads"))
        let viewers = (1...12).map { "p\($0)" }
        try await app.test(.router) { client in
            for _ in 0..<3 {
                for p in viewers {
                    try await client.execute(uri: "/v1/profiles/\(p)/home", method: .get) { r in #expect(r.status == .ok) }
                }
            }
            // One ad decision, for p1 (on an ad plan).
            let (status, _) = try await decide(client, ["profileId": "p1", "titleId": "t1"])
            #expect(status == .ok)
        }
        try await runtime.experiments.flushExposures()
        let home = try await fixture.store.exposures(experiment: "home-explore")
        #expect(home.map(\.profileID.rawValue).sorted() == viewers.sorted())
        for e in home {
            let profile = try #require(try await fixture.store.profile(id: e.profileID))
            #expect(
                e.variant
                    == runtime.experiments.variant(
                        of: e.profileID.rawValue, in: "home-explore", plan: profile.plan, region: profile.region, device: nil))
        }
        // Both variants occur among 12 viewers (a 50/50 split: all in one has chance 2 × 2^-12).
        #expect(Set(home.map(\.variant)) == [0, 1])
        // The ad experiment was read once, by the one decision.
        let ads = try await fixture.store.exposures(experiment: "pod-size")
        #expect(ads.map(\.profileID.rawValue) == ["p1"])
        // A holdout of everyone but the rounding: nobody new is exposed.
        try await runtime.experiments.setHoldout(0.9999)
        try await app.test(.router) { client in
            for p in (13...30).map({ "p\($0)" }) {
                try await client.execute(uri: "/v1/profiles/\(p)/home", method: .get) { r in #expect(r.status == .ok) }
            }
        }
        try await runtime.experiments.flushExposures()
        let held = try await fixture.store.exposures(experiment: "home-explore").filter { Int($0.profileID.rawValue.dropFirst())! > 12 }
        let stillIn = (13...30).filter { n in
            runtime.experiments.variant(of: "p\(n)", in: "home-explore", plan: .standardWithAds, region: "us-west", device: nil) != nil
        }
        #expect(held.map(\.profileID.rawValue) == stillIn.map { "p\($0)" })
        #expect(stillIn.count <= 1)
    }

    /// An override reaches the product: fixed-interval mid-rolls for titles without cue points.
    @Test func breakPlacementOverrideChangesTheVMAP() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let (app, runtime) = try await fixture.served()
        try await app.test(.router) { client in
            let uri = "/v1/ads/vmap?profile=p1&title=t1"
            let before = try await client.execute(uri: uri, method: .get) { String(buffer: $0.body) }
            // The fixture's titles have no cue points: only a pre-roll.
            #expect(midRolls(before) == 0)
            _ = try await runtime.experiments.create(draft("breaks", ["ads.breakPlacement": .text("fixedIntervals")], weights: [0, 1]))
            let after = try await client.execute(uri: uri, method: .get) { String(buffer: $0.body) }
            #expect(midRolls(after) > 0)
            // An ad-load of zero removes every break.
            var stop = draft("breaks", ["ads.breakPlacement": .text("fixedIntervals")], weights: [0, 1])
            stop.status = .stopped
            _ = try await runtime.experiments.update("breaks", with: stop)
            _ = try await runtime.experiments.create(draft("no-ads", ["ads.adLoadSecondsPerHour": .number(0)], weights: [0, 1]))
            let none = try await client.execute(uri: uri, method: .get) { String(buffer: $0.body) }
            #expect(!none.contains("<vmap:AdBreak "))
        }
        #expect(
            runtime.experiments.homeConfiguration(
                profile: try #require(try await fixture.store.profile(id: ProfileID(trusted: "p1"))), device: nil
            ).explorationShare == 0.1)
    }

    /// Another process on the same store serves a new experiment after its change watcher's next check.
    @Test func changesReachEveryProcessOfTheStore() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let first = try await fixture.served().runtime
        let second = try await fixture.served().runtime
        try await first.warmUp()
        try await second.warmUp()
        _ = try await first.experiments.create(draft("shared", ["home.diversityLambda": .number(0.7)], weights: [0, 1]))
        let profile = try #require(try await fixture.store.profile(id: ProfileID(trusted: "p2")))
        #expect(second.experiments.homeConfiguration(profile: profile, device: nil).calibrationLambda == 0.3)
        try await second.changes.check()
        #expect(second.experiments.homeConfiguration(profile: profile, device: nil).calibrationLambda == 0.7)
    }

    /// Units keep their variant when the weights change: the growing variant keeps all of its units.
    @Test func unitsKeepTheirVariantWhenWeightsChange() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.cleanUp() }
        let runtime = try await fixture.served().runtime
        _ = try await runtime.experiments.create(draft("reweigh", ["home.explorationShare": .number(0.2)]))
        let units = (0..<5_000).map { "u\($0)" }
        func variants() -> [Int?] {
            units.map { runtime.experiments.variant(of: $0, in: "reweigh", plan: nil, region: nil, device: nil) }
        }
        let before = variants()
        _ = try await runtime.experiments.update(
            "reweigh", with: draft("reweigh", ["home.explorationShare": .number(0.2)], weights: [0.2, 0.8]))
        let after = variants()
        #expect(zip(before, after).allSatisfy { b, a in b != 1 || a == 1 })
        #expect(zip(before, after).allSatisfy { b, a in a != 0 || b == 0 })
        let treated = Double(after.filter { $0 == 1 }.count) / Double(units.count)
        #expect(abs(treated - 0.8) < 0.03)
    }
}
