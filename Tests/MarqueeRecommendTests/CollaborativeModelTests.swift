import Foundation
import MarqueeKernels
import MarqueeRecommend
import Testing

/// Contract and hand-checked tests of the collaborative models: item KNN and implicit ALS.
@Suite struct CollaborativeModelTests {
    static var smallALS: ImplicitALSConfiguration {
        var c = ImplicitALSConfiguration()
        c.factors = 2
        c.regularization = 0.1
        c.iterations = 30
        return c
    }

    static var choleskyALS: ImplicitALSConfiguration {
        var c = smallALS
        c.useConjugateGradient = false
        return c
    }

    static let models: [any Recommender] = [ItemKNN(), ImplicitALS(smallALS)]

    static func model(_ name: String) throws -> any Recommender {
        try #require(models.first { $0.name == name })
    }

    @Test(arguments: models.map(\.name))
    func recommendsTheUsersOwnGroup(name: String) throws {
        let data = TrainingSet(rows: checkerboardRows(seed: 1))
        let model = try Self.model(name).fit(data)
        expectOwnGroupFirst(model, data, label: name)
    }

    @Test(arguments: models.map(\.name))
    func sameDataSameScores(name: String) throws {
        let data = TrainingSet(rows: checkerboardRows(seed: 2))
        let a = try Self.model(name).fit(data)
        let b = try Self.model(name).fit(data)
        var sa = [Float](repeating: 0, count: data.itemCount)
        var sb = sa
        for u in 0..<data.userCount {
            sa.withUnsafeMutableBufferPointer { a.scores(user: u, into: $0) }
            sb.withUnsafeMutableBufferPointer { b.scores(user: u, into: $0) }
            #expect(sa == sb)
        }
    }

    @Test func alsSeedDecidesTheFactors() throws {
        let data = TrainingSet(rows: checkerboardRows(seed: 2))
        var other = Self.smallALS
        other.seed = 7
        let a = try ImplicitALS(Self.smallALS).fitFactors(data)
        let b = try ImplicitALS(Self.smallALS).fitFactors(data)
        let c = try ImplicitALS(other).fitFactors(data)
        #expect(a.users == b.users && a.items == b.items)
        #expect(a.items != c.items)
    }

