import MarqueeKernels
import Testing

/// Conjugate gradient against the Cholesky solution, and its stopping rules.
@Suite struct ConjugateGradientTests {
    @Test func convergesToTheCholeskySolution() throws {
        var g = SeededGenerator(seed: 30)
        for n in [1, 5, 32, 64] {
            let a: DoubleMatrix = TestData.spd(n, &g, as: Double.self)
            let b: [Double] = TestData.vector(n, &g, as: Double.self)
            let expected = try Kernels.solveSPD(a, b)
            var x = [Double](repeating: 0, count: n)
            let result = ConjugateGradient.solve(b: b, x: &x, maxIterations: 10 * n, tolerance: 1e-12) { v, out in
                for i in 0..<n {
                    var s = 0.0
                    for j in 0..<n { s += a[i, j] * v[j] }
                    out[i] = s
                }
            }
            #expect(result.converged, "n = \(n)")
            #expect(result.iterations <= n + 5, "n = \(n): CG finishes in about n steps")
            #expect(allClose(x, expected, tolerance: 1e-9), "n = \(n)")
        }
    }

    @Test func floatWithJacobiPreconditioner() throws {
        var g = SeededGenerator(seed: 31)
        let n = 48
        var a: Matrix = TestData.spd(n, &g)
        for i in 0..<n { a[i, i] += Float(i) }  // uneven diagonal, where Jacobi helps
        let b: [Float] = TestData.vector(n, &g)
        let expected = try Kernels.solveSPD(a, b)
        let inverseDiagonal = (0..<n).map { 1 / a[$0, $0] }
        var plain = [Float](repeating: 0, count: n)
        var preconditioned = [Float](repeating: 0, count: n)
        let r1 = ConjugateGradient.solve(b: b, x: &plain, maxIterations: 200, tolerance: 1e-6) { v, out in
            Kernels.gemv(a, v, into: out)
        }
        let r2 = ConjugateGradient.solve(
            b: b, x: &preconditioned, maxIterations: 200, tolerance: 1e-6, inverseDiagonal: inverseDiagonal
        ) { v, out in Kernels.gemv(a, v, into: out) }
        #expect(r1.converged && r2.converged)
        #expect(r2.iterations <= r1.iterations)
        #expect(allClose(plain, expected, tolerance: 1e-4))
        #expect(allClose(preconditioned, expected, tolerance: 1e-4))
        #expect(r2.residualNorm <= 1e-6 * Double(Kernels.dot(b, b).squareRoot()) * 1.0001)
    }

    @Test func stoppingRules() {
        let a = DoubleMatrix([[4, 1], [1, 3]])
        let apply: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void = { v, out in
            out[0] = a[0, 0] * v[0] + a[0, 1] * v[1]
            out[1] = a[1, 0] * v[0] + a[1, 1] * v[1]
        }
        // b = 0: the answer is 0 without iterating.
        var x = [1.0, 2.0]
        var r = ConjugateGradient.solve(b: [0, 0], x: &x, maxIterations: 10, tolerance: 1e-10, apply: apply)
        #expect(x == [0, 0] && r.iterations == 0 && r.converged)
        // A warm start at the solution needs no iteration.
        x = [1.0 / 11, 7.0 / 11]
        r = ConjugateGradient.solve(b: [1, 2], x: &x, maxIterations: 10, tolerance: 1e-10, apply: apply)
        #expect(r.iterations == 0 && r.converged)
        // No iterations allowed: not converged, x untouched.
        x = [0, 0]
        r = ConjugateGradient.solve(b: [1, 2], x: &x, maxIterations: 0, tolerance: 1e-10, apply: apply)
        #expect(!r.converged && r.iterations == 0 && x == [0, 0])
        #expect(abs(r.residualNorm - 5.0.squareRoot()) < 1e-12)
        // A capped run reports what it did.
        r = ConjugateGradient.solve(b: [1, 2], x: &x, maxIterations: 1, tolerance: 1e-14, apply: apply)
        #expect(r.iterations == 1 && !r.converged)
        // Two dimensions: exact after two steps.
        x = [0, 0]
        r = ConjugateGradient.solve(b: [1, 2], x: &x, maxIterations: 5, tolerance: 1e-12, apply: apply)
        #expect(r.converged && r.iterations <= 2)
        #expect(allClose(x, [1.0 / 11, 7.0 / 11], tolerance: 1e-12))
    }

    @Test func stopsOnNonPositiveCurvature() {
        var x: [Float] = [0, 0]
        let r = ConjugateGradient.solve(b: [1, 1], x: &x, maxIterations: 10, tolerance: 1e-6) { v, out in
            out[0] = -v[0]
            out[1] = -v[1]
        }
        #expect(!r.converged && r.iterations == 1 && x == [0, 0])
    }
}
