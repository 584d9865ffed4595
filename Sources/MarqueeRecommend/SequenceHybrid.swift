import MarqueeCore
import MarqueeKernels

/// Hyperparameters of the served hybrid, chosen on the validation split of PROTOCOL.md §7.
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
    /// Blend weights of the per-user z-scored components.
    public var weightSLIT: Float = 1
    public var weightRecentEASE: Float = 0.75
    public var weightEASE: Float = 0.2
    /// EASE and SLIT hold dense n×n matrices (4n² bytes each) and invert them (O(n³)): above this many
    /// active titles (1.6 GB per matrix, several minutes per inverse on 2 cores) fitting refuses,
    /// and `minItemInteractions` should be raised instead.
    public var maxDenseItems = 20_000
    /// The model is deterministic; the seed is kept for the common model interface.
    public var seed: UInt64 = 0

    public init() {}
}

/// Which of the hybrid's components a recommender scores with.
enum HybridPart: String, Sendable {
    case ease, recentEASE = "ease-recency", slit, hybrid = "sequence-hybrid"
}

/// The served top-N model: SLIT (next items from the last ones) + EASE on a recency-weighted
/// history + plain EASE, each z-scored over the user's candidates, then blended.
///
/// Fitting precomputes every training user's blended scores (as Gorse keeps a recommendation
/// cache), so serving a known user is a copy and a top-K.
public struct SequenceHybrid: Recommender {
    public var configuration: SequenceHybridConfiguration
    let part: HybridPart

    public init(_ configuration: SequenceHybridConfiguration = SequenceHybridConfiguration()) {
        self.configuration = configuration
        self.part = .hybrid
    }

    init(part: HybridPart, _ configuration: SequenceHybridConfiguration = SequenceHybridConfiguration()) {
        self.configuration = configuration
        self.part = part
    }

    /// Plain EASE (λ from the configuration) over the active items.
    public static func ease(_ c: SequenceHybridConfiguration = SequenceHybridConfiguration()) -> SequenceHybrid { .init(part: .ease, c) }
    /// EASE applied to a position-decayed history.
    public static func recentEASE(_ c: SequenceHybridConfiguration = SequenceHybridConfiguration()) -> SequenceHybrid {
        .init(part: .recentEASE, c)
    }
    /// SLIT alone.
    public static func slit(_ c: SequenceHybridConfiguration = SequenceHybridConfiguration()) -> SequenceHybrid { .init(part: .slit, c) }

    public var name: String { part.rawValue }

