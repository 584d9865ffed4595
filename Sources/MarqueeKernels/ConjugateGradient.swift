// (Jacobi-preconditioned) conjugate gradient for symmetric positive-definite systems given only as a matrix-vector
// product, as in ALS with CG: a few warm-started iterations per user instead of a k×k factorisation.

/// How a conjugate-gradient run ended.
public struct ConjugateGradientResult: Sendable, Equatable {
    /// Iterations performed (matrix-vector products after the initial residual).
    public let iterations: Int
    /// ‖b − A·x‖ at the end, as tracked by the CG recurrence.
    public let residualNorm: Double
    /// Whether the residual reached `tolerance · ‖b‖`.
    public let converged: Bool

    /// A result record.
    public init(iterations: Int, residualNorm: Double, converged: Bool) {
        self.iterations = iterations
        self.residualNorm = residualNorm
        self.converged = converged
    }
}

/// Conjugate gradient for SPD systems A·x = b, with A supplied as a closure `apply(v, out)` computing out = A·v.
public enum ConjugateGradient {
    /// Improves `x` in place (its content is the starting guess; zero it for a cold start). Stops after
    /// `maxIterations` or once ‖r‖ ≤ `tolerance`·‖b‖. `inverseDiagonal`, if given, is the Jacobi preconditioner
    /// 1/diag(A). Scratch is stack-allocated when small; nothing else is allocated.
    public static func solve(
        b: UnsafeBufferPointer<Float>, x: UnsafeMutableBufferPointer<Float>, maxIterations: Int, tolerance: Float,
        inverseDiagonal: UnsafeBufferPointer<Float>? = nil,
        apply: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> ConjugateGradientResult {
        conjugateGradient(
            b: b, x: x, maxIterations: maxIterations, tolerance: tolerance, inverseDiagonal: inverseDiagonal, apply: apply)
    }

    /// Improves `x` in place, in Double (see the Float overload).
    public static func solve(
        b: UnsafeBufferPointer<Double>, x: UnsafeMutableBufferPointer<Double>, maxIterations: Int, tolerance: Double,
        inverseDiagonal: UnsafeBufferPointer<Double>? = nil,
        apply: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
    ) -> ConjugateGradientResult {
        conjugateGradient(
            b: b, x: x, maxIterations: maxIterations, tolerance: tolerance, inverseDiagonal: inverseDiagonal, apply: apply)
    }

    /// Array convenience: improves `x` in place.
    public static func solve(
        b: [Float], x: inout [Float], maxIterations: Int, tolerance: Float, inverseDiagonal: [Float]? = nil,
        apply: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void
    ) -> ConjugateGradientResult {
        precondition(inverseDiagonal == nil || inverseDiagonal!.count == b.count, "CG: preconditioner length mismatch")
        return b.withUnsafeBufferPointer { bb in
            x.withUnsafeMutableBufferPointer { xb in
                if let d = inverseDiagonal {
                    return d.withUnsafeBufferPointer { db in
                        solve(b: bb, x: xb, maxIterations: maxIterations, tolerance: tolerance, inverseDiagonal: db, apply: apply)
                    }
                }
                return solve(b: bb, x: xb, maxIterations: maxIterations, tolerance: tolerance, apply: apply)
            }
        }
    }

    /// Array convenience: improves `x` in place, in Double.
    public static func solve(
        b: [Double], x: inout [Double], maxIterations: Int, tolerance: Double, inverseDiagonal: [Double]? = nil,
        apply: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void
    ) -> ConjugateGradientResult {
        precondition(inverseDiagonal == nil || inverseDiagonal!.count == b.count, "CG: preconditioner length mismatch")
        return b.withUnsafeBufferPointer { bb in
            x.withUnsafeMutableBufferPointer { xb in
                if let d = inverseDiagonal {
                    return d.withUnsafeBufferPointer { db in
                        solve(b: bb, x: xb, maxIterations: maxIterations, tolerance: tolerance, inverseDiagonal: db, apply: apply)
                    }
                }
                return solve(b: bb, x: xb, maxIterations: maxIterations, tolerance: tolerance, apply: apply)
            }
        }
    }
}

private func conjugateGradient<T: KernelScalar>(
    b: UnsafeBufferPointer<T>, x: UnsafeMutableBufferPointer<T>, maxIterations: Int, tolerance: T,
    inverseDiagonal: UnsafeBufferPointer<T>?, apply: (UnsafeBufferPointer<T>, UnsafeMutableBufferPointer<T>) -> Void
) -> ConjugateGradientResult {
    let n = b.count
    precondition(x.count == n, "CG: x and b differ in length")
    precondition(inverseDiagonal == nil || inverseDiagonal!.count == n, "CG: preconditioner length mismatch")
    precondition(maxIterations >= 0 && tolerance >= 0, "CG: maxIterations and tolerance must be non-negative")
    guard n > 0 else { return ConjugateGradientResult(iterations: 0, residualNorm: 0, converged: true) }
    let bp = b.baseAddress!
    let xp = x.baseAddress!
    let bNorm = Leaf.dot(bp, bp, n).squareRoot()
    if bNorm == 0 {
        x.update(repeating: 0)
        return ConjugateGradientResult(iterations: 0, residualNorm: 0, converged: true)
    }
    let target = tolerance * bNorm
    return withUnsafeTemporaryAllocation(of: T.self, capacity: 4 * n) { scratch -> ConjugateGradientResult in
        let r = scratch.baseAddress!
        let p = r + n
        let q = r + 2 * n
        let z = inverseDiagonal == nil ? r : r + 3 * n
        // r = b − A·x
        apply(UnsafeBufferPointer(x), UnsafeMutableBufferPointer(start: q, count: n))
        for i in 0..<n { r[i] = bp[i] - q[i] }
        var rNorm = Leaf.dot(UnsafePointer(r), UnsafePointer(r), n).squareRoot()
        if rNorm <= target { return ConjugateGradientResult(iterations: 0, residualNorm: Double(rNorm), converged: true) }
        if let d = inverseDiagonal?.baseAddress { for i in 0..<n { z[i] = d[i] * r[i] } }
        p.update(from: z, count: n)
        var rz = Leaf.dot(UnsafePointer(r), UnsafePointer(z), n)
        var iteration = 0
        while iteration < maxIterations {
            apply(UnsafeBufferPointer(start: p, count: n), UnsafeMutableBufferPointer(start: q, count: n))
            iteration += 1
            let pq = Leaf.dot(UnsafePointer(p), UnsafePointer(q), n)
            guard pq > 0, pq.isFinite else { break }  // A is not positive definite along p (or numerically exhausted)
            let alpha = rz / pq
            Leaf.axpy(alpha, UnsafePointer(p), xp, n)
            Leaf.axpy(-alpha, UnsafePointer(q), r, n)
            rNorm = Leaf.dot(UnsafePointer(r), UnsafePointer(r), n).squareRoot()
            if rNorm <= target {
                return ConjugateGradientResult(iterations: iteration, residualNorm: Double(rNorm), converged: true)
            }
            if let d = inverseDiagonal?.baseAddress { for i in 0..<n { z[i] = d[i] * r[i] } }
            let rzNext = Leaf.dot(UnsafePointer(r), UnsafePointer(z), n)
            let beta = rzNext / rz
            rz = rzNext
            // p = z + beta·p
            Leaf.scale(beta, p, n)
            Leaf.axpy(1, UnsafePointer(z), p, n)
        }
        return ConjugateGradientResult(iterations: iteration, residualNorm: Double(rNorm), converged: false)
    }
}
