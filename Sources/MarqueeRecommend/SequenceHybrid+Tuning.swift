import Foundation
import MarqueeCore
import MarqueeKernels

/// How the served blend was chosen on a validation split of the training rows (PROTOCOL.md §7: the last
/// 20% of each user's rows validate, never a test split).
public struct BlendTuning: Sendable, Codable, Equatable {
    /// The configuration chosen (weights, EASE and SLIT λ, neighbours), which the final fit uses.
    public var configuration: SequenceHybridConfiguration
    /// Validation NDCG@10 (all, ge4) of the chosen blend.
    public var validationNDCG: Double
    public var validationNDCGGe4: Double
    /// The best component alone (with its own chosen regularization) and its validation NDCG@10 (all, ge4).
    public var bestSingle: String
    public var bestSingleNDCG: Double
    public var bestSingleNDCGGe4: Double
    /// Validation NDCG@10 (all) of every component alone, by name.
    public var componentNDCG: [String: Double]
    /// Users whose validation rows were ranked, and the dense titles the tuning fits used.
    public var validationUsers: Int
    public var denseTitles: Int
    /// Settings tried (regularization values and blends), and the seconds tuning took.
    public var trials: Int
    public var seconds: Double

    /// The weights, one per component, as `slit 1.0, ease-recency 0.75, …`.
    public var weightsText: String {
        let w = configuration.weights
        return HybridComponent.allCases.map { "\($0.rawValue) \(w[$0.index])" }.joined(separator: ", ")
    }
}

