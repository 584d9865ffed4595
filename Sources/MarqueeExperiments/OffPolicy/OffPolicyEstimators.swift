import Foundation
import MarqueeKernels

/// An off-policy estimator of an evaluation policy's value, defined exactly as Open Bandit Pipeline 0.5.7
/// (`obp/ope/estimators.py`) defines it. With w_i = π_e(a_i | x_i, k_i) / π_b(a_i | x_i, k_i), q̂_i(a) the reward
/// model at round i's position k_i, and every estimate the plain mean over the n rounds of a per-round value ψ_i:
///
/// - `ips(clip:)` (obp `InverseProbabilityWeighting(lambda_=clip)`): ψ_i = r_i · min(w_i, clip).
/// - `snips` (`SelfNormalizedInverseProbabilityWeighting`): ψ_i = r_i · w_i / w̄, so the estimate is Σ r w / Σ w.
/// - `directMethod` (`DirectMethod`): ψ_i = Σ_a π_e(a) q̂_i(a) / Σ_a π_e(a) (numpy's weighted average).
/// - `doublyRobust(clip:)` (`DoublyRobust(lambda_=clip)`): ψ_i = DM_i + min(w_i, clip) · (r_i − q̂_i(a_i)).
/// - `switchDoublyRobust(lambda:)` (`SwitchDoublyRobust(lambda_=lambda)`): ψ_i = DM_i + 1[w_i ≤ λ] · w_i · (r_i − q̂_i(a_i)):
///   a round whose weight equals λ keeps its correction; above λ it falls back to the direct method.
///
/// The clip and λ are ∞ by default, as in obp.
public enum OffPolicyEstimator: Sendable, Hashable, CustomStringConvertible {
    case ips(clip: Double = .infinity)
    case snips
    case directMethod
    case doublyRobust(clip: Double = .infinity)
    case switchDoublyRobust(lambda: Double)

    /// The five estimators with obp's defaults (switch-DR at `lambda`).
    public static func standard(switchLambda lambda: Double) -> [OffPolicyEstimator] {
        [.ips(), .snips, .directMethod, .doublyRobust(), .switchDoublyRobust(lambda: lambda)]
    }

    /// A short name (obp's `estimator_name`, with the threshold when there is one).
    public var description: String {
        func threshold(_ name: String, _ value: Double) -> String {
            value == .infinity ? name : "\(name)(\(value))"
        }
        switch self {
        case .ips(let clip): return threshold("ips", clip)
        case .snips: return "snips"
        case .directMethod: return "dm"
        case .doublyRobust(let clip): return threshold("dr", clip)
        case .switchDoublyRobust(let lambda): return "switch-dr(\(lambda))"
        }
    }

    /// Whether the estimator reads `estimatedRewards`.
    public var needsRewardModel: Bool {
        switch self {
        case .ips, .snips: false
        case .directMethod, .doublyRobust, .switchDoublyRobust: true
        }
    }

    func validateParameter() throws(OffPolicyError) {
        switch self {
        case .ips(let v), .doublyRobust(let v):
            guard v >= 0 else { throw OffPolicyError(field: "clip", "must be ≥ 0 (∞ for no clipping), not \(v)") }
        case .switchDoublyRobust(let v):
            guard v >= 0 else { throw OffPolicyError(field: "lambda", "must be ≥ 0 (∞ for plain DR), not \(v)") }
        case .snips, .directMethod: break
        }
    }
}

/// A two-sided interval.
public struct OffPolicyInterval: Sendable, Hashable, Codable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }
}

/// One estimator's estimate with its normal-approximation interval.
public struct OffPolicyEstimate: Sendable, Hashable {
    public var estimator: OffPolicyEstimator
    /// The point estimate: the mean of the per-round values (obp's `estimate_policy_value`).
    public var value: Double
    /// The standard error: the per-round values' sample standard deviation (n − 1) over √n; for SNIPS the
    /// delta-method error √(Σ w²(r − V)²) / Σ w, since its per-round values share the normalizer w̄.
    public var standardError: Double
    /// value ± z · standardError with z the normal quantile of the level (1.96 at 95%). For DM this counts only the
    /// spread of the per-round values, not the reward model's own error, so it is too narrow.
    public var interval: OffPolicyInterval
    public var level: Double
}

