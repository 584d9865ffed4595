import Foundation
import MarqueeCore
import MarqueeStorage
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
        // The base rate: a constant prediction at the overall CTR, −[p̄ ln p̄ + (1 − p̄) ln(1 − p̄)].
        let rate = Double(clicks) / Double(examples)
        let baseRate = try #require(report["baseRateLogLoss"] as? Double)
        #expect(abs(baseRate - -(rate * log(rate) + (1 - rate) * log(1 - rate))) < 1e-12)
        #expect(modelLoss < baseRate)
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
        let baseRow = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("constant overall CTR (base)") })
        #expect(baseRow.hasSuffix(String(format: "%.5f", baseRate) + "   0.5000"), "\(baseRow)")
    }

    /// ctr-bench prints the base-rate log loss beside the model's, and its progress counts bytes with a unit.
    @Test func ctrBenchPrintsTheBaseRateAndBytesWithAUnit() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 10 impressions, 3 clicks: the base rate's log loss is −(0.3 ln 0.3 + 0.7 ln 0.7) = 0.6108643020548935.
        var text = "click\tdevice\tgenre\n"
        for i in 0..<10 { text += "\([0, 3, 7].contains(i) ? 1 : 0)\t\(["tv", "web"][i % 2])\tg\(i % 3)\n" }
        let file = dir.appendingPathComponent("stream.tsv")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let json = try CLI.run(["ads", "ctr-bench", file.path, "--json", "--bits", "10"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["examples"] as? Int == 10)
        #expect(report["clicks"] as? Int == 3)
        #expect(abs((report["baseRateLogLoss"] as? Double ?? 0) - 0.6108643020548935) < 1e-12)
        let size = text.utf8.count
        #expect(json.stderr.contains("ctr-bench: 100% (\(size) B of \(size) B)"), "\(json.stderr)")
        let table = try CLI.run(["ads", "ctr-bench", file.path, "--bits", "10"])
        #expect(table.stdout.contains("base-rate log loss 0.61086"), "\(table.stdout)")
    }

    /// The simulate summary breaks the run down by campaign; the figures agree with the event log it wrote.
    @Test func simulateSummaryBreaksDownByCampaign() async throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("world.sqlite").path
        let gen = try CLI.run([
            "demo", "--generate-only", "--db", db, "--seed", "3", "--profiles", "150", "--titles", "40", "--days", "3", "--ad-days", "0",
        ])
        #expect(gen.status == 0, "\(gen.stderr)")
        let run = try CLI.run(["ads", "simulate", "--db", db, "--days", "2", "--seed", "5", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let campaigns = try #require(summary["campaigns"] as? [[String: Any]])
        let impressions = try #require(summary["impressions"] as? Int)
        let clicks = try #require(summary["clicks"] as? Int)
        #expect(impressions > 0)

        // Count this run's impressions and clicks per campaign in the store's event log (ids sim5-…).
        let store = try SQLiteStore(path: db)
        var shown: [String: Int] = [:]
        var clicked: [String: Int] = [:]
        var after: Int64 = 0
        while true {
            let page = try await store.events(afterSequence: after, limit: 50_000)
            guard let last = page.last else { break }
            for stored in page where stored.event.id.rawValue.hasPrefix("sim5-") {
                guard let campaign = stored.event.campaignID?.rawValue else { continue }
                if stored.event.type == .adImpression { shown[campaign, default: 0] += 1 }
                if stored.event.type == .adClick { clicked[campaign, default: 0] += 1 }
            }
            after = last.sequence
        }
        let book = Dictionary(uniqueKeysWithValues: try await store.campaigns().map { ($0.id.rawValue, $0) })
        try store.close()
        #expect(campaigns.count == book.count)
        #expect(shown.values.reduce(0, +) == impressions)
        #expect(clicked.values.reduce(0, +) == clicks)
        for row in campaigns {
            let id = try #require(row["id"] as? String)
            let campaign = try #require(book[id])
            let n = shown[id, default: 0]
            let k = clicked[id, default: 0]
            #expect(row["name"] as? String == campaign.name)
            #expect(row["impressions"] as? Int == n, "\(id)")
            #expect(row["clicks"] as? Int == k, "\(id)")
            if n > 0 { #expect(abs((row["ctr"] as? Double ?? -1) - Double(k) / Double(n)) < 1e-12) } else { #expect(row["ctr"] is NSNull) }
            // Each impression costs the campaign its CPM / 1000.
            let spend = Double(n) * Double(campaign.cpmBidCents) / 1000
            #expect(abs((row["spendCents"] as? Double ?? -1) - spend) < 1e-6, "\(id)")
            #expect(row["totalBudgetCents"] as? Int == Int(campaign.totalBudgetCents))
            #expect(abs((row["spendPercentOfBudget"] as? Double ?? -1) - spend / Double(campaign.totalBudgetCents) * 100) < 1e-9)
        }
        let rate = Double(clicks) / Double(impressions)
        let baseRate = try #require(summary["baseRateLogLoss"] as? Double)
        #expect(abs(baseRate - -(rate * log(rate) + (1 - rate) * log(1 - rate))) < 1e-12)
        #expect(summary["servedModelLogLoss"] is Double)

        // The text summary: the totals, then a row per campaign.
        let text = try CLI.run(["ads", "simulate", "--db", db, "--days", "1", "--seed", "6"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Simulated 1 day from"), "\(text.stdout)")
        #expect(text.stdout.contains("of total budget"))
        #expect(text.stdout.contains("base rate"))
        for id in book.keys { #expect(text.stdout.contains(id)) }
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
