import MarqueeKernels

/// Hyperparameters of implicit-feedback alternating least squares (Hu, Koren & Volinsky 2008).
public struct ImplicitALSConfiguration: Sendable, Hashable, Codable {
    /// Latent dimension.
    public var factors = 64
    /// L2 weight λ on both factor matrices.
    public var regularization: Float = 10
    /// Confidence of an observed pair: c_ui = 1 + α (unobserved pairs have confidence 1, preference 0).
    public var alpha: Float = 1
    /// Alternations (each solves all users, then all items).
    public var iterations = 15
    /// Seed of the Gaussian initialisation (scale 0.01); same seed, same factors.
    public var seed: UInt64 = 42
    /// Solve each row's system with `cgSteps` warm-started conjugate-gradient steps (as implicit's CG
    /// solver) instead of an exact Cholesky solve.
    public var useConjugateGradient = true
    public var cgSteps = 3

    public init() {}
}

/// Matrix factorisation for implicit feedback: minimises Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²)
/// over all user–item pairs, p_ui = 1 for observed pairs, by alternating least squares; score = x_u·y_i.
///
/// Every row solve depends only on the other side's fixed factors, so the parallel split does not change
/// the result: same data and seed, same factors.
public struct ImplicitALS: Recommender {
    public var configuration: ImplicitALSConfiguration

    public init(_ configuration: ImplicitALSConfiguration = ImplicitALSConfiguration()) {
        self.configuration = configuration
    }

    public var name: String { "als" }

    public var parameters: [String: String] {
        let c = configuration
        return [
            "factors": String(c.factors), "regularization": String(c.regularization), "alpha": String(c.alpha),
            "iterations": String(c.iterations), "seed": String(c.seed),
            "solver": c.useConjugateGradient ? "conjugate gradient, \(c.cgSteps) steps" : "cholesky",
        ]
    }

    public func fit(_ data: TrainingSet) throws -> any ScoringModel {
        try fitSnapshot(data)
    }

    /// Fits and returns the concrete model (with the factors, fold-in and `similar(to:count:)`).
    public func fitSnapshot(_ data: TrainingSet) throws -> ImplicitALSModel {
        let (users, items) = try fitFactors(data)
        var table = Matrix(rows: data.userCount, cols: data.itemCount)
        Kernels.gemm(users, items, transposeB: true, into: &table)
        let popularity = data.itemCounts().map(Float.init)
        let n = data.itemCount
        table.withUnsafeMutableBufferPointer { t in
            for u in 0..<data.userCount where data.history(u).isEmpty {
                // No history, zero factors: popularity instead of a constant row.
                for j in 0..<n { t[u * n + j] = popularity[j] }
            }
        }
        return ImplicitALSModel(configuration: configuration, userFactors: users, itemFactors: items, userScores: table)
    }

    /// The user and item factor matrices after `configuration.iterations` alternations.
    public func fitFactors(_ data: TrainingSet) throws -> (users: Matrix, items: Matrix) {
        let c = configuration
        precondition(c.factors > 0 && c.regularization > 0 && c.alpha >= 0 && c.iterations >= 0 && c.cgSteps >= 0)
        let pattern = BinaryPattern(data)
        var rng = SeededGenerator(seed: c.seed)
        func gaussian(rows: Int) -> Matrix {
            Matrix(rows: rows, cols: c.factors, storage: (0..<(rows * c.factors)).map { _ in Float(rng.nextGaussian() * 0.01) })
        }
        var users = gaussian(rows: data.userCount)
        var items = gaussian(rows: data.itemCount)
        for _ in 0..<c.iterations {
            try Self.solveSide(&users, fixed: items, start: pattern.userStart, indices: pattern.userItems, c)
            try Self.solveSide(&items, fixed: users, start: pattern.itemStart, indices: pattern.itemUsers, c)
        }
        return (users, items)
    }

