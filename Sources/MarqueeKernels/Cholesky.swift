// Cholesky factorisation A = L·Lᵀ (L lower) of symmetric positive-definite matrices, solves, and the SPD inverse.
//
// Both Float and Double are supported with the same code. Large matrices use a blocked right-looking algorithm: factor
// a diagonal block, solve the panel below it, and update the trailing matrix with the packed GEMM (lower triangle
// only). The inverse is A⁻¹ = L⁻ᵀ·L⁻¹: L⁻¹ by blocked forward substitution whose updates are GEMMs, then L⁻ᵀ·L⁻¹ as a
// triangle-aware product. Each of the three phases costs about n³/3 multiply-adds.

/// Why a factorisation or solve failed.
public enum LinearAlgebraError: Error, Equatable, Sendable {
    /// The matrix is not numerically symmetric positive definite: the pivot of row `pivot` was ≤ 0 or not finite.
    case notPositiveDefinite(pivot: Int)
    /// System `system` of a batch is not numerically positive definite (pivot as above).
    case batchSystemNotPositiveDefinite(system: Int, pivot: Int)
}

/// Block size of the blocked factorisation and inverse.
let choleskyBlock = 128

/// Unblocked Cholesky–Banachiewicz (row by row, dot products on contiguous rows) of the n×n block at `a` with leading
/// dimension `ld`, reading and overwriting the lower triangle. Returns the failing pivot, or -1.
func choleskyUnblocked<T: KernelScalar>(_ a: UnsafeMutablePointer<T>, n: Int, ld: Int) -> Int {
    for i in 0..<n {
        let ri = a + i * ld
        for j in 0..<i {
            let rj = a + j * ld
            ri[j] = (ri[j] - Leaf.dot(UnsafePointer(ri), UnsafePointer(rj), j)) / rj[j]
        }
        let d = ri[i] - Leaf.dot(UnsafePointer(ri), UnsafePointer(ri), i)
        guard d > 0, d.isFinite else { return i }
        ri[i] = d.squareRoot()
    }
    return -1
}

/// Blocked right-looking Cholesky of the n×n matrix at `a` (leading dimension `ld`), in place, lower triangle.
/// Entries above the diagonal are left as garbage (callers zero them). Returns the failing pivot, or -1.
func choleskyBlocked<T: KernelScalar>(_ a: UnsafeMutablePointer<T>, n: Int, ld: Int) -> Int {
    let nb = choleskyBlock
    if n <= nb { return choleskyUnblocked(a, n: n, ld: ld) }
    var k0 = 0
    while k0 < n {
        let bs = Swift.min(nb, n - k0)
        let k1 = k0 + bs
        let failed = choleskyUnblocked(a + k0 * ld + k0, n: bs, ld: ld)
        if failed >= 0 { return k0 + failed }
        let rest = n - k1
        if rest > 0 {
            // Panel: A21 ← A21·L11⁻ᵀ, row by row (rows are independent).
            let l11 = UnsafePointer(a + k0 * ld + k0)
            let chunks = Parallel.chunkCount(work: rest * bs * bs, serialBelow: 1 << 17, maxChunks: rest)
            Parallel.forEach(chunks, parallel: chunks > 1) { c in
                for i in Parallel.range(c, of: chunks, count: rest) {
                    let r = a + (k1 + i) * ld + k0
                    for j in 0..<bs {
                        let lj = l11 + j * ld
                        r[j] = (r[j] - Leaf.dot(UnsafePointer(r), lj, j)) / lj[j]
                    }
                }
            }
            // Trailing update: A22 -= A21·A21ᵀ, lower triangle.
            let a21 = UnsafePointer(a + k1 * ld + k0)
            gemmImpl(
                m: rest, n: rest, k: bs, alpha: -1, a: GemmOperand(base: a21, ld: ld, transposed: false),
                b: GemmOperand(base: a21, ld: ld, transposed: true), beta: 1, c: a + k1 * ld + k1, ldc: ld,
                structure: GemmStructure(lowerOutput: true))
        }
        k0 = k1
    }
    return -1
}

