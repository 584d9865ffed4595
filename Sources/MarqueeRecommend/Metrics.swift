import Foundation

/// Top-N accuracy figures, each the mean over evaluated users (PROTOCOL.md §4.4–4.5).
public struct TopNMetrics: Sendable, Hashable, Codable {
    public var precision: Double
    public var recall: Double
    public var ndcg: Double
    public var hitRate: Double
    public var map: Double
    public var coverage: Double
    public var users: Int

    enum CodingKeys: String, CodingKey {
        case precision = "precision@10"
        case recall = "recall@10"
        case ndcg = "ndcg@10"
        case hitRate = "hitrate@10"
        case map = "map@10"
        case coverage = "coverage@10"
        case users
    }
}

/// Per-user ranking metrics at a cut-off K with binary relevance.
public enum RankingMetrics {
    public struct UserScores: Sendable, Hashable {
        public var precision: Double
        public var recall: Double
        public var ndcg: Double
        public var hit: Double
        public var averagePrecision: Double
    }

    /// The metrics of one ranked list against a non-empty relevant set.
    /// Precision divides by K; recall by |relevant|; IDCG and AP normalise by min(K, |relevant|).
    public static func score(list: [Int], relevant: Set<Int>, k: Int = 10) -> UserScores {
        precondition(!relevant.isEmpty, "a user without relevant items is not evaluated")
        var hits = 0
        var dcg = 0.0
        var apSum = 0.0
        for (position, item) in list.prefix(k).enumerated() where relevant.contains(item) {
            hits += 1
            dcg += 1 / log2(Double(position) + 2)
            apSum += Double(hits) / Double(position + 1)
        }
        let ideal = min(k, relevant.count)
        var idcg = 0.0
        for position in 0..<ideal { idcg += 1 / log2(Double(position) + 2) }
        return UserScores(
            precision: Double(hits) / Double(k), recall: Double(hits) / Double(relevant.count), ndcg: dcg / idcg,
            hit: hits > 0 ? 1 : 0, averagePrecision: apSum / Double(ideal))
    }

    /// Means over users, and catalog coverage of the union of their lists.
    public static func aggregate(lists: [[Int]], relevant: [Set<Int>], catalogSize: Int, k: Int = 10) -> TopNMetrics {
        precondition(lists.count == relevant.count)
        var sum = UserScores(precision: 0, recall: 0, ndcg: 0, hit: 0, averagePrecision: 0)
        var shown = Set<Int>()
        var users = 0
        for (list, rel) in zip(lists, relevant) where !rel.isEmpty {
            let s = score(list: list, relevant: rel, k: k)
            sum.precision += s.precision
            sum.recall += s.recall
            sum.ndcg += s.ndcg
            sum.hit += s.hit
            sum.averagePrecision += s.averagePrecision
            shown.formUnion(list.prefix(k))
            users += 1
        }
        let n = Double(max(users, 1))
        return TopNMetrics(
            precision: sum.precision / n, recall: sum.recall / n, ndcg: sum.ndcg / n, hitRate: sum.hit / n,
            map: sum.averagePrecision / n, coverage: Double(shown.count) / Double(catalogSize), users: users)
    }
}

/// Rating-prediction error, in double precision (PROTOCOL.md §3).
public struct RatingMetrics: Sendable, Hashable, Codable {
    public var rmse: Double
    public var mae: Double

    public init(predictions: [Double], truth: [Double]) {
        precondition(predictions.count == truth.count && !truth.isEmpty)
        var se = 0.0
        var ae = 0.0
        for (p, t) in zip(predictions, truth) {
            se += (p - t) * (p - t)
            ae += abs(p - t)
        }
        rmse = (se / Double(truth.count)).squareRoot()
        mae = ae / Double(truth.count)
    }
}