    /// The objective Σ_{u,i} c_ui (p_ui − x_u·y_i)² + λ(‖X‖² + ‖Y‖²) over all pairs, in Double.
    public static func loss(
        _ data: TrainingSet, users: Matrix, items: Matrix, _ configuration: ImplicitALSConfiguration = ImplicitALSConfiguration()
    ) -> Double {
        let pattern = BinaryPattern(data)
        let f = users.cols
        let alpha = Double(configuration.alpha)
        let gram = Kernels.gram(items)
        var total = 0.0
        users.withUnsafeBufferPointer { x in
            items.withUnsafeBufferPointer { y in
                gram.withUnsafeBufferPointer { g in
                    for u in 0..<users.rows {
                        let xu = UnsafeBufferPointer(rebasing: x[(u * f)..<((u + 1) * f)])
                        // Σ_i s_ui² = x_uᵀ (YᵀY) x_u; then correct the observed pairs.
                        for a in 0..<f {
                            var row = 0.0
                            for b in 0..<f { row += Double(g[a * f + b]) * Double(xu[b]) }
                            total += Double(xu[a]) * row
                        }
                        for e in pattern.userStart[u]..<pattern.userStart[u + 1] {
                            let i = Int(pattern.userItems[e])
                            let s = Double(Kernels.dot(xu, UnsafeBufferPointer(rebasing: y[(i * f)..<((i + 1) * f)])))
                            total += (1 + alpha) * (1 - s) * (1 - s) - s * s
                        }
                    }
                    var squares = 0.0
                    for v in x { squares += Double(v) * Double(v) }
                    for v in y { squares += Double(v) * Double(v) }
                    total += Double(configuration.regularization) * squares
                }
            }
        }
        return total
    }

    /// One row's factors given the other side's `fixed` factors and the row's observed columns `indices`,
    /// improving `x` in place (its content is the CG warm start; ignored by Cholesky). `a0` is FᵀF + λI.
    static func solveRow(
        indices: ArraySlice<Int32>, fixed: UnsafeBufferPointer<Float>, a0: UnsafeBufferPointer<Float>, factors f: Int,
        _ c: ImplicitALSConfiguration, x: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>
    ) throws(LinearAlgebraError) {
        let b = UnsafeMutableBufferPointer(rebasing: scratch[0..<f])
        b.update(repeating: 0)
        for i in indices {
            Kernels.axpy(1 + c.alpha, UnsafeBufferPointer(rebasing: fixed[(Int(i) * f)..<((Int(i) + 1) * f)]), b)
        }
        if c.useConjugateGradient {
            _ = ConjugateGradient.solve(
                b: UnsafeBufferPointer(b), x: x, maxIterations: c.cgSteps, tolerance: 1e-7
            ) { v, out in
                for r in 0..<f { out[r] = Kernels.dot(UnsafeBufferPointer(rebasing: a0[(r * f)..<((r + 1) * f)]), v) }
                for i in indices {
                    let y = UnsafeBufferPointer(rebasing: fixed[(Int(i) * f)..<((Int(i) + 1) * f)])
                    Kernels.axpy(c.alpha * Kernels.dot(y, v), y, out)
                }
            }
        } else {
            let a = UnsafeMutableBufferPointer(rebasing: scratch[f..<(f + f * f)])
            _ = a.update(fromContentsOf: a0)
            for i in indices {
                let y = fixed.baseAddress! + Int(i) * f
                for r in 0..<f {
                    let w = c.alpha * y[r]
                    for s in 0...r { a[r * f + s] += w * y[s] }
                }
            }
            try Kernels.solveSPDInPlace(dimension: f, a: a, b: b)
            _ = x.update(fromContentsOf: b)
        }
    }

