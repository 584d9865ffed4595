import Foundation
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import Testing

/// The artwork bandit: learning on simulated feedback, propensities against an exact computation and
/// against choice frequencies, determinism, and off-policy estimates against hand-computed truths.
@Suite struct ArtworkBanditTests {
    /// True click rates per segment: the best variant differs between segments.
    static let truth: [String: [Double]] = ["action": [0.03, 0.06, 0.12], "comedy": [0.12, 0.03, 0.06]]
    static let segments = ["action", "comedy"]

    struct Simulation {
        var regret = 0.0
        var log: [ArtworkDecision] = []
        /// The first checked round from which the best variant's probability stayed ≥ 0.9 in both segments.
        var convergedAt: Int?
    }

    /// Rounds alternate between the segments: choose → Bernoulli reward → record.
    static func simulate(_ bandit: ArtworkBandit, rounds: Int, seed: UInt64) -> Simulation {
        var rng = SeededGenerator(seed: seed)
        var result = Simulation()
        for round in 0..<rounds {
            let segment = segments[round % 2]
            let ctr = truth[segment]!
            let choice = bandit.choose([(title: 0, variants: 3)], segment: segment, uniforms: [rng.nextUnit()])[0]
            result.regret += ctr.max()! - ctr[choice.variant]
            let rewarded = rng.nextUnit() < ctr[choice.variant]
            bandit.recordImpression(title: 0, variant: choice.variant, segment: segment)
            if rewarded { bandit.recordReward(title: 0, variant: choice.variant, segment: segment) }
            result.log.append(
                ArtworkDecision(
                    title: 0, segment: segment, variants: 3, variant: choice.variant, propensity: choice.propensity, rewarded: rewarded))
            if round % 100 == 99 {
                let converged = segments.allSatisfy { s in
                    let best = truth[s]!.firstIndex(of: truth[s]!.max()!)!
                    return bandit.policy(title: 0, variants: 3, segment: s)[best] >= 0.9
                }
                if !converged {
                    result.convergedAt = nil
                } else if result.convergedAt == nil {
                    result.convergedAt = round + 1
                }
            }
        }
        return result
    }

    // MARK: (a) convergence

    @Test func convergesToEachSegmentsBestVariantWithLowRegret() throws {
        let bandit = ArtworkBandit(configuration: ArtworkBanditConfiguration(seed: 7))
        let rounds = 20_000
        let simulation = Self.simulate(bandit, rounds: rounds, seed: 11)
        for segment in Self.segments {
            let ctr = Self.truth[segment]!
            let best = ctr.firstIndex(of: ctr.max()!)!
            let policy = bandit.policy(title: 0, variants: 3, segment: segment)
            #expect(policy[best] >= 0.9, "\(segment): \(policy)")
        }
        // Uniform choice loses 0.12 − mean(CTR) = 0.05 a round.
        let uniformRegret = Double(rounds) * 0.05
        #expect(simulation.regret < 0.15 * uniformRegret, "regret \(simulation.regret) vs uniform \(uniformRegret)")
        let converged = try #require(simulation.convergedAt)
        #expect(converged <= 8_000)
    }

    // MARK: (b) propensities

    /// P(variant v has the largest draw) for Beta(a[v], b[v]) by numerical integration:
    /// ∫ f_v(x) Π_{u ≠ v} F_u(x) dx on a fine grid, an independent check of the Thompson estimate.
    static func exactThompson(a: [Double], b: [Double], grid: Int = 200_000) -> [Double] {
        let h = 1.0 / Double(grid)
        let xs = (0...grid).map { Double($0) * h }
        let logNorms = zip(a, b).map { a, b in lgamma(a + b) - lgamma(a) - lgamma(b) }
        let densities: [[Double]] = (0..<a.count).map { v in
            xs.map { x in x <= 0 || x >= 1 ? 0 : exp(logNorms[v] + (a[v] - 1) * log(x) + (b[v] - 1) * log(1 - x)) }
        }
        let cdfs: [[Double]] = (0..<a.count).map { v in
            let f = densities[v]
            var c = [Double](repeating: 0, count: f.count)
            // The first cell analytically (the density may be infinite at 0): ∫₀ʰ x^(a−1) dx / B(a, b).
            c[1] = exp(logNorms[v]) * pow(h, a[v]) / a[v]
            for i in 2..<f.count { c[i] = c[i - 1] + 0.5 * h * (f[i - 1] + f[i]) }
            return c
        }
        return (0..<a.count).map { v in
            var total = 0.0
            for i in 0...grid {
                var term = densities[v][i]
                for u in 0..<a.count where u != v { term *= cdfs[u][i] }
                total += (i == 0 || i == grid ? 0.5 : 1) * term * h
            }
            return total
        }
    }