/// W = L⁻¹ for the n×n lower-triangular L at `l` (leading dimension `ld`), into the zeroed n×n buffer `w`.
func lowerTriangularInverse<T: KernelScalar>(_ l: UnsafePointer<T>, n: Int, ld: Int, into w: UnsafeMutablePointer<T>) {
    for i in 0..<n { w[i * n + i] = 1 }
    let nb = choleskyBlock
    var i0 = 0
    while i0 < n {
        let i1 = Swift.min(n, i0 + nb)
        // Block rows i0..<i1 of W: forward substitution within the diagonal block, on columns 0..<i1 (split across
        // threads by column; columns are independent).
        let strips = (i1 + 63) / 64
        let chunks = Parallel.chunkCount(work: (i1 - i0) * (i1 - i0) * i1, serialBelow: 1 << 17, maxChunks: strips)
        Parallel.forEach(chunks, parallel: chunks > 1) { c in
            let r = Parallel.range(c, of: chunks, count: strips)
            let c0 = r.lowerBound * 64
            let width = Swift.min(i1, r.upperBound * 64) - c0
            guard width > 0 else { return }
            for row in i0..<i1 {
                let wr = w + row * n + c0
                let lr = l + row * ld
                for s in i0..<row where lr[s] != 0 {
                    Leaf.axpy(-lr[s], UnsafePointer(w + s * n + c0), wr, width)
                }
                Leaf.scale(1 / lr[row], wr, width)
            }
        }
        // Later block rows: W[i1..<n][0..<i1] -= L[i1..<n][i0..<i1] · W[i0..<i1][0..<i1].
        if i1 < n {
            gemmImpl(
                m: n - i1, n: i1, k: i1 - i0, alpha: -1, a: GemmOperand(base: l + i1 * ld + i0, ld: ld, transposed: false),
                b: GemmOperand(base: UnsafePointer(w + i0 * n), ld: n, transposed: false), beta: 1, c: w + i1 * n, ldc: n)
        }
        i0 = i1
    }
}

/// A⁻¹ = L⁻ᵀ·L⁻¹ from the lower Cholesky factor at `l`, into the n×n buffer `out`.
func inverseFromCholesky<T: KernelScalar>(_ l: UnsafePointer<T>, n: Int, ld: Int, into out: UnsafeMutablePointer<T>) {
    let w = UnsafeMutablePointer<T>.allocate(capacity: n * n)
    defer { w.deallocate() }
    w.initialize(repeating: 0, count: n * n)
    lowerTriangularInverse(l, n: n, ld: ld, into: w)
    // (WᵀW)[i][j] = Σ_{p ≥ max(i, j)} W[p][i]·W[p][j]: op(A) = Wᵀ is upper triangular, and we only need j ≤ i.
    gemmImpl(
        m: n, n: n, k: n, alpha: 1, a: GemmOperand(base: UnsafePointer(w), ld: n, transposed: true),
        b: GemmOperand(base: UnsafePointer(w), ld: n, transposed: false), beta: 0, c: out, ldc: n,
        structure: GemmStructure(lowerOutput: true, aZeroLeftOfDiagonal: true))
    mirrorLowerToUpper(out, n: n, ldc: n)
}

/// Solves L·Lᵀ·x = b in place on `b` (L lower, n×n at `l` with leading dimension `ld`).
func choleskySolveInPlace<T: KernelScalar>(_ l: UnsafePointer<T>, n: Int, ld: Int, _ b: UnsafeMutablePointer<T>) {
    // L·y = b, row-oriented (contiguous dots).
    for i in 0..<n {
        let li = l + i * ld
        b[i] = (b[i] - Leaf.dot(li, UnsafePointer(b), i)) / li[i]
    }
    // Lᵀ·x = y, column-oriented: once x[i] is known, remove its contribution from the rows above (contiguous axpy).
    var i = n - 1
    while i >= 0 {
        let li = l + i * ld
        b[i] /= li[i]
        if i > 0 { Leaf.axpy(-b[i], li, b, i) }
        i -= 1
    }
}

/// Factor of a DenseMatrix (upper triangle zeroed).
private func factorMatrix<T: KernelScalar>(_ a: DenseMatrix<T>) throws(LinearAlgebraError) -> DenseMatrix<T> {
    precondition(a.rows == a.cols, "Cholesky: matrix must be square, got \(a.rows)×\(a.cols)")
    var l = a
    let n = a.rows
    let failed = l.withUnsafeMutableBufferPointer { buffer -> Int in
        guard let base = buffer.baseAddress else { return -1 }
        let failed = choleskyBlocked(base, n: n, ld: n)
        if failed < 0 { zeroUpper(base, n: n, ldc: n) }
        return failed
    }
    if failed >= 0 { throw .notPositiveDefinite(pivot: failed) }
    return l
}

