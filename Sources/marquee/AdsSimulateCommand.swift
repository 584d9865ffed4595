import ArgumentParser
import Foundation
import MarqueeAds
import MarqueeCore
import MarqueeSimulation
import MarqueeStorage

extension AdsCommand {
    /// `marquee ads simulate`: a simulated stretch of ad-supported viewing through the real decision engine.
    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Simulate days of ad breaks through the decision engine and log the decisions and ad events.",
            discussion: """
                Viewers of the store (their genres, device and time zone taken from their history) watch titles; every \
                break of each title's break plan is filled by the same decision engine the server runs (exploration, caps, \
                pacing, the online CTR model), and the viewers respond by a known click model. The decisions go to the \
                ad decision log and the ad events to the event log, so `marquee ads evaluate` can replay them. Prints the \
                totals, the log loss of the CTR predictions as served beside the base rate's (a constant prediction at the \
                overall CTR), and per campaign: impressions delivered, clicks, CTR, and the spend of this run against the \
                campaign's total budget.
                """)

        @OptionGroup var store: StoreOptions
        @Option(help: "Days to simulate (1–31).") var days = 7
        @Option(help: "The seed of the simulation.") var seed: UInt64 = 1
        @Option(help: "The first day (ISO 8601; default: the day after the last event).") var start: String?
        @Flag(help: "Print the summary (totals, the base-rate log loss, the per-campaign table) as JSON instead.") var json = false

        func validate() throws {
            guard (1...31).contains(days) else { throw ValidationError("--days must be from 1 to 31") }
            if let start, Timestamp(iso8601: start) == nil {
                throw ValidationError("--start must be an ISO 8601 time, such as 2026-11-01T00:00:00Z")
            }
        }

        func run() async throws {
            let sqlite = try await openExistingStore(
                store, hint: "; create one with `marquee demo --generate-only --db \(store.path)`")
            do {
                let summary = try await simulateAdDays(sqlite, days: days, seed: seed, start: start.flatMap(Timestamp.init(iso8601:)))
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(summary), as: UTF8.self))
                } else {
                    print(summary)
                }
            } catch let error as MarqueeError {
                try? await sqlite.close()
                fail(error.message)
            }
            try await sqlite.close()
        }
    }

    /// `marquee ads evaluate`: progressive validation of the CTR model on the logged ad decisions.
    struct Evaluate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay the logged ad decisions in time order and score the CTR model against a per-campaign baseline.",
            discussion: """
                Every logged ad that an impression confirmed is one example, labelled by whether a click with its \
                decision id and slot followed. In serving order, each model predicts the example and then learns from \
                it (progressive validation): the FTRL-Proximal model the server uses, rebuilt from the logged features, \
                and the per-campaign running click-through rate. Prints log loss, AUC and calibration deciles of both, \
                and of the predictions that were logged when the ads were served.
                """)

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print the report as JSON instead of tables.") var json = false

        func run() async throws {
            let sqlite = try await openExistingStore(store)
            let report: AdEvaluationReport
            do {
                report = try await evaluateAdDecisions(sqlite)
            } catch let error as MarqueeError {
                try? await sqlite.close()
                fail(error.message)
            }
            try await sqlite.close()
            guard report.model.examples > 0 else {
                fail("no logged ad decision has an impression yet; run `marquee ads simulate` or serve some ads first")
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.table())
            }
        }
    }
}

/// The figures `marquee ads evaluate` prints.
struct AdEvaluationReport: Codable {
    var decisions: Int
    var model: ProgressiveValidationSummary
    var baseline: ProgressiveValidationSummary
    var logged: ProgressiveValidationSummary
    /// The log loss of a constant prediction at the overall click rate of the shown ads.
    var baseRateLogLoss: Double

    func table() -> String {
        func f(_ v: Double, _ d: Int = 5) -> String { String(format: "%.\(d)f", v) }
        var lines = [
            "Ad decisions: \(decisions); shown ads: \(model.examples); clicks: \(model.clicks) (CTR \(f(Double(model.clicks) / Double(max(1, model.examples)) * 100, 3)) %)",
            "",
            "model                          log loss      AUC",
        ]
        for (name, s) in [
            ("FTRL-Proximal (progressive)", model), ("per-campaign mean (baseline)", baseline), ("as logged when served", logged),
        ] {
            lines.append(name.padding(toLength: 30, withPad: " ", startingAt: 0) + " " + f(s.logLoss) + "   " + f(s.auc, 4))
        }
        lines.append(
            "constant overall CTR (base)".padding(toLength: 30, withPad: " ", startingAt: 0) + " " + f(baseRateLogLoss) + "   0.5000")
        let gain = (baseline.logLoss - model.logLoss) / baseline.logLoss * 100
        let baseGain = (baseRateLogLoss - model.logLoss) / baseRateLogLoss * 100
        lines.append("")
        lines.append("FTRL vs per-campaign baseline: \(f(gain, 2)) % lower log loss; vs the base rate: \(f(baseGain, 2)) % lower")
        lines.append("")
        lines.append("Calibration of the FTRL predictions (deciles): mean predicted → observed")
        for bin in model.calibration {
            lines.append("  " + f(bin.meanPredicted) + " → " + f(bin.observedRate) + "  (\(bin.count))")
        }
        return lines.joined(separator: "\n")
    }
}

