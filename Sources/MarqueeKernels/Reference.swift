// Plain, readable versions of every kernel. They define what the fast versions must compute and are what the tests
// hold them to. They accumulate in Double, so they are also the more accurate side of each comparison. Slow: do not
// use them outside tests and tools.

/// Textbook implementations of the kernels, the oracle for the fast `Kernels`, `Cholesky`, `TopK` code.
public enum Reference {
    /// xᵀy, accumulated in Double.
    public static func dot<T: KernelScalar>(_ x: [T], _ y: [T]) -> T {
        precondition(x.count == y.count, "dot: length mismatch")
        var sum = 0.0
        for i in 0..<x.count { sum += Double(x[i]) * Double(y[i]) }
        return T(sum)
    }

    /// y + a·x.
    public static func axpy<T: KernelScalar>(_ a: T, _ x: [T], _ y: [T]) -> [T] {
        precondition(x.count == y.count, "axpy: length mismatch")
        var out = y
        for i in 0..<x.count { out[i] = y[i] + a * x[i] }
        return out
    }

    /// a·x.
    public static func scale<T: KernelScalar>(_ a: T, _ x: [T]) -> [T] {
        x.map { a * $0 }
    }

    /// A·x.
    public static func gemv<T: KernelScalar>(_ a: DenseMatrix<T>, _ x: [T]) -> [T] {
        precondition(x.count == a.cols, "gemv: shape mismatch")
        var y = [T](repeating: 0, count: a.rows)
        for i in 0..<a.rows {
            var sum = 0.0
            for j in 0..<a.cols { sum += Double(a[i, j]) * Double(x[j]) }
            y[i] = T(sum)
        }
        return y
    }

    /// Aᵀ·x.
    public static func gemvTransposed<T: KernelScalar>(_ a: DenseMatrix<T>, _ x: [T]) -> [T] {
        gemv(a.transposed(), x)
    }

    /// A·B.
    public static func gemm<T: KernelScalar>(_ a: DenseMatrix<T>, _ b: DenseMatrix<T>) -> DenseMatrix<T> {
        precondition(a.cols == b.rows, "gemm: inner dimensions differ")
        var c = DenseMatrix<T>(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows {
            for j in 0..<b.cols {
                var sum = 0.0
                for p in 0..<a.cols { sum += Double(a[i, p]) * Double(b[p, j]) }
                c[i, j] = T(sum)
            }
        }
        return c
    }

    /// alpha·op(A)·op(B) + beta·C.
    public static func gemm<T: KernelScalar>(
        _ a: DenseMatrix<T>, transposeA: Bool, _ b: DenseMatrix<T>, transposeB: Bool, c: DenseMatrix<T>, alpha: T, beta: T
    ) -> DenseMatrix<T> {
        let product = gemm(transposeA ? a.transposed() : a, transposeB ? b.transposed() : b)
        precondition(c.rows == product.rows && c.cols == product.cols, "gemm: C has the wrong shape")
        var out = c
        for i in 0..<c.rows {
            for j in 0..<c.cols {
                let scaled = beta == 0 ? 0 : Double(beta) * Double(c[i, j])
                out[i, j] = T(Double(alpha) * Double(product[i, j]) + scaled)
            }
        }
        return out
    }

    /// XᵀX.
    public static func gram<T: KernelScalar>(_ x: DenseMatrix<T>) -> DenseMatrix<T> {
        gemm(x.transposed(), x)
    }

    /// XᵀX for a binary X in CSR form (duplicate pairs count once): count co-occurring column pairs per row.
    public static func sparseGram(rowPointers: [Int], columnIndices: [Int32], columns: Int) -> Matrix {
        var g = Matrix(rows: columns, cols: columns)
        for r in 0..<Swift.max(0, rowPointers.count - 1) {
            let items = Set(columnIndices[rowPointers[r]..<rowPointers[r + 1]].map { Int($0) })
            for i in items {
                for j in items { g[i, j] += 1 }
            }
        }
        return g
    }

    /// Lower Cholesky factor (Cholesky–Banachiewicz, in Double), or nil if A is not positive definite.
    public static func cholesky<T: KernelScalar>(_ a: DenseMatrix<T>) -> DenseMatrix<T>? {
        precondition(a.rows == a.cols, "cholesky: matrix must be square")
        guard let l = choleskyRows(a) else { return nil }
        return DenseMatrix(l.map { row in row.map { T($0) } })
    }

    /// Solution of A·x = b for SPD A (via `cholesky`, in Double), or nil if A is not positive definite.
    public static func solveSPD<T: KernelScalar>(_ a: DenseMatrix<T>, _ b: [T]) -> [T]? {
        precondition(a.rows == a.cols && b.count == a.rows, "solveSPD: shape mismatch")
        guard let l = choleskyRows(a) else { return nil }
        return substitute(l, b.map { Double($0) }).map { T($0) }
    }

    /// A⁻¹ for SPD A: factor once, then solve for each column of the identity; nil if A is not positive definite.
    public static func inverseSPD<T: KernelScalar>(_ a: DenseMatrix<T>) -> DenseMatrix<T>? {
        precondition(a.rows == a.cols, "inverseSPD: matrix must be square")
        guard let l = choleskyRows(a) else { return nil }
        let n = a.rows
        var inverse = DenseMatrix<T>(rows: n, cols: n)
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n)
            e[j] = 1
            let column = substitute(l, e)
            for i in 0..<n { inverse[i, j] = T(column[i]) }
        }
        return inverse
    }

    /// The Cholesky factor as nested Double rows: L[i][j] = (A[i][j] − Σ_{p<j} L[i][p]·L[j][p]) / L[j][j].
    private static func choleskyRows<T: KernelScalar>(_ a: DenseMatrix<T>) -> [[Double]]? {
        let n = a.rows
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var sum = Double(a[i, j])
                for p in 0..<j { sum -= l[i][p] * l[j][p] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i][i] = sum.squareRoot()
                } else {
                    l[i][j] = sum / l[j][j]
                }
            }
        }
        return l
    }

    /// Solves L·Lᵀ·x = b: forward substitution, then back substitution.
    private static func substitute(_ l: [[Double]], _ b: [Double]) -> [Double] {
        let n = b.count
        var y = b
        for i in 0..<n {
            for j in 0..<i { y[i] -= l[i][j] * y[j] }
            y[i] /= l[i][i]
        }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in (i + 1)..<n { x[i] -= l[j][i] * x[j] }
            x[i] /= l[i][i]
        }
        return x
    }

    /// Best `k` scores not excluded and not NaN, by a full sort: higher score first, ties to the smaller index.
    public static func topK(scores: [Float], k: Int, excluding: Set<Int32> = []) -> [ScoredIndex] {
        var candidates: [ScoredIndex] = []
        for (i, s) in scores.enumerated() where !s.isNaN && !excluding.contains(Int32(i)) {
            candidates.append((Int32(i), s))
        }
        // Candidates are in index order, so a stable sort by score alone would give the same order.
        candidates.sort { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
        return Array(candidates.prefix(Swift.max(k, 0)))
    }
}