/// Checks on the weights: how far the evaluation policy is from the logging one, and whether the log is sound.
public struct OffPolicyDiagnostics: Sendable, Hashable, Codable {
    public var rounds: Int
    /// Kish's effective sample size (Σ w)² / Σ w²: how many equally weighted rounds the weighted estimates are worth.
    public var effectiveSampleSize: Double
    /// The mean importance weight w̄: 1 in expectation when the propensities are right and the target's support
    /// is covered by the logging policy; far from 1 means something is wrong with the log or the target.
    public var meanImportanceWeight: Double
    public var maxImportanceWeight: Double
    /// The logging policy's observed value (the mean reward), with its normal-approximation interval.
    public var loggedValue: Double
    public var loggedInterval: OffPolicyInterval
}

/// Off-policy evaluation of one evaluation policy over a validated log: plain values in, results out, no I/O.
public struct OffPolicyEvaluation: Sendable {
    public let rounds: [LoggedRound]
    /// The importance weights w_i, in round order.
    public let weights: [Double]

    /// Validates the log: at least two rounds; each round's propensity in (0, 1], action within its target, target a
    /// distribution, estimated rewards (when `needsRewardModel` or given) one per action. Errors name the field.
    public init(rounds: [LoggedRound], needsRewardModel: Bool = false) throws(OffPolicyError) {
        guard !rounds.isEmpty else { throw OffPolicyError(field: "rounds", "the log is empty") }
        guard rounds.count >= 2 else { throw OffPolicyError(field: "rounds", "needs at least 2 rounds for an interval") }
        for (i, round) in rounds.enumerated() { try round.validate(index: i, needsModel: needsRewardModel) }
        self.rounds = rounds
        self.weights = rounds.map(\.weight)
    }

    /// The per-round values ψ_i whose mean is the estimate (obp's `_estimate_round_rewards`).
    public func roundValues(_ estimator: OffPolicyEstimator) throws(OffPolicyError) -> [Double] {
        try estimator.validateParameter()
        switch estimator {
        case .ips(let clip):
            return zip(rounds, weights).map { r, w in r.reward * min(w, clip) }
        case .snips:
            let meanWeight = arithmeticMean(weights)
            return zip(rounds, weights).map { r, w in r.reward * w / meanWeight }
        case .directMethod:
            return try rounds.indices.map { i throws(OffPolicyError) in try directMethod(i) }
        case .doublyRobust(let clip):
            return try rounds.indices.map { i throws(OffPolicyError) in
                let r = rounds[i]
                return try directMethod(i) + min(weights[i], clip) * (r.reward - r.estimatedRewards![r.action])
            }
        case .switchDoublyRobust(let lambda):
            return try rounds.indices.map { i throws(OffPolicyError) in
                let r = rounds[i]
                let w = weights[i]
                return try directMethod(i) + (w <= lambda ? w : 0) * (r.reward - r.estimatedRewards![r.action])
            }
        }
    }

    /// DM_i = Σ_a π_e(a) q̂_i(a) / Σ_a π_e(a), as numpy's `np.average(q̂, weights=π_e)`.
    func directMethod(_ i: Int) throws(OffPolicyError) -> Double {
        let r = rounds[i]
        guard let q = r.estimatedRewards else {
            throw OffPolicyError(
                field: "rounds[\(i)].estimatedRewards", "the direct method and doubly robust estimators need a reward model")
        }
        var weighted = 0.0
        var total = 0.0
        for a in q.indices {
            weighted += q[a] * r.target[a]
            total += r.target[a]
        }
        return weighted / total
    }

    /// The estimate with its normal-approximation interval at `level` (0.95 by default).
    public func estimate(_ estimator: OffPolicyEstimator, level: Double = 0.95) throws(OffPolicyError) -> OffPolicyEstimate {
        guard level > 0 && level < 1 else { throw OffPolicyError(field: "level", "must be in (0, 1), not \(level)") }
        let values = try roundValues(estimator)
        let value = arithmeticMean(values)
        let se: Double
        if case .snips = estimator {
            var sumW = 0.0
            var squares = 0.0
            for (r, w) in zip(rounds, weights) {
                sumW += w
                squares += w * w * (r.reward - value) * (r.reward - value)
            }
            se = sumW > 0 ? squares.squareRoot() / sumW : 0
        } else {
            se = meanStandardError(values)
        }
        let z = StandardNormal.quantile(0.5 + level / 2)
        return OffPolicyEstimate(
            estimator: estimator, value: value, standardError: se,
            interval: OffPolicyInterval(lower: value - z * se, upper: value + z * se),
            level: level)
    }

