import Foundation
import MarqueeCore

/// One logged artwork choice in the evaluator's terms: a title key, the number of variants the title
/// has, the chosen variant's index, the probability it was chosen with and whether a reward followed.
public struct ArtworkDecision: Sendable, Hashable {
    public var title: Int
    public var segment: String
    public var variants: Int
    public var variant: Int
    public var propensity: Double
    public var rewarded: Bool

    public init(title: Int, segment: String, variants: Int, variant: Int, propensity: Double, rewarded: Bool) {
        self.title = title
        self.segment = segment
        self.variants = variants
        self.variant = variant
        self.propensity = propensity
        self.rewarded = rewarded
    }
}

/// An observed reward rate with its 95% Wilson score interval.
public struct ArtworkRewardRate: Sendable, Codable, Hashable {
    public var decisions: Int
    public var rewards: Int
    public var rate: Double
    public var lower: Double
    public var upper: Double

    public init(rewards: Int, decisions: Int) {
        self.decisions = decisions
        self.rewards = rewards
        guard decisions > 0 else {
            (rate, lower, upper) = (0, 0, 1)
            return
        }
        let n = Double(decisions)
        let p = Double(rewards) / n
        let z = 1.959_963_984_540_054
        let center = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        (rate, lower, upper) = (p, max(0, center - half), min(1, center + half))
    }
}

/// Off-policy estimates of one target policy's reward rate from logged choices.
public struct ArtworkPolicyEstimate: Sendable, Codable, Hashable {
    public var policy: String
    /// Inverse propensity scoring: the mean of w·r, w = π_target(logged variant) / propensity.
    public var ips: Double
    public var ipsStandardError: Double
    /// Self-normalized IPS: Σ w·r / Σ w, with its delta-method standard error.
    public var snips: Double
    public var snipsStandardError: Double
    /// The mean weight, 1 in expectation when the propensities are right: a check on the log.
    public var meanWeight: Double
    /// (Σ w)² / Σ w²: how many uniformly weighted decisions the estimate is worth.
    public var effectiveSampleSize: Double
}

/// The replay estimate (Li et al. 2011) of a policy: the reward rate over the logged choices that
/// the policy would have made too. Unbiased when the log chose uniformly at random.
public struct ArtworkReplayEstimate: Sendable, Codable, Hashable {
    public var policy: String
    public var matches: Int
    /// Nil when no logged choice matched.
    public var rate: Double?
    public var standardError: Double?
}

/// What `marquee artwork evaluate` reports: the logging policy's reward rate and estimates of other policies.
public struct ArtworkEvaluationReport: Sendable, Codable, Hashable {
    /// Log entries read.
    public var entries: Int
    /// Entries for titles with a single variant: every policy shows the same artwork, so they are left out.
    public var singleVariant: Int
    /// Entries whose title or variant is no longer in the catalog, or whose propensity is not in (0, 1].
    public var skipped: Int
    /// The logging policy's observed reward rate over the evaluated entries (those with a choice).
    public var logging: ArtworkRewardRate
    /// Uniform random, greedy and Thompson (both trained progressively on the entries before each one).
    public var policies: [ArtworkPolicyEstimate]
    public var replay: ArtworkReplayEstimate
    /// The bandit settings the progressive policies were trained with.
    public var configuration: ArtworkBanditConfiguration

    /// The report as a small table.
    public func table() -> String {
        func f(_ v: Double) -> String { String(format: "%.4f", v) }
        var lines = [
            "artwork choices: \(entries) logged, \(logging.decisions) evaluated, \(singleVariant) single-variant, \(skipped) skipped",
            "logging policy: reward rate \(f(logging.rate)) (95% CI \(f(logging.lower))–\(f(logging.upper)), "
                + "\(Wording.count(logging.rewards, "reward")))",
            "",
        ]
        let header = ["policy", "IPS", "± se", "SNIPS", "± se", "mean w", "ESS"]
        var rows = policies.map {
            [
                $0.policy, f($0.ips), f($0.ipsStandardError), f($0.snips), f($0.snipsStandardError), f($0.meanWeight),
                String(format: "%.0f", $0.effectiveSampleSize),
            ]
        }
        rows.append([
            replay.policy + " (replay)", replay.rate.map(f) ?? "-", replay.standardError.map(f) ?? "-", "", "", "",
            Wording.count(replay.matches, "match", plural: "matches"),
        ])
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
        lines.append("")
        lines.append(
            "greedy and thompson learn from the entries before each one they are scored on; replay is unbiased only for uniform logs")
        return lines.joined(separator: "\n")
    }
}

