import MarqueeKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hyperparameters of the explicit-rating blend (research report §3, "Rating model (Task A)").
///
/// Everything except the blend weights was chosen on the validation split of PROTOCOL.md §7. The
/// blend weights default to the least-squares fit on validation residuals that the research
/// prototype found; `RatingBlend.tuned(on:)` re-derives them from the training rows instead.
public struct RatingBlendConfiguration: Sendable, Hashable, Codable {
    /// Alternating sweeps of the bias baseline (item biases first in each sweep), starting from zero.
    public var baselineSweeps = 10
    /// Shrinkage of the item bias: b_i = Σ(r − μ − b_u) / (itemBiasRegularization + n_i).
    public var itemBiasRegularization = 2.0
    /// Shrinkage of the recency-weighted user bias: b_u = Σw(r − μ − b_i) / (userBiasRegularization + Σw).
    public var userBiasRegularization = 2.0
    /// Position decay of a user's rows in the user bias and the user scale: w = exp(−p/τ), p = 0 for the last row.
    public var recencyTau = 20.0
    /// Shrinkage of the per-user scale on the item bias towards 1.
    public var userScaleRegularization = 3.0
    /// Latent factors of the ALS matrix factorisation on the baseline residuals.
    public var factors = 10
    /// Ridge weight of every ALS least-squares solve: (Σ q qᵀ + λI) p = Σ e q.
    public var factorLambda = 10.0
    /// ALS iterations, each solving all users and then all items.
    public var alsIterations = 8
    /// Standard deviation of the Gaussian initial factors.
    public var initialFactorScale = 0.1
    /// One independent factorisation per seed; their predictions are averaged.
    public var factorSeeds: [UInt64] = [0, 1, 2, 3, 4]
    /// At most this many most-similar rated items take part in an item-kNN prediction.
    public var neighbours = 60
    /// Similarity shrinkage: sim · n_ij / (n_ij + shrink), n_ij = users who rated both items.
    public var similarityShrink = 200.0
    /// Floor of a neighbour's recency factor: its weight is sim · (offset + exp(−p/neighbourRecencyTau)),
    /// p the neighbour's position from the end of the user's history.
    public var neighbourRecencyOffset = 0.1
    /// Position decay of a neighbour's recency factor.
    public var neighbourRecencyTau = 30.0
    /// L2 weight of the EASE model behind the implicit-feedback feature.
    public var implicitEASELambda: Float = 300
    /// Weight of the factor component. The four blend weights default to the research prototype's least-squares
    /// fit of validation residuals r − base (PROTOCOL.md §7); `RatingBlend.tuned(on:)` refits them.
    public var weightFactors = 0.77847331
    /// Weight of the item-kNN component.
    public var weightNeighbours = 0.31809042
    /// Weight of the z-scored implicit EASE score.
    public var weightImplicit = 0.03197031
    /// Constant added to every prediction before clipping.
    public var intercept = -0.11491804
    /// Lower end of the rating scale; predictions are clipped to it.
    public var minimumRating = 1.0
    /// Upper end of the rating scale; predictions are clipped to it.
    public var maximumRating = 5.0

    public init() {}
}

/// Recency-weighted bias baseline with a per-user scale on the item bias, plus ALS factors and
/// item-kNN on its residuals and a z-scored EASE implicit score, blended linearly.
///
/// r̂ = clip(base + w_mf·mf + w_knn·knn + w_f·f + c), base = μ + b_u + s_u·b_i. The default blend weights
/// are the ones the research prototype fitted on validation (`RatingBlendConfiguration`);
/// `tuned(on:)` derives them from a training set's own validation split. Fitting is deterministic.
public struct RatingBlend: RatingRecommender {
    public var configuration: RatingBlendConfiguration

    /// The recipe with `configuration` (by default the research hyperparameters and blend weights).
    public init(_ configuration: RatingBlendConfiguration = RatingBlendConfiguration()) {
        self.configuration = configuration
    }

    public var name: String { "rating-blend" }