    public var parameters: [String: String] {
        let c = configuration
        var p = ["minItemInteractions": String(c.minItemInteractions), "easeLambda": String(c.easeLambda)]
        if part == .recentEASE || part == .hybrid { p["recencyTau"] = String(c.recencyTau) }
        if part == .slit || part == .hybrid {
            p["slitInputTau"] = String(c.slitInputTau)
            p["slitInputLength"] = String(c.slitInputLength)
            p["slitTargetTau"] = String(c.slitTargetTau)
            p["slitHorizon"] = String(c.slitHorizon)
            p["slitLambda"] = String(c.slitLambda)
        }
        if part == .hybrid {
            p["weights"] = "slit \(c.weightSLIT), ease-recency \(c.weightRecentEASE), ease \(c.weightEASE)"
        }
        return p
    }

    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        try fitSnapshot(data)
    }

    /// Fits and returns the concrete snapshot (with item-to-item weights for "More like this").
    public func fitSnapshot(_ data: TrainingSet) throws -> SequenceHybridModel {
        let c = configuration
        let seqs = ReducedSequences(data, minCount: c.minItemInteractions)
        let n = seqs.activeCount
        guard n <= c.maxDenseItems else {
            throw EvaluationError(
                "\(Wording.count(n, "title")) \(n == 1 ? "has" : "have") at least \(c.minItemInteractions) interactions; the dense item-item models fit at most "
                    + "\(c.maxDenseItems) (raise the minimum number of interactions)")
        }
        let needsEASE = part != .slit
        let needsSLIT = part == .slit || part == .hybrid
        let ease = needsEASE ? try LinearItemModels.ease(seqs, lambda: c.easeLambda) : Matrix(rows: 0, cols: 0)
        let slit = needsSLIT ? try LinearItemModels.slit(seqs, configuration: c) : Matrix(rows: 0, cols: 0)
        let recency = decayTable(tau: c.recencyTau, count: max(1, seqs.items.count))
        let slitDecay = decayTable(tau: c.slitInputTau, count: c.slitInputLength)
        let popularity = data.itemCounts()
        var scores = [Float](repeating: 0, count: data.userCount * n)
        scores.withUnsafeMutableBufferPointer { out in
            ease.withUnsafeBufferPointer { be in
                slit.withUnsafeBufferPointer { bs in
                    parallelChunks(workerCount) { k in
                        var a = [Float](repeating: 0, count: n)
                        var b = [Float](repeating: 0, count: n)
                        var d = [Float](repeating: 0, count: n)
                        var candidate = [Bool](repeating: true, count: n)
                        for u in chunkRange(k, of: workerCount, total: data.userCount) {
                            let s = seqs.sequence(u)
                            let row = UnsafeMutableBufferPointer(rebasing: out[(u * n)..<((u + 1) * n)])
                            for p in data.history(u) {
                                let ci = seqs.compact[Int(data.items[p])]
                                if ci >= 0 { candidate[Int(ci)] = false }
                            }
                            if s.isEmpty {
                                // No usable history: popularity, z-scored like the rest.
                                for i in 0..<n { a[i] = Float(popularity[Int(seqs.active[i])]) }
                                zscore(&a, candidate)
                                for i in 0..<n { row[i] = a[i] }
                            } else {
                                let len = s.count
                                for i in 0..<n {
                                    a[i] = 0
                                    b[i] = 0
                                    d[i] = 0
                                }
                                var parts: [(weight: Float, values: UnsafeMutablePointer<Float>)] = []
                                a.withUnsafeMutableBufferPointer { av in
                                    b.withUnsafeMutableBufferPointer { bv in
                                        d.withUnsafeMutableBufferPointer { dv in
                                            for (q, item) in s.enumerated() {
                                                let age = len - 1 - q
                                                let itemRow = Int(item) * n
                                                if needsEASE {
                                                    let source = UnsafeBufferPointer(rebasing: be[itemRow..<(itemRow + n)])
                                                    if part == .recentEASE || part == .hybrid {
                                                        Kernels.axpy(recency[age], source, av)
                                                    }
                                                    if part == .ease || part == .hybrid { Kernels.axpy(1, source, bv) }
                                                }
                                                if needsSLIT && age < c.slitInputLength {
                                                    let source = UnsafeBufferPointer(rebasing: bs[itemRow..<(itemRow + n)])
                                                    Kernels.axpy(slitDecay[age], source, dv)
                                                }
                                            }
                                            switch part {
                                            case .recentEASE: parts = [(1, av.baseAddress!)]
                                            case .ease: parts = [(1, bv.baseAddress!)]
                                            case .slit: parts = [(1, dv.baseAddress!)]
                                            case .hybrid:
                                                parts = [
                                                    (c.weightSLIT, dv.baseAddress!), (c.weightRecentEASE, av.baseAddress!),
                                                    (c.weightEASE, bv.baseAddress!),
                                                ]
                                            }
                                            for i in 0..<n { row[i] = 0 }
                                            for (weight, values) in parts {
                                                let v = UnsafeMutableBufferPointer(start: values, count: n)
                                                zscore(v, candidate)
                                                for i in 0..<n { row[i] += weight * v[i] }
                                            }
                                        }
                                    }
                                }
                            }
                            for p in data.history(u) {
                                let ci = seqs.compact[Int(data.items[p])]
                                if ci >= 0 { candidate[Int(ci)] = true }
                            }
                        }
                    }
                }
            }
        }
        return SequenceHybridModel(
            itemCount: data.itemCount, active: seqs.active, compact: seqs.compact, userScores: scores,
            itemToItem: part == .slit ? slit : ease)
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

/// A fitted hybrid: every training user's blended scores over the active items, and the
/// item-to-item weights behind "More like this".
public struct SequenceHybridModel: ScoringModel {
    public let itemCount: Int
    /// Full-catalog index of each active item; the others are never recommended by this model.
    let active: [Int32]
    let compact: [Int32]
    let userScores: [Float]
    let itemToItem: Matrix

    /// The score given to items the model leaves out.
    public static let excludedScore: Float = -1e9

    public func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        let n = active.count
        scores.update(repeating: Self.excludedScore)
        userScores.withUnsafeBufferPointer { all in
            let base = user * n
            for i in 0..<n { scores[Int(active[i])] = all[base + i] }
        }
    }

    /// The `count` items most strongly predicted by `item` (full-catalog indices), best first.
    public func similar(to item: Int, count: Int) -> [Int] {
        let c = compact[item]
        guard c >= 0, count > 0 else { return [] }
        let n = active.count
        return itemToItem.withUnsafeBufferPointer { w in
            var row = Array(UnsafeBufferPointer(rebasing: w[(Int(c) * n)..<((Int(c) + 1) * n)]))
            row[Int(c)] = -Float.greatestFiniteMagnitude
            return row.withUnsafeBufferPointer { TopK.select(scores: $0, k: count) }.map { Int(active[Int($0.index)]) }
        }
    }
}