/// Sums for IPS and SNIPS over logged choices, one pass.
public struct OffPolicyAccumulator: Sendable, Hashable {
    public private(set) var count = 0
    private var sumW = 0.0
    private var sumW2 = 0.0
    private var sumWR = 0.0
    private var sumW2R = 0.0
    private var sumW2R2 = 0.0

    public init() {}

    /// Adds one logged choice: the target's probability of the logged variant, the logged propensity and the reward.
    public mutating func add(target: Double, propensity: Double, reward: Double) {
        precondition(propensity > 0, "a logged propensity must be positive")
        let w = target / propensity
        count += 1
        sumW += w
        sumW2 += w * w
        sumWR += w * reward
        sumW2R += w * w * reward
        sumW2R2 += w * w * reward * reward
    }

    public func estimate(policy: String) -> ArtworkPolicyEstimate {
        guard count > 0 else {
            return ArtworkPolicyEstimate(
                policy: policy, ips: 0, ipsStandardError: 0, snips: 0, snipsStandardError: 0, meanWeight: 0, effectiveSampleSize: 0)
        }
        let n = Double(count)
        let ips = sumWR / n
        // Sample variance of w·r with n − 1.
        let ipsVariance = count > 1 ? max(0, (sumW2R2 - n * ips * ips) / (n - 1)) : 0
        let snips = sumW > 0 ? sumWR / sumW : 0
        // Delta method: Var ≈ Σ w²(r − V)² / (Σ w)².
        let residual = max(0, sumW2R2 - 2 * snips * sumW2R + snips * snips * sumW2)
        return ArtworkPolicyEstimate(
            policy: policy, ips: ips, ipsStandardError: (ipsVariance / n).squareRoot(), snips: snips,
            snipsStandardError: sumW > 0 ? residual.squareRoot() / sumW : 0, meanWeight: sumW / n,
            effectiveSampleSize: sumW2 > 0 ? sumW * sumW / sumW2 : 0)
    }
}

/// Sums for the replay estimator.
public struct ReplayAccumulator: Sendable, Hashable {
    public private(set) var matches = 0
    private var rewards = 0.0

    public init() {}

    public mutating func add(targetChoice: Int, loggedVariant: Int, reward: Double) {
        guard targetChoice == loggedVariant else { return }
        matches += 1
        rewards += reward
    }

    public func estimate(policy: String) -> ArtworkReplayEstimate {
        guard matches > 0 else { return ArtworkReplayEstimate(policy: policy, matches: 0, rate: nil, standardError: nil) }
        let m = Double(matches)
        let rate = rewards / m
        return ArtworkReplayEstimate(
            policy: policy, matches: matches, rate: rate, standardError: (max(0, rate * (1 - rate)) / m).squareRoot())
    }
}

