import Foundation
import MarqueeKernels
import MarqueeRecommend
import Testing

/// A small random rating set: every user rates `perUser` distinct items in time order, with ratings
/// from a user effect, an item effect and noise.
private func syntheticRows(users: Int, items: Int, perUser: Int, seed: UInt64) -> [RatingRow] {
    var rng = SeededGenerator(seed: seed)
    let itemEffect = (0..<items).map { _ in rng.nextGaussian() * 0.8 }
    var rows: [RatingRow] = []
    for u in 0..<users {
        let userEffect = rng.nextGaussian() * 0.5
        var pool = Array(0..<items)
        for i in stride(from: pool.count - 1, to: 0, by: -1) { pool.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        for (k, i) in pool.prefix(perUser).enumerated() {
            let r = (3.2 + userEffect + itemEffect[i] + rng.nextGaussian() * 0.6).rounded()
            rows.append(RatingRow(user: u + 1, item: i + 1, rating: Int(min(max(r, 1), 5)), timestamp: Int64(1000 * u + 10 * k)))
        }
    }
    return rows
}

@Suite struct RatingBlendTests {
    @Test func sameConfigurationGivesIdenticalPredictions() throws {
        let data = TrainingSet(rows: syntheticRows(users: 40, items: 25, perUser: 12, seed: 1))
        let a = try RatingBlend().fitModel(data)
        let b = try RatingBlend().fitModel(data)
        var sawFactors = false
        for u in 0..<data.userCount {
            for i in 0..<data.itemCount {
                #expect(a.components(user: u, item: i) == b.components(user: u, item: i))
                #expect(a.predict(user: u, item: i) == b.predict(user: u, item: i))
                if a.components(user: u, item: i).factors != 0 { sawFactors = true }
            }
        }
        #expect(sawFactors)
    }

    @Test func predictionsAreClippedToTheRatingScale() throws {
        let data = TrainingSet(rows: syntheticRows(users: 30, items: 20, perUser: 10, seed: 2))
        for intercept in [-10.0, RatingBlendConfiguration().intercept, 10] {
            var c = RatingBlendConfiguration()
            c.intercept = intercept
            let model = try RatingBlend(c).fitRatings(data)
            for u in 0..<data.userCount {
                for i in 0..<data.itemCount {
                    let p = model.predict(user: u, item: i)
                    #expect(p >= 1 && p <= 5)
                    if intercept == 10 { #expect(p == 5) }
                    if intercept == -10 { #expect(p == 1) }
                }
            }
        }
    }

    /// One baseline sweep on 3 users × 3 rated items (plus an unrated item 4 and a user 4 without rows),
    /// written out by hand.
    @Test func baselineAfterOneSweepByHand() throws {
        let rows = [
            RatingRow(user: 1, item: 1, rating: 5, timestamp: 1), RatingRow(user: 1, item: 2, rating: 3, timestamp: 2),
            RatingRow(user: 2, item: 1, rating: 4, timestamp: 1), RatingRow(user: 2, item: 3, rating: 2, timestamp: 2),
            RatingRow(user: 3, item: 2, rating: 1, timestamp: 1), RatingRow(user: 3, item: 3, rating: 4, timestamp: 2),
            RatingRow(user: 3, item: 1, rating: 3, timestamp: 3),
        ]
        let data = TrainingSet(rows: rows, catalog: [1, 2, 3, 4], extraUsers: [4])
        var c = RatingBlendConfiguration()
        c.baselineSweeps = 1
        let model = try RatingBlend(c).fitModel(data)
        let mu = 22.0 / 7
        // Item biases from b_u = 0, shrinkage 2: Σ(r − μ) / (2 + n_i).
        let b1 = ((5 - mu) + (4 - mu) + (3 - mu)) / 5
        let b2 = ((3 - mu) + (1 - mu)) / 4
        let b3 = ((2 - mu) + (4 - mu)) / 4
        // Recency weights exp(−p/20), p = 0 for each user's last row.
        let w1 = exp(-1.0 / 20)
        let w2 = exp(-2.0 / 20)
        let bu1 = (w1 * (5 - mu - b1) + (3 - mu - b2)) / (2 + w1 + 1)
        let bu2 = (w1 * (4 - mu - b1) + (2 - mu - b3)) / (2 + w1 + 1)
        let bu3 = (w2 * (1 - mu - b2) + w1 * (4 - mu - b3) + (3 - mu - b1)) / (2 + w2 + w1 + 1)
        // User scales: 1 + Σ w b_i (r − μ − b_u − b_i) / (3 + Σ w b_i²).
        let s1 = 1 + (w1 * b1 * (5 - mu - bu1 - b1) + b2 * (3 - mu - bu1 - b2)) / (3 + w1 * b1 * b1 + b2 * b2)
        let s2 = 1 + (w1 * b1 * (4 - mu - bu2 - b1) + b3 * (2 - mu - bu2 - b3)) / (3 + w1 * b1 * b1 + b3 * b3)
        let s3 =
            1 + (w2 * b2 * (1 - mu - bu3 - b2) + w1 * b3 * (4 - mu - bu3 - b3) + b1 * (3 - mu - bu3 - b1))
            / (3 + w2 * b2 * b2 + w1 * b3 * b3 + b1 * b1)
        let userBias = [bu1, bu2, bu3, 0]
        let userScale = [s1, s2, s3, 1]
        let itemBias = [b1, b2, b3, 0]
        for u in 0..<4 {
            for i in 0..<4 {
                let expected = mu + userBias[u] + userScale[u] * itemBias[i]
                #expect(abs(model.components(user: u, item: i).baseline - expected) < 1e-9)
            }
        }
        // A user without rows and an item without ratings fall back to the biases alone.
        for i in 0..<4 {
            let parts = model.components(user: 3, item: i)
            #expect(parts.factors == 0 && parts.neighbours == 0 && parts.implicit == 0)
        }
        for u in 0..<4 {
            let parts = model.components(user: u, item: 3)
            #expect(parts.factors == 0 && parts.neighbours == 0)
        }
        #expect(model.predict(user: 3, item: 3) == mu + c.intercept)
    }

    /// The neighbour component against a direct dense evaluation of the recipe's kNN formulas.
    @Test func neighbourComponentMatchesTheFormula() throws {
        let data = TrainingSet(rows: syntheticRows(users: 25, items: 12, perUser: 7, seed: 3))
        var c = RatingBlendConfiguration()
        c.neighbours = 3
        let model = try RatingBlend(c).fitModel(data)
        let users = data.userCount
        let items = data.itemCount
        // Residual matrix E (0 where unrated) and each rated row's recency weight.
        var e = [[Double]](repeating: [Double](repeating: 0, count: items), count: users)
        var rated = [[Bool]](repeating: [Bool](repeating: false, count: items), count: users)
        var recency = [[Double]](repeating: [Double](repeating: 0, count: items), count: users)
        for u in 0..<users {
            let h = data.history(u)
            for p in h {
                let i = Int(data.items[p])
                e[u][i] = Double(data.ratings[p]) - model.components(user: u, item: i).baseline
                rated[u][i] = true
                recency[u][i] = 0.1 + exp(-Double(h.upperBound - 1 - p) / 30)
            }
        }
        func similarity(_ i: Int, _ j: Int) -> Double {
            guard i != j else { return 0 }
            var num = 0.0
            var si = 0.0
            var sj = 0.0
            var n = 0.0
            for u in 0..<users where rated[u][i] && rated[u][j] {
                num += e[u][i] * e[u][j]
                si += e[u][i] * e[u][i]
                sj += e[u][j] * e[u][j]
                n += 1
            }
            let den = (si * sj).squareRoot()
            return den > 0 ? num / den * n / (n + 200) : 0
        }
        var nonzero = 0
        for u in 0..<users {
            for i in 0..<items where !rated[u][i] {
                let neighbours = (0..<items).filter { rated[u][$0] }.map { (j: $0, s: similarity(i, $0)) }.filter { $0.s > 0 }
                    .sorted { $0.s > $1.s }.prefix(3)
                var num = 0.0
                var den = 0.0
                for (j, s) in neighbours {
                    num += s * recency[u][j] * e[u][j]
                    den += s * recency[u][j]
                }
                let expected = den > 0 ? num / den : 0
                let actual = model.components(user: u, item: i).neighbours
                #expect(abs(actual - expected) < 1e-4)
                if expected != 0 { nonzero += 1 }
            }
        }
        #expect(nonzero > 50)
    }

    /// `tuned(on:)` solves the least-squares normal equations of the validation residuals.
    @Test func tunedWeightsAreTheValidationLeastSquaresFit() throws {
        let rows = syntheticRows(users: 40, items: 30, perUser: 15, seed: 4)
        let tuned = try RatingBlend.tuned(on: rows)
        let w = tuned.configuration
        #expect(w.factors == RatingBlendConfiguration().factors && w.factorSeeds == RatingBlendConfiguration().factorSeeds)
        let split = TemporalSplit.split(rows)
        let data = TrainingSet(rows: split.train, catalog: rows.map(\.item), extraUsers: split.test.map(\.user))
        let model = try RatingBlend().fitModel(data)
        // Gradient of the squared error in every weight is zero at the fit.
        var gradient = [Double](repeating: 0, count: 4)
        for r in split.test {
            let parts = model.components(user: data.userIDs.firstIndex(of: r.user)!, item: data.itemIDs.firstIndex(of: r.item)!)
            let x = [parts.factors, parts.neighbours, parts.implicit, 1]
            let fitted = w.weightFactors * x[0] + w.weightNeighbours * x[1] + w.weightImplicit * x[2] + w.intercept
            let residual = Double(r.rating) - parts.baseline - fitted
            for a in 0..<4 { gradient[a] += x[a] * residual }
        }
        for g in gradient { #expect(abs(g) < 1e-6 * Double(split.test.count)) }
    }

    /// The research target on the real data (PROTOCOL.md §3): test RMSE ≤ 0.950.
    @Test func movieLensTestRMSE() throws {
        let split = TemporalSplit.split(try movieLensRows())
        let result = try Evaluator(trainRows: split.train, testRows: split.test).evaluateRatings(RatingBlend())
        #expect(result.metrics.rmse <= 0.950)
        #expect(result.metrics.mae <= 0.750)
    }
}
