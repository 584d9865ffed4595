import Foundation

/// One round of a decision log, in the terms of off-policy evaluation (Open Bandit Pipeline's `bandit_feedback`).
///
/// The round's action was chosen by the logging policy with probability `propensity`; `target` is the evaluation
/// policy's distribution over the same actions in the same context and at the same position (obp's
/// `action_dist[i, :, position[i]]`), and `estimatedRewards` a reward model's estimate for every action there
/// (obp's `estimated_rewards_by_reg_model[i, :, position[i]]`), needed only by the direct method and the doubly
/// robust estimators. Arrays shared by many rounds (a context-free policy) are stored once, by copy-on-write.
public struct LoggedRound: Sendable, Hashable {
    /// The logged action's index into `target` and `estimatedRewards`.
    public var action: Int
    /// The slot the action was shown in (obp's `position`, 0-based); 0 when the log has one position.
    public var position: Int
    public var reward: Double
    /// The logging policy's probability of the logged action (obp's `pscore`), in (0, 1].
    public var propensity: Double
    /// The evaluation policy's probability of every action at this round (sums to 1).
    public var target: [Double]
    /// The reward model's estimate for every action at this round; nil when no model is used.
    public var estimatedRewards: [Double]?

    public init(action: Int, position: Int = 0, reward: Double, propensity: Double, target: [Double], estimatedRewards: [Double]? = nil) {
        self.action = action
        self.position = position
        self.reward = reward
        self.propensity = propensity
        self.target = target
        self.estimatedRewards = estimatedRewards
    }

    /// The importance weight π_e(a_i) / π_b(a_i).
    @inlinable public var weight: Double { target[action] / propensity }
}

/// Why an off-policy evaluation refuses its input: the field at fault and what is wrong with it.
public struct OffPolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input at fault, as `rounds[12].propensity` or `estimatedRewards`.
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// Tolerance on Σ π_e = 1 (obp's `np.allclose(action_dist.sum(axis=1), 1)` allows about 1e-5).
let distributionTolerance = 1e-6

extension LoggedRound {
    /// Rounds from parallel arrays, as obp takes them; lengths must agree (the error names the array that does not).
    public static func rounds(
        actions: [Int], positions: [Int]? = nil, rewards: [Double], propensities: [Double], targets: [[Double]],
        estimatedRewards: [[Double]]? = nil
    ) throws(OffPolicyError) -> [LoggedRound] {
        let n = actions.count
        func check(_ count: Int, _ field: String) throws(OffPolicyError) {
            guard count == n else { throw OffPolicyError(field: field, "has \(count) entries but actions has \(n)") }
        }
        if let positions { try check(positions.count, "positions") }
        try check(rewards.count, "rewards")
        try check(propensities.count, "propensities")
        try check(targets.count, "targets")
        if let estimatedRewards { try check(estimatedRewards.count, "estimatedRewards") }
        return (0..<n).map { i in
            LoggedRound(
                action: actions[i], position: positions?[i] ?? 0, reward: rewards[i], propensity: propensities[i], target: targets[i],
                estimatedRewards: estimatedRewards?[i])
        }
    }

    /// Checks one round; `index` names it in the error.
    func validate(index i: Int, needsModel: Bool) throws(OffPolicyError) {
        let field = "rounds[\(i)]"
        guard !target.isEmpty else { throw OffPolicyError(field: "\(field).target", "needs one probability per action") }
        guard action >= 0 && action < target.count else {
            throw OffPolicyError(field: "\(field).action", "must be in 0..<\(target.count) (the number of actions), not \(action)")
        }
        guard position >= 0 else { throw OffPolicyError(field: "\(field).position", "must be ≥ 0, not \(position)") }
        guard reward.isFinite else { throw OffPolicyError(field: "\(field).reward", "must be a finite number") }
        guard propensity > 0 && propensity <= 1 else {
            throw OffPolicyError(field: "\(field).propensity", "must be in (0, 1], not \(propensity)")
        }
        var sum = 0.0
        for p in target {
            guard p.isFinite && p >= 0 else { throw OffPolicyError(field: "\(field).target", "probabilities must be finite and ≥ 0") }
            sum += p
        }
        guard abs(sum - 1) <= distributionTolerance else {
            throw OffPolicyError(field: "\(field).target", "must sum to 1 (it sums to \(sum))")
        }
        if let q = estimatedRewards {
            guard q.count == target.count else {
                throw OffPolicyError(field: "\(field).estimatedRewards", "has \(q.count) entries but target has \(target.count)")
            }
            guard q.allSatisfy(\.isFinite) else { throw OffPolicyError(field: "\(field).estimatedRewards", "must be finite numbers") }
        } else if needsModel {
            throw OffPolicyError(field: "\(field).estimatedRewards", "the direct method and doubly robust estimators need a reward model")
        }
    }
}