    @Test func similarItemsStayInTheGroup() throws {
        let data = TrainingSet(rows: checkerboardRows(seed: 3))
        let knn = ItemKNN().fitSnapshot(data)
        let als = try ImplicitALS(Self.smallALS).fitSnapshot(data)
        for item in 0..<data.itemCount {
            for similar in [knn.similar(to: item, count: 5), als.similar(to: item, count: 5)] {
                #expect(similar.count == 5)
                #expect(!similar.contains(item))
                for s in similar { #expect((data.itemIDs[s] <= 20) == (data.itemIDs[item] <= 20)) }
            }
        }
    }

    /// Users {1,2}, {1,2,3}, {2,3}, {4}: c₁ = 2, c₂ = 3, c₃ = 2, c₁₂ = 2, c₁₃ = 1, c₂₃ = 2, so with
    /// shrinkage 1: sim(1,2) = sim(2,3) = 2/(√6 + 1), sim(1,3) = 1/(2 + 1), and item 4 shares no user.
    @Test func itemKNNMatchesCosineWithShrinkageByHand() throws {
        let rows = [
            RatingRow(user: 1, item: 1, rating: 4, timestamp: 1), RatingRow(user: 1, item: 2, rating: 4, timestamp: 2),
            RatingRow(user: 2, item: 1, rating: 4, timestamp: 1), RatingRow(user: 2, item: 2, rating: 4, timestamp: 2),
            RatingRow(user: 2, item: 3, rating: 4, timestamp: 3), RatingRow(user: 3, item: 2, rating: 4, timestamp: 1),
            RatingRow(user: 3, item: 3, rating: 4, timestamp: 2), RatingRow(user: 4, item: 4, rating: 4, timestamp: 1),
        ]
        let data = TrainingSet(rows: rows)
        let strong: Float = 2 / (Float(6).squareRoot() + 1)
        let weak: Float = 1 / 3
        var c = ItemKNNConfiguration()
        c.shrinkage = 1
        c.recencyTau = 0
        let model = ItemKNN(c).fitSnapshot(data)
        #expect(abs(model.similarity(0, 1) - strong) < 1e-6)
        #expect(abs(model.similarity(1, 2) - strong) < 1e-6)
        #expect(abs(model.similarity(0, 2) - weak) < 1e-6)
        #expect(model.similarity(0, 3) == 0)
        #expect(model.similarity(0, 0) == 0)
        func scores(_ model: any ScoringModel, user: Int) -> [Float] {
            var s = [Float](repeating: 0, count: data.itemCount)
            s.withUnsafeMutableBufferPointer { model.scores(user: user, into: $0) }
            return s
        }
        // User 1 has items 1 then 2: item 3 scores sim(1,3) + sim(2,3).
        #expect(abs(scores(model, user: 0)[2] - (weak + strong)) < 1e-6)
        // With τ = 2 the older item 1 (age 1) weighs e^(−1/2).
        c.recencyTau = 2
        #expect(abs(scores(ItemKNN(c).fitSnapshot(data), user: 0)[2] - (Float(exp(-0.5)) * weak + strong)) < 1e-6)
        // One neighbour each: item 2's neighbours 1 and 3 tie, the smaller index (item 1) stays; item 3 keeps
        // item 2. User 3 (items 2, 3) then scores item 1 through item 2 only.
        c.recencyTau = 0
        c.neighbours = 1
        let pruned = ItemKNN(c).fitSnapshot(data)
        #expect(pruned.similar(to: 1, count: 5) == [0])
        #expect(pruned.similar(to: 2, count: 5) == [1])
        #expect(abs(scores(pruned, user: 2)[0] - strong) < 1e-6)
    }

    /// The fold-in (one user half-step) against the fitted item factors solves
    /// (YᵀY + α·Σ_{i∈u} y_i y_iᵀ + λI) x = (1 + α)·Σ_{i∈u} y_i, here built densely and solved in Double.
    @Test(arguments: [false, true])
    func alsUserSolveMatchesTheNormalEquations(conjugateGradient: Bool) throws {
        let data = TrainingSet(rows: checkerboardRows(seed: 4))
        var c = Self.choleskyALS
        c.iterations = 3
        let model = try ImplicitALS(c).fitSnapshot(data)
        let f = c.factors
        let y = model.itemFactors
        for u in [0, 5, 30] {
            let history = Array(Set(data.history(u).map { Int(data.items[$0]) })).sorted()
            var a = [[Double]](repeating: [Double](repeating: 0, count: f), count: f)
            var b = [Double](repeating: 0, count: f)
            for r in 0..<f {
                for s in 0..<f {
                    for i in 0..<y.rows { a[r][s] += Double(y[i, r]) * Double(y[i, s]) }
                    for i in history { a[r][s] += Double(c.alpha) * Double(y[i, r]) * Double(y[i, s]) }
                }
                a[r][r] += Double(c.regularization)
                for i in history { b[r] += Double(1 + c.alpha) * Double(y[i, r]) }
            }
            let reference = gaussianElimination(a, b)
            var solver = c
            solver.useConjugateGradient = conjugateGradient
            solver.cgSteps = 2 * f
            let x = try model.foldIn(items: history, solver: solver)
            for r in 0..<f { #expect(abs(Double(x[r]) - reference[r]) < 1e-4, "factor \(r): \(x[r]) vs \(reference[r])") }
        }
    }

    @Test(arguments: [false, true])
    func alsLossDecreases(conjugateGradient: Bool) throws {
        let data = TrainingSet(rows: checkerboardRows(seed: 5))
        var c = Self.smallALS
        c.useConjugateGradient = conjugateGradient
        var losses: [Double] = []
        for iterations in 0...6 {
            c.iterations = iterations
            let factors = try ImplicitALS(c).fitFactors(data)
            losses.append(ImplicitALS.loss(data, users: factors.users, items: factors.items, c))
        }
        for k in 1..<losses.count { #expect(losses[k] <= losses[k - 1] * (1 + 1e-6), "losses \(losses)") }
        #expect(losses.last! < 0.9 * losses[0], "losses \(losses)")
    }
}

/// Solves a small dense system by Gaussian elimination with partial pivoting (test reference).
func gaussianElimination(_ matrix: [[Double]], _ rhs: [Double]) -> [Double] {
    var a = matrix
    var b = rhs
    let n = b.count
    for k in 0..<n {
        let pivot = (k..<n).max { abs(a[$0][k]) < abs(a[$1][k]) }!
        a.swapAt(k, pivot)
        b.swapAt(k, pivot)
        for r in (k + 1)..<n {
            let m = a[r][k] / a[k][k]
            for s in k..<n { a[r][s] -= m * a[k][s] }
            b[r] -= m * b[k]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for k in stride(from: n - 1, through: 0, by: -1) {
        var s = b[k]
        for j in (k + 1)..<n { s -= a[k][j] * x[j] }
        x[k] = s / a[k][k]
    }
    return x
}
