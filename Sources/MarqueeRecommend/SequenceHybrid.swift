import MarqueeCore
import MarqueeKernels

/// Hyperparameters of the served hybrid. The defaults were chosen on the validation split of
/// MovieLens-100K (PROTOCOL.md §7); `SelfTunedSequenceHybrid` chooses the weights and the
/// regularization again on whatever it is trained on.
public struct SequenceHybridConfiguration: Sendable, Hashable, Codable {
    /// Items with fewer training interactions are left out of the model (and never recommended by it).
    public var minItemInteractions = 5
    /// EASE's L2 weight.
    public var easeLambda: Float = 600
    /// Position decay of the history in the recency-weighted EASE score: exp(−age/τ).
    public var recencyTau: Float = 10
    public var slitInputTau: Float = 20
    public var slitInputLength = 60
    public var slitTargetTau: Float = 3
    public var slitHorizon = 10
    public var slitLambda: Float = 2000
    /// Blend weights of the per-user z-scored components (any may be 0; not all).
    public var weightSLIT: Float = 1
    public var weightRecentEASE: Float = 0.75
    public var weightEASE: Float = 0.2
    public var weightItemKNN: Float = 0
    public var weightALS: Float = 0
    /// Item-kNN: neighbours kept per title (cosine on the binary matrix) and the history's position decay.
    public var knnNeighbours = 20
    public var knnTau: Float = 20
    /// Implicit ALS (Hu, Koren & Volinsky 2008) as a component: factors, L2 weight and alternations.
    public var alsFactors = 64
    public var alsRegularization: Float = 10
    public var alsIterations = 15
    /// EASE and SLIT hold dense d×d matrices (4d² bytes each) and invert them (O(d³)): only the `denseItems`
    /// most interacted-with titles enter them; the long tail beyond is scored by item-kNN alone.
    public var denseItems = 4_000
    /// SLIT's dense part: the `slitDenseItems` most interacted-with titles (its fit costs about three
    /// EASE fits of the same size, and it works on what viewers watch next, mostly the popular titles).
    public var slitDenseItems = 1_500
    /// How many of each profile's best titles the snapshot keeps (with their scores).
    public var candidates = 200
    /// The model is deterministic; the seed is kept for the common model interface.
    public var seed: UInt64 = 0

    public init() {}

    /// The blend weights in `HybridComponent.allCases` order.
    public var weights: [Float] {
        get { [weightSLIT, weightRecentEASE, weightEASE, weightItemKNN, weightALS] }
        set {
            weightSLIT = newValue[0]
            weightRecentEASE = newValue[1]
            weightEASE = newValue[2]
            weightItemKNN = newValue[3]
            weightALS = newValue[4]
        }
    }

    /// This configuration with one component alone.
    func only(_ component: HybridComponent) -> SequenceHybridConfiguration {
        var c = self
        c.weights = HybridComponent.allCases.map { $0 == component ? 1 : 0 }
        return c
    }
}

/// The scores the hybrid blends, each z-scored over the viewer's candidates.
public enum HybridComponent: String, Sendable, CaseIterable, Codable {
    /// SLIT: next titles from the last ones.
    case slit
    /// EASE on a position-decayed history.
    case recentEASE = "ease-recency"
    /// Plain EASE on the whole history.
    case ease
    /// Item-kNN (cosine, top neighbours) on a position-decayed history; it also scores the long tail.
    case itemKNN = "item-knn-tail"
    /// Implicit ALS: the user's factors against each title's (training users only; new history is folded
    /// in through the item-to-item rows).
    case als

    /// Position in `allCases` (and in `SequenceHybridConfiguration.weights`).
    public var index: Int {
        switch self {
        case .slit: 0
        case .recentEASE: 1
        case .ease: 2
        case .itemKNN: 3
        case .als: 4
        }
    }
}

/// The served top-N model: SLIT + EASE on a recency-weighted history + plain EASE + item-kNN, each
/// z-scored over the user's candidates, then blended with the configuration's weights.
///
/// Fitting keeps the item-to-item matrices (dense over the `denseItems` most popular titles, sparse
/// neighbour lists over all) and each training user's `candidates` best titles with their scores, so
/// serving a known user is a short copy and a top-K, and the snapshot grows with the catalog and with
/// profiles × candidates, never with profiles × titles.
public struct SequenceHybrid: Recommender {
    public var configuration: SequenceHybridConfiguration
    public let name: String

