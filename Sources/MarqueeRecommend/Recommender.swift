/// A trained, immutable model that scores every catalog item for a user of its training set.
public protocol ScoringModel: Sendable {
    var itemCount: Int { get }
    /// Writes one score per item (higher is better) for training user `user` into `scores`.
    func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>)
}

/// Something that trains a `ScoringModel` from interactions, with a typed configuration and a seed.
public protocol Recommender: Sendable {
    /// The name shown in evaluation tables (`most-popular`, `ease`, …).
    var name: String { get }
    /// The hyperparameters, for reports.
    var parameters: [String: String] { get }
    func fit(_ data: TrainingSet) throws -> any ScoringModel
}

/// Items ranked by how many training users interacted with them.
public struct MostPopular: Recommender {
    public init() {}
    public var name: String { "most-popular" }
    public var parameters: [String: String] { ["score": "train interaction count", "ties": "item id ascending"] }

    public struct Model: ScoringModel {
        public let counts: [Float]
        public var itemCount: Int { counts.count }
        public func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
            _ = scores.initialize(from: counts)
        }
    }

    public func fit(_ data: TrainingSet) -> any ScoringModel {
        Model(counts: data.itemCounts().map(Float.init))
    }
}

/// Selecting the K best items with the protocol's tie rule.
public enum Ranking {
    /// The `k` highest-scoring indices not excluded, by descending score; equal scores go to the
    /// smaller index. `excluded[i]` marks items the user already has.
    public static func topK(_ scores: UnsafeBufferPointer<Float>, k: Int, excluded: [Bool]) -> [Int] {
        var best: [(score: Float, index: Int)] = []
        best.reserveCapacity(k + 1)
        for i in 0..<scores.count where !excluded[i] {
            let s = scores[i]
            if best.count == k {
                let worst = best[k - 1]
                // Strictly better only: an equal score with a larger index loses the tie.
                if !(s > worst.score) { continue }
            }
            var position = best.count
            while position > 0 && s > best[position - 1].score { position -= 1 }
            best.insert((s, i), at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.index)
    }
}
