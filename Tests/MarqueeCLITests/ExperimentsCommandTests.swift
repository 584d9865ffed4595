import Foundation
import MarqueeCore
import MarqueeStorage
import Testing

/// `marquee experiments list|report` on a hand-made store: four exposed viewers, two per variant, whose
/// viewing is known.
@Suite struct ExperimentsCommandTests {
    static let t0 = Timestamp(iso8601: "2026-11-20T20:00:00Z")!

    /// Control watches 600 s and 1,200 s (10 and 20 minutes, mean 15); treatment 1,800 s and 2,400 s (mean 35).
    static func makeStore(at path: String) async throws {
        let store = try SQLiteStore(path: path)
        var data = Dataset()
        data.titles = [Title(id: TitleID(trusted: "t1"), name: "One", genres: ["drama"], runtimeSeconds: 5400, dateAdded: t0)]
        data.profiles = (1...4).map {
            Profile(
                id: ProfileID(trusted: "p\($0)"), plan: .standardWithAds, region: "us-west", createdAt: t0.adding(seconds: -86_400 * 30))
        }
        _ = try await store.importDataset(data)
        let experiment = Experiment(
            key: "longer", hypothesis: "Longer viewing <b>",
            variants: [
                ExperimentVariant(key: "control", weight: 0.5), ExperimentVariant(key: "treatment", weight: 0.5),
            ], status: .running, startedAt: t0, primaryMetric: "viewing_minutes", createdAt: t0, updatedAt: t0)
        #expect(try await store.insertExperiment(experiment))
        try await store.recordExposures(
            (1...4).map {
                ExperimentExposure(experiment: "longer", profileID: ProfileID(trusted: "p\($0)"), variant: $0 <= 2 ? 0 : 1, firstAt: t0)
            })
        var events: [Event] = []
        for (p, seconds) in [(1, 600.0), (2, 1_200), (3, 1_800), (4, 2_400)] {
            let context = EventContext(device: .tv, region: "us-west", sessionID: SessionID(trusted: "s\(p)"))
            events.append(
                Event(
                    id: EventID(trusted: "e\(p)a"), profileID: ProfileID(trusted: "p\(p)"), type: .play, timestamp: t0.adding(seconds: 600),
                    titleID: TitleID(trusted: "t1"), context: context))
            events.append(
                Event(
                    id: EventID(trusted: "e\(p)b"), profileID: ProfileID(trusted: "p\(p)"), type: .progress,
                    timestamp: t0.adding(seconds: 600 + seconds), titleID: TitleID(trusted: "t1"), context: context,
                    positionSeconds: seconds,
                    durationSeconds: 5400))
        }
        _ = try await store.appendEvents(events, receivedAt: t0.adding(seconds: 7_200))
        try store.close()
    }

    @Test func listsAndReportsFromTheStore() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("x.sqlite").path
        try await Self.makeStore(at: db)

        let list = try CLI.run(["experiments", "list", "--db", db])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("longer") && list.stdout.contains("running"))

        let html = dir.appendingPathComponent("r.html").path
        let report = try CLI.run(["experiments", "report", "longer", "--db", db, "--json", "--html", html, "--now", "2026-11-21T00:00:00Z"])
        #expect(report.status == 0, "\(report.stderr)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let metric = try #require((j["metrics"] as? [[String: Any]])?.first { $0["metric"] as? String == "viewing_minutes" })
        let variants = try #require(metric["variants"] as? [[String: Any]])
        #expect(variants.map { $0["value"] as? Double } == [15, 35])
        #expect(variants.map { $0["units"] as? Int } == [2, 2])
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<svg"))
        #expect(page.contains("Longer viewing &lt;b&gt;"))

        let text = try CLI.run(["experiments", "report", "longer", "--db", db, "--now", "2026-11-21T00:00:00Z", "--no-daily"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("Viewing minutes"))

        let missing = try CLI.run(["experiments", "report", "nope", "--db", db])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope"))
        let bad = try CLI.run(["experiments", "report", "longer", "--db", db, "--correction", "bonferroni"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--correction"))
    }
}