    public init(_ configuration: SequenceHybridConfiguration = SequenceHybridConfiguration(), name: String = "sequence-hybrid") {
        self.configuration = configuration
        self.name = name
    }

    /// Plain EASE (λ from the configuration) over the active items.
    public static func ease(_ c: SequenceHybridConfiguration = SequenceHybridConfiguration()) -> SequenceHybrid {
        .init(c.only(.ease), name: "ease")
    }
    /// EASE applied to a position-decayed history.
    public static func recentEASE(_ c: SequenceHybridConfiguration = SequenceHybridConfiguration()) -> SequenceHybrid {
        .init(c.only(.recentEASE), name: "ease-recency")
    }
    /// SLIT alone.
    public static func slit(_ c: SequenceHybridConfiguration = SequenceHybridConfiguration()) -> SequenceHybrid {
        .init(c.only(.slit), name: "slit")
    }

    public var parameters: [String: String] { Self.describe(configuration) }

    static func describe(_ c: SequenceHybridConfiguration) -> [String: String] {
        var p = [
            "minItemInteractions": String(c.minItemInteractions), "denseItems": String(c.denseItems), "candidates": String(c.candidates),
        ]
        let w = c.weights
        if w[1] > 0 || w[2] > 0 { p["easeLambda"] = String(c.easeLambda) }
        if w[1] > 0 { p["recencyTau"] = String(c.recencyTau) }
        if w[0] > 0 {
            p["slitInputTau"] = String(c.slitInputTau)
            p["slitInputLength"] = String(c.slitInputLength)
            p["slitTargetTau"] = String(c.slitTargetTau)
            p["slitHorizon"] = String(c.slitHorizon)
            p["slitLambda"] = String(c.slitLambda)
        }
        if w[3] > 0 {
            p["knnNeighbours"] = String(c.knnNeighbours)
            p["knnTau"] = String(c.knnTau)
        }
        if w[4] > 0 {
            p["alsFactors"] = String(c.alsFactors)
            p["alsRegularization"] = String(c.alsRegularization)
            p["alsIterations"] = String(c.alsIterations)
        }
        if w.filter({ $0 > 0 }).count > 1 {
            p["weights"] = HybridComponent.allCases.map { "\($0.rawValue) \(w[$0.index])" }.joined(separator: ", ")
        }
        return p
    }

    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        try fitSnapshot(data)
    }

    /// Fits and returns the concrete model (with the item-to-item weights for "More like this").
    public func fitSnapshot(_ data: TrainingSet, progress: ((String) -> Void)? = nil) throws -> SequenceHybridModel {
        let c = configuration
        guard c.weights.allSatisfy({ $0 >= 0 && $0.isFinite }), c.weights.contains(where: { $0 > 0 }) else {
            throw EvaluationError("the blend weights must be non-negative and not all zero")
        }
        let seqs = ReducedSequences(data, minCount: c.minItemInteractions)
        var als: (users: Matrix, items: Matrix)? = nil
        if c.weightALS > 0 {
            progress?("fitting ALS (\(c.alsFactors) factors)")
            als = try HybridParts.alsFactors(data, seqs: seqs, configuration: c)
        }
        let parts = try HybridParts.fit(seqs, configuration: c, withEASE: true, als: als, progress: progress)
        progress?("scoring \(Wording.count(data.userCount, "profile"))")
        let (index, scores) = parts.candidates(seqs, data: data, configuration: c)
        return SequenceHybridModel(
            itemCount: data.itemCount, active: seqs.active, compact: seqs.compact, candidateCount: c.candidates, candidateIndex: index,
            candidateScores: scores, parts: parts)
    }
}

/// Neighbour lists over the model's titles: `index[i * k + r]` is title i's r-th best neighbour (−1
/// past the end of its list), `similarity` the matching cosine.
struct NeighbourLists: Sendable {
    let k: Int
    let index: [Int32]
    let similarity: [Float]

    static let empty = NeighbourLists(k: 0, index: [], similarity: [])