    public var parameters: [String: String] {
        let c = configuration
        return [
            "baseline": "sweeps \(c.baselineSweeps), item reg \(c.itemBiasRegularization), user reg \(c.userBiasRegularization), "
                + "recency tau \(c.recencyTau), scale reg \(c.userScaleRegularization)",
            "factors": "k \(c.factors), lambda \(c.factorLambda), iterations \(c.alsIterations), init sd \(c.initialFactorScale), "
                + "seeds \(c.factorSeeds.map(String.init).joined(separator: " "))",
            "neighbours":
                "k \(c.neighbours), shrink \(c.similarityShrink), recency \(c.neighbourRecencyOffset) + exp(-p/\(c.neighbourRecencyTau))",
            "implicitEASELambda": String(c.implicitEASELambda),
            "weights": "mf \(c.weightFactors), knn \(c.weightNeighbours), implicit \(c.weightImplicit), intercept \(c.intercept)",
        ]
    }

    /// Fits the baseline, the factors, the residual similarities and the implicit scores on `data`.
    public func fitRatings(_ data: TrainingSet) throws -> any RatingModel {
        try fitModel(data)
    }

    /// Fits and returns the concrete model (which also exposes the separate components).
    public func fitModel(_ data: TrainingSet) throws -> RatingBlendModel {
        let c = configuration
        let baseline = RatingBaseline(data, c)
        let residuals = baseline.residuals(data)
        let factors = try RatingFactors(data, residuals: residuals, c)
        let seqs = ReducedSequences(data, minCount: 1)
        let similarity = residualSimilarity(seqs, residuals: residuals, shrink: Float(c.similarityShrink))
        let implicit = try implicitScores(data, seqs, lambda: c.implicitEASELambda)
        var recency = [Float](repeating: 0, count: data.interactionCount)
        for u in 0..<data.userCount {
            let h = data.history(u)
            for p in h { recency[p] = Float(c.neighbourRecencyOffset + exp(-Double(h.upperBound - 1 - p) / c.neighbourRecencyTau)) }
        }
        return RatingBlendModel(
            configuration: c, itemCount: data.itemCount, baseline: baseline, factors: factors, offsets: data.offsets,
            historyItems: seqs.items, historyResiduals: residuals.map { Float($0) }, historyRecency: recency,
            compact: seqs.compact, similarity: similarity, implicit: implicit)
    }

    /// The recipe with its blend weights re-derived from `trainRows` alone (PROTOCOL.md §7).
    ///
    /// `TemporalSplit.split(trainRows)` gives sub-train and validation rows; the model is fitted on
    /// sub-train and the weights (w_mf, w_knn, w_f, c) are the least-squares fit of the validation
    /// residuals r − base on the components. `catalog` (item ids) defaults to the items of `trainRows`;
    /// the other hyperparameters are taken from `configuration`.
    public static func tuned(
        on trainRows: [RatingRow], catalog: [Int]? = nil, _ configuration: RatingBlendConfiguration = RatingBlendConfiguration()
    ) throws -> RatingBlend {
        let split = TemporalSplit.split(trainRows)
        let data = TrainingSet(
            rows: split.train, catalog: catalog ?? trainRows.map(\.item), extraUsers: split.test.map(\.user))
        let model = try RatingBlend(configuration).fitModel(data)
        var userIndex: [Int: Int] = [:]
        for (k, id) in data.userIDs.enumerated() { userIndex[id] = k }
        var itemIndex: [Int: Int] = [:]
        for (k, id) in data.itemIDs.enumerated() { itemIndex[id] = k }
        // Normal equations of min ‖A w − (r − base)‖², A = [mf, knn, f, 1].
        var gram = DoubleMatrix(rows: 4, cols: 4)
        var rhs = [Double](repeating: 0, count: 4)
        for row in split.test {
            let parts = model.components(user: userIndex[row.user]!, item: itemIndex[row.item]!)
            let x = [parts.factors, parts.neighbours, parts.implicit, 1]
            let target = Double(row.rating) - parts.baseline
            for a in 0..<4 {
                rhs[a] += x[a] * target
                for b in 0...a { gram[a, b] += x[a] * x[b] }
            }
        }
        for a in 0..<4 {
            for b in 0..<a { gram[b, a] = gram[a, b] }
        }
        let w = try Kernels.solveSPD(gram, rhs)
        var tuned = configuration
        tuned.weightFactors = w[0]
        tuned.weightNeighbours = w[1]
        tuned.weightImplicit = w[2]
        tuned.intercept = w[3]
        return RatingBlend(tuned)
    }
}

