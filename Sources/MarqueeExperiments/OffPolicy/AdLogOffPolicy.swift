import MarqueeCore

/// A candidate ad policy for `marquee ope --log ads`, over one slot's choice among the feasible ads of the best
/// ad's tier (where the serving policy explores).
public enum AdTargetPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The top-scored feasible ad, always (no exploration).
    case greedy
    /// Uniformly among the tier's feasible ads (the alternatives exploration draws from, and the best one).
    case uniform
    /// The serving policy with exploration share `x`: the best ad with 1 − x + x/K, each of the K feasible ads of
    /// the tier with x/K. `explore(0)` is `greedy` and `explore(1)` is `uniform`.
    case explore(Double)

    /// Parses `greedy`, `uniform` or `explore=X` with X in [0, 1].
    public init(parsing text: String) throws(OffPolicyError) {
        switch text {
        case "greedy": self = .greedy
        case "uniform": self = .uniform
        default:
            guard text.hasPrefix("explore="), let x = Double(text.dropFirst("explore=".count)), x >= 0 && x <= 1 else {
                throw OffPolicyError(field: "policy", "for the ad log must be greedy, uniform or explore=X with X in [0, 1], not '\(text)'")
            }
            self = .explore(x)
        }
    }

    /// Why `text` is not a policy, or nil when it is one.
    public static func problem(parsing text: String) -> String? {
        do {
            _ = try AdTargetPolicy(parsing: text)
            return nil
        } catch {
            return error.message
        }
    }

    public var description: String {
        switch self {
        case .greedy: "greedy"
        case .uniform: "uniform"
        case .explore(let x): "explore=\(x)"
        }
    }

    /// The exploration share this policy amounts to.
    public var share: Double {
        switch self {
        case .greedy: 0
        case .uniform: 1
        case .explore(let x): x
        }
    }

    /// The distribution over a slot's K choices, the best first.
    public func distribution(choices k: Int) -> [Double] {
        guard k > 1 else { return [1] }
        let x = share
        return [1 - x + x / Double(k)] + Array(repeating: x / Double(k), count: k - 1)
    }
}

/// One shown ad slot of the ad decision log as a bandit round: how many ads the slot chose among, whether the
/// logged ad was the best one, its propensity and whether it was clicked.
public struct AdSlotChoice: Sendable, Hashable {
    public var slot: Int
    /// K: the feasible ads of the best ad's tier when the slot was filled (1 when there was no choice).
    public var choices: Int
    public var best: Bool
    public var propensity: Double
    public var clicked: Bool
}

/// Off-policy evaluation over the ad decision log.
///
/// The serving engine fills each slot with the best feasible ad, except that with probability ε (the exploration
/// share) it draws uniformly among the K feasible ads of the best ad's tier; the log keeps only the chosen ad, its
/// propensity (1 − ε + ε/K for the best ad, ε/K for another) and whether it was explored. So for a known ε the log
/// gives back K and which choice was made, and every candidate policy that, like the serving one, only chooses
/// between "the best ad" and "one of the other K − 1" has a computable probability for the logged ad: that is
/// what the estimators need. The alternatives themselves are not logged, so a candidate that ranks ads
/// differently (another CTR model) is beyond this log. Each slot is a round at its position (slot); a pod's later
/// slots depend on its earlier choices, which this per-slot view, like obp's on the Open Bandit Dataset, ignores.
/// Only slots with an impression are rounds (a pod abandoned before an ad plays has no outcome); the reward is a click.
public enum AdLogOffPolicy {
    /// Reconstructs each shown slot's choice from `records`, given the serving exploration share and whether a
    /// slot (decision, slot) was shown and clicked. A slot whose propensity fits no K for this ε is skipped
    /// (counted in `skipped`), as is a slot with a propensity outside (0, 1].
    public static func choices(
        _ records: [AdDecisionRecord], loggedExploration epsilon: Double, outcome: (DecisionID, Int) -> (shown: Bool, clicked: Bool)
    ) -> (choices: [AdSlotChoice], skipped: Int) {
        var out: [AdSlotChoice] = []
        var skipped = 0
        for record in records {
            for ad in record.ads {
                let o = outcome(record.decisionID, ad.slot)
                guard o.shown else { continue }
                guard let k = choiceCount(propensity: ad.propensity, explored: ad.explored, epsilon: epsilon) else {
                    skipped += 1
                    continue
                }
                out.append(AdSlotChoice(slot: ad.slot, choices: k, best: !ad.explored, propensity: ad.propensity, clicked: o.clicked))
            }
        }
        return (out, skipped)
    }

    /// K from a logged propensity: 1 when the propensity is 1; else ε/p for an explored ad and ε/(p − 1 + ε) for
    /// the best one, when that is an integer ≥ 2 (to 1e-6) — nil otherwise.
    public static func choiceCount(propensity p: Double, explored: Bool, epsilon: Double) -> Int? {
        guard p > 0 && p <= 1 && epsilon > 0 && epsilon <= 1 else { return p == 1 && !explored ? 1 : nil }
        if p == 1 && !explored { return 1 }
        let share = explored ? p : p - (1 - epsilon)
        guard share > 0 else { return nil }
        let k = (epsilon / share).rounded()
        guard k >= 2 && k < 1e6, abs(epsilon / k - share) <= 1e-6 * share else { return nil }
        return Int(k)
    }

    /// The reward model: the click rate per (best or not, slot), the log's rate where a pair is unseen.
    public static func rewardModel(_ choices: [AdSlotChoice]) throws(OffPolicyError) -> EmpiricalRewardModel {
        let positions = (choices.map(\.slot).max() ?? 0) + 1
        return try EmpiricalRewardModel(
            actions: 2, positions: positions,
            rounds: choices.lazy.map { (action: $0.best ? 0 : 1, position: $0.slot, reward: $0.clicked ? 1.0 : 0.0) })
    }

    /// The rounds for `target`: the slot's K choices with the best first, the logged one 0 (best) or 1 (another:
    /// the others are exchangeable for every policy here), and the model's two rates spread over the K.
    public static func rounds(_ choices: [AdSlotChoice], target: AdTargetPolicy, model: EmpiricalRewardModel?) -> [LoggedRound] {
        choices.map { c in
            let q = model.map { m -> [Double] in
                let rates = m.rewards(position: c.slot)
                return [rates[0]] + Array(repeating: rates[1], count: c.choices - 1)
            }
            return LoggedRound(
                action: c.best ? 0 : 1, position: c.slot, reward: c.clicked ? 1 : 0, propensity: c.propensity,
                target: target.distribution(choices: c.choices), estimatedRewards: q)
        }
    }
}