    /// Cosine c_ij / √(c_i c_j) on the binary user × title matrix, each title's `neighbours` best (ties to
    /// the smaller index). One title's row of co-counts at a time per thread, from an inverted index, so
    /// memory is O(titles × threads + interactions), not titles².
    static func fit(_ seqs: ReducedSequences, neighbours: Int) -> NeighbourLists {
        let n = seqs.activeCount
        let k = max(0, min(neighbours, n - 1))
        guard k > 0 else { return NeighbourLists(k: 0, index: [Int32](repeating: -1, count: 0), similarity: []) }
        // Users of each title (CSR by title).
        var counts = [Int](repeating: 0, count: n + 1)
        for i in seqs.items { counts[Int(i) + 1] += 1 }
        for i in 0..<n { counts[i + 1] += counts[i] }
        var fill = counts
        var users = [Int32](repeating: 0, count: seqs.items.count)
        for u in 0..<seqs.userCount {
            for p in seqs.offsets[u]..<seqs.offsets[u + 1] {
                let i = Int(seqs.items[p])
                users[fill[i]] = Int32(u)
                fill[i] += 1
            }
        }
        let norms = (0..<n).map { Float(counts[$0 + 1] - counts[$0]).squareRoot() }
        var index = [Int32](repeating: -1, count: n * k)
        var similarity = [Float](repeating: 0, count: n * k)
        index.withUnsafeMutableBufferPointer { outIndex in
            similarity.withUnsafeMutableBufferPointer { outSimilarity in
                seqs.items.withUnsafeBufferPointer { items in
                    parallelChunks(workerCount * 4) { chunk in
                        var row = [Float](repeating: 0, count: n)
                        var best: [ScoredIndex] = []
                        for i in chunkRange(chunk, of: workerCount * 4, total: n) where norms[i] > 0 {
                            row.withUnsafeMutableBufferPointer { r in
                                for q in counts[i]..<counts[i + 1] {
                                    let u = Int(users[q])
                                    for p in seqs.offsets[u]..<seqs.offsets[u + 1] { r[Int(items[p])] += 1 }
                                }
                                let ni = norms[i]
                                for j in 0..<n where r[j] > 0 { r[j] /= ni * norms[j] }
                                r[i] = 0
                                TopK.select(scores: UnsafeBufferPointer(r), k: k, into: &best)
                                var slot = 0
                                for entry in best where entry.score > 0 {
                                    outIndex[i * k + slot] = entry.index
                                    outSimilarity[i * k + slot] = entry.score
                                    slot += 1
                                }
                                r.update(repeating: 0)
                            }
                        }
                    }
                }
            }
        }
        return NeighbourLists(k: k, index: index, similarity: similarity)
    }
}

/// The fitted item-to-item parts of the hybrid over the model's titles (active indices 0..<n).
struct HybridParts: Sendable {
    let n: Int
    /// Active index of each dense title (the `denseItems` most interacted-with, ascending index).
    let denseActive: [Int32]
    /// Dense index of each active title, or −1 for the long tail.
    let denseOf: [Int32]
    /// EASE weights over the dense titles (empty when not fitted).
    let ease: Matrix
    /// SLIT weights over its own dense titles (the `slitDenseItems` most interacted-with; empty when not fitted).
    let slit: Matrix
    let slitActive: [Int32]
    let slitOf: [Int32]
    let knn: NeighbourLists
    /// ALS factors of the training users (rows by user) and of the active titles (rows by active index);
    /// empty when ALS is not in the blend.
    let alsUsers: Matrix
    let alsItems: Matrix
    /// Interaction counts of the active titles (popularity for users with no usable history).
    let popularity: [Float]

    var denseCount: Int { denseActive.count }
    var hasTail: Bool { denseActive.count < n }

    /// The dense titles: every active one, or the `limit` most interacted-with (ties to the smaller index).
    static func denseSelection(_ seqs: ReducedSequences, limit: Int) -> (denseActive: [Int32], denseOf: [Int32]) {
        let n = seqs.activeCount
        var counts = [Int](repeating: 0, count: n)
        for i in seqs.items { counts[Int(i)] += 1 }
        var chosen: [Int]
        if n <= limit {
            chosen = Array(0..<n)
        } else {
            chosen = (0..<n).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
            chosen = chosen.prefix(max(0, limit)).sorted()
        }
        var denseOf = [Int32](repeating: -1, count: n)
        for (d, a) in chosen.enumerated() { denseOf[a] = Int32(d) }
        return (chosen.map { Int32($0) }, denseOf)
    }