/// Replays the ad decision log (see `AdsCommand.Evaluate`).
func evaluateAdDecisions(_ store: any CommandStore) async throws -> AdEvaluationReport {
    // Which logged ads were shown and which were clicked, from the event log.
    var replay = AdLogReplay()
    var after: Int64 = 0
    while true {
        let page = try await store.events(afterSequence: after, limit: 50_000)
        guard let last = page.last else { break }
        replay.note(page.lazy.map(\.event))
        after = last.sequence
    }
    let total = try await store.adDecisionCount()
    let bar = ProgressBar("replaying ad decisions")
    let model = ClickModelBox.serving()
    let baseline = CampaignMeanPredictor()
    var m = ProgressiveValidation()
    var b = ProgressiveValidation()
    var l = ProgressiveValidation()
    var position: (servedAt: Timestamp, id: DecisionID)?
    var decisions = 0
    while true {
        let records = try await store.adDecisions(after: position, limit: 20_000)
        guard let last = records.last else { break }
        replay.examples(records) { tokens, y, ad in
            m.record(probability: model.predict(tokens), clicked: y)
            model.learn(tokens, clicked: y)
            b.record(probability: baseline.predict(tokens), clicked: y)
            baseline.learn(tokens, clicked: y)
            l.record(probability: ad.pCTR, clicked: y)
        }
        decisions += records.count
        bar.update(decisions, total)
        position = (last.servedAt, last.decisionID)
    }
    let summary = m.summary()
    return AdEvaluationReport(
        decisions: decisions, model: summary, baseline: b.summary(), logged: l.summary(), baseRateLogLoss: summary.baseRateLogLoss)
}

/// Simulates `days` of ad breaks on the store's world and writes the decisions and events.
func simulateAdDays(_ store: any CommandStore, days: Int, seed: UInt64, start: Timestamp?) async throws -> AdSimulationSummary {
    var titles: [Title] = []
    var offset = 0
    while true {
        let page = try await store.titles(limit: 1000, offset: offset)
        titles += page.items
        offset += page.items.count
        if page.items.isEmpty || offset >= page.total { break }
    }
    let profiles = try await store.profiles(limit: 100_000_000, offset: 0, plan: nil).items
    var history = AdWeekSimulation.History(titles: titles)
    var after: Int64 = 0
    while true {
        let page = try await store.events(afterSequence: after, limit: 50_000)
        guard let last = page.last else { break }
        history.note(page.lazy.map(\.event))
        after = last.sequence
    }
    let viewers = history.viewers(profiles)
    let lastEvent = history.lastEvent?.millisecondsSinceEpoch ?? 0
    let dayMs: Int64 = 86_400_000
    let first = start ?? Timestamp(millisecondsSinceEpoch: (lastEvent / dayMs + 1) * dayMs)
    let advertisers = try await store.advertisers(limit: 1_000_000, offset: 0).items
    let campaigns = try await store.campaigns()
    let engine = AdDecisionEngine(
        inventory: AdInventory(advertisers: advertisers, campaigns: campaigns, creatives: try await store.creatives()),
        clickModel: .serving())
    // The pacers pace to the hourly shape of the logged ad traffic, as the server's do.
    engine.setTrafficCurve(history.trafficCurve)
    let bar = ProgressBar("simulating ad days")
    let output = AdWeekSimulation.run(
        viewers: viewers, titles: titles, engine: engine,
        configuration: AdWeekSimulation.Configuration(start: first, days: days, seed: seed)
    ) { bar.update($0, $1) }
    let writeBar = ProgressBar("writing ad events")
    var written = 0
    for chunk in stride(from: 0, to: output.events.count, by: 10_000) {
        let slice = Array(output.events[chunk..<min(chunk + 10_000, output.events.count)])
        _ = try await store.appendEvents(slice, receivedAt: slice.last!.timestamp)
        written += slice.count
        writeBar.update(written, output.events.count)
    }
    for chunk in stride(from: 0, to: output.decisions.count, by: 5_000) {
        try await store.appendAdDecisions(Array(output.decisions[chunk..<min(chunk + 5_000, output.decisions.count)]))
    }
    return AdSimulationSummary(output, days: days, start: first, campaigns: campaigns, engine: engine)
}

