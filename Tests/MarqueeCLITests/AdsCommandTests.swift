import Foundation
import MarqueeTestSupport
import Testing

@Suite struct AdsCommandTests {
    /// The demo world with its simulated week of ad breaks (logged with exploration): replayed in
    /// time order, the online CTR model beats the per-campaign-average baseline.
    @Test func aSimulatedWeekOfTheDemoWorldIsBetterPredictedByTheCTRModelThanByCampaignAverages() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("demo.sqlite").path
        let demo = try CLI.run(["demo", "--generate-only", "--db", db])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("Simulated 7 days"))
        let result = try CLI.run(["ads", "evaluate", "--db", db, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let model = try #require(report["model"] as? [String: Any])
        let baseline = try #require(report["baseline"] as? [String: Any])
        let examples = try #require(model["examples"] as? Int)
        let clicks = try #require(model["clicks"] as? Int)
        #expect(examples > 20_000)
        #expect(clicks > 200)
        let modelLoss = try #require(model["logLoss"] as? Double)
        let baselineLoss = try #require(baseline["logLoss"] as? Double)
        #expect(modelLoss < baselineLoss, "model \(modelLoss) vs baseline \(baselineLoss)")
        #expect(try #require(model["auc"] as? Double) > (baseline["auc"] as? Double ?? 1))
        // Both are proper probabilities: the losses sit between a perfect model and the coin-flip's ln 2.
        #expect(modelLoss > 0 && baselineLoss < log(2.0))
        // The fresh world has logged home pages, so the artwork policies can be evaluated too: every
        // logged choice is evaluated, rewards exist, and the propensities are right (mean weight ≈ 1).
        #expect(demo.stdout.contains("home pages with their artwork choices"))
        let artwork = try CLI.run(["artwork", "evaluate", "--db", db, "--json"])
        #expect(artwork.status == 0, "\(artwork.stderr)")
        let artworkReport = try #require(try JSONSerialization.jsonObject(with: Data(artwork.stdout.utf8)) as? [String: Any])
        let logging = try #require(artworkReport["logging"] as? [String: Any])
        #expect(try #require(logging["decisions"] as? Int) > 10_000)
        #expect(try #require(logging["rewards"] as? Int) > 100)
        for policy in try #require(artworkReport["policies"] as? [[String: Any]]) {
            let meanWeight = try #require(policy["meanWeight"] as? Double)
            #expect(abs(meanWeight - 1) < 0.05, "\(policy)")
        }
        // The human table says the same.
        let table = try CLI.run(["ads", "evaluate", "--db", db])
        #expect(table.stdout.contains("FTRL-Proximal (progressive)"))
        #expect(table.stdout.contains("per-campaign mean (baseline)"))
    }

    @Test func badArgumentsGetMessagesNotCrashes() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.sqlite").path
        for args in [
            ["ads", "evaluate", "--db", missing], ["ads", "simulate", "--db", missing], ["ads", "simulate", "--days", "0"],
            ["ads", "simulate", "--start", "yesterday"], ["demo", "--ad-days", "40"],
        ] {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            #expect(!r.stderr.isEmpty, "\(args)")
        }
        // An empty store has nothing to evaluate.
        let empty = dir.appendingPathComponent("empty.sqlite").path
        let gen = try CLI.run([
            "demo", "--generate-only", "--db", empty, "--profiles", "40", "--titles", "20", "--days", "2", "--ad-days", "0",
        ])
        #expect(gen.status == 0, "\(gen.stderr)")
        let none = try CLI.run(["ads", "evaluate", "--db", empty])
        #expect(none.status != 0)
        #expect(none.stderr.contains("no logged ad decision"))
    }
}