/// The unblended parts of one rating prediction.
public struct RatingBlendComponents: Sendable, Equatable {
    /// μ + b_u + s_u·b_i.
    public var baseline: Double
    /// Seed-averaged ALS prediction of the residual.
    public var factors: Double
    /// Recency-weighted item-kNN average of the user's residuals on similar items.
    public var neighbours: Double
    /// The user's EASE score for the item, z-scored over the user's candidate items.
    public var implicit: Double
}

/// A fitted rating blend: the baseline's biases, the seed-concatenated factors, the residual item
/// similarities with every user's rated rows, and every user's z-scored implicit scores.
///
/// Users without training rows get b_u = 0, s_u = 1 and zero factor, neighbour and implicit parts;
/// items without training rows get b_i = 0 and zero factor and neighbour parts.
public struct RatingBlendModel: RatingModel {
    public let configuration: RatingBlendConfiguration
    let itemCount: Int
    let baseline: RatingBaseline
    let factors: RatingFactors
    /// Training histories (CSR as in `TrainingSet`): active item index, residual and neighbour recency weight of each row.
    let offsets: [Int]
    let historyItems: [Int32]
    let historyResiduals: [Float]
    let historyRecency: [Float]
    /// Active index of each catalog item (−1 when it has no training rating).
    let compact: [Int32]
    /// Residual item-item similarity over the active items (symmetric, zero diagonal).
    let similarity: Matrix
    /// z-scored implicit scores, `userCount × itemCount`.
    let implicit: [Float]

    /// clip(base + w_mf·mf + w_knn·knn + w_f·f + c) for dense `user` and `item`.
    public func predict(user: Int, item: Int) -> Double {
        let c = configuration
        let p = components(user: user, item: item)
        let r = p.baseline + c.weightFactors * p.factors + c.weightNeighbours * p.neighbours + c.weightImplicit * p.implicit + c.intercept
        return min(max(r, c.minimumRating), c.maximumRating)
    }

    /// The baseline, factor, neighbour and implicit parts of the prediction for (user, item).
    public func components(user: Int, item: Int) -> RatingBlendComponents {
        RatingBlendComponents(
            baseline: baseline.predict(user: user, item: item), factors: factors.predict(user: user, item: item),
            neighbours: neighbourPrediction(user: user, item: item), implicit: Double(implicit[user * itemCount + item]))
    }

    /// Σ a_j e_uj / Σ a_j over the `neighbours` rated items j most similar to `item` (similarity > 0 only),
    /// a_j = sim_ij · recency_j; 0 when there is none.
    func neighbourPrediction(user: Int, item: Int) -> Double {
        let ci = Int(compact[item])
        let history = offsets[user]..<offsets[user + 1]
        guard ci >= 0, !history.isEmpty else { return 0 }
        let n = similarity.cols
        var candidates: [(similarity: Float, position: Int)] = []
        similarity.withUnsafeBufferPointer { s in
            historyItems.withUnsafeBufferPointer { items in
                let row = ci * n
                for p in history {
                    let v = s[row + Int(items[p])]
                    if v > 0 { candidates.append((v, p)) }
                }
            }
        }
        let k = configuration.neighbours
        if candidates.count > k {
            // Ties go to the more recent row.
            candidates.sort { $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.position > $1.position }
            candidates.removeLast(candidates.count - k)
        }
        var numerator = 0.0
        var denominator = 0.0
        for (sim, p) in candidates {
            let a = Double(sim) * Double(historyRecency[p])
            numerator += a * Double(historyResiduals[p])
            denominator += a
        }
        return denominator > 0 ? numerator / denominator : 0
    }
}

/// μ + b_u + s_u·b_i: recency-weighted user bias, item bias, and a per-user scale on the item bias.
struct RatingBaseline: Sendable {
    let mean: Double
    let userBias: [Double]
    let itemBias: [Double]
    let userScale: [Double]