    /// Own counts in one segment and the title's counts in another, with pooling 0.5 and a limit of 100.
    static func seededBandit(seed: UInt64 = 3) -> ArtworkBandit {
        let bandit = ArtworkBandit(configuration: ArtworkBanditConfiguration(pooling: 0.5, poolingLimit: 100, seed: seed))
        func record(_ segment: String, _ impressions: [Int], _ successes: [Int]) {
            for v in 0..<impressions.count {
                for _ in 0..<impressions[v] { bandit.recordImpression(title: 9, variant: v, segment: segment) }
                for _ in 0..<successes[v] { bandit.recordReward(title: 9, variant: v, segment: segment) }
            }
        }
        record("drama", [200, 150, 100], [10, 12, 4])
        record("other", [400, 50, 0], [40, 5, 0])
        return bandit
    }

    @Test func posteriorFollowsTheDocumentedFormula() {
        let bandit = Self.seededBandit()
        // Variant 0: the other segment's 400 impressions × 0.5 exceed the limit, so w = 100 / 400:
        // Beta(1 + 10 + 0.25·40, 20 + 190 + 0.25·360) = Beta(21, 300).
        // Variant 1: w = 0.5: Beta(1 + 12 + 2.5, 20 + 138 + 22.5) = Beta(15.5, 180.5). Variant 2: Beta(5, 116).
        let expected = [21.0 / 321, 15.5 / 196, 5.0 / 121]
        let means = bandit.posteriorMeans(title: 9, variants: 3, segment: "drama")
        for (m, e) in zip(means, expected) { #expect(abs(m - e) < 1e-12, "\(means)") }
        // A segment with no history of its own borrows from both others.
        let fresh = bandit.posteriorMeans(title: 9, variants: 3, segment: "new")
        // Variant 2: rest = 100 impressions, 4 successes, w = 0.5: Beta(1 + 2, 20 + 48).
        #expect(abs(fresh[2] - 3.0 / 71) < 1e-12, "\(fresh)")
        let counts = bandit.counts(title: 9, segment: "drama")
        #expect(counts.impressions == [200, 150, 100] && counts.successes == [10, 12, 4])
    }

    @Test func propensitiesMatchExactThompsonProbabilitiesAndChoiceFrequencies() {
        let bandit = Self.seededBandit()
        let policy = bandit.policy(title: 9, variants: 3, segment: "drama")
        #expect(abs(policy.reduce(0, +) - 1) < 1e-12)
        #expect(policy.allSatisfy { $0 >= 0.001 })

        // Against the exact probabilities: 512 draws, so a binomial error of √(p(1 − p)/512), plus the floor.
        let exact = Self.exactThompson(a: [21, 15.5, 5], b: [300, 180.5, 116])
        #expect(abs(exact.reduce(0, +) - 1) < 1e-6, "\(exact)")
        for (p, e) in zip(policy, exact) {
            #expect(abs(p - e) <= 3 * (e * (1 - e) / 512).squareRoot() + 0.003, "policy \(policy) exact \(exact)")
        }

        // Against the frequencies of many choices with the same counts; every propensity is π of its variant.
        var rng = SeededGenerator(seed: 99)
        var frequency = [0.0, 0, 0]
        let calls = 2_000
        let perCall = 50
        for _ in 0..<calls {
            let requests = [(title: Int, variants: Int)](repeating: (9, 3), count: perCall)
            let choices = bandit.choose(requests, segment: "drama", uniforms: (0..<perCall).map { _ in rng.nextUnit() })
            for c in choices {
                frequency[c.variant] += 1
                #expect(c.propensity == policy[c.variant])
            }
        }
        let n = Double(calls * perCall)
        for v in 0..<3 {
            let se = (policy[v] * (1 - policy[v]) / n).squareRoot()
            #expect(abs(frequency[v] / n - policy[v]) <= 3 * se, "variant \(v): \(frequency[v] / n) vs \(policy[v])")
        }
    }

    @Test func thompsonEstimateWithManyDrawsMatchesTheExactProbabilities() {
        // Prior Beta(0.5, 2) exercises gamma shapes below 1; no pooling, no floor, 40 000 draws.
        let configuration = ArtworkBanditConfiguration(
            priorSuccesses: 0.5, priorFailures: 2, pooling: 0, policySamples: 40_000, minimumProbability: 0, seed: 17)
        let bandit = ArtworkBandit(configuration: configuration)
        for (v, n, s) in [(0, 3, 1), (2, 10, 2), (3, 400, 30)] {
            for _ in 0..<n { bandit.recordImpression(title: 0, variant: v, segment: "s") }
            for _ in 0..<s { bandit.recordReward(title: 0, variant: v, segment: "s") }
        }
        let policy = bandit.policy(title: 0, variants: 4, segment: "s")
        let exact = Self.exactThompson(a: [1.5, 0.5, 2.5, 30.5], b: [4, 2, 10, 372])
        #expect(abs(exact.reduce(0, +) - 1) < 1e-4, "\(exact)")
        for (p, e) in zip(policy, exact) {
            #expect(abs(p - e) <= 3 * (e * (1 - e) / 40_000).squareRoot() + 1e-4, "policy \(policy) exact \(exact)")
        }
    }

    @Test func identicalPosteriorsGiveExactlyUniformProbabilities() {
        let bandit = ArtworkBandit()
        #expect(bandit.policy(title: 1, variants: 4, segment: "none") == [0.25, 0.25, 0.25, 0.25])
    }

    @Test func probabilitiesAreReestimatedOnlyWhenCountsChangeEnough() {
        let bandit = Self.seededBandit()
        let before = bandit.policy(title: 9, variants: 3, segment: "drama")
        // 450 impressions: 10 more is under 5%, so the estimate stands.
        for _ in 0..<10 { bandit.recordImpression(title: 9, variant: 1, segment: "drama") }
        // The title's total (900 impressions) grew by 10 too, under 5%.
        #expect(bandit.policy(title: 9, variants: 3, segment: "drama") == before)
        // 26 rewards: 2 more is over 5% (1.3).
        bandit.recordReward(title: 9, variant: 2, segment: "drama")
        #expect(bandit.policy(title: 9, variants: 3, segment: "drama") == before)
        bandit.recordReward(title: 9, variant: 2, segment: "drama")
        #expect(bandit.policy(title: 9, variants: 3, segment: "drama") != before)
    }

    // MARK: (c) determinism

    @Test func sameSeedAndCallsGiveTheSameChoices() {
        func run(seed: UInt64, interleaveAnotherTitle: Bool) -> (choices: [[Int]], policies: [[Double]]) {
            let bandit = ArtworkBandit(configuration: ArtworkBanditConfiguration(seed: seed))
            var rng = SeededGenerator(seed: 5)
            var other = SeededGenerator(seed: 6)
            var choices: [[Int]] = []
            for round in 0..<3_000 {
                let segment = Self.segments[round % 2]
                let chosen = bandit.choose([(title: 0, variants: 3)], segment: segment, uniforms: [rng.nextUnit()])
                choices.append(chosen.map(\.variant))
                bandit.recordImpression(title: 0, variant: chosen[0].variant, segment: segment)
                if rng.nextUnit() < Self.truth[segment]![chosen[0].variant] {
                    bandit.recordReward(title: 0, variant: chosen[0].variant, segment: segment)
                }
                if interleaveAnotherTitle {
                    let c = bandit.choose([(title: 1, variants: 4)], segment: segment, uniforms: [other.nextUnit()])[0]
                    bandit.recordImpression(title: 1, variant: c.variant, segment: segment)
                    if other.nextUnit() < 0.2 { bandit.recordReward(title: 1, variant: c.variant, segment: segment) }
                }
            }
            return (choices, Self.segments.map { bandit.policy(title: 0, variants: 3, segment: $0) })
        }
        let first = run(seed: 1, interleaveAnotherTitle: false)
        let second = run(seed: 1, interleaveAnotherTitle: false)
        #expect(first.choices == second.choices)
        #expect(first.policies == second.policies)
        // Estimates are seeded per (title, segment): another title's traffic does not move this one.
        let interleaved = run(seed: 1, interleaveAnotherTitle: true)
        #expect(interleaved.choices == first.choices)
        #expect(interleaved.policies == first.policies)
        let reseeded = run(seed: 2, interleaveAnotherTitle: false)
        #expect(reseeded.choices != first.choices)
    }

    // MARK: (d) off-policy evaluation

    /// Uniformly logged decisions: one title, three variants, segments alternating.
    static func uniformLog(count: Int, seed: UInt64) -> [ArtworkDecision] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            let segment = segments[i % 2]
            let variant = Int(rng.nextUnit() * 3)
            let rewarded = rng.nextUnit() < truth[segment]![variant]
            return ArtworkDecision(title: 0, segment: segment, variants: 3, variant: variant, propensity: 1.0 / 3, rewarded: rewarded)
        }
    }

    @Test func ipsSnipsAndReplayRecoverAFixedPolicysValueFromUniformLogs() throws {
        let log = Self.uniformLog(count: 60_000, seed: 21)
        // Target: action → [0.2, 0, 0.8], comedy → [0.5, 0.5, 0].
        // Value: ½(0.2·0.03 + 0.8·0.12) + ½(0.5·0.12 + 0.5·0.03) = ½·0.102 + ½·0.075 = 0.0885.
        let target: (ArtworkDecision) -> [Double] = { $0.segment == "action" ? [0.2, 0, 0.8] : [0.5, 0.5, 0] }
        let estimate = ArtworkEvaluation.estimate(log, policy: "fixed", target: target)
        #expect(abs(estimate.ips - 0.0885) <= 3 * estimate.ipsStandardError, "\(estimate)")
        #expect(abs(estimate.snips - 0.0885) <= 3 * estimate.snipsStandardError, "\(estimate)")
        #expect(estimate.ipsStandardError > 0 && estimate.ipsStandardError < 0.005, "\(estimate)")
        #expect(abs(estimate.meanWeight - 1) < 0.02, "\(estimate)")
        // Replay of a deterministic target: action → 1, comedy → 0: ½·0.06 + ½·0.12 = 0.09.
        let replay = ArtworkEvaluation.replay(log, policy: "fixed") { $0.segment == "action" ? 1 : 0 }
        let rate = try #require(replay.rate)
        let se = try #require(replay.standardError)
        #expect(abs(rate - 0.09) <= 3 * se, "\(replay)")
        #expect(abs(Double(replay.matches) - 20_000) < 400, "\(replay)")
    }

    @Test func ipsOfUniformRecoversItsValueFromTheBanditsOwnLog() {
        // The bandit's logged propensities must be right for IPS to be unbiased: uniform's value is ½(0.07 + 0.07).
        let bandit = ArtworkBandit(configuration: ArtworkBanditConfiguration(minimumProbability: 0.02, seed: 8))
        let log = Self.simulate(bandit, rounds: 20_000, seed: 12).log
        let estimate = ArtworkEvaluation.estimate(log, policy: "uniform") { _ in [1.0 / 3, 1.0 / 3, 1.0 / 3] }
        #expect(abs(estimate.ips - 0.07) <= 3 * estimate.ipsStandardError, "\(estimate)")
        #expect(abs(estimate.snips - 0.07) <= 3 * estimate.snipsStandardError, "\(estimate)")
    }

    @Test func reportFromLogEntries() throws {
        let decisions = Self.uniformLog(count: 30_000, seed: 31)
        let title = TitleID(trusted: "t-1")
        let ids = ["a", "b", "c"].map { ArtworkVariantID(trusted: $0) }
        var log = decisions.map {
            ArtworkLogEntry(titleID: title, segment: $0.segment, variant: ids[$0.variant], propensity: $0.propensity, rewarded: $0.rewarded)
        }
        log.append(ArtworkLogEntry(titleID: TitleID(trusted: "single"), segment: "action", variant: ids[0], propensity: 1, rewarded: true))
        log.append(ArtworkLogEntry(titleID: TitleID(trusted: "gone"), segment: "action", variant: ids[0], propensity: 0.5, rewarded: true))
        log.append(
            ArtworkLogEntry(titleID: title, segment: "action", variant: ArtworkVariantID(trusted: "z"), propensity: 0.5, rewarded: false))
        let variants: [TitleID: [ArtworkVariantID]] = [title: ids, TitleID(trusted: "single"): [ids[0]]]
        let report = ArtworkEvaluation.evaluate(log, variants: variants)
        #expect(report.entries == 30_003 && report.singleVariant == 1 && report.skipped == 2 && report.logging.decisions == 30_000)
        #expect(report.logging.lower < 0.07 && 0.07 < report.logging.upper, "\(report.logging)")
        #expect(report.policies.map(\.policy) == ["uniform", "greedy", "thompson"])
        // With uniform logging every uniform weight is 1: IPS is the observed rate.
        #expect(abs(report.policies[0].ips - report.logging.rate) < 1e-12)
        // The learners find the best variant of each segment (0.12) quickly; early rounds cost a little.
        for estimate in report.policies[1...] {
            #expect(estimate.snips > 0.105 && estimate.snips < 0.12 + 3 * estimate.snipsStandardError, "\(estimate)")
        }
        let replay = try #require(report.replay.rate)
        #expect(abs(replay - report.policies[1].snips) < 1e-9, "replay and SNIPS coincide for a deterministic target on uniform logs")
        let decoded = try JSONDecoder().decode(ArtworkEvaluationReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
        #expect(report.table().contains("thompson"))
    }

    // MARK: (e) single variants, concurrency

    @Test func singleVariantTitlesGetPropensityOne() {
        let bandit = ArtworkBandit()
        let choices = bandit.choose([(title: 5, variants: 1), (title: 6, variants: 3)], segment: "none", uniforms: [0.99, 0.99])
        #expect(choices[0].variant == 0 && choices[0].propensity == 1)
        #expect(choices[1].variant == 2 && abs(choices[1].propensity - 1.0 / 3) < 1e-15)
        #expect(bandit.policy(title: 5, variants: 1, segment: "none") == [1])
    }

    @Test func concurrentCallsKeepEveryCount() async {
        let bandit = ArtworkBandit()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var rng = SeededGenerator(seed: UInt64(task))
                    for _ in 0..<500 {
                        let requests = (0..<10).map { (title: $0, variants: 3) }
                        let choices = bandit.choose(requests, segment: "s", uniforms: requests.map { _ in rng.nextUnit() })
                        bandit.recordImpressions(zip(requests, choices).map { (title: $0.title, variant: $1.variant) }, segment: "s")
                        bandit.recordImpression(title: 0, variant: choices[0].variant, segment: "s")
                    }
                }
            }
        }
        let total = (0..<10).map { bandit.counts(title: $0, segment: "s").impressions.reduce(0, +) }.reduce(0, +)
        #expect(total == 8 * 500 * 11)
    }

    /// A refresh from the store raises counts that another process moved, and never takes back this
    /// process's own impressions that the store has not logged yet.
    @Test func raisingCountsNeverLowersThem() {
        let bandit = ArtworkBandit(configuration: ArtworkBanditConfiguration(seed: 7))
        for _ in 0..<5 { bandit.recordImpression(title: 3, variant: 1, segment: "drama") }
        bandit.raiseCounts(title: 3, variant: 1, segment: "drama", impressions: 4, successes: 0)
        #expect(bandit.counts(title: 3, segment: "drama").impressions == [0, 5])
        bandit.raiseCounts(title: 3, variant: 1, segment: "drama", impressions: 9, successes: 2)
        #expect(bandit.counts(title: 3, segment: "drama").impressions == [0, 9])
        #expect(bandit.counts(title: 3, segment: "drama").successes == [0, 2])
    }
}
