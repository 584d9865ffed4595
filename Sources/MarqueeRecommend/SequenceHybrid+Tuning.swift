/// Choosing the hybrid's blend weights on the validation split (PROTOCOL.md §7), never on a test split.
extension SequenceHybrid {
    public struct BlendTuning: Sendable {
        public var weightRecentEASE: Float
        public var weightEASE: Float
        /// Validation NDCG@10 (all, ge4) of the chosen weights.
        public var validationNDCG: (all: Double, ge4: Double)
        /// Every weight pair tried, with its objective (validation NDCG all + ge4).
        public var trials: [(recentEASE: Float, ease: Float, objective: Double)]
    }

    /// The grid each weight is searched over.
    public static let blendGrid: [Float] = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1]

    /// Splits `data`'s rows again by the protocol rule (the last 20% of each user's rows validate),
    /// fits the three components on the rest, and picks the EASE-recency and EASE weights (SLIT
    /// fixed at 1) by two rounds of coordinate search on validation NDCG@10 (all + ge4).
    public func tuneBlendWeights(_ data: TrainingSet) throws -> BlendTuning {
        let split = TemporalSplit.split(data.rows())
        let sub = TrainingSet(rows: split.train, catalog: data.itemIDs, extraUsers: data.userIDs)
        let components = try [SequenceHybrid.slit(configuration), .recentEASE(configuration), .ease(configuration)].map {
            try $0.fitSnapshot(sub)
        }
        let n = components[0].active.count
        let active = components[0].active
        var userIndex: [Int: Int] = [:]
        for (k, id) in sub.userIDs.enumerated() { userIndex[id] = k }
        var itemIndex: [Int: Int] = [:]
        for (k, id) in sub.itemIDs.enumerated() { itemIndex[id] = k }
        // Validation targets per user, as full-catalog indices.
        var relevantAll: [Int: Set<Int>] = [:]
        var relevantGood: [Int: Set<Int>] = [:]
        for r in split.test {
            guard let u = userIndex[r.user], let i = itemIndex[r.item] else { continue }
            relevantAll[u, default: []].insert(i)
            if r.rating >= 4 { relevantGood[u, default: []].insert(i) }
        }
        let users = relevantAll.keys.sorted()
        let compact = components[0].compact
        func objective(_ w1: Float, _ w2: Float) -> (Double, Double) {
            var lists: [[Int]] = []
            lists.reserveCapacity(users.count)
            var blended = [Float](repeating: 0, count: n)
            var excluded = [Bool](repeating: false, count: n)
            for u in users {
                let base = u * n
                for i in 0..<n {
                    blended[i] =
                        components[0].userScores[base + i] + w1 * components[1].userScores[base + i]
                        + w2 * components[2].userScores[base + i]
                }
                for p in sub.history(u) where compact[Int(sub.items[p])] >= 0 { excluded[Int(compact[Int(sub.items[p])])] = true }
                let top = blended.withUnsafeBufferPointer { Ranking.topK($0, k: 10, excluded: excluded) }
                lists.append(top.map { Int(active[$0]) })
                for p in sub.history(u) where compact[Int(sub.items[p])] >= 0 { excluded[Int(compact[Int(sub.items[p])])] = false }
            }
            let all = RankingMetrics.aggregate(lists: lists, relevant: users.map { relevantAll[$0]! }, catalogSize: sub.itemCount)
            let good = RankingMetrics.aggregate(lists: lists, relevant: users.map { relevantGood[$0] ?? [] }, catalogSize: sub.itemCount)
            return (all.ndcg, good.ndcg)
        }
        var w1: Float = 0
        var w2: Float = 0
        var trials: [(recentEASE: Float, ease: Float, objective: Double)] = []
        var cache: [String: (Double, Double)] = [:]
        func score(_ a: Float, _ b: Float) -> Double {
            let key = "\(a)/\(b)"
            let value = cache[key] ?? objective(a, b)
            if cache[key] == nil {
                cache[key] = value
                trials.append((a, b, value.0 + value.1))
            }
            return value.0 + value.1
        }
        for _ in 0..<2 {
            w1 = Self.blendGrid.max { score($0, w2) < score($1, w2) || (score($0, w2) == score($1, w2) && $0 > $1) }!
            w2 = Self.blendGrid.max { score(w1, $0) < score(w1, $1) || (score(w1, $0) == score(w1, $1) && $0 > $1) }!
        }
        let best = cache["\(w1)/\(w2)"]!
        return BlendTuning(weightRecentEASE: w1, weightEASE: w2, validationNDCG: best, trials: trials)
    }
}

/// The served hybrid with its blend weights chosen anew on the validation split of whatever it is
/// trained on (for datasets other than the one the defaults were chosen on).
public struct SelfTunedSequenceHybrid: Recommender {
    public var configuration: SequenceHybridConfiguration

    public init(_ configuration: SequenceHybridConfiguration = SequenceHybridConfiguration()) {
        self.configuration = configuration
    }

    public var name: String { "sequence-hybrid" }

    public var parameters: [String: String] {
        var p = SequenceHybrid(configuration).parameters
        p["weights"] = "ease-recency and ease weights chosen on the validation split of the training rows (SLIT 1)"
        return p
    }

    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        let tuning = try SequenceHybrid(configuration).tuneBlendWeights(data)
        var c = configuration
        c.weightRecentEASE = tuning.weightRecentEASE
        c.weightEASE = tuning.weightEASE
        return try SequenceHybrid(c).fit(data)
    }
}