    /// Fits the parts the configuration's nonzero weights need (EASE also when `withEASE`, for
    /// "More like this" and fold-in; neighbour lists also when there is a long tail to score).
    static func fit(
        _ seqs: ReducedSequences, configuration c: SequenceHybridConfiguration, withEASE: Bool, knn given: NeighbourLists? = nil,
        easeGram: Matrix? = nil, slitSystem: (gram: Matrix, cross: Matrix)? = nil, als: (users: Matrix, items: Matrix)? = nil,
        progress: ((String) -> Void)? = nil
    ) throws -> HybridParts {
        let n = seqs.activeCount
        let (denseActive, denseOf) = denseSelection(seqs, limit: c.denseItems)
        let (slitActive, slitOf) = denseSelection(seqs, limit: min(c.denseItems, c.slitDenseItems))
        let w = c.weights
        var ease = Matrix(rows: 0, cols: 0)
        if w[1] > 0 || w[2] > 0 || withEASE {
            progress?("fitting EASE over \(Wording.count(denseActive.count, "title")) (λ \(c.easeLambda))")
            let gram =
                easeGram ?? LinearItemModels.easeGram(denseActive.count < n ? seqs.restricted(to: denseOf, count: denseActive.count) : seqs)
            ease = try LinearItemModels.ease(gram: gram, lambda: c.easeLambda)
        }
        var slit = Matrix(rows: 0, cols: 0)
        if w[0] > 0 {
            progress?("fitting SLIT over \(Wording.count(slitActive.count, "title")) (λ \(c.slitLambda))")
            let system =
                slitSystem
                ?? LinearItemModels.slitSystem(
                    slitActive.count < n ? seqs.restricted(to: slitOf, count: slitActive.count) : seqs, configuration: c)
            slit = try LinearItemModels.slit(system: system, lambda: c.slitLambda)
        }
        var knn = given ?? NeighbourLists.empty
        if given == nil && (w[3] > 0 || denseActive.count < n) {
            progress?("fitting item-kNN over \(Wording.count(n, "title"))")
            knn = NeighbourLists.fit(seqs, neighbours: c.knnNeighbours)
        }
        var popularity = [Float](repeating: 0, count: n)
        for i in seqs.items { popularity[Int(i)] += 1 }
        return HybridParts(
            n: n, denseActive: denseActive, denseOf: denseOf, ease: ease, slit: slit, slitActive: slitActive, slitOf: slitOf, knn: knn,
            alsUsers: als?.users ?? Matrix(rows: 0, cols: 0), alsItems: als?.items ?? Matrix(rows: 0, cols: 0), popularity: popularity)
    }

    /// ALS factors fitted on `data`, the item side gathered to the active titles.
    static func alsFactors(
        _ data: TrainingSet, seqs: ReducedSequences, configuration c: SequenceHybridConfiguration
    ) throws -> (
        users: Matrix, items: Matrix
    ) {
        var a = ImplicitALSConfiguration()
        a.factors = c.alsFactors
        a.regularization = c.alsRegularization
        a.iterations = c.alsIterations
        let (users, items) = try ImplicitALS(a).fitFactors(data)
        let f = items.cols
        var active = Matrix(rows: seqs.activeCount, cols: f)
        active.withUnsafeMutableBufferPointer { out in
            items.withUnsafeBufferPointer { all in
                for (k, i) in seqs.active.enumerated() {
                    for j in 0..<f { out[k * f + j] = all[Int(i) * f + j] }
                }
            }
        }
        return (users, active)
    }

