/// The simplest reward model for the direct method and doubly robust estimators: the mean logged reward of each
/// (action, position), and the mean reward of the whole log for a pair the log never shows.
///
/// It ignores the context, so DM is as good as the log's per-slot click rates; DR stays unbiased whatever the
/// model (its correction term uses the propensities). Deterministic: the same log gives the same table, and
/// scripts/obp-fixtures.py computes the same table with numpy for the obp fixtures.
public struct EmpiricalRewardModel: Sendable, Hashable {
    public let actions: Int
    public let positions: Int
    /// The fallback for pairs without rounds: the mean reward over the log.
    public let overallMean: Double
    /// `table[position][action]`.
    public let table: [[Double]]

    /// Fits the table from logged (action, position, reward) triples; actions in 0..<actions and positions in
    /// 0..<positions (an error names the field otherwise).
    public init(
        actions: Int, positions: Int = 1, rounds: some Sequence<(action: Int, position: Int, reward: Double)>
    ) throws(OffPolicyError) {
        guard actions > 0 else { throw OffPolicyError(field: "actions", "must be ≥ 1, not \(actions)") }
        guard positions > 0 else { throw OffPolicyError(field: "positions", "must be ≥ 1, not \(positions)") }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: actions), count: positions)
        var counts = [[Int]](repeating: [Int](repeating: 0, count: actions), count: positions)
        var total = 0.0
        var n = 0
        for (i, r) in rounds.enumerated() {
            guard r.action >= 0 && r.action < actions else {
                throw OffPolicyError(field: "rounds[\(i)].action", "must be in 0..<\(actions)")
            }
            guard r.position >= 0 && r.position < positions else {
                throw OffPolicyError(field: "rounds[\(i)].position", "must be in 0..<\(positions)")
            }
            sums[r.position][r.action] += r.reward
            counts[r.position][r.action] += 1
            total += r.reward
            n += 1
        }
        guard n > 0 else { throw OffPolicyError(field: "rounds", "the log is empty") }
        let overall = total / Double(n)
        self.actions = actions
        self.positions = positions
        self.overallMean = overall
        self.table = (0..<positions).map { k in
            (0..<actions).map { a in counts[k][a] > 0 ? sums[k][a] / Double(counts[k][a]) : overall }
        }
    }

    /// q̂(·, position): one estimate per action.
    public func rewards(position: Int) -> [Double] { table[position] }
}