extension SequenceHybrid {
    /// The grid each blend weight is searched over.
    public static let blendGrid: [Float] = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1]
    /// Regularization values tried, as factors of the configured λ (a walk from 1 toward the better side).
    public static let lambdaFactors: [Float] = [0.125, 0.25, 0.5, 1, 2, 4, 8]
    /// The relative validation gain a component must bring to join the blend: smaller gains are within the
    /// noise of a few thousand validation users, and an extra component then costs more than it brings.
    public static let joinGain = 0.005
    /// ALS enters the search only on training data up to this many interactions: beyond, its fit (about
    /// 6 s at 1M on 2 cores) costs more than every other component's together.
    public static let alsMaxInteractions = 300_000
    /// How many of each component's best titles per validation user enter the pool blends are ranked in.
    public static let blendPool = 50
    /// Neighbour counts tried for item-kNN.
    public static let neighbourGrid = [20, 50]
    /// At most this many validation users are ranked (evenly spaced by index), and at most this many
    /// titles enter the dense matrices while tuning: the choice is made on a proxy whose cost does not
    /// grow with the audience, and whose inversions stay cheap when the catalog is large.
    public static let tuningUsers = 2_000
    public static let tuningDenseItems = 2_000

    /// Chooses the blend on a validation split of `data`'s rows: each component's regularization from
    /// a small grid on its own validation NDCG@10 (all + ge4), then, from the best single component,
    /// every weight in turn over `blendGrid` (zero included) while the blend improves (two rounds; a
    /// component joins only for a relative gain above `joinGain`, so ties keep the simpler blend). The
    /// result is never below the best single component on validation.
    /// Nil when there is nothing to choose on: fewer than two titles in the model, or no validation rows.
    public func tune(_ data: TrainingSet, progress: ((String) -> Void)? = nil) throws -> BlendTuning? {
        let clock = ContinuousClock()
        let start = clock.now
        let base = configuration
        let (sub, validation) = data.validationSplit()
        let seqs = ReducedSequences(sub, minCount: base.minItemInteractions)
        let n = seqs.activeCount
        guard n > 1 else { return nil }
        var proxy = base
        proxy.denseItems = min(base.denseItems, Self.tuningDenseItems)
        proxy.slitDenseItems = min(base.slitDenseItems, proxy.denseItems)
        // Validation users, evenly spaced, with their relevant titles (full-catalog indices).
        let all = (0..<sub.userCount).filter { !validation[$0].isEmpty }
        let users =
            all.count <= Self.tuningUsers ? all : (0..<Self.tuningUsers).map { all[$0 * all.count / Self.tuningUsers] }
        guard !users.isEmpty else { return nil }
        let relevantAll = users.map { Set(validation[$0].map(\.item)) }
        let relevantGood = users.map { Set(validation[$0].filter { $0.rating >= 4 }.map(\.item)) }
        progress?(
            "choosing the blend on \(Wording.count(users.count, "validation user")) over \(Wording.count(min(n, proxy.denseItems), "dense title"))"
        )
        var trials = 0

        // One component's z-scored vectors for every validation user (users × n).
        func vectors(_ parts: HybridParts, _ component: HybridComponent, _ c: SequenceHybridConfiguration) -> [Float] {
            var out = [Float](repeating: 0, count: users.count * n)
            let k = component.index
            var needed = [Bool](repeating: false, count: HybridComponent.allCases.count)
            needed[k] = true
            out.withUnsafeMutableBufferPointer { o in
                parallelChunks(workerCount * 2) { chunk in
                    var scorer = HybridScorer(parts: parts, configuration: c)
                    for v in chunkRange(chunk, of: workerCount * 2, total: users.count) {
                        scorer.components(seqs.sequence(users[v]), user: users[v], needed: needed)
                        for i in 0..<n { o[v * n + i] = scorer.z[k][i] }
                    }
                }
            }
            return out
        }
        // Validation NDCG@10 (all, ge4) of a blend of component vectors.
        func objective(_ z: [[Float]], _ weights: [Float]) -> (all: Double, ge4: Double) {
            trials += 1
            var lists = [[Int]](repeating: [], count: users.count)
            lists.withUnsafeMutableBufferPointer { out in
                parallelChunks(workerCount * 2) { chunk in
                    var blended = [Float](repeating: 0, count: n)
                    var best: [ScoredIndex] = []
                    for v in chunkRange(chunk, of: workerCount * 2, total: users.count) {
                        blended.withUnsafeMutableBufferPointer { o in
                            o.update(repeating: 0)
                            for k in z.indices where weights[k] > 0 && !z[k].isEmpty {
                                z[k].withUnsafeBufferPointer { all in
                                    Kernels.axpy(weights[k], UnsafeBufferPointer(rebasing: all[(v * n)..<((v + 1) * n)]), o)
                                }
                            }
                        }
                        for i in seqs.sequence(users[v]) { blended[Int(i)] = -.infinity }
                        blended.withUnsafeBufferPointer { TopK.select(scores: $0, k: 10, into: &best) }
                        out[v] = best.filter { $0.score > -.infinity }.map { Int(seqs.active[Int($0.index)]) }
                    }
                }
            }
            let a = RankingMetrics.aggregate(lists: lists, relevant: relevantAll, catalogSize: sub.itemCount)
            let g = RankingMetrics.aggregate(lists: lists, relevant: relevantGood, catalogSize: sub.itemCount)
            return (a.ndcg, g.ndcg)
        }
        func oneHot(_ k: Int) -> [Float] { HybridComponent.allCases.map { $0.index == k ? 1 : 0 } }
        var z = [[Float]](repeating: [], count: HybridComponent.allCases.count)
        var single = [(all: Double, ge4: Double)](repeating: (-1, -1), count: z.count)
        var chosen = base
        let (denseActive, denseOf) = HybridParts.denseSelection(seqs, limit: proxy.denseItems)
        let hasTail = denseActive.count < n

        // Item-kNN: the longest lists once; shorter ones are their prefixes.
        progress?("item-kNN: neighbours \(Self.neighbourGrid.map(String.init).joined(separator: ", "))")
        let longest = NeighbourLists.fit(seqs, neighbours: Self.neighbourGrid.max()!)
        func truncated(_ k: Int) -> NeighbourLists {
            let kk = min(k, longest.k)
            guard kk < longest.k else { return longest }
            var index = [Int32](repeating: -1, count: n * kk)
            var similarity = [Float](repeating: 0, count: n * kk)
            for i in 0..<n {
                for r in 0..<kk {
                    index[i * kk + r] = longest.index[i * longest.k + r]
                    similarity[i * kk + r] = longest.similarity[i * longest.k + r]
                }
            }
            return NeighbourLists(k: kk, index: index, similarity: similarity)
        }
        var knn = longest
        for k in Self.neighbourGrid {
            var c = proxy.only(.itemKNN)
            c.knnNeighbours = k
            let lists = truncated(k)
            let parts = try HybridParts.fit(seqs, configuration: c, withEASE: false, knn: lists)
            let zk = vectors(parts, .itemKNN, c)
            let score = objective([[], [], [], zk, []], oneHot(3))
            if score.all + score.ge4 > single[3].all + single[3].ge4 {
                single[3] = score
                z[3] = zk
                knn = lists
                chosen.knnNeighbours = k
            }
        }
        // A regularization walk: from the configured λ toward the better neighbour while it improves.
        func walk(_ name: String, _ lambda0: Float, _ evaluate: (Float) throws -> Double) throws -> Float {
            let factors = Self.lambdaFactors
            var position = factors.firstIndex(of: 1)!
            var cache: [Int: Double] = [:]
            func at(_ p: Int) throws -> Double {
                if let v = cache[p] { return v }
                progress?("\(name): λ \(lambda0 * factors[p])")
                let v = try evaluate(lambda0 * factors[p])
                cache[p] = v
                return v
            }
            var current = try at(position)
            for step in [1, -1] {
                while position + step >= 0 && position + step < factors.count {
                    let next = try at(position + step)
                    guard next > current else { break }
                    position += step
                    current = next
                }
                if position != factors.firstIndex(of: 1)! { break }
            }
            return lambda0 * factors[position]
        }
        // The Gram matrices are the same for every λ: built once.
        let easeGram = LinearItemModels.easeGram(hasTail ? seqs.restricted(to: denseOf, count: denseActive.count) : seqs)
        let (slitActive, slitOf) = HybridParts.denseSelection(seqs, limit: proxy.slitDenseItems)
        let slitSystem = LinearItemModels.slitSystem(
            slitActive.count < n ? seqs.restricted(to: slitOf, count: slitActive.count) : seqs, configuration: proxy)
        // EASE (plain and recency-weighted share the matrix): λ by the better of the two.
        chosen.easeLambda = try walk("EASE", base.easeLambda) { lambda in
            var c = proxy.only(.ease)
            c.easeLambda = lambda
            c.weightRecentEASE = 1
            let parts = try HybridParts.fit(seqs, configuration: c, withEASE: true, knn: hasTail ? knn : nil, easeGram: easeGram)
            let zr = vectors(parts, .recentEASE, c)
            let ze = vectors(parts, .ease, c)
            let r = objective([[], zr, [], [], []], oneHot(1))
            let e = objective([[], [], ze, [], []], oneHot(2))
            if max(r.all + r.ge4, e.all + e.ge4) > max(single[1].all + single[1].ge4, single[2].all + single[2].ge4) {
                single[1] = r
                single[2] = e
                z[1] = zr
                z[2] = ze
            }
            return max(r.all + r.ge4, e.all + e.ge4)
        }
        // SLIT.
        chosen.slitLambda = try walk("SLIT", base.slitLambda) { lambda in
            var c = proxy.only(.slit)
            c.slitLambda = lambda
            let parts = try HybridParts.fit(seqs, configuration: c, withEASE: false, knn: hasTail ? knn : nil, slitSystem: slitSystem)
            let zs = vectors(parts, .slit, c)
            let s = objective([zs, [], [], [], []], oneHot(0))
            if s.all + s.ge4 > single[0].all + single[0].ge4 {
                single[0] = s
                z[0] = zs
            }
            return s.all + s.ge4
        }
        // ALS, where its fit is cheap next to the others (it does not enter the search on larger data).
        if sub.interactionCount <= Self.alsMaxInteractions {
            progress?("ALS: \(base.alsFactors) factors")
            let c = proxy.only(.als)
            let als = try HybridParts.alsFactors(sub, seqs: seqs, configuration: c)
            let alsParts = try HybridParts.fit(seqs, configuration: c, withEASE: false, knn: knn, als: als)
            let za = vectors(alsParts, .als, c)
            single[4] = objective([[], [], [], [], za], oneHot(4))
            z[4] = za
        }
        // The blend, from the best single component.
        let bestSingle = single.indices.max { single[$0].all + single[$0].ge4 < single[$1].all + single[$1].ge4 }!
        var weights = oneHot(bestSingle)
        var best = single[bestSingle]
        progress?("blending from \(HybridComponent.allCases[bestSingle].rawValue) alone")
        // Blends are ranked among each user's pooled candidates: the union of every component's top
        // `blendPool` unseen titles (a single component's top 10 is always inside; a blend's top 10 almost
        // always), so a trial ranks a few hundred titles per user instead of every title.
        let components = z.indices.filter { !z[$0].isEmpty }
        var poolOffsets = [0]
        var poolItems: [Int32] = []
        var poolValues = [[Float]](repeating: [], count: z.count)
        do {
            var seen = [Bool](repeating: false, count: n)
            var scores = [Float](repeating: 0, count: n)
            var best: [ScoredIndex] = []
            for v in 0..<users.count {
                var mine: [Int32] = []
                for k in components {
                    for i in 0..<n { scores[i] = z[k][v * n + i] }
                    for i in seqs.sequence(users[v]) { scores[Int(i)] = -.infinity }
                    scores.withUnsafeBufferPointer { TopK.select(scores: $0, k: Self.blendPool, into: &best) }
                    for e in best where e.score > -.infinity && !seen[Int(e.index)] {
                        seen[Int(e.index)] = true
                        mine.append(e.index)
                    }
                }
                mine.sort()
                for i in mine {
                    seen[Int(i)] = false
                    poolItems.append(i)
                    for k in components { poolValues[k].append(z[k][v * n + Int(i)]) }
                }
                poolOffsets.append(poolItems.count)
            }
        }
        func blendObjective(_ weights: [Float]) -> (all: Double, ge4: Double) {
            trials += 1
            var lists = [[Int]](repeating: [], count: users.count)
            lists.withUnsafeMutableBufferPointer { out in
                parallelChunks(workerCount * 2) { chunk in
                    var blended: [Float] = []
                    var best: [ScoredIndex] = []
                    for v in chunkRange(chunk, of: workerCount * 2, total: users.count) {
                        let range = poolOffsets[v]..<poolOffsets[v + 1]
                        blended.removeAll(keepingCapacity: true)
                        for _ in range { blended.append(0) }
                        for k in components where weights[k] > 0 {
                            for (j, p) in range.enumerated() { blended[j] += weights[k] * poolValues[k][p] }
                        }
                        blended.withUnsafeBufferPointer { TopK.select(scores: $0, k: 10, into: &best) }
                        out[v] = best.map { Int(seqs.active[Int(poolItems[range.lowerBound + Int($0.index)])]) }
                    }
                }
            }
            let a = RankingMetrics.aggregate(lists: lists, relevant: relevantAll, catalogSize: sub.itemCount)
            let g = RankingMetrics.aggregate(lists: lists, relevant: relevantGood, catalogSize: sub.itemCount)
            return (a.ndcg, g.ndcg)
        }
        for _ in 0..<2 {
            var changed = false
            for k in weights.indices where !z[k].isEmpty {
                for value in Self.blendGrid where value != weights[k] {
                    var trial = weights
                    trial[k] = value
                    guard trial.contains(where: { $0 > 0 }) else { continue }
                    let score = blendObjective(trial)
                    // A component joins the blend only for a gain above validation noise (0.5%).
                    let bar = weights[k] == 0 ? (best.all + best.ge4) * (1 + Self.joinGain) : best.all + best.ge4 + 1e-9
                    if score.all + score.ge4 > bar {
                        best = score
                        weights = trial
                        changed = true
                    }
                }
            }
            if !changed { break }
        }
        chosen.weights = weights
        let elapsed = clock.now - start
        var names: [String: Double] = [:]
        for component in HybridComponent.allCases { names[component.rawValue] = single[component.index].all }
        return BlendTuning(
            configuration: chosen, validationNDCG: best.all, validationNDCGGe4: best.ge4,
            bestSingle: HybridComponent.allCases[bestSingle].rawValue, bestSingleNDCG: single[bestSingle].all,
            bestSingleNDCGGe4: single[bestSingle].ge4, componentNDCG: names, validationUsers: users.count,
            denseTitles: min(n, proxy.denseItems), trials: trials,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

extension TrainingSet {
    /// The protocol's rule applied again inside the training rows: each user's last max(1, n div 5)
    /// rows (histories are in (timestamp, item) order) validate, the rest train. Same users and titles.
    func validationSplit() -> (train: TrainingSet, validation: [[(item: Int, rating: Float)]]) {
        var offsets = [0]
        offsets.reserveCapacity(userCount + 1)
        var items: [Int32] = []
        var timestamps: [Int64] = []
        var ratings: [Float] = []
        items.reserveCapacity(interactionCount)
        timestamps.reserveCapacity(interactionCount)
        ratings.reserveCapacity(interactionCount)
        var validation = [[(item: Int, rating: Float)]](repeating: [], count: userCount)
        for u in 0..<userCount {
            let h = history(u)
            guard !h.isEmpty else {
                offsets.append(items.count)
                continue
            }
            let cut = h.upperBound - max(1, h.count / 5)
            for p in h.lowerBound..<cut {
                items.append(self.items[p])
                timestamps.append(self.timestamps[p])
                ratings.append(self.ratings[p])
            }
            validation[u] = (cut..<h.upperBound).map { (Int(self.items[$0]), self.ratings[$0]) }
            offsets.append(items.count)
        }
        return (
            TrainingSet(userIDs: userIDs, itemIDs: itemIDs, offsets: offsets, items: items, timestamps: timestamps, ratings: ratings),
            validation
        )
    }
}

/// The served hybrid with its blend chosen anew on the validation split of whatever it is trained on.
public struct SelfTunedSequenceHybrid: Recommender {
    public var configuration: SequenceHybridConfiguration

    public init(_ configuration: SequenceHybridConfiguration = SequenceHybridConfiguration()) {
        self.configuration = configuration
    }

    public var name: String { "sequence-hybrid" }

    public var parameters: [String: String] {
        var p = SequenceHybrid(configuration).parameters
        p["weights"] = "chosen on the validation split of the training rows, with EASE and SLIT λ and kNN neighbours"
        return p
    }

    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        try fitSnapshot(data)
    }

    public func fitSnapshot(_ data: TrainingSet, progress: ((String) -> Void)? = nil) throws -> SequenceHybridModel {
        guard let tuning = try SequenceHybrid(configuration).tune(data, progress: progress) else {
            progress?("too little data to choose a blend on: the fixed weights")
            return try SequenceHybrid(configuration).fitSnapshot(data, progress: progress)
        }
        var model = try SequenceHybrid(tuning.configuration).fitSnapshot(data, progress: progress)
        model.tuning = tuning
        return model
    }
}