    /// Every user's `configuration.candidates` best titles (active indices, −1 past the end) and scores.
    func candidates(_ seqs: ReducedSequences, data: TrainingSet, configuration c: SequenceHybridConfiguration) -> ([Int32], [Float]) {
        let m = max(1, min(c.candidates, n))
        var index = [Int32](repeating: -1, count: data.userCount * m)
        var scores = [Float](repeating: SequenceHybridModel.excludedScore, count: data.userCount * m)
        index.withUnsafeMutableBufferPointer { outIndex in
            scores.withUnsafeMutableBufferPointer { outScores in
                parallelChunks(workerCount * 4) { chunk in
                    var scorer = HybridScorer(parts: self, configuration: c)
                    var best: [ScoredIndex] = []
                    for u in chunkRange(chunk, of: workerCount * 4, total: data.userCount) {
                        scorer.blend(seqs.sequence(u), user: u, weights: c.weights)
                        // Everything the user has, active or not, is left out.
                        for p in data.history(u) {
                            let a = seqs.compact[Int(data.items[p])]
                            if a >= 0 { scorer.blended[Int(a)] = -.infinity }
                        }
                        scorer.blended.withUnsafeBufferPointer { TopK.select(scores: $0, k: m, into: &best) }
                        var slot = 0
                        for entry in best where entry.score > -.infinity {
                            outIndex[u * m + slot] = entry.index
                            outScores[u * m + slot] = entry.score
                            slot += 1
                        }
                    }
                }
            }
        }
        return (index, scores)
    }
}

/// Scores one user at a time from their sequence (active indices, oldest first), with its own buffers.
struct HybridScorer {
    let parts: HybridParts
    let configuration: SequenceHybridConfiguration
    let recency: [Float]
    let slitDecay: [Float]
    let knnDecay: [Float]
    /// The z-scored components over the active titles (`HybridComponent.allCases` order); the dense
    /// components are 0 (their mean) on the long tail.
    var z: [[Float]]
    var blended: [Float]
    var candidate: [Bool]
    var raw: [Float]
    var plain: [Float] = []

    init(parts: HybridParts, configuration c: SequenceHybridConfiguration) {
        self.parts = parts
        configuration = c
        recency = decayTable(tau: c.recencyTau, count: 4_096)
        slitDecay = decayTable(tau: c.slitInputTau, count: c.slitInputLength)
        knnDecay = ItemKNN.recencyWeights(tau: c.knnTau, count: 4_096)
        z = [[Float]](repeating: [Float](repeating: 0, count: parts.n), count: HybridComponent.allCases.count)
        blended = [Float](repeating: 0, count: parts.n)
        candidate = [Bool](repeating: true, count: parts.n)
        raw = [Float](repeating: 0, count: max(parts.denseCount, 1))
    }

    /// Computes the z-scored components that `needed` marks (by `HybridComponent` index) into `z`.
    mutating func components(_ s: ArraySlice<Int32>, user: Int, needed: [Bool]) {
        let n = parts.n
        for i in s { candidate[Int(i)] = false }
        defer { for i in s { candidate[Int(i)] = true } }
        let len = s.count
        if len == 0 {
            // No usable history: popularity in every component, z-scored like the rest.
            for k in z.indices where needed[k] {
                for i in 0..<n { z[k][i] = parts.popularity[i] }
                zscore(&z[k], candidate)
            }
            return
        }
        // Dense components: rows of the matrices for the dense titles of the history (the two EASE
        // scores read each row once).
        for k in 0..<3 where needed[k] && !(k == 2 && needed[1]) {
            let both = k == 1 && needed[2]
            let matrix = k == 0 ? parts.slit : parts.ease
            let of = k == 0 ? parts.slitOf : parts.denseOf
            let map = k == 0 ? parts.slitActive : parts.denseActive
            let d = map.count
            precondition(matrix.rows == d, "the \(HybridComponent.allCases[k].rawValue) component was not fitted")
            if raw.count < d { raw = [Float](repeating: 0, count: d) }
            if both && plain.count < d { plain = [Float](repeating: 0, count: d) }
            raw.withUnsafeMutableBufferPointer { rawOut in
                plain.withUnsafeMutableBufferPointer { plainOut in
                    let out = UnsafeMutableBufferPointer(rebasing: rawOut[0..<d])
                    let second = UnsafeMutableBufferPointer(rebasing: plainOut[0..<(both ? d : 0)])
                    out.update(repeating: 0)
                    second.update(repeating: 0)
                    matrix.withUnsafeBufferPointer { m in
                        for (q, item) in s.enumerated() {
                            let age = len - 1 - q
                            let weight: Float
                            switch k {
                            case 0: weight = age < slitDecay.count ? slitDecay[age] : 0
                            case 1: weight = recency[min(age, recency.count - 1)]
                            default: weight = 1
                            }
                            let di = Int(of[Int(item)])
                            guard di >= 0 else { continue }
                            let row = UnsafeBufferPointer(rebasing: m[(di * d)..<((di + 1) * d)])
                            if weight > 0 { Kernels.axpy(weight, row, out) }
                            if both { Kernels.axpy(1, row, second) }
                        }
                    }
                }
            }
            spread(raw, d: d, map: map, into: k)
            if both { spread(plain, d: d, map: map, into: 2) }
        }
        if needed[3] {
            let k = parts.knn.k
            z[3].withUnsafeMutableBufferPointer { out in
                out.update(repeating: 0)
                guard k > 0 else { return }
                for (q, item) in s.enumerated() {
                    let w = knnDecay[min(len - 1 - q, knnDecay.count - 1)]
                    let base = Int(item) * k
                    for r in 0..<k {
                        let j = parts.knn.index[base + r]
                        if j < 0 { break }
                        out[Int(j)] += w * parts.knn.similarity[base + r]
                    }
                }
            }
            zscore(&z[3], candidate)
        }
        if needed[4] {
            let f = parts.alsItems.cols
            z[4].withUnsafeMutableBufferPointer { out in
                out.update(repeating: 0)
                guard user < parts.alsUsers.rows, parts.alsItems.rows == n else { return }
                parts.alsUsers.withUnsafeBufferPointer { u in
                    parts.alsItems.withUnsafeBufferPointer { v in
                        let x = UnsafeBufferPointer(rebasing: u[(user * f)..<((user + 1) * f)])
                        for i in 0..<n { out[i] = Kernels.dot(x, UnsafeBufferPointer(rebasing: v[(i * f)..<((i + 1) * f)])) }
                    }
                }
            }
            zscore(&z[4], candidate)
        }
    }

