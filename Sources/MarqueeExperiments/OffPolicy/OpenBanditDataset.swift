/// The logged bandit feedback of one Open Bandit Dataset file (`obp/dataset/obd/{random,bts}/{all,men,women}/*.csv`),
/// read the way obp 0.5.7's `OpenBanditDataset` reads it: `item_id` is the action, `click` the reward,
/// `propensity_score` the pscore and the positions are dense-ranked from 0 (1, 2, 3 → 0, 1, 2); the number of
/// actions is the largest item id + 1. The user and affinity features are not read (the reward model here uses
/// no context). obp sorts the rows by timestamp; every estimator is a mean over rounds, so the order does not matter.
public struct OpenBanditDataset: Sendable, Hashable {
    public var actions: [Int]
    public var positions: [Int]
    public var rewards: [Double]
    public var propensities: [Double]
    public var actionCount: Int
    public var positionCount: Int

    /// Parses the CSV text (header first; the first column is pandas' index). Errors name the line and column.
    public init(csv text: String) throws(OffPolicyError) {
        var lines = text.split(whereSeparator: \.isNewline).makeIterator()
        guard let header = lines.next() else { throw OffPolicyError(field: "csv", "is empty") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func column(_ name: String) throws(OffPolicyError) -> Int {
            guard let i = names.firstIndex(of: name) else { throw OffPolicyError(field: "csv", "has no column \(name)") }
            return i
        }
        let (item, position, click, pscore) = (
            try column("item_id"), try column("position"), try column("click"), try column("propensity_score")
        )
        var actions: [Int] = []
        var rawPositions: [Int] = []
        var rewards: [Double] = []
        var propensities: [Double] = []
        var lineNumber = 1
        while let line = lines.next() {
            lineNumber += 1
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == names.count else {
                throw OffPolicyError(field: "csv line \(lineNumber)", "has \(cells.count) cells, the header \(names.count)")
            }
            guard let a = Int(cells[item]), a >= 0 else {
                throw OffPolicyError(field: "csv line \(lineNumber).item_id", "is not an item id")
            }
            guard let k = Int(cells[position]) else { throw OffPolicyError(field: "csv line \(lineNumber).position", "is not an integer") }
            guard let r = Double(cells[click]) else { throw OffPolicyError(field: "csv line \(lineNumber).click", "is not a number") }
            guard let p = Double(cells[pscore]) else {
                throw OffPolicyError(field: "csv line \(lineNumber).propensity_score", "is not a number")
            }
            actions.append(a)
            rawPositions.append(k)
            rewards.append(r)
            propensities.append(p)
        }
        guard !actions.isEmpty else { throw OffPolicyError(field: "csv", "has no rows") }
        let ranks = Dictionary(uniqueKeysWithValues: Set(rawPositions).sorted().enumerated().map { ($1, $0) })
        self.actions = actions
        self.positions = rawPositions.map { ranks[$0]! }
        self.rewards = rewards
        self.propensities = propensities
        self.actionCount = actions.max()! + 1
        self.positionCount = ranks.count
    }

    /// The per-(item, position) empirical click rates of this log.
    public func rewardModel() throws(OffPolicyError) -> EmpiricalRewardModel {
        try EmpiricalRewardModel(
            actions: actionCount, positions: positionCount,
            rounds: (0..<actions.count).lazy.map { (action: actions[$0], position: positions[$0], reward: rewards[$0]) })
    }

    /// The rounds for an evaluation policy given per position (`target[position]`, a distribution over the
    /// actions, the same in every round as for obp's context-free policies), with `model`'s estimates attached.
    public func rounds(target: [[Double]], model: EmpiricalRewardModel?) throws(OffPolicyError) -> [LoggedRound] {
        guard target.count == positionCount else {
            throw OffPolicyError(field: "target", "needs one distribution per position (\(positionCount)), not \(target.count)")
        }
        return (0..<actions.count).map { i in
            LoggedRound(
                action: actions[i], position: positions[i], reward: rewards[i], propensity: propensities[i], target: target[positions[i]],
                estimatedRewards: model?.rewards(position: positions[i]))
        }
    }
}