private func solveVector<T: KernelScalar>(_ l: DenseMatrix<T>, _ b: [T]) -> [T] {
    precondition(l.rows == l.cols && b.count == l.rows, "Cholesky.solve: shape mismatch")
    var x = b
    guard !b.isEmpty else { return x }
    l.withUnsafeBufferPointer { lb in
        x.withUnsafeMutableBufferPointer { xb in choleskySolveInPlace(lb.baseAddress!, n: l.rows, ld: l.cols, xb.baseAddress!) }
    }
    return x
}

private func solveMatrix<T: KernelScalar>(_ l: DenseMatrix<T>, _ b: DenseMatrix<T>) -> DenseMatrix<T> {
    precondition(l.rows == l.cols && b.rows == l.rows, "Cholesky.solve: shape mismatch")
    // Solve column by column through the transpose, so each right-hand side is contiguous; parallel over columns.
    var xt = b.transposed()
    let n = l.rows
    let m = b.cols
    guard n > 0, m > 0 else { return b }
    l.withUnsafeBufferPointer { lb in
        xt.withUnsafeMutableBufferPointer { xb in
            let lp = lb.baseAddress!
            let xp = xb.baseAddress!
            let chunks = Parallel.chunkCount(work: n * n * m, serialBelow: 1 << 18, maxChunks: m)
            Parallel.forEach(chunks, parallel: chunks > 1) { c in
                for col in Parallel.range(c, of: chunks, count: m) { choleskySolveInPlace(lp, n: n, ld: n, xp + col * n) }
            }
        }
    }
    return xt.transposed()
}

private func inverseMatrix<T: KernelScalar>(_ l: DenseMatrix<T>) -> DenseMatrix<T> {
    precondition(l.rows == l.cols, "Cholesky.inverse: factor must be square")
    let n = l.rows
    var out = DenseMatrix<T>(rows: n, cols: n)
    guard n > 0 else { return out }
    l.withUnsafeBufferPointer { lb in
        out.withUnsafeMutableBufferPointer { ob in inverseFromCholesky(lb.baseAddress!, n: n, ld: n, into: ob.baseAddress!) }
    }
    return out
}

/// Cholesky factorisation and solves for symmetric positive-definite matrices, in Float or Double.
///
/// Only the lower triangle of the input is read. Float is about twice as fast as Double; use Double when the matrix
/// is ill-conditioned (relative error grows like cond(A)·ε, ε = 6e-8 in Float and 1e-16 in Double).
public enum Cholesky {
    /// The lower factor L with A = L·Lᵀ (zeros above the diagonal); blocked and multi-threaded for large n.
    public static func factor(_ a: Matrix) throws(LinearAlgebraError) -> Matrix { try factorMatrix(a) }

    /// The lower factor L with A = L·Lᵀ, in Double.
    public static func factor(_ a: DoubleMatrix) throws(LinearAlgebraError) -> DoubleMatrix { try factorMatrix(a) }

    /// Solves A·x = b given the factor L of A.
    public static func solve(factor l: Matrix, _ b: [Float]) -> [Float] { solveVector(l, b) }

    /// Solves A·x = b given the factor L of A, in Double.
    public static func solve(factor l: DoubleMatrix, _ b: [Double]) -> [Double] { solveVector(l, b) }

    /// Solves A·X = B (every column of B) given the factor L of A.
    public static func solve(factor l: Matrix, _ b: Matrix) -> Matrix { solveMatrix(l, b) }

    /// Solves A·X = B (every column of B) given the factor L of A, in Double.
    public static func solve(factor l: DoubleMatrix, _ b: DoubleMatrix) -> DoubleMatrix { solveMatrix(l, b) }

    /// A⁻¹ = L⁻ᵀ·L⁻¹ given the factor L of A (symmetric result).
    public static func inverse(factor l: Matrix) -> Matrix { inverseMatrix(l) }

    /// A⁻¹ = L⁻ᵀ·L⁻¹ given the factor L of A, in Double.
    public static func inverse(factor l: DoubleMatrix) -> DoubleMatrix { inverseMatrix(l) }
}

extension Kernels {
    /// The inverse of a symmetric positive-definite matrix via Cholesky (reads the lower triangle only).
    public static func inverseSPD(_ a: Matrix) throws(LinearAlgebraError) -> Matrix { inverseMatrix(try factorMatrix(a)) }

    /// The inverse of a symmetric positive-definite matrix via Cholesky, in Double.
    public static func inverseSPD(_ a: DoubleMatrix) throws(LinearAlgebraError) -> DoubleMatrix {
        inverseMatrix(try factorMatrix(a))
    }

