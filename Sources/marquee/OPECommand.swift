import ArgumentParser
import Foundation
import MarqueeAds
import MarqueeCore
import MarqueeExperiments
import MarqueeRecommend
import MarqueeStorage

/// `marquee ope`: off-policy evaluation of a candidate ad or artwork policy from the store's decision logs.
struct OPECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ope",
        abstract: "Estimate a candidate ad or artwork policy's click rate from the logs, before testing it live.",
        discussion: """
            IPS, self-normalized IPS, the direct method, doubly robust and switch-DR (the definitions of Open Bandit \
            Pipeline 0.5.7), each with a normal-approximation 95% interval, over the logged choices and their \
            propensities. Ads: each shown slot is a round, the reward a click; policies greedy (the top-scored \
            feasible ad), uniform (uniform among the best tier's feasible ads) and explore=X (the serving policy \
            with exploration share X). Artwork: each logged artwork choice is a round, the reward a click or play; \
            policies uniform, greedy and thompson (learning from the choices before each one).
            """)

    enum Log: String, ExpressibleByArgument, CaseIterable { case ads, artwork }

    @OptionGroup var store: StoreOptions
    @Option(help: "The candidate policy: greedy, uniform or explore=X for ads; uniform, greedy or thompson for artwork.")
    var policy: String
    @Option(help: "The decision log: ads or artwork.") var log: Log = .ads
    @Option(help: "Only decisions served at or after this time (ISO 8601 date or date-time, UTC if no offset).") var since: String?
    @Option(help: "Switch-DR's threshold on the importance weight (rounds with a larger weight use the direct method only).")
    var switchLambda: Double = 50
    @Option(help: "The exploration share the ads were served with (it gives back each slot's number of choices).")
    var loggedExplore: Double = AdDecisionConfiguration().explorationShare
    @Option(help: "Percentile bootstrap resamples for a second interval per estimator (0: none).") var bootstrap: Int = 0
    @Option(help: "The seed of the bootstrap and of the Thompson policy's draws.") var seed: UInt64 = ArtworkBanditConfiguration().seed
    @Flag(help: "Print the report as JSON instead of a table.") var json = false

    func validate() throws {
        switch log {
        case .ads:
            if let problem = AdTargetPolicy.problem(parsing: policy) { throw ValidationError("--policy \(problem)") }
        case .artwork:
            guard ArtworkEvaluation.TargetPolicy(rawValue: policy) != nil else {
                throw ValidationError("--policy for the artwork log must be uniform, greedy or thompson, not '\(policy)'")
            }
        }
        if let since, parseNowOption(since) == nil {
            throw ValidationError("--since must be an ISO 8601 date (2031-06-15) or date-time (2031-06-15T20:00:00Z), got '\(since)'")
        }
        guard switchLambda >= 0 && !switchLambda.isNaN else { throw ValidationError("--switch-lambda must be ≥ 0, got \(switchLambda)") }
        guard loggedExplore > 0 && loggedExplore <= 1 else {
            throw ValidationError("--logged-explore must be in (0, 1], got \(loggedExplore)")
        }
        guard bootstrap == 0 || (2...1_000_000).contains(bootstrap) else {
            throw ValidationError("--bootstrap must be 0 (none) or between 2 and 1000000, got \(bootstrap)")
        }
    }

    func run() async throws {
        let sqlite = try await openExistingStore(store, hint: "; create one with `marquee demo --db \(store.path)`")
        let start = since.flatMap(parseNowOption)
        let rounds: [LoggedRound]
        let skipped: Int
        do {
            switch log {
            case .ads: (rounds, skipped) = try await adRounds(sqlite, since: start)
            case .artwork: (rounds, skipped) = try await artworkRounds(sqlite, since: start)
            }
        } catch let error as MarqueeError {
            try? await sqlite.close()
            fail(error.message)
        }
        try await sqlite.close()
        guard rounds.count >= 2 else {
            fail("the \(log.rawValue) log has \(rounds.count) usable rounds\(since.map { " since \($0)" } ?? ""); serve some first")
        }
        do {
            let report = try OPEReport(
                log: log.rawValue, policy: policy, since: start?.iso8601, skipped: skipped, rounds: rounds, switchLambda: switchLambda,
                bootstrap: bootstrap, seed: seed)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.table())
            }
        } catch let error as OffPolicyError {
            fail("the log cannot be evaluated: \(error)")
        }
    }

    /// Every shown ad slot since `since` as a round for the candidate policy.
    func adRounds(_ sqlite: any CommandStore, since: Timestamp?) async throws -> ([LoggedRound], Int) {
        var position: (servedAt: Timestamp, id: DecisionID)?
        var choices: [AdSlotChoice] = []
        var skipped = 0
        while true {
            let records = try await sqlite.adDecisions(after: position, limit: 5_000)
            guard let last = records.last else { break }
            position = (last.servedAt, last.decisionID)
            let kept = since.map { s in records.filter { $0.servedAt >= s } } ?? records
            let outcomes = try await sqlite.adOutcomes(of: kept.map(\.decisionID))
            let page = AdLogOffPolicy.choices(kept, loggedExploration: loggedExplore) { decision, slot in
                let o = outcomes[decision]
                return (o?.shown.contains(slot) ?? false, o?.clicked.contains(slot) ?? false)
            }
            choices += page.choices
            skipped += page.skipped
        }
        guard !choices.isEmpty else { return ([], skipped) }
        let target = try AdTargetPolicy(parsing: policy)
        return (AdLogOffPolicy.rounds(choices, target: target, model: try AdLogOffPolicy.rewardModel(choices)), skipped)
    }

    /// Every logged artwork choice (of a title with more than one variant) since `since` as a round.
    func artworkRounds(_ sqlite: any CommandStore, since: Timestamp?) async throws -> ([LoggedRound], Int) {
        let entries = try await sqlite.artworkLog(servedSince: since, limit: 10_000_000)
        var variants: [TitleID: [ArtworkVariantID]] = [:]
        var offset = 0
        while true {
            let page = try await sqlite.titles(limit: 1000, offset: offset)
            for title in page.items { variants[title.id] = title.artwork.map(\.id) }
            offset += page.items.count
            if page.items.isEmpty || offset >= page.total { break }
        }
        let (decisions, _, skipped) = ArtworkEvaluation.decisions(entries, variants: variants)
        guard !decisions.isEmpty else { return ([], skipped) }
        var configuration = ArtworkBanditConfiguration()
        configuration.seed = seed
        let targets = ArtworkEvaluation.targetDistributions(
            decisions, policy: ArtworkEvaluation.TargetPolicy(rawValue: policy)!, configuration: configuration)
        // The reward model: the reward rate of each (title, variant) over the log, the log's rate where unseen.
        var first: [Int: Int] = [:]
        var next = 0
        for d in decisions where first[d.title] == nil {
            first[d.title] = next
            next += d.variants
        }
        let model = try EmpiricalRewardModel(
            actions: next,
            rounds: decisions.lazy.map { (action: first[$0.title]! + $0.variant, position: 0, reward: $0.rewarded ? 1.0 : 0.0) })
        let rounds = zip(decisions, targets).map { d, target in
            let base = first[d.title]!
            return LoggedRound(
                action: d.variant, reward: d.rewarded ? 1 : 0, propensity: d.propensity, target: target,
                estimatedRewards: Array(model.table[0][base..<base + d.variants]))
        }
        return (rounds, skipped)
    }
}