    /// Alternating shrunk means (items first in each sweep), then the user scale given the final biases.
    init(_ data: TrainingSet, _ c: RatingBlendConfiguration) {
        let users = data.userCount
        let items = data.itemCount
        var weight = [Double](repeating: 0, count: data.interactionCount)
        for u in 0..<users {
            let h = data.history(u)
            for p in h { weight[p] = exp(-Double(h.upperBound - 1 - p) / c.recencyTau) }
        }
        var sum = 0.0
        for r in data.ratings { sum += Double(r) }
        let mean = data.interactionCount > 0 ? sum / Double(data.interactionCount) : 0
        var bu = [Double](repeating: 0, count: users)
        var bi = [Double](repeating: 0, count: items)
        let counts = data.itemCounts()
        var itemSum = [Double](repeating: 0, count: items)
        for _ in 0..<c.baselineSweeps {
            for i in 0..<items { itemSum[i] = 0 }
            for u in 0..<users {
                for p in data.history(u) { itemSum[Int(data.items[p])] += Double(data.ratings[p]) - mean - bu[u] }
            }
            for i in 0..<items { bi[i] = itemSum[i] / (c.itemBiasRegularization + Double(counts[i])) }
            for u in 0..<users {
                var numerator = 0.0
                var total = 0.0
                for p in data.history(u) {
                    numerator += weight[p] * (Double(data.ratings[p]) - mean - bi[Int(data.items[p])])
                    total += weight[p]
                }
                bu[u] = numerator / (c.userBiasRegularization + total)
            }
        }
        var scale = [Double](repeating: 1, count: users)
        for u in 0..<users {
            var numerator = 0.0
            var denominator = c.userScaleRegularization
            for p in data.history(u) {
                let b = bi[Int(data.items[p])]
                numerator += weight[p] * b * (Double(data.ratings[p]) - mean - bu[u] - b)
                denominator += weight[p] * b * b
            }
            scale[u] = 1 + numerator / denominator
        }
        self.mean = mean
        self.userBias = bu
        self.itemBias = bi
        self.userScale = scale
    }

    /// μ + b_u + s_u·b_i.
    func predict(user: Int, item: Int) -> Double { mean + userBias[user] + userScale[user] * itemBias[item] }

    /// r − base for every training row, in `TrainingSet` order.
    func residuals(_ data: TrainingSet) -> [Double] {
        var e = [Double](repeating: 0, count: data.interactionCount)
        for u in 0..<data.userCount {
            for p in data.history(u) { e[p] = Double(data.ratings[p]) - predict(user: u, item: Int(data.items[p])) }
        }
        return e
    }
}

/// Seed-averaged ALS factorisation of the baseline residuals.
///
/// The factors of all seeds are concatenated (users scaled by 1/seeds), so the average of the seeds'
/// p_u·q_i is one dot product.
struct RatingFactors: Sendable {
    /// factors × seeds.
    let width: Int
    let users: [Double]
    let items: [Double]

    /// One ALS run per seed: Gaussian initial factors (users drawn first), then `alsIterations` rounds of
    /// solving all users, then all items, each row a k×k ridge system solved in parallel.
    init(_ data: TrainingSet, residuals: [Double], _ c: RatingBlendConfiguration) throws {
        let k = c.factors
        let seeds = c.factorSeeds
        let userCount = data.userCount
        let itemCount = data.itemCount
        width = k * seeds.count
        // Item-side CSR of the rows: each item's users and residuals.
        var itemOffsets = [Int](repeating: 0, count: itemCount + 1)
        for i in data.items { itemOffsets[Int(i) + 1] += 1 }
        for i in 0..<itemCount { itemOffsets[i + 1] += itemOffsets[i] }
        var fill = itemOffsets
        var itemUsers = [Int32](repeating: 0, count: data.interactionCount)
        var itemResiduals = [Double](repeating: 0, count: data.interactionCount)
        for u in 0..<userCount {
            for p in data.history(u) {
                let i = Int(data.items[p])
                itemUsers[fill[i]] = Int32(u)
                itemResiduals[fill[i]] = residuals[p]
                fill[i] += 1
            }
        }
        let userOffsets = data.offsets
        let userItems = data.items
        let lambda = c.factorLambda
        var allUsers = [Double](repeating: 0, count: userCount * width)
        var allItems = [Double](repeating: 0, count: itemCount * width)
        for (s, seed) in seeds.enumerated() {
            var rng = SeededGenerator(seed: seed)
            var p = DoubleMatrix(rows: userCount, cols: k)
            var q = DoubleMatrix(rows: itemCount, cols: k)
            p.withUnsafeMutableBufferPointer { b in
                for j in 0..<b.count { b[j] = c.initialFactorScale * rng.nextGaussian() }
            }
            q.withUnsafeMutableBufferPointer { b in
                for j in 0..<b.count { b[j] = c.initialFactorScale * rng.nextGaussian() }
            }
            for _ in 0..<c.alsIterations {
                p = try Self.solveSide(
                    count: userCount, k: k, lambda: lambda, offsets: userOffsets, others: userItems, residuals: residuals, fixed: q)
                q = try Self.solveSide(
                    count: itemCount, k: k, lambda: lambda, offsets: itemOffsets, others: itemUsers, residuals: itemResiduals,
                    fixed: p)
            }
            let scale = 1 / Double(seeds.count)
            for u in 0..<userCount {
                for f in 0..<k { allUsers[u * width + s * k + f] = scale * p[u, f] }
            }
            for i in 0..<itemCount {
                for f in 0..<k { allItems[i * width + s * k + f] = q[i, f] }
            }
        }
        users = allUsers
        items = allItems
    }

