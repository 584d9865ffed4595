import Foundation
import MarqueeCore
import MarqueeKernels
import MarqueeRecommend
import MarqueeTestSupport
import Testing

/// Calibrated re-ranking (Steck 2018) and the beyond-accuracy metrics: hand-computed figures, a
/// brute-force greedy as the reference for the incremental one, and the trade-off on a made-up case
/// and on MovieLens.
@Suite struct CalibrationTests {
    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) < tolerance }

    // MARK: Distributions and divergence

    @Test func genreDistributionByHand() {
        // Item 0: genre 0; item 1: genres 0 and 1; item 2: genre 2; item 3: none.
        let itemGenres = [[0], [0, 1], [2], []]
        // Equal weights: genre 0 = 1 + 1/2, genre 1 = 1/2, genre 2 = 1, over 3 items with genres.
        let plain = Calibration.genreDistribution(items: [0, 1, 2, 3], weights: nil, itemGenres: itemGenres, genreCount: 3)
        for (a, b) in zip(plain, [1.5 / 3, 0.5 / 3, 1.0 / 3]) { #expect(Self.close(a, b), "\(plain)") }
        // Weights 1, 2 and 5 (the genre-less item's 5 counts nowhere): genre 0 = 1 + 2/2, genre 1 = 2/2, over 3.
        let weighted = Calibration.genreDistribution(items: [0, 1, 3], weights: [1, 2, 5], itemGenres: itemGenres, genreCount: 3)
        for (a, b) in zip(weighted, [2.0 / 3, 1.0 / 3, 0]) { #expect(Self.close(a, b), "\(weighted)") }
        // No genre at all: all zeros, not NaN.
        #expect(Calibration.genreDistribution(items: [3], weights: nil, itemGenres: itemGenres, genreCount: 3) == [0, 0, 0])
    }

    @Test func klDivergenceByHand() {
        // q̃ = 0.99 q + 0.01 p = (0.2525, 0.5, 0.2475); KL = 0.5 ln(0.5 / 0.2525) + 0.5 ln(0.5 / 0.5) (Python: 0.3415984248533886).
        let p = [0.5, 0.5, 0]
        let q = [0.25, 0.5, 0.25]
        #expect(Self.close(Calibration.klDivergence(target: p, list: q), 0.3415984248533886))
        // Without smoothing: 0.5 ln 2.
        #expect(Self.close(Calibration.klDivergence(target: p, list: q, alpha: 0), 0.34657359027997264))
        // A list with none of the target's genres: q̃ = α p, KL = ln(1/α) = ln 100.
        #expect(Self.close(Calibration.klDivergence(target: [0.3, 0.7], list: [0, 0]), 4.605170185988092))
        #expect(Calibration.klDivergence(target: [0.3, 0.7], list: [0.3, 0.7]) == 0)
        #expect(Calibration.klDivergence(target: [0, 0], list: [1, 0]) == 0)
    }

    // MARK: Re-ranking

    @Test func lambdaZeroKeepsTheScoreOrder() {
        // Scores with ties (ties go to the lower index) and genres that calibration would change.
        let scores: [Float] = [0.2, 0.9, 0.5, 0.9, -1, 0.5, 3, 0.2, 0.5]
        let candidates = [4, 7, 1, 0, 2, 8, 3, 6, 5]
        let itemGenres = [[0], [1], [0], [1], [0, 1], [], [0], [1], [0]]
        let expected = [6, 1, 3, 2, 5, 8, 0, 7, 4]
        let order = Calibration.rerank(
            candidates: candidates, scores: scores, itemGenres: itemGenres, target: [0.1, 0.9], k: 9, lambda: 0)
        #expect(order == expected)
        let top4 = Calibration.rerank(candidates: candidates, scores: scores, itemGenres: itemGenres, target: [0.1, 0.9], k: 4, lambda: 0)
        #expect(top4 == Array(expected.prefix(4)))
        #expect(
            Calibration.rerank(candidates: candidates, scores: scores, itemGenres: itemGenres, target: [0.1, 0.9], k: 0, lambda: 0).isEmpty)
        #expect(
            Calibration.rerank(candidates: candidates, scores: scores, itemGenres: itemGenres, target: [0.1, 0.9], k: 50, lambda: 0.5).count
                == 9)
        // Scores so far apart that 1 and 1.0000001 normalize to the same Double: the raw score still decides.
        let extreme = Calibration.rerank(
            candidates: [0, 1, 2], scores: [-1e30, 1, 1.0000001], itemGenres: itemGenres, target: [0.1, 0.9], k: 3, lambda: 0)
        #expect(extreme == [2, 1, 0])
    }

    /// Target 70% genre A / 30% genre B; the ten best candidates are all A, the B candidates score
    /// 0.85, 0.8, 0.75 and then 0. The expected orders come from a brute-force Python greedy.
    @Test func largerLambdaCalibratesTheGenreMix() {
        let itemGenres = [[Int]](repeating: [0], count: 10) + [[Int]](repeating: [1], count: 10)
        let scores: [Float] = (0..<10).map { 1 - 0.01 * Float($0) } + [0.85, 0.8, 0.75, 0, 0, 0, 0, 0, 0, 0]
        let candidates = Array(0..<20)
        let target = [0.7, 0.3]
        let expected: [Double: [Int]] = [
            0: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.3: [0, 10, 1, 2, 3, 4, 5, 6, 7, 8], 0.6: [0, 10, 1, 2, 3, 4, 5, 11, 6, 7],
            0.9: [0, 10, 1, 2, 3, 11, 4, 5, 6, 12],
        ]
        var previousKL = Double.infinity
        var previousShare = -1.0
        for lambda in [0, 0.3, 0.6, 0.9] {
            let order = Calibration.rerank(
                candidates: candidates, scores: scores, itemGenres: itemGenres, target: target, k: 10, lambda: lambda)
            #expect(order == expected[lambda], "λ = \(lambda): \(order)")
            let q = Calibration.genreDistribution(items: order.map { candidates[$0] }, weights: nil, itemGenres: itemGenres, genreCount: 2)
            let kl = Calibration.klDivergence(target: target, list: q)
            #expect(kl < previousKL, "λ = \(lambda): KL \(kl) after \(previousKL)")
            #expect(q[1] > previousShare && q[1] <= 0.3 + 1e-12, "λ = \(lambda): share of B \(q[1])")
            previousKL = kl
            previousShare = q[1]
        }
        #expect(Self.close(previousShare, 0.3) && previousKL < 1e-12)
    }

    /// The plain greedy: recompute the whole objective for every candidate list (ties: higher score, then lower index).
    static func referenceRerank(
        candidates: [Int], scores: [Float], itemGenres: [[Int]], target: [Double], k: Int, lambda: Double
    ) -> [Int] {
        let low = Double(scores.min()!)
        let high = Double(scores.max()!)
        let normalized = scores.map { high > low ? (Double($0) - low) / (high - low) : 0 }
        var picked: [Int] = []
        while picked.count < min(k, candidates.count) {
            var best = -1
            var bestObjective = -Double.infinity
            for c in candidates.indices where !picked.contains(c) {
                let list = picked + [c]
                let q = Calibration.genreDistribution(
                    items: list.map { candidates[$0] }, weights: nil, itemGenres: itemGenres, genreCount: target.count)
                let objective =
                    (1 - lambda) * list.map { normalized[$0] }.reduce(0, +) - lambda * Calibration.klDivergence(target: target, list: q)
                if best < 0 || objective > bestObjective || (objective == bestObjective && scores[c] > scores[best]) {
                    (best, bestObjective) = (c, objective)
                }
            }
            picked.append(best)
        }
        return picked
    }

    @Test func incrementalGreedyMatchesThePlainOne() {
        var rng = SeededGenerator(seed: 2018)
        let genreCount = 6
        let itemGenres: [[Int]] = (0..<200).map { _ in
            // 0–3 distinct genres; some titles have none.
            Array(Set((0..<Int.random(in: 0...3, using: &rng)).map { _ in Int.random(in: 0..<genreCount, using: &rng) })).sorted()
        }
        for trial in 0..<20 {
            let candidates = Array((0..<200).shuffled(using: &rng).prefix(40))
            let scores = candidates.map { _ in Float.random(in: -2...5, using: &rng) }
            var weights = (0..<genreCount).map { _ in Double.random(in: 0...1, using: &rng) }
            weights[trial % genreCount] = 0  // a genre the user never watched
            let total = weights.reduce(0, +)
            let target = weights.map { $0 / total }
            for lambda in [0, 0.1, 0.5, 0.9, 1] {
                let fast = Calibration.rerank(
                    candidates: candidates, scores: scores, itemGenres: itemGenres, target: target, k: 10, lambda: lambda)
                let plain = Self.referenceRerank(
                    candidates: candidates, scores: scores, itemGenres: itemGenres, target: target, k: 10, lambda: lambda)
                #expect(fast == plain, "trial \(trial), λ = \(lambda)")
            }
        }
    }

    // MARK: Beyond-accuracy metrics

    @Test func intraListDiversityByHand() {
        let itemGenres = [[0], [0, 1], [1], [2], []]
        // Pairs of [0, 1, 2]: {0}/{0,1} → 1 − 1/2, {0}/{1} → 1, {0,1}/{1} → 1 − 1/2; mean 2/3.
        #expect(Self.close(BeyondAccuracy.intraListDiversity([0, 1, 2], itemGenres: itemGenres)!, 2.0 / 3))
        #expect(BeyondAccuracy.intraListDiversity([0, 3], itemGenres: itemGenres) == 1)
        #expect(BeyondAccuracy.intraListDiversity([2, 2], itemGenres: itemGenres) == 0)
        #expect(BeyondAccuracy.genreDistance([], []) == 0 && BeyondAccuracy.genreDistance([], [1]) == 1)
        #expect(BeyondAccuracy.intraListDiversity([1], itemGenres: itemGenres) == nil)
        // Over lists: the one-item list is left out; (2/3 + 1) / 2.
        let m = BeyondAccuracy.measure(
            lists: [[0, 1, 2], [0, 3], [4]], targets: [[0, 0, 0], [0, 0, 0], [0, 0, 0]], itemGenres: itemGenres,
            itemCounts: [1, 1, 1, 1, 1], userCount: 3)
        #expect(Self.close(m.intraListDiversity!, 5.0 / 6))
        #expect(m.miscalibration == nil)  // no user has a genre history
        #expect(m.lists == 3)
    }

    @Test func noveltyAndMiscalibrationByHand() {
        // 9 training users; item 0 seen by all 9 → share 10/10 → 0 bits; item 1 by 4 → 5/10 → 1 bit;
        // item 2 by none → 1/10 → log2 10 bits. Mean over the three recommended items.
        let itemGenres = [[0], [1], [0]]
        let m = BeyondAccuracy.measure(
            lists: [[0, 1], [2], [1]], targets: [[1, 0], [0, 0], [1, 0]], itemGenres: itemGenres, itemCounts: [9, 4, 0], userCount: 9)
        #expect(Self.close(m.novelty, (0 + 1 + 3.321928094887362 + 1) / 4))
        #expect(Self.close(BeyondAccuracy.novelty(of: 2, itemCounts: [9, 4, 0], userCount: 9), 3.321928094887362))
        // User 1: target (1, 0), list (1/2, 1/2) → ln(1 / (0.99·0.5 + 0.01)); user 2 has no genre history
        // and is left out; user 3: list (0, 1) → ln(1 / 0.01).
        let expected = (log(1 / 0.505) + 4.605170185988092) / 2
        #expect(Self.close(m.miscalibration!, expected), "\(m.miscalibration!) vs \(expected)")
        // Without any genre in the catalog there is nothing to measure diversity or calibration by.
        let bare = BeyondAccuracy.measure(
            lists: [[0, 1]], targets: [[]], itemGenres: [[], [], []], itemCounts: [9, 4, 0], userCount: 9)
        #expect(bare.intraListDiversity == nil && bare.miscalibration == nil && Self.close(bare.novelty, 0.5))
    }

    // MARK: In the evaluator, on MovieLens

    @Test func evaluatorReportsTheTradeOff() throws {
        let data = try MovieLensDataset.load(directory: try TestData.movieLensDirectory().path)
        let rows = data.ratings.map { RatingRow(user: $0.user, item: $0.item, rating: $0.rating, timestamp: $0.timestamp) }
        var tokens: [Int: [String]] = [:]
        for item in data.items { tokens[item.id] = ContentTokens.tokens(genres: item.genres) }
        let split = TemporalSplit.split(rows)
        let evaluator = Evaluator(trainRows: split.train, testRows: split.test, itemTokens: tokens)
        #expect(evaluator.genres.count == 18, "\(evaluator.genres)")
        let result = try evaluator.evaluate(MostPopular(), timingSeconds: 0.01, calibrationLambdas: [0, 0.5, 0.9])
        #expect(result.calibrated.map(\.lambda) == [0, 0.5, 0.9])
        // λ = 0 re-ranks the top 100 into exactly the plain top 10.
        let plain = result.calibrated[0]
        #expect(plain.all == result.all && plain.ge4 == result.ge4 && plain.beyond == result.beyond)
        let kls = result.calibrated.map { $0.beyond.miscalibration! }
        #expect(kls[0] > kls[1] && kls[1] > kls[2], "\(kls)")
        #expect(result.beyond.intraListDiversity! > 0 && result.beyond.intraListDiversity! < 1)
        #expect(result.beyond.novelty > 0)
        // Without genres the genre figures are absent, not zero.
        let bare = try Evaluator(trainRows: split.train, testRows: split.test).evaluate(MostPopular(), timingSeconds: 0.01)
        #expect(bare.beyond.intraListDiversity == nil && bare.beyond.miscalibration == nil)
        #expect(bare.beyond.novelty == result.beyond.novelty)
    }
}