/// What `marquee ope` prints.
struct OPEReport: Codable {
    struct Estimate: Codable {
        var estimator: String
        var value: Double
        var standardError: Double
        var lower: Double
        var upper: Double
        var bootstrapLower: Double?
        var bootstrapUpper: Double?
    }

    var log: String
    var policy: String
    var since: String?
    /// Rounds evaluated, and logged choices left out (a propensity that fits no choice, or outside (0, 1]).
    var rounds: Int
    var skipped: Int
    /// The logging policy's observed click rate with its 95% interval.
    var loggedValue: Double
    var loggedLower: Double
    var loggedUpper: Double
    var effectiveSampleSize: Double
    var meanImportanceWeight: Double
    var maxImportanceWeight: Double
    var switchLambda: Double
    var estimates: [Estimate]

    init(
        log: String, policy: String, since: String?, skipped: Int, rounds: [LoggedRound], switchLambda: Double, bootstrap: Int, seed: UInt64
    ) throws(OffPolicyError) {
        let evaluation = try OffPolicyEvaluation(rounds: rounds, needsRewardModel: true)
        let d = evaluation.diagnostics()
        self.log = log
        self.policy = policy
        self.since = since
        self.rounds = d.rounds
        self.skipped = skipped
        (loggedValue, loggedLower, loggedUpper) = (d.loggedValue, d.loggedInterval.lower, d.loggedInterval.upper)
        (effectiveSampleSize, meanImportanceWeight, maxImportanceWeight) = (
            d.effectiveSampleSize, d.meanImportanceWeight, d.maxImportanceWeight
        )
        self.switchLambda = switchLambda
        estimates = try OffPolicyEstimator.standard(switchLambda: switchLambda).map { estimator throws(OffPolicyError) in
            let e = try evaluation.estimate(estimator)
            let b = bootstrap > 0 ? try evaluation.bootstrapInterval(estimator, samples: bootstrap, seed: seed) : nil
            return Estimate(
                estimator: estimator.description, value: e.value, standardError: e.standardError, lower: e.interval.lower,
                upper: e.interval.upper, bootstrapLower: b?.lower, bootstrapUpper: b?.upper)
        }
    }

    func table() -> String {
        func f(_ v: Double) -> String { String(format: "%.5f", v) }
        var lines = [
            "\(log) log, policy \(policy)\(since.map { " (since \($0))" } ?? ""): \(rounds) rounds, \(skipped) skipped",
            "logged policy: \(f(loggedValue)) (95% CI \(f(loggedLower)) to \(f(loggedUpper)))",
            "weights: mean \(String(format: "%.4f", meanImportanceWeight)) (≈ 1 when the propensities are right), max "
                + "\(String(format: "%.2f", maxImportanceWeight)), effective sample size \(String(format: "%.0f", effectiveSampleSize))",
            "",
        ]
        let bootstrapped = estimates.contains { $0.bootstrapLower != nil }
        let header = ["estimator", "value", "se", "95% CI"] + (bootstrapped ? ["bootstrap 95% CI"] : [])
        let rows = estimates.map { e in
            [e.estimator, f(e.value), f(e.standardError), "\(f(e.lower)) to \(f(e.upper))"]
                + (bootstrapped ? ["\(f(e.bootstrapLower ?? .nan)) to \(f(e.bootstrapUpper ?? .nan))"] : [])
        }
        var widths = header.map(\.count)
        for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], cell.count) } }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { k, c in
                k == 0
                    ? c.padding(toLength: widths[k], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[k] - c.count) + c
            }
            .joined(separator: "  ")
        }
        lines.append(render(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.map(render)
        return lines.joined(separator: "\n")
    }
}