/// Off-policy evaluation of artwork choices from the home decision log.
///
/// The logging policy is whatever served the pages (normally `ArtworkBandit`); its propensities make
/// IPS and SNIPS unbiased and consistent for any target policy whose variants it gave positive probability.
/// The greedy and Thompson targets are *learning* policies, scored progressively: entry t is scored by
/// the policy trained on entries 0..<t, as it would have been online.
public enum ArtworkEvaluation {
    /// Maps log entries to decisions over variant indices in catalog order. Title keys are assigned in order of first appearance.
    public static func decisions(
        _ log: [ArtworkLogEntry], variants: [TitleID: [ArtworkVariantID]]
    ) -> (decisions: [ArtworkDecision], singleVariant: Int, skipped: Int) {
        var keys: [TitleID: Int] = [:]
        var indices: [TitleID: [ArtworkVariantID: Int]] = [:]
        var decisions: [ArtworkDecision] = []
        decisions.reserveCapacity(log.count)
        var singleVariant = 0
        var skipped = 0
        for entry in log {
            guard let list = variants[entry.titleID], entry.propensity > 0 && entry.propensity <= 1 else {
                skipped += 1
                continue
            }
            let index: [ArtworkVariantID: Int]
            if let known = indices[entry.titleID] {
                index = known
            } else {
                index = Dictionary(list.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                indices[entry.titleID] = index
            }
            guard let v = index[entry.variant] else {
                skipped += 1
                continue
            }
            guard list.count > 1 else {
                singleVariant += 1
                continue
            }
            let key: Int
            if let k = keys[entry.titleID] {
                key = k
            } else {
                key = keys.count
                keys[entry.titleID] = key
            }
            decisions.append(
                ArtworkDecision(
                    title: key, segment: entry.segment, variants: list.count, variant: v, propensity: entry.propensity,
                    rewarded: entry.rewarded))
        }
        return (decisions, singleVariant, skipped)
    }

    /// The full report for a log (oldest first) and the catalog's variants per title.
    public static func evaluate(
        _ log: [ArtworkLogEntry], variants: [TitleID: [ArtworkVariantID]], configuration: ArtworkBanditConfiguration = .init()
    ) -> ArtworkEvaluationReport {
        let (decisions, singleVariant, skipped) = decisions(log, variants: variants)
        let (policies, replay) = progressive(decisions, configuration: configuration)
        return ArtworkEvaluationReport(
            entries: log.count, singleVariant: singleVariant, skipped: skipped,
            logging: ArtworkRewardRate(rewards: decisions.count { $0.rewarded }, decisions: decisions.count), policies: policies,
            replay: replay, configuration: configuration)
    }

    /// IPS and SNIPS for uniform random, greedy and Thompson, and replay for greedy. Greedy picks the
    /// variant with the highest posterior mean (the lowest index among ties); both learners use `ArtworkBandit`
    /// with `configuration`, fed each decision after it is scored.
    public static func progressive(
        _ decisions: [ArtworkDecision], configuration: ArtworkBanditConfiguration = .init()
    ) -> (policies: [ArtworkPolicyEstimate], replay: ArtworkReplayEstimate) {
        let learner = ArtworkBandit(configuration: configuration)
        var uniform = OffPolicyAccumulator()
        var greedy = OffPolicyAccumulator()
        var thompson = OffPolicyAccumulator()
        var replay = ReplayAccumulator()
        for d in decisions {
            let reward = d.rewarded ? 1.0 : 0.0
            let best = argmax(learner.posteriorMeans(title: d.title, variants: d.variants, segment: d.segment))
            let policy = learner.policy(title: d.title, variants: d.variants, segment: d.segment)
            uniform.add(target: 1 / Double(d.variants), propensity: d.propensity, reward: reward)
            greedy.add(target: best == d.variant ? 1 : 0, propensity: d.propensity, reward: reward)
            thompson.add(target: policy[d.variant], propensity: d.propensity, reward: reward)
            replay.add(targetChoice: best, loggedVariant: d.variant, reward: reward)
            learner.recordImpression(title: d.title, variant: d.variant, segment: d.segment)
            if d.rewarded { learner.recordReward(title: d.title, variant: d.variant, segment: d.segment) }
        }
        return (
            [uniform.estimate(policy: "uniform"), greedy.estimate(policy: "greedy"), thompson.estimate(policy: "thompson")],
            replay.estimate(policy: "greedy")
        )
    }

    /// IPS and SNIPS of a fixed target policy given as its probabilities per decision.
    public static func estimate(
        _ decisions: [ArtworkDecision], policy: String, target: (ArtworkDecision) -> [Double]
    ) -> ArtworkPolicyEstimate {
        var accumulator = OffPolicyAccumulator()
        for d in decisions { accumulator.add(target: target(d)[d.variant], propensity: d.propensity, reward: d.rewarded ? 1 : 0) }
        return accumulator.estimate(policy: policy)
    }

    /// The replay estimate of a fixed deterministic policy given as its choice per decision.
    public static func replay(_ decisions: [ArtworkDecision], policy: String, choice: (ArtworkDecision) -> Int) -> ArtworkReplayEstimate {
        var accumulator = ReplayAccumulator()
        for d in decisions { accumulator.add(targetChoice: choice(d), loggedVariant: d.variant, reward: d.rewarded ? 1 : 0) }
        return accumulator.estimate(policy: policy)
    }

    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for (i, v) in values.enumerated() where v > values[best] { best = i }
        return best
    }
}