/// What `marquee ads simulate` (and `marquee demo`) report of a simulated stretch of ad breaks.
struct AdSimulationSummary: Encodable, CustomStringConvertible {
    var days: Int
    var start: String
    var decisions: Int
    var impressions: Int
    var clicks: Int
    var skips: Int
    var abandons: Int
    /// The mean log loss of the CTR predictions logged with the shown ads (the online model as served).
    var servedModelLogLoss: Double?
    /// The mean log loss of a constant prediction at this run's overall CTR (clicks / impressions).
    var baseRateLogLoss: Double?
    var campaigns: [Campaign]

    /// One campaign's delivery in this run.
    struct Campaign: Encodable {
        var id: String
        var name: String
        var impressions: Int
        var clicks: Int
        /// clicks / impressions (nil without impressions).
        var ctr: Double?
        /// What this run's impressions cost the campaign, in cents (CPM / 1000 each).
        var spendCents: Double
        var totalBudgetCents: Int64
        var spendPercentOfBudget: Double

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(impressions, forKey: .impressions)
            try c.encode(clicks, forKey: .clicks)
            try c.encode(ctr, forKey: .ctr)
            try c.encode(spendCents, forKey: .spendCents)
            try c.encode(totalBudgetCents, forKey: .totalBudgetCents)
            try c.encode(spendPercentOfBudget, forKey: .spendPercentOfBudget)
        }

        enum CodingKeys: String, CodingKey {
            case id, name, impressions, clicks, ctr, spendCents, totalBudgetCents, spendPercentOfBudget
        }
    }

    init(_ output: AdWeekSimulation.Output, days: Int, start: Timestamp, campaigns: [MarqueeCore.Campaign], engine: AdDecisionEngine) {
        self.days = days
        self.start = start.iso8601
        decisions = output.decisions.count
        impressions = output.impressions
        clicks = output.clicks
        skips = output.skips
        abandons = output.abandons
        // The served predictions, labelled by the clicks that followed (as `marquee ads evaluate` labels them).
        var replay = AdLogReplay()
        replay.note(output.events)
        var served = ProgressiveValidation()
        replay.examples(output.decisions) { _, clicked, ad in served.record(probability: ad.pCTR, clicked: clicked) }
        servedModelLogLoss = served.examples > 0 ? served.meanLogLoss : nil
        baseRateLogLoss = output.impressions > 0 ? CTRMetrics.baseRateLogLoss(clicks: output.clicks, examples: output.impressions) : nil
        var shown: [String: Int] = [:]
        var clicked: [String: Int] = [:]
        for e in output.events {
            guard let campaign = e.campaignID?.rawValue else { continue }
            if e.type == .adImpression { shown[campaign, default: 0] += 1 }
            if e.type == .adClick { clicked[campaign, default: 0] += 1 }
        }
        self.campaigns = campaigns.sorted { $0.id.rawValue < $1.id.rawValue }.map { c in
            let n = shown[c.id.rawValue, default: 0]
            let k = clicked[c.id.rawValue, default: 0]
            // The engine's own accounting, in millicents.
            let spent = Double(engine.delivery(of: c.id)?.spent ?? 0) / 1000
            return Campaign(
                id: c.id.rawValue, name: c.name, impressions: n, clicks: k, ctr: n > 0 ? Double(k) / Double(n) : nil, spendCents: spent,
                totalBudgetCents: c.totalBudgetCents, spendPercentOfBudget: spent / Double(c.totalBudgetCents) * 100)
        }
    }

    var description: String {
        var lines = [
            "Simulated \(Wording.count(days, "day")) from \(start): \(Wording.count(decisions, "ad decision")), "
                + "\(Wording.count(impressions, "impression")), \(Wording.count(clicks, "click")), \(Wording.count(skips, "skip")), "
                + Wording.count(abandons, "abandon")
        ]
        if let servedModelLogLoss, let baseRateLogLoss {
            lines.append(
                "CTR predictions as served: log loss \(String(format: "%.5f", servedModelLogLoss)); base rate (a constant "
                    + "prediction at the overall CTR \(String(format: "%.3f", Double(clicks) / Double(max(1, impressions)) * 100)) %): "
                    + String(format: "%.5f", baseRateLogLoss))
        }
        guard !campaigns.isEmpty else { return lines.joined(separator: "\n") }
        let rows =
            [["campaign", "name", "impressions", "clicks", "CTR", "spend", "of total budget"]]
            + campaigns.map { c in
                [
                    c.id, c.name, "\(c.impressions)", "\(c.clicks)", c.ctr.map { String(format: "%.2f %%", $0 * 100) } ?? "-",
                    dollars(c.spendCents), "\(dollars(Double(c.totalBudgetCents))) (\(String(format: "%.1f", c.spendPercentOfBudget)) %)",
                ]
            }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        lines.append("")
        for row in rows {
            let cells = row.enumerated().map { i, cell -> String in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                // Text columns to the left, figures to the right.
                return i < 2 ? cell + pad : pad + cell
            }
            lines.append(cells.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    func dollars(_ cents: Double) -> String { String(format: "$%.2f", cents / 100) }
}
