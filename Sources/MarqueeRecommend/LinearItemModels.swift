import MarqueeKernels

/// Closed-form item-to-item weight matrices over the active items (row-major, `n × n` Float).
enum LinearItemModels {
    /// EASE (Steck 2019): B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹, diagonal forced to zero.
    /// `B[i][j]` is how much having item `i` predicts item `j`.
    static func ease(_ seqs: ReducedSequences, lambda: Float) throws -> Matrix {
        try ease(gram: easeGram(seqs), lambda: lambda)
    }

    /// XᵀX over the sequences' titles (shared by every λ).
    static func easeGram(_ seqs: ReducedSequences) -> Matrix {
        Kernels.sparseGram(rowPointers: seqs.offsets, columnIndices: seqs.items, columns: seqs.activeCount)
    }

    static func ease(gram g0: Matrix, lambda: Float) throws -> Matrix {
        let n = g0.rows
        var gram = g0
        gram.withUnsafeMutableBufferPointer { g in
            for i in 0..<n { g[i * n + i] += lambda }
        }
        var p = try Kernels.inverseSPD(gram)
        p.withUnsafeMutableBufferPointer { pb in
            // B[i][j] = −P[i][j] / P[j][j]: scale each column j by −1/P[j][j].
            var inverseDiagonal = [Float](repeating: 0, count: n)
            for j in 0..<n { inverseDiagonal[j] = -1 / pb[j * n + j] }
            parallelChunks(workerCount) { k in
                for i in chunkRange(k, of: workerCount, total: n) {
                    let row = i * n
                    for j in 0..<n { pb[row + j] *= inverseDiagonal[j] }
                    pb[row + i] = 0
                }
            }
        }
        return p
    }

    /// SLIT, a sequential linear model in the spirit of SLIST (Choi et al. 2021): a ridge regression
    /// from a recency-weighted window of a user's history to the items that come next.
    ///
    /// Every cut `p` of every sequence is one example: inputs are the `inputLength` items before the
    /// cut with weights exp(−age/inputTau), targets the `horizon` items after it with weights
    /// exp(−distance/targetTau). B = (Σ x xᵀ + λI)⁻¹ Σ x yᵀ. The sums over cuts are accumulated per
    /// pair of positions in closed form, so the work is O(pairs), not O(cuts × window²).
    static func slit(_ seqs: ReducedSequences, configuration c: SequenceHybridConfiguration) throws -> Matrix {
        try slit(system: slitSystem(seqs, configuration: c), lambda: c.slitLambda)
    }

    /// B = (G + λI)⁻¹ R from SLIT's input Gram G and cross moments R (shared by every λ).
    static func slit(system: (gram: Matrix, cross: Matrix), lambda: Float) throws -> Matrix {
        var gram = system.gram
        let n = gram.rows
        gram.withUnsafeMutableBufferPointer { g in
            for i in 0..<n { g[i * n + i] += lambda }
        }
        let inverse = try Kernels.inverseSPD(gram)
        return Kernels.gemm(inverse, system.cross)
    }

    /// SLIT's Σ x xᵀ and Σ x yᵀ over every cut (without the ridge).
    static func slitSystem(_ seqs: ReducedSequences, configuration c: SequenceHybridConfiguration) -> (gram: Matrix, cross: Matrix) {
        let n = seqs.activeCount
        let window = c.slitInputLength
        let horizon = c.slitHorizon
        let inW = decayTable(tau: c.slitInputTau, count: window)
        let outW = decayTable(tau: c.slitTargetTau, count: horizon)
        // geo[T] = Σ_{t=0}^{T} exp(−2t/τin): two inputs aging together.
        var geo = [Float](repeating: 0, count: window + 1)
        var acc = 0.0
        for t in 0...window {
            acc += exp(-2 * Double(t) / Double(c.slitInputTau))
            geo[t] = Float(acc)
        }
        var gram = Matrix(rows: n, cols: n)
        var cross = Matrix(rows: n, cols: n)
        gram.withUnsafeMutableBufferPointer { g in
            cross.withUnsafeMutableBufferPointer { r in
                // Each chunk owns a block of rows (the earlier item of a pair decides the row it writes).
                parallelChunks(workerCount) { k in
                    let rows = chunkRange(k, of: workerCount, total: n)
                    for u in 0..<seqs.userCount {
                        let s = seqs.sequence(u)
                        let len = s.count
                        if len < 2 { continue }
                        let base = s.startIndex
                        for q1 in 0..<(len - 1) {
                            let a = Int(s[base + q1])
                            let ownsA = rows.contains(a)
                            // Input pairs (q1 ≤ q2): cuts p ∈ [q2+1, min(q1+window, len−1)].
                            let lastCut = min(q1 + window, len - 1)
                            var q2 = q1
                            while q2 + 1 <= lastCut {
                                let b = Int(s[base + q2])
                                let t = lastCut - (q2 + 1)
                                let w = inW[q2 - q1] * geo[t]
                                if q2 == q1 {
                                    if ownsA { g[a * n + a] += w }
                                } else {
                                    if ownsA { g[a * n + b] += w }
                                    if rows.contains(b) { g[b * n + a] += w }
                                }
                                q2 += 1
                            }
                            guard ownsA else { continue }
                            // Input q1 → target q3: cuts p ∈ [max(q1+1, q3−horizon+1), min(q1+window, q3)].
                            let lastTarget = min(len - 1, q1 + window + horizon - 1)
                            if q1 + 1 > lastTarget { continue }
                            for q3 in (q1 + 1)...lastTarget {
                                let lo = max(q1 + 1, q3 - horizon + 1)
                                let hi = min(q1 + window, q3)
                                if lo > hi { continue }
                                var w: Float = 0
                                for p in lo...hi { w += inW[p - 1 - q1] * outW[q3 - p] }
                                r[a * n + Int(s[base + q3])] += w
                            }
                        }
                    }
                }
            }
        }
        return (gram, cross)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