    /// Solves A·x = b for one symmetric positive-definite A.
    public static func solveSPD(_ a: Matrix, _ b: [Float]) throws(LinearAlgebraError) -> [Float] {
        solveVector(try factorMatrix(a), b)
    }

    /// Solves A·x = b for one symmetric positive-definite A, in Double.
    public static func solveSPD(_ a: DoubleMatrix, _ b: [Double]) throws(LinearAlgebraError) -> [Double] {
        solveVector(try factorMatrix(a), b)
    }

    /// Solves one small k×k SPD system without allocating: `a` (row-major, lower triangle read) is overwritten by
    /// its Cholesky factor and `b` by the solution.
    public static func solveSPDInPlace(
        dimension k: Int, a: UnsafeMutableBufferPointer<Float>, b: UnsafeMutableBufferPointer<Float>
    ) throws(LinearAlgebraError) {
        try solveInPlace(dimension: k, a: a, b: b)
    }

    /// Solves one small k×k SPD system in place without allocating, in Double.
    public static func solveSPDInPlace(
        dimension k: Int, a: UnsafeMutableBufferPointer<Double>, b: UnsafeMutableBufferPointer<Double>
    ) throws(LinearAlgebraError) {
        try solveInPlace(dimension: k, a: a, b: b)
    }

    /// Solves `count` independent k×k SPD systems in parallel (ALS: one per user). `build(i, a, b)` fills system i
    /// (it receives zeroed row-major `a` (k×k; at least its lower triangle must be set) and `b` (k)) and may run
    /// concurrently for different i. Row i of the result is the solution of system i.
    public static func solveSPDBatch(
        count: Int, dimension k: Int,
        build: @Sendable (Int, UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) throws(LinearAlgebraError) -> Matrix {
        try solveBatch(count: count, dimension: k, build: build)
    }

    /// Solves `count` independent k×k SPD systems in parallel, in Double (see the Float overload).
    public static func solveSPDBatch(
        count: Int, dimension k: Int,
        build: @Sendable (Int, UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
    ) throws(LinearAlgebraError) -> DoubleMatrix {
        try solveBatch(count: count, dimension: k, build: build)
    }
}

private func solveInPlace<T: KernelScalar>(
    dimension k: Int, a: UnsafeMutableBufferPointer<T>, b: UnsafeMutableBufferPointer<T>
) throws(LinearAlgebraError) {
    precondition(k >= 0 && a.count >= k * k && b.count >= k, "solveSPDInPlace: buffers too small for k = \(k)")
    guard k > 0 else { return }
    let failed = choleskyUnblocked(a.baseAddress!, n: k, ld: k)
    if failed >= 0 { throw .notPositiveDefinite(pivot: failed) }
    choleskySolveInPlace(UnsafePointer(a.baseAddress!), n: k, ld: k, b.baseAddress!)
}

private func solveBatch<T: KernelScalar>(
    count: Int, dimension k: Int, build: (Int, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<T>) -> Void
) throws(LinearAlgebraError) -> DenseMatrix<T> {
    precondition(count >= 0 && k >= 0, "solveSPDBatch: negative size")
    var result = DenseMatrix<T>(rows: count, cols: k)
    guard count > 0, k > 0 else { return result }
    var failures = [Int](repeating: -1, count: count)
    result.withUnsafeMutableBufferPointer { rb in
        failures.withUnsafeMutableBufferPointer { fb in
            let out = rb.baseAddress!
            let failed = fb.baseAddress!
            let chunks = Parallel.chunkCount(work: count * k * k * k, serialBelow: 1 << 16, maxChunks: count)
            Parallel.forEach(chunks, parallel: chunks > 1) { c in
                let a = UnsafeMutableBufferPointer<T>.allocate(capacity: k * k)
                let b = UnsafeMutableBufferPointer<T>.allocate(capacity: k)
                defer {
                    a.deallocate()
                    b.deallocate()
                }
                for i in Parallel.range(c, of: chunks, count: count) {
                    a.initialize(repeating: 0)
                    b.initialize(repeating: 0)
                    build(i, a, b)
                    let pivot = choleskyUnblocked(a.baseAddress!, n: k, ld: k)
                    if pivot >= 0 {
                        failed[i] = pivot
                        continue
                    }
                    choleskySolveInPlace(UnsafePointer(a.baseAddress!), n: k, ld: k, b.baseAddress!)
                    (out + i * k).update(from: b.baseAddress!, count: k)
                }
            }
        }
    }
    if let system = failures.firstIndex(where: { $0 >= 0 }) {
        throw .batchSystemNotPositiveDefinite(system: system, pivot: failures[system])
    }
    return result
}