    /// Spreads a dense component to the active titles (the tail, which the dense matrices cannot
    /// predict, at 0), then z-scores it over every candidate.
    mutating func spread(_ values: [Float], d: Int, map: [Int32], into k: Int) {
        let n = parts.n
        z[k].withUnsafeMutableBufferPointer { out in
            if d < n {
                out.update(repeating: 0)
                for j in 0..<d { out[Int(map[j])] = values[j] }
            } else {
                for j in 0..<n { out[j] = values[j] }
            }
        }
        zscore(&z[k], candidate)
    }

    /// The blended score of every active title into `blended`: Σ w·z (on the long tail only item-kNN
    /// tells titles apart).
    mutating func blend(_ s: ArraySlice<Int32>, user: Int, weights w: [Float]) {
        components(s, user: user, needed: w.map { $0 > 0 })
        Self.combine(z: z, weights: w, parts: parts, into: &blended)
    }

    static func combine(z: [[Float]], weights w: [Float], parts: HybridParts, into out: inout [Float]) {
        let n = parts.n
        out.withUnsafeMutableBufferPointer { o in
            o.update(repeating: 0)
            for k in 0..<w.count where w[k] > 0 && z[k].count == n {
                z[k].withUnsafeBufferPointer { Kernels.axpy(w[k], $0, o) }
            }
        }
    }
}

/// Standardizes `values` to mean 0, standard deviation 1 over the candidate entries (population
/// statistics); a constant vector becomes all zeros.
func zscore(_ values: UnsafeMutableBufferPointer<Float>, _ candidate: [Bool]) {
    var sum = 0.0
    var count = 0
    for i in 0..<values.count where candidate[i] {
        sum += Double(values[i])
        count += 1
    }
    guard count > 0 else { return }
    let mean = sum / Double(count)
    var squares = 0.0
    for i in 0..<values.count where candidate[i] {
        let d = Double(values[i]) - mean
        squares += d * d
    }
    let sd = (squares / Double(count)).squareRoot()
    let m = Float(mean)
    let inv: Float = sd > 0 ? Float(1 / sd) : 0
    for i in 0..<values.count { values[i] = (values[i] - m) * inv }
}

func zscore(_ values: inout [Float], _ candidate: [Bool]) {
    values.withUnsafeMutableBufferPointer { zscore($0, candidate) }
}

/// A fitted hybrid: each training user's best titles with their blended scores, and the item-to-item
/// parts behind "More like this" and the fold-in of history newer than the fit.
public struct SequenceHybridModel: ScoringModel {
    public let itemCount: Int
    /// Full-catalog index of each active item; the others are never recommended by this model.
    let active: [Int32]
    let compact: [Int32]
    /// Candidates per user; user u's are `candidateIndex[u*m ..< (u+1)*m]` (active indices, −1 past the end).
    let candidateCount: Int
    let candidateIndex: [Int32]
    let candidateScores: [Float]
    let parts: HybridParts
    /// How the configuration was chosen, when it was (`SelfTunedSequenceHybrid`).
    public internal(set) var tuning: BlendTuning?