    /// A percentile bootstrap interval like obp's `estimate_interval`: `samples` resamples of the rounds with
    /// replacement drawn by `SeededGenerator(seed:)` (same seed, same interval; numpy's draws are not reproduced),
    /// each giving the mean of the resampled per-round values, or for SNIPS Σ r w / Σ w recomputed on the
    /// resample (0 when its weights are all 0); the bounds are numpy's linear-interpolation percentiles at
    /// (1 − level)/2 and (1 + level)/2.
    public func bootstrapInterval(
        _ estimator: OffPolicyEstimator, level: Double = 0.95, samples: Int = 10_000, seed: UInt64
    ) throws(OffPolicyError) -> OffPolicyInterval {
        guard level > 0 && level < 1 else { throw OffPolicyError(field: "level", "must be in (0, 1), not \(level)") }
        guard samples >= 2 else { throw OffPolicyError(field: "samples", "must be ≥ 2, not \(samples)") }
        let values = try roundValues(estimator)
        let n = values.count
        var rng = SeededGenerator(seed: seed, stream: "ope-bootstrap")
        var means = [Double](repeating: 0, count: samples)
        let isSNIPS = estimator == .snips
        for b in 0..<samples {
            var sum = 0.0
            var sumW = 0.0
            for _ in 0..<n {
                let i = Int(UInt64(n).multipliedFullWidth(by: rng.next()).high)
                if isSNIPS {
                    sum += rounds[i].reward * weights[i]
                    sumW += weights[i]
                } else {
                    sum += values[i]
                }
            }
            means[b] = isSNIPS ? (sumW > 0 ? sum / sumW : 0) : sum / Double(n)
        }
        means.sort()
        return OffPolicyInterval(
            lower: linearPercentile(sortedValues: means, (1 - level) / 2), upper: linearPercentile(sortedValues: means, (1 + level) / 2))
    }

    /// The diagnostics of the weights and the logged policy's own value.
    public func diagnostics(level: Double = 0.95) -> OffPolicyDiagnostics {
        var sumW = 0.0
        var sumW2 = 0.0
        var maxW = 0.0
        for w in weights {
            sumW += w
            sumW2 += w * w
            maxW = max(maxW, w)
        }
        let rewards = rounds.map(\.reward)
        let logged = arithmeticMean(rewards)
        let half = StandardNormal.quantile(0.5 + level / 2) * meanStandardError(rewards)
        return OffPolicyDiagnostics(
            rounds: rounds.count, effectiveSampleSize: sumW2 > 0 ? sumW * sumW / sumW2 : 0,
            meanImportanceWeight: sumW / Double(weights.count),
            maxImportanceWeight: maxW, loggedValue: logged, loggedInterval: OffPolicyInterval(lower: logged - half, upper: logged + half))
    }
}

/// The arithmetic mean (a plain left-to-right sum; numpy's pairwise sum differs in the last bits only).
func arithmeticMean(_ values: [Double]) -> Double {
    var sum = 0.0
    for v in values { sum += v }
    return sum / Double(values.count)
}

/// The sample standard deviation (n − 1) over √n.
func meanStandardError(_ values: [Double]) -> Double {
    let n = Double(values.count)
    guard values.count > 1 else { return 0 }
    let m = arithmeticMean(values)
    var squares = 0.0
    for v in values { squares += (v - m) * (v - m) }
    return (squares / (n - 1) / n).squareRoot()
}

/// numpy's default ("linear") percentile of sorted values at quantile q in [0, 1].
func linearPercentile(sortedValues v: [Double], _ q: Double) -> Double {
    let h = Double(v.count - 1) * q
    let lo = Int(h.rounded(.down))
    let hi = min(lo + 1, v.count - 1)
    return v[lo] + (h - Double(lo)) * (v[hi] - v[lo])
}
