import Foundation
import MarqueeCore
import Testing

@testable import MarqueeStorage

/// Experiments as data, on every backend.
@Suite struct ExperimentStoreTests {
    static let t0 = Timestamp(iso8601: "2026-12-01T00:00:00Z")!

    static func experiment(_ key: String, version: Int = 1, status: ExperimentStatus = .draft) -> Experiment {
        Experiment(
            key: key, hypothesis: "shorter pods keep viewers", layer: "ads", traffic: 0.5,
            variants: [
                ExperimentVariant(key: "control", weight: 0.5),
                ExperimentVariant(key: "short", weight: 0.5, overrides: ["ads.maxAdsPerPod": .number(3)]),
            ], targeting: ExperimentTargeting(plans: [.basicWithAds], regions: ["us-west"]), status: status,
            primaryMetric: "watch_minutes", secondaryMetrics: ["ad_impressions"], createdAt: t0,
            updatedAt: t0.adding(seconds: Double(version)), version: version)
    }

    @Test(arguments: StoreFactory.all)
    func experimentsAreStoredByVersion(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            let v0 = try await store.changeVersions().experiments
            #expect(try await store.insertExperiment(Self.experiment("pods")))
            #expect(try await !store.insertExperiment(Self.experiment("pods", version: 7)))
            #expect(try await store.insertExperiment(Self.experiment("artwork")))
            #expect(try await store.experiments().map(\.key) == ["artwork", "pods"])
            #expect(try await store.experiment(key: "pods") == Self.experiment("pods"))
            #expect(try await store.experiment(key: "none") == nil)
            // An update names the version it replaces: from version 1 to 2 once; a second "1 → 2" loses.
            #expect(try await store.replaceExperiment(Self.experiment("pods", version: 2, status: .running)))
            #expect(try await !store.replaceExperiment(Self.experiment("pods", version: 2, status: .stopped)))
            #expect(try await store.experiment(key: "pods")?.status == .running)
            #expect(try await store.changeVersions().experiments > v0)
        }
    }

    /// Eight changes at once, each reading every experiment and writing the next version of one: none is lost.
    @Test(arguments: StoreFactory.all)
    func concurrentChangesAreSerialized(_ factory: StoreFactory) async throws {
        try await factory.withTwoStores { (first: any MarqueeStore, second: any MarqueeStore) async throws in
            #expect(try await first.insertExperiment(Self.experiment("pods")))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for k in 0..<8 {
                    let store = k % 2 == 0 ? first : second
                    group.addTask {
                        _ = try await store.changeExperiments { all in
                            var next = try #require(all.first { $0.key == "pods" })
                            next.version += 1
                            next.hypothesis += "+"
                            return next
                        }
                    }
                }
                try await group.waitForAll()
            }
            let final = try #require(try await second.experiment(key: "pods"))
            #expect(final.version == 9)
            #expect(final.hypothesis == "shorter pods keep viewers++++++++")
            // A change that throws writes nothing.
            await #expect(throws: MarqueeError.self) {
                _ = try await first.changeExperiments { _ in throw MarqueeError(.conflict, code: "no", message: "refused") }
            }
            #expect(try await first.experiment(key: "pods")?.version == 9)
        }
    }

    @Test(arguments: StoreFactory.all)
    func exposuresKeepTheFirstAndTheHoldoutIsASetting(_ factory: StoreFactory) async throws {
        try await factory.withStore { (store: any MarqueeStore) async throws in
            func exposure(_ profile: String, _ variant: Int, _ seconds: Double) -> ExperimentExposure {
                ExperimentExposure(
                    experiment: "pods", profileID: ProfileID(trusted: profile), variant: variant, firstAt: Self.t0.adding(seconds: seconds))
            }
            try await store.recordExposures([exposure("p2", 1, 5), exposure("p1", 0, 6), exposure("p2", 0, 7)])
            try await store.recordExposures([exposure("p1", 1, 8), exposure("p3", 1, 9)])
            #expect(try await store.exposures(experiment: "pods") == [exposure("p1", 0, 6), exposure("p2", 1, 5), exposure("p3", 1, 9)])
            #expect(try await store.exposures(experiment: "other").isEmpty)
            #expect(try await store.experimentHoldout() == 0)
            try await store.setExperimentHoldout(0.05)
            try await store.setExperimentHoldout(0.1)
            #expect(try await store.experimentHoldout() == 0.1)
        }
    }
}