    /// Re-solves every row of `target` against `fixed`, in parallel over disjoint rows.
    static func solveSide(
        _ target: inout Matrix, fixed: Matrix, start: [Int], indices: [Int32], _ c: ImplicitALSConfiguration
    ) throws(LinearAlgebraError) {
        let f = c.factors
        var a0 = Kernels.gram(fixed)
        a0.withUnsafeMutableBufferPointer { a in for r in 0..<f { a[r * f + r] += c.regularization } }
        let rows = target.rows
        var failures = [LinearAlgebraError?](repeating: nil, count: workerCount)
        fixed.withUnsafeBufferPointer { y in
            a0.withUnsafeBufferPointer { a in
                target.withUnsafeMutableBufferPointer { x in
                    failures.withUnsafeMutableBufferPointer { failed in
                        parallelChunks(workerCount) { chunk in
                            var scratch = [Float](repeating: 0, count: f + f * f)
                            scratch.withUnsafeMutableBufferPointer { s in
                                for row in chunkRange(chunk, of: workerCount, total: rows) {
                                    do throws(LinearAlgebraError) {
                                        try solveRow(
                                            indices: indices[start[row]..<start[row + 1]], fixed: y, a0: a, factors: f, c,
                                            x: UnsafeMutableBufferPointer(rebasing: x[(row * f)..<((row + 1) * f)]), scratch: s)
                                    } catch {
                                        failed[chunk] = error
                                        return
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
    }
}

/// The observed user–item pairs, deduplicated, as CSR by user and by item (both ascending).
struct BinaryPattern {
    var userStart: [Int]
    var userItems: [Int32]
    var itemStart: [Int]
    var itemUsers: [Int32]

    init(_ data: TrainingSet) {
        userStart = [0]
        userItems = []
        userItems.reserveCapacity(data.interactionCount)
        var counts = [Int](repeating: 0, count: data.itemCount)
        for u in 0..<data.userCount {
            let items = Set(data.items[data.history(u)]).sorted()
            for i in items { counts[Int(i)] += 1 }
            userItems += items
            userStart.append(userItems.count)
        }
        itemStart = [0]
        for i in 0..<data.itemCount { itemStart.append(itemStart[i] + counts[i]) }
        var next = Array(itemStart.dropLast())
        itemUsers = [Int32](repeating: 0, count: userItems.count)
        for u in 0..<data.userCount {
            for e in userStart[u]..<userStart[u + 1] {
                let i = Int(userItems[e])
                itemUsers[next[i]] = Int32(u)
                next[i] += 1
            }
        }
    }
}

/// A fitted implicit-ALS model: the factors and every training user's scores x_u·y_i.
public struct ImplicitALSModel: ScoringModel {
    public let configuration: ImplicitALSConfiguration
    /// Users × factors.
    public let userFactors: Matrix
    /// Items × factors.
    public let itemFactors: Matrix
    let userScores: Matrix

    public var itemCount: Int { itemFactors.rows }

    public func scores(user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        let n = itemCount
        userScores.withUnsafeBufferPointer { all in
            _ = scores.update(fromContentsOf: UnsafeBufferPointer(rebasing: all[(user * n)..<((user + 1) * n)]))
        }
    }

    /// Factors of a user with the given history (item indices) against the fitted item factors: the
    /// user half-step of ALS, starting from `warmStart` (zeros when nil) for the CG solver. `solver` overrides
    /// the fitted configuration's solver settings (e.g. Cholesky for an exact solve); λ and α stay the fitted ones.
    public func foldIn(items: [Int], warmStart: [Float]? = nil, solver: ImplicitALSConfiguration? = nil) throws -> [Float] {
        let f = itemFactors.cols
        var settings = configuration
        if let solver {
            settings.useConjugateGradient = solver.useConjugateGradient
            settings.cgSteps = solver.cgSteps
        }
        let indices = Set(items).sorted().map(Int32.init)
        var a0 = Kernels.gram(itemFactors)
        a0.withUnsafeMutableBufferPointer { a in for r in 0..<f { a[r * f + r] += configuration.regularization } }
        var x = warmStart ?? [Float](repeating: 0, count: f)
        var scratch = [Float](repeating: 0, count: f + f * f)
        try itemFactors.withUnsafeBufferPointer { y in
            try a0.withUnsafeBufferPointer { a in
                try x.withUnsafeMutableBufferPointer { xb in
                    try scratch.withUnsafeMutableBufferPointer { s in
                        try ImplicitALS.solveRow(
                            indices: indices[...], fixed: y, a0: a, factors: f, settings, x: xb, scratch: s)
                    }
                }
            }
        }
        return x
    }

    /// The `count` items whose factors have the highest cosine with `item`'s, best first.
    public func similar(to item: Int, count: Int) -> [Int] {
        guard item >= 0, item < itemCount, count > 0 else { return [] }
        let f = itemFactors.cols
        return itemFactors.withUnsafeBufferPointer { y in
            let target = UnsafeBufferPointer(rebasing: y[(item * f)..<((item + 1) * f)])
            let targetNorm = Kernels.dot(target, target).squareRoot()
            var cosines = [Float](repeating: -Float.greatestFiniteMagnitude, count: itemCount)
            for j in 0..<itemCount where j != item {
                let other = UnsafeBufferPointer(rebasing: y[(j * f)..<((j + 1) * f)])
                let norm = Kernels.dot(other, other).squareRoot() * targetNorm
                cosines[j] = norm > 0 ? Kernels.dot(target, other) / norm : 0
            }
            return cosines.withUnsafeBufferPointer { TopK.select(scores: $0, k: min(count, itemCount - 1)) }.map { Int($0.index) }
        }
    }
}