    /// Row x of the result solves (Σ_{rows of x} f fᵀ + λI) x = Σ e f, f the fixed side's factors.
    static func solveSide(
        count: Int, k: Int, lambda: Double, offsets: [Int], others: [Int32], residuals: [Double], fixed: DoubleMatrix
    ) throws -> DoubleMatrix {
        let f = fixed.storage
        return try Kernels.solveSPDBatch(count: count, dimension: k) { x, a, b in
            f.withUnsafeBufferPointer { fb in
                others.withUnsafeBufferPointer { ob in
                    residuals.withUnsafeBufferPointer { eb in
                        for row in offsets[x]..<offsets[x + 1] {
                            let base = Int(ob[row]) * k
                            let e = eb[row]
                            for r in 0..<k {
                                let fr = fb[base + r]
                                b[r] += e * fr
                                for s in 0...r { a[r * k + s] += fr * fb[base + s] }
                            }
                        }
                    }
                }
            }
            for r in 0..<k { a[r * k + r] += lambda }
        }
    }

    /// The mean over seeds of p_u·q_i.
    func predict(user: Int, item: Int) -> Double {
        var sum = 0.0
        for f in 0..<width { sum += users[user * width + f] * items[item * width + f] }
        return sum
    }
}

/// Shrunk cosine similarity of the items' residual columns over the active items, from sparse co-ratings.
///
/// sim_ij = Σ_u e_ui e_uj / sqrt(Σ_{u∈U_ij} e_ui² · Σ_{u∈U_ij} e_uj²) · n_ij / (n_ij + shrink), U_ij the users
/// who rated both, n_ij = |U_ij|; 0 on the diagonal and where the denominator is 0.
func residualSimilarity(_ seqs: ReducedSequences, residuals: [Double], shrink: Float) -> Matrix {
    let n = seqs.activeCount
    var similarity = Matrix(rows: n, cols: n)
    var squares = Matrix(rows: n, cols: n)
    var counts = Matrix(rows: n, cols: n)
    let e = residuals.map { Float($0) }
    // More chunks than cores: every chunk scans all histories but writes only the rows it owns.
    let chunks = workerCount * 4
    similarity.withUnsafeMutableBufferPointer { num in
        squares.withUnsafeMutableBufferPointer { sq in
            counts.withUnsafeMutableBufferPointer { cnt in
                seqs.items.withUnsafeBufferPointer { items in
                    e.withUnsafeBufferPointer { e in
                        parallelChunks(chunks) { chunk in
                            let rows = chunkRange(chunk, of: chunks, total: n)
                            for u in 0..<seqs.userCount {
                                let h = seqs.offsets[u]..<seqs.offsets[u + 1]
                                for pa in h {
                                    let a = Int(items[pa])
                                    guard rows.contains(a) else { continue }
                                    let ea = e[pa]
                                    let eaSquared = ea * ea
                                    let row = a * n
                                    for pb in h where pb != pa {
                                        let b = row + Int(items[pb])
                                        num[b] += ea * e[pb]
                                        sq[b] += eaSquared
                                        cnt[b] += 1
                                    }
                                }
                            }
                        }
                        parallelChunks(chunks) { chunk in
                            for a in chunkRange(chunk, of: chunks, total: n) {
                                for b in 0..<n {
                                    let ab = a * n + b
                                    let denominator = (sq[ab] * sq[b * n + a]).squareRoot()
                                    num[ab] = a != b && denominator > 0 ? num[ab] / denominator * cnt[ab] / (cnt[ab] + shrink) : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return similarity
}

/// Every user's EASE score (λ = `lambda`, binary training matrix) for every catalog item, z-scored over the
/// user's candidates (catalog items not in the history), as `userCount × itemCount`.
///
/// Items without training rows score 0 before the z-score, as in a full-catalog EASE.
func implicitScores(_ data: TrainingSet, _ seqs: ReducedSequences, lambda: Float) throws -> [Float] {
    let n = seqs.activeCount
    let items = data.itemCount
    var out = [Float](repeating: 0, count: data.userCount * items)
    guard n > 0 else { return out }
    let ease = try LinearItemModels.ease(seqs, lambda: lambda)
    out.withUnsafeMutableBufferPointer { out in
        ease.withUnsafeBufferPointer { b in
            parallelChunks(workerCount) { k in
                var scores = [Float](repeating: 0, count: n)
                var full = [Float](repeating: 0, count: items)
                var candidate = [Bool](repeating: true, count: items)
                for u in chunkRange(k, of: workerCount, total: data.userCount) {
                    let s = seqs.sequence(u)
                    for i in 0..<n { scores[i] = 0 }
                    scores.withUnsafeMutableBufferPointer { sv in
                        for item in s {
                            let row = Int(item) * n
                            Kernels.axpy(1, UnsafeBufferPointer(rebasing: b[row..<(row + n)]), sv)
                        }
                    }
                    for i in 0..<items { full[i] = 0 }
                    for i in 0..<n { full[Int(seqs.active[i])] = scores[i] }
                    for p in data.history(u) { candidate[Int(data.items[p])] = false }
                    zscore(&full, candidate)
                    for p in data.history(u) { candidate[Int(data.items[p])] = true }
                    for i in 0..<items { out[u * items + i] = full[i] }
                }
            }
        }
    }
    return out
}

extension TrainingSet {
    /// The training rows in their original ids (ratings of 0 stand for interactions without one).
    public func rows() -> [RatingRow] {
        var out: [RatingRow] = []
        out.reserveCapacity(interactionCount)
        for u in 0..<userCount {
            for p in history(u) {
                out.append(RatingRow(user: userIDs[u], item: itemIDs[Int(items[p])], rating: Int(ratings[p]), timestamp: timestamps[p]))
            }
        }
        return out
    }
}

/// The rating blend with its blend weights re-derived on every fit by least squares on the
/// validation split of the training rows (PROTOCOL.md §7), so nothing depends on figures from elsewhere.
public struct SelfTunedRatingBlend: RatingRecommender {
    public var configuration: RatingBlendConfiguration

    public init(_ configuration: RatingBlendConfiguration = RatingBlendConfiguration()) {
        self.configuration = configuration
    }

    public var name: String { "rating-blend" }

    public var parameters: [String: String] {
        var p = RatingBlend(configuration).parameters
        p["blend"] = "weights fitted by least squares on the validation split of the training rows"
        return p
    }

    public func fitRatings(_ data: TrainingSet) throws -> any RatingModel {
        try RatingBlend.tuned(on: data.rows(), catalog: data.itemIDs, configuration).fitModel(data)
    }
}

/// Ranks items by a rating model's predictions, the way rating models are compared on top-N tasks.
struct PredictedRatingRanking: ScoringModel {
    let model: any RatingModel
    let itemCount: Int

    func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<itemCount { scores[i] = Float(model.predict(user: user, item: i)) }
    }
}

extension SelfTunedRatingBlend: Recommender {
    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        PredictedRatingRanking(model: try fitRatings(data), itemCount: data.itemCount)
    }
}
