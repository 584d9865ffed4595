import MarqueeKernels

/// Hyperparameters of item-based k-nearest-neighbours (cosine with shrinkage on the binary matrix).
public struct ItemKNNConfiguration: Sendable, Hashable, Codable {
    /// How many most similar items each item keeps (20 beat 50, 100 and 200 on the validation split).
    public var neighbours = 20
    /// Added to the cosine's denominator, damping similarities resting on few common users (0 beat 10
    /// and 50 on the validation split).
    public var shrinkage: Float = 0
    /// Position decay of the history: the item `age` positions before the most recent one (age 0)
    /// weighs exp(−age/τ). τ = 0 or infinity gives every history item weight 1.
    public var recencyTau: Float = 20
    /// The model is deterministic; the seed is kept for the common model interface.
    public var seed: UInt64 = 0

    public init() {}
}

/// Item-based collaborative filtering: an unseen item scores the recency-weighted sum of its
/// similarities to the items in the user's history.
///
/// sim(i, j) = c_ij / (√(c_i·c_j) + shrinkage), with c_ij the number of users who have both i and j
/// and c_i the number who have i; each item keeps its `neighbours` most similar items (ties to the
/// smaller index), and score(u, j) = Σ_{i in history(u)} w_age(i)·sim(i, j). Fitting precomputes
/// every training user's scores, so serving is a copy.
public struct ItemKNN: Recommender {
    public var configuration: ItemKNNConfiguration

    public init(_ configuration: ItemKNNConfiguration = ItemKNNConfiguration()) {
        self.configuration = configuration
    }

    public var name: String { "item-knn" }

    public var parameters: [String: String] {
        let c = configuration
        return [
            "neighbours": String(c.neighbours), "shrinkage": String(c.shrinkage), "recencyTau": String(c.recencyTau),
            "similarity": "cosine on the binary matrix",
        ]
    }

    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        fitSnapshot(data)
    }

    /// Weight of the history item `age` positions before the most recent one, for `count` ages.
    static func recencyWeights(tau: Float, count: Int) -> [Float] {
        guard tau > 0, tau.isFinite else { return [Float](repeating: 1, count: max(count, 0)) }
        return decayTable(tau: tau, count: count)
    }

    /// The kept neighbours of every item: `index[i * k + r]` is item i's r-th best neighbour (−1 past the
    /// end of its list) and `similarity` the matching similarity.
    static func neighbourLists(
        _ data: TrainingSet, neighbours: Int, shrinkage: Float
    ) -> (
        k: Int, index: [Int32], similarity: [Float]
    ) {
        let n = data.itemCount
        let k = max(0, min(neighbours, n - 1))
        var index = [Int32](repeating: -1, count: n * k)
        var similarity = [Float](repeating: 0, count: n * k)
        guard k > 0 else { return (k, index, similarity) }
        let gram = Kernels.sparseGram(rowPointers: data.offsets, columnIndices: data.items, columns: n)
        gram.withUnsafeBufferPointer { g in
            let norms = (0..<n).map { g[$0 * n + $0].squareRoot() }
            index.withUnsafeMutableBufferPointer { outIndex in
                similarity.withUnsafeMutableBufferPointer { outSimilarity in
                    parallelChunks(workerCount) { chunk in
                        var row = [Float](repeating: 0, count: n)
                        for i in chunkRange(chunk, of: workerCount, total: n) where norms[i] > 0 {
                            for j in 0..<n {
                                let c = g[i * n + j]
                                row[j] = c > 0 ? c / (norms[i] * norms[j] + shrinkage) : 0
                            }
                            row[i] = 0
                            let best = row.withUnsafeBufferPointer { TopK.select(scores: $0, k: k) }
                            var r = 0
                            for entry in best where entry.score > 0 {
                                outIndex[i * k + r] = entry.index
                                outSimilarity[i * k + r] = entry.score
                                r += 1
                            }
                        }
                    }
                }
            }
        }
        return (k, index, similarity)
    }

    /// Fits and returns the concrete model (with `similar(to:count:)` for "More like this").
    public func fitSnapshot(_ data: TrainingSet) -> ItemKNNModel {
        let c = configuration
        let n = data.itemCount
        let lists = Self.neighbourLists(data, neighbours: c.neighbours, shrinkage: c.shrinkage)
        let k = lists.k
        let longest = (0..<data.userCount).map { data.history($0).count }.max() ?? 0
        let weights = Self.recencyWeights(tau: c.recencyTau, count: max(1, longest))
        let popularity = data.itemCounts().map(Float.init)
        var scores = [Float](repeating: 0, count: data.userCount * n)
        scores.withUnsafeMutableBufferPointer { out in
            lists.index.withUnsafeBufferPointer { neighbourIndex in
                lists.similarity.withUnsafeBufferPointer { neighbourSimilarity in
                    parallelChunks(workerCount) { chunk in
                        for u in chunkRange(chunk, of: workerCount, total: data.userCount) {
                            let history = data.history(u)
                            let row = u * n
                            if history.isEmpty {
                                // Nothing to be similar to: popularity.
                                for j in 0..<n { out[row + j] = popularity[j] }
                                continue
                            }
                            for p in history {
                                let w = weights[history.upperBound - 1 - p]
                                let base = Int(data.items[p]) * k
                                for r in 0..<k {
                                    let j = neighbourIndex[base + r]
                                    if j < 0 { break }
                                    out[row + Int(j)] += w * neighbourSimilarity[base + r]
                                }
                            }
                        }
                    }
                }
            }
        }
        return ItemKNNModel(
            itemCount: n, neighbourCount: k, neighbourIndex: lists.index, neighbourSimilarity: lists.similarity, userScores: scores)
    }
}

/// A fitted item-KNN model: every training user's scores and each item's kept neighbours.
public struct ItemKNNModel: ScoringModel {
    public let itemCount: Int
    /// Length of each item's neighbour list.
    let neighbourCount: Int
    let neighbourIndex: [Int32]
    let neighbourSimilarity: [Float]
    let userScores: [Float]

    public func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        let n = itemCount
        userScores.withUnsafeBufferPointer { all in
            _ = scores.update(fromContentsOf: UnsafeBufferPointer(rebasing: all[(user * n)..<((user + 1) * n)]))
        }
    }

    /// The similarity of `other` to `item` as the model uses it (0 when `other` is not among `item`'s neighbours).
    public func similarity(_ item: Int, _ other: Int) -> Float {
        let base = item * neighbourCount
        for r in 0..<neighbourCount where neighbourIndex[base + r] == Int32(other) { return neighbourSimilarity[base + r] }
        return 0
    }

    /// Up to `count` items most similar to `item`, best first (only items sharing users with it).
    public func similar(to item: Int, count: Int) -> [Int] {
        guard item >= 0, item < itemCount, count > 0 else { return [] }
        let base = item * neighbourCount
        var result: [Int] = []
        for r in 0..<min(count, neighbourCount) {
            let j = neighbourIndex[base + r]
            if j < 0 { break }
            result.append(Int(j))
        }
        return result
    }
}