    /// The score given to items the model leaves out (and to those outside a user's candidates).
    public static let excludedScore: Float = -1e9

    init(
        itemCount: Int, active: [Int32], compact: [Int32], candidateCount: Int, candidateIndex: [Int32], candidateScores: [Float],
        parts: HybridParts, tuning: BlendTuning? = nil
    ) {
        self.itemCount = itemCount
        self.active = active
        self.compact = compact
        self.candidateCount = max(1, min(candidateCount, active.count))
        self.candidateIndex = candidateIndex
        self.candidateScores = candidateScores
        self.parts = parts
        self.tuning = tuning
    }

    public func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        scores.update(repeating: Self.excludedScore)
        let m = candidateCount
        candidateIndex.withUnsafeBufferPointer { index in
            candidateScores.withUnsafeBufferPointer { values in
                for r in (user * m)..<((user + 1) * m) {
                    let a = index[r]
                    if a < 0 { break }
                    scores[Int(active[Int(a)])] = values[r]
                }
            }
        }
    }

    /// Calls `body(activeIndex, score)` for user `user`'s candidates, best first.
    func forEachCandidate(user: Int, _ body: (Int, Float) -> Void) {
        let m = candidateCount
        for r in (user * m)..<((user + 1) * m) {
            let a = candidateIndex[r]
            if a < 0 { break }
            body(Int(a), candidateScores[r])
        }
    }

    /// Adds `weight` × the item-to-item row of active title `a` to `out` (over active titles): its EASE
    /// row when it is in the dense part, else its neighbour list.
    func addRow(of a: Int, weight: Float, into out: UnsafeMutableBufferPointer<Float>) {
        let d = parts.denseCount
        let di = Int(parts.denseOf[a])
        if di >= 0 && parts.ease.rows == d {
            parts.ease.withUnsafeBufferPointer { m in
                let base = di * d
                for j in 0..<d { out[Int(parts.denseActive[j])] += weight * m[base + j] }
            }
        } else if parts.knn.k > 0 {
            let k = parts.knn.k
            for r in 0..<k {
                let j = parts.knn.index[a * k + r]
                if j < 0 { break }
                out[Int(j)] += weight * parts.knn.similarity[a * k + r]
            }
        }
    }

    /// Calls `body` with each active title that `addRow(of: a, …)` writes to.
    func forEachReached(from a: Int, _ body: (Int) -> Void) {
        let di = Int(parts.denseOf[a])
        if di >= 0 && parts.ease.rows == parts.denseCount {
            for j in parts.denseActive { body(Int(j)) }
        } else if parts.knn.k > 0 {
            let k = parts.knn.k
            for r in 0..<k {
                let j = parts.knn.index[a * k + r]
                if j < 0 { break }
                body(Int(j))
            }
        }
    }

    /// The `count` items most strongly predicted by `item` (full-catalog indices), best first: its EASE row
    /// over the dense titles, or its neighbour list for a title of the long tail.
    public func similar(to item: Int, count: Int) -> [Int] {
        let c = compact[item]
        guard c >= 0, count > 0 else { return [] }
        let a = Int(c)
        let d = parts.denseCount
        let di = Int(parts.denseOf[a])
        if di >= 0 && parts.ease.rows == d {
            return parts.ease.withUnsafeBufferPointer { w in
                var row = Array(UnsafeBufferPointer(rebasing: w[(di * d)..<((di + 1) * d)]))
                row[di] = -Float.greatestFiniteMagnitude
                return row.withUnsafeBufferPointer { TopK.select(scores: $0, k: count) }.map {
                    Int(active[Int(parts.denseActive[Int($0.index)])])
                }
            }
        }
        let k = parts.knn.k
        guard k > 0 else { return [] }
        var out: [Int] = []
        for r in 0..<k where out.count < count {
            let j = parts.knn.index[a * k + r]
            if j < 0 { break }
            out.append(Int(active[Int(j)]))
        }
        return out
    }
}
